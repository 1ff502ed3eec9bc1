"""Reads of the growth programmes checked against a plain reference: the targets' progress (city targets count
every card, a county's the cards of its region) and the board's columns (order, limit, counts)."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import reference as reference_tables
from crm.choices import OPEN_CULTIVATION_STAGES, CultivationStage, MilestoneKind
from crm.models import Cultivation, CultivationTarget, Project, ProjectMilestone, ProjectProgress
from crm.prepared import Statements
from crm.selectors import programmes
from crm.selectors.programmes import (
    LAG_LISTS,
    BoardCard,
    cultivation_board,
    milestone_lag,
    milestone_lag_counts,
    project_rates,
    target_progress,
)
from crm.services.enterprises import enterprise_update
from crm.templatetags.list_rows import milestone_rows
from tests.factories import (
    BureauFactory,
    CultivationFactory,
    EnterpriseFactory,
    ProjectFactory,
    ProjectMilestoneFactory,
    ProjectProgressFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def pool(regions, qualifications, city_bureau, county_bureau):
    """Cards of three programmes over three regions and two years, every stage, some without a next step; a city
    target and county targets (金湖县 320831, and a second county bureau for 淮安区 320803)."""
    rng = random.Random(18)
    other_county = BureauFactory(county=True, name="淮安区科技局", region=regions["320803"])
    enterprises = [EnterpriseFactory(region=regions[code]) for code in ("320812", "320831", "320803") for _ in range(7)]
    stages = CultivationStage.values
    for enterprise in enterprises:
        for code in ("hnte", "tsme", "srdi"):
            for year in (YEAR, YEAR - 1):
                if rng.random() < 0.7:
                    CultivationFactory(
                        enterprise=enterprise,
                        year=year,
                        programme=qualifications[code],
                        stage=rng.choice(stages),
                        next_step_on=None
                        if rng.random() < 0.2
                        else f"{YEAR}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    )
    for bureau in (city_bureau, county_bureau, other_county):
        for code in ("hnte", "srdi"):
            CultivationTarget.objects.create(bureau=bureau, year=YEAR, programme=qualifications[code], target=5)
    return enterprises


def reference(target) -> dict:
    cards = [
        c
        for c in Cultivation.objects.select_related("enterprise")
        if c.year == target.year
        and c.programme_id == target.programme_id
        and (target.bureau.level == "city" or c.enterprise.region_id == target.bureau.region_id)
    ]
    certified = sum(c.stage == CultivationStage.CERTIFIED for c in cards)
    return {
        "bureau_id": target.bureau_id,
        "programme_code": target.programme_id,
        "certified": certified,
        "failed": sum(c.stage == CultivationStage.FAILED for c in cards),
        "pipeline": sum(c.stage in OPEN_CULTIVATION_STAGES for c in cards),
        "percent": round(certified * 100 / target.target),
        "gap": max(target.target - certified, 0),
    }


@pytest.mark.parametrize(("programme", "region"), [(None, None), ("hnte", None), (None, "320831"), ("srdi", "320803")])
def test_target_progress_counts_what_a_plain_count_counts(pool, manager, programme, region, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = target_progress(user=manager, year=YEAR, programme=programme, region=region)
    targets = CultivationTarget.objects.select_related("bureau").filter(year=YEAR)
    expected = [
        reference(t)
        for t in targets
        if (not programme or t.programme_id == programme)
        and (not region or t.bureau.level == "city" or t.bureau.region_id == region)
    ]
    got = [{key: row[key] for key in expected[0]} for row in rows]
    assert sorted(got, key=lambda r: (r["bureau_id"], r["programme_code"])) == sorted(
        expected, key=lambda r: (r["bureau_id"], r["programme_code"])
    )
    assert any(r["certified"] for r in got) and any(r["pipeline"] for r in got)


def test_target_progress_counts_the_counties_by_the_cards_stored_region(pool, manager, regions):
    """The counts per county read ``Cultivation.region`` (crm_cult_region_idx alone), not every card's enterprise
    against the county's enterprises; a card whose enterprise moved counts in its new county."""
    with CaptureQueriesContext(connection) as queries:
        target_progress(user=manager, year=YEAR)
    counted = queries.captured_queries[-1]["sql"]
    assert '"crm_cultivation"."region_id"' in counted and "crm_enterprise" not in counted, counted
    moved = next(e for e in pool if e.region_id == "320812" and e.cultivations.filter(year=YEAR).exists())
    enterprise_update(user=manager, enterprise=moved, data={"region": regions["320831"]})
    targets = CultivationTarget.objects.select_related("bureau").filter(year=YEAR)
    got = {(r["bureau_id"], r["programme_code"]): r for r in target_progress(user=manager, year=YEAR)}
    for target in targets:
        row = got[(target.bureau_id, target.programme_id)]
        assert {key: row[key] for key in reference(target)} == reference(target)


@pytest.mark.parametrize("region", [None, "320831"])
@pytest.mark.parametrize("programme", [None, "hnte"])
def test_the_board_columns_are_the_first_cards_of_a_plain_sort(
    pool, officer, programme, region, django_assert_num_queries
):
    """Every card as shown (enterprise, region, programme, next step, officer), in order, and each column's count,
    in one statement; a stage without cards (failed, left out) is an empty column counting 0."""
    Cultivation.objects.filter(pk__in=[c.pk for c in Cultivation.objects.all()[::3]]).update(officer=officer)
    queryset = Cultivation.objects.filter(year=YEAR).exclude(stage=CultivationStage.FAILED)
    if programme:
        queryset = queryset.filter(programme=programme)
    if region:
        queryset = queryset.filter(enterprise__region=region)
    with reference_tables.request_scope():
        cultivation_board(queryset=queryset, limit=3)  # the names of regions and programmes: the process's copy
        with django_assert_num_queries(1):
            columns = cultivation_board(queryset=queryset, limit=3)
    everything = list(queryset.select_related("enterprise__region", "programme", "officer"))
    nulls_first = Cultivation.objects.order_by("next_step_on").first().next_step_on is None  # SQLite; not PostgreSQL
    assert [column["stage"] for column in columns] == CultivationStage.values
    for column in columns:
        cards = [c for c in everything if c.stage == column["stage"]]
        cards.sort(
            key=lambda c: (
                (c.next_step_on is None) != nulls_first,
                c.next_step_on or dt.date.min,
                c.enterprise.name,
                c.pk,
            )
        )
        assert column["count"] == len(cards)
        assert column["cards"] == [
            BoardCard(
                c.pk,
                c.enterprise_id,
                c.enterprise.name,
                c.enterprise.region.name,
                c.programme.name,
                c.next_step_on,
                str(c.officer) if c.officer else "",
            )
            for c in cards[:3]
        ]
    assert columns[-1]["count"] == 0 and not columns[-1]["cards"]
    assert any(card.officer for column in columns for card in column["cards"])
    assert any(card.next_step_on for column in columns for card in column["cards"])


def test_the_board_statement_is_prepared_on_the_server(pool, prepared_on_server):
    """The board's statement (six parts, each with its joins and subqueries) is planned once per connection on
    PostgreSQL: its planning cost the server more than running it."""
    queryset = Cultivation.objects.filter(year=YEAR, programme="hnte")
    with reference_tables.request_scope():
        cultivation_board(queryset=queryset, limit=3)  # the names of regions and programmes: the process's copy
        with CaptureQueriesContext(connection) as queries:
            first = cultivation_board(queryset=queryset, limit=3)
    (ran,) = queries.captured_queries
    assert any(statement.startswith("SELECT 0, part_0.*") for statement in prepared_on_server()), ran["sql"]
    assert cultivation_board(queryset=queryset, limit=3) == first


def test_the_board_shows_a_renamed_region_or_programme_at_once(pool):
    """The names come from the process's copy of the reference tables, which a rename replaces."""
    queryset = Cultivation.objects.filter(year=YEAR)
    card = Cultivation.objects.filter(year=YEAR).select_related("enterprise__region", "programme").first()
    region, programme = card.enterprise.region, card.programme
    with reference_tables.request_scope():
        shown = [c for column in cultivation_board(queryset=queryset) for c in column["cards"] if c.pk == card.pk]
        assert (shown[0].region_name, shown[0].programme_name) == (region.name, programme.name)
    region.name, programme.name = "新区域", "新项目"
    region.save()
    programme.save()
    with reference_tables.request_scope():
        shown = [c for column in cultivation_board(queryset=queryset) for c in column["cards"] if c.pk == card.pk]
        assert (shown[0].region_name, shown[0].programme_name) == ("新区域", "新项目")


def test_the_lag_counts_are_the_lengths_of_the_lag_lists(manager, county_manager, regions):
    """Every combination of the four milestones (reached, planned before / on / after today, absent) in two
    regions: each count is what its list holds, for the city and for a county."""
    today = dt.date(2026, 6, 10)
    kinds = [kind for kind, _label in MilestoneKind.choices]
    states = [None, "reached", "late", "due_today", "later"]
    rng = random.Random(18)
    for n in range(60):
        project = ProjectFactory(region=regions["320812" if n % 2 else "320831"])
        for kind in kinds:
            state = rng.choice(states)
            if state is None:
                continue
            planned = {"late": today - dt.timedelta(days=3), "due_today": today, "later": today + dt.timedelta(3)}
            ProjectMilestoneFactory(
                project=project,
                kind=kind,
                planned_on=planned.get(state, today - dt.timedelta(days=30)),
                actual_on=today - dt.timedelta(days=20) if state == "reached" else None,
            )
    for user in (manager, county_manager):
        counts = milestone_lag_counts(user=user, today=today)
        expected = {which: len(list(milestone_lag(user=user, which=which, today=today))) for which in LAG_LISTS}
        assert counts == expected
        assert all(expected.values())


def test_the_lag_counts_are_compiled_once_per_shape_of_user(
    manager, county_manager, regions, compiled_sql, monkeypatch
):
    """The lag counts' statement is the one ``aggregate()`` ran, compiled on a scope's first call only: a later day
    compiles nothing and counts its own (a county its region's projects); a user who sees nothing counts 0."""
    monkeypatch.setattr(programmes, "_LAG_COUNTS", Statements())
    today = dt.date(2026, 6, 10)
    for region in ("320812", "320831", "320831"):
        project = ProjectFactory(region=regions[region])
        ProjectMilestoneFactory(project=project, kind="signed", actual_on=today - dt.timedelta(days=40))
        ProjectMilestoneFactory(project=project, kind="started", planned_on=today - dt.timedelta(days=3))

    def by_aggregate(user, day):
        late = ProjectMilestone.objects.visible_to(user).filter(actual_on__isnull=True, planned_on__lt=day)
        reached = ProjectMilestone.objects.filter(kind="signed", actual_on__isnull=False).values("project_id")
        return late.filter(kind="started", project_id__in=reached).count()

    for user in (manager, county_manager):
        milestone_lag_counts(user=user, today=today)
        for day in (today, today - dt.timedelta(days=2), today - dt.timedelta(days=5)):
            with compiled_sql() as compiled:
                counts = milestone_lag_counts(user=user, today=day)
            assert compiled == []
            assert counts["signed_not_started"] == by_aggregate(user, day)
    assert milestone_lag_counts(user=manager, today=today)["signed_not_started"] == 3
    assert milestone_lag_counts(user=county_manager, today=today)["signed_not_started"] == 2
    with compiled_sql() as compiled:
        assert set(milestone_lag_counts(user=UserFactory(bureau=None, department=None), today=today).values()) == {0}
    assert compiled == []


def _rates_by_hand(user) -> tuple:
    """开工率 and 投资完成率's figures over the projects ``user`` sees, counted one project at a time."""
    signed = started = 0
    planned = done = Decimal(0)
    for project in Project.objects.visible_to(user):
        reached = set(
            ProjectMilestone.objects.filter(project=project, actual_on__isnull=False).values_list("kind", flat=True)
        )
        signed += MilestoneKind.SIGNED in reached
        started += {MilestoneKind.SIGNED, MilestoneKind.STARTED} <= reached
        if project.planned_investment and project.planned_investment > 0:
            planned += project.planned_investment
            latest = (
                ProjectProgress.objects.filter(project=project, investment_total__isnull=False)
                .order_by("-month")
                .first()
            )
            done += latest.investment_total if latest else 0
    return signed, started, planned, done


def test_project_rates_are_what_a_project_by_project_count_gives(manager, county_manager, regions):
    """Milestones reached or only planned, reports with and without a total (the latest month without one), projects
    with no, zero or a planned investment, in two regions: the counts and sums read as sets and an anti join (the
    latest report with a total: none later) are the ones counted project by project, for the city and a county."""
    rng = random.Random(18)
    for n in range(40):
        project = ProjectFactory(
            region=regions["320812" if n % 2 else "320831"],
            planned_investment=rng.choice([None, Decimal(0), Decimal(1000 * (n + 1))]),
        )
        for kind in (MilestoneKind.SIGNED, MilestoneKind.STARTED):
            state = rng.choice([None, "planned", "reached"])
            if state:
                ProjectMilestoneFactory(
                    project=project,
                    kind=kind,
                    planned_on=dt.date(2026, 1, 10),
                    actual_on=dt.date(2026, 2, 1) if state == "reached" else None,
                )
        for month in rng.sample(range(1, 7), rng.randint(0, 4)):
            total = rng.choice([None, Decimal(100 * month + n)])
            ProjectProgressFactory(project=project, month=dt.date(2026, month, 1), investment_total=total)
    for user in (manager, county_manager):
        rates = project_rates(user=user)
        signed, started, planned, done = _rates_by_hand(user)
        assert (rates["signed"], rates["started"]) == (signed, started)
        assert (rates["planned_investment"], rates["investment_done"]) == (planned, done)
        assert signed and started and done


def test_a_lag_lists_rows_load_the_columns_they_show(manager, regions, django_assert_num_queries):
    """The rows of a lag list read the columns ``milestone_rows`` shows (a project with or without its enterprise)
    in the one query of the page, not every column of the four tables, and render without another query."""
    today = dt.date(2026, 6, 10)
    for name, enterprise in (("有企业的项目", EnterpriseFactory(name="淮安某企业")), ("无企业的项目", None)):
        project = ProjectFactory(name=name, region=regions["320812"], enterprise=enterprise)
        ProjectMilestoneFactory(project=project, kind="signed", actual_on=today - dt.timedelta(days=40))
        ProjectMilestoneFactory(project=project, kind="started", planned_on=today - dt.timedelta(days=3))
    with django_assert_num_queries(1):
        rows = list(milestone_lag(user=manager, which="signed_not_started", today=today))
    for row in rows:
        row.days_late = 3
    with django_assert_num_queries(0):
        html = milestone_rows(rows)
    assert html.count("<tr ") == 2 and "有企业的项目" in html and "淮安某企业" in html and "无企业的项目" in html
    assert {"actual_on", "created_at"} <= rows[0].get_deferred_fields()
    assert {"description", "planned_investment"} <= rows[0].project.get_deferred_fields()
