"""Reads of the growth programmes (DESIGN §11.7): yearly figures and their trend chart, the cultivation board and
the progress against targets, project milestones (planned vs actual, the three lag lists) and the projects'
开工率 / 投资完成率, commissioners with their enterprises and service days. Every read goes through
``visible_to``; query counts do not grow with the number of rows shown."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm import reference
from crm.choices import OPEN_CULTIVATION_STAGES, CultivationStage, MilestoneKind
from crm.models import (
    CommissionerAssignment,
    Cultivation,
    CultivationTarget,
    Enterprise,
    EnterpriseYear,
    Project,
    ProjectMilestone,
    ProjectProgress,
    Qualification,
    Region,
    ServiceLog,
    User,
)
from crm.prepared import SAMPLE_DAYS, SAMPLE_KEY, Prepared, Statements, plan_once_cursor
from crm.querysets import scope_region
from crm.selectors.needs import CountAll, compiled_for_each, compound_sql
from crm.selectors.rows import rows_of
from crm.selectors.scope import SampleUser

YEARS_SHOWN = 6
BOARD_LIMIT = 50
LAG_LIMIT = 100

# ---------------------------------------------------------------------------------------------------------
# Yearly figures and the 360° page's trend chart
# ---------------------------------------------------------------------------------------------------------


def _year_rows(user, key: int, limit: int) -> QuerySet:
    return EnterpriseYear.objects.visible_to(user).filter(enterprise=key).order_by("-year")[:limit]


def enterprise_years(*, user, enterprise: Enterprise, limit: int = YEARS_SHOWN) -> list[EnterpriseYear]:
    """The enterprise's latest years, oldest first (one query, ``rows_of``; empty outside the user's scope)."""
    rows = rows_of(_year_rows, limit, user=user, key=enterprise.pk, using=enterprise._state.db)
    rows.reverse()
    return rows


@dataclass
class TrendChart:
    """Geometry of a small line chart drawn as inline SVG by the template (no script, no CDN: CSP)."""

    width: int = 320
    height: int = 120
    series: list[dict] = field(default_factory=list)  # {"key", "label", "points", "dots": [(x, y, value)]}
    labels: list[dict] = field(default_factory=list)  # {"x", "text"}
    maximum: Decimal | None = None
    label_y: int = 0


CHART_SERIES = (("revenue", "revenue"), ("rd_expense", "rd"))


def trend_chart(years: list[EnterpriseYear], *, width: int = 320, height: int = 120) -> TrendChart | None:
    """Revenue and R&D expense per year as polylines in a ``width`` × ``height`` box (None with under 2 years)."""
    if len(years) < 2:
        return None
    left, right, top, bottom = 18, 18, 10, 22
    values = [getattr(y, name) for y in years for name, _css in CHART_SERIES if getattr(y, name) is not None]
    maximum = max(values, default=Decimal("0")) or Decimal("1")
    step = (width - left - right) / (len(years) - 1)
    chart = TrendChart(width=width, height=height, maximum=maximum)
    for index, year in enumerate(years):
        chart.labels.append({"x": round(left + index * step, 1), "text": str(year.year)})
    for name, css in CHART_SERIES:
        dots = []
        for index, year in enumerate(years):
            value = getattr(year, name)
            if value is None:
                continue
            x = left + index * step
            y = top + (height - top - bottom) * (1 - float(value) / float(maximum))
            dots.append((round(x, 1), round(y, 1), value))
        chart.series.append(
            {"key": name, "css": css, "points": " ".join(f"{x},{y}" for x, y, _v in dots), "dots": dots}
        )
    chart.label_y = height - 6
    return chart


# ---------------------------------------------------------------------------------------------------------
# The cultivation board and the progress against targets
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardCard:
    """What a card of the cultivation board shows (``{% cultivation_card %}``): read as plain columns, not as a
    cultivation with its enterprise, region, programme and officer (1,500 model instances for the 300 cards)."""

    pk: int
    enterprise_id: int
    enterprise_name: str
    region_name: str
    programme_name: str
    next_step_on: dt.date | None
    officer: str  # as a person is shown (User.shown_as); "" without an officer


BOARD_CARD_COLUMNS = (
    *("pk", "enterprise_id", "enterprise__name", "enterprise__region", "programme", "next_step_on"),
    *("officer_id", *User.name_fields_of("officer")),
)
# A stage's order (next step, enterprise name, pk) as positions in the board's tagged rows (the stage's index first).
_BOARD_ORDER = ", ".join(str(BOARD_CARD_COLUMNS.index(name) + 2) for name in ("next_step_on", "enterprise__name", "pk"))


def cultivation_board(*, queryset, limit: int = BOARD_LIMIT) -> list[dict]:
    """The board's columns, one per stage: ``{"stage", "label", "count", "cards"}`` (cards: ``BoardCard``); at
    most ``limit`` cards per column (soonest next step first). ONE statement whatever the size (it was a grouped
    COUNT and a query per stage: 7): a UNION ALL of each stage's first ``limit`` cards, each read in the order of
    the index crm_cult_board_idx (or crm_cult_stage_next_idx without a programme) and stopped at ``limit``, every
    row carrying its stage's count (a scalar subquery, computed once per stage; a stage without cards counts 0).
    The parts differ by their stage alone: the ORM compiles one."""

    def part(stage: str):
        return (
            queryset.filter(stage=stage)
            # The region's and programme's names are not read here (a subquery per card, 600 on a full board, or
            # two more joins per part) but from the process's copy of the reference tables (``rows_by_key``).
            .annotate(stage_count=Subquery(queryset.filter(stage=stage).order_by().values(n=CountAll())))
            .order_by("next_step_on", "enterprise__name", "pk")
            .values_list(*BOARD_CARD_COLUMNS, "stage_count")[:limit]
        )

    sql, params = compound_sql(compiled_for_each(part, CultivationStage.values), tagged=True)
    cards: dict[int, list[BoardCard]] = {}
    counts: dict[int, int] = {}
    if sql:
        regions, programmes = reference.rows_by_key(Region), reference.rows_by_key(Qualification)
        # Prepared on PostgreSQL (planned once per connection, its generic plan read from the same indexes): planning
        # the six parts' joins and subqueries cost ~10 ms of the server's CPU, more than running them.
        with plan_once_cursor(connection) as cursor:
            # The stage's position, then each part's own order (the same columns: the same collation and NULLs).
            cursor.execute(f"{sql} ORDER BY 1, {_BOARD_ORDER}", params)
            for index, pk, enterprise_id, name, region, programme, next_step_on, officer_id, *rest in cursor:
                *person, counts[index] = rest
                cards.setdefault(index, []).append(
                    BoardCard(
                        pk,
                        enterprise_id,
                        name,
                        regions[region].name if region in regions else "",
                        programmes[programme].name if programme in programmes else "",
                        next_step_on,
                        User.shown_as(*person) if officer_id else "",
                    )
                )
    return [
        {"stage": stage, "label": label, "count": counts.get(index, 0), "cards": cards.get(index, [])}
        for index, (stage, label) in enumerate(CultivationStage.choices)
    ]


def _regions_of(bureaus) -> dict[int, str | None]:
    """Bureau id → its region for a county bureau, None for a city bureau (its target counts the whole city)."""
    return {b.pk: (None if b.level == "city" else b.region_id) for b in bureaus}


def target_progress(*, user, year: int, programme: str | None = None, region: str | None = None) -> list[dict]:
    """Per target of the user's scope (bureau × programme of ``year``): the target, certified this year, still in
    the pipeline, failed, and the percentage reached. Two queries."""
    targets = CultivationTarget.objects.visible_to(user).filter(year=year).select_related("bureau", "programme")
    if programme:
        targets = targets.filter(programme_id=programme)
    targets = list(targets.order_by("bureau__level", "bureau__name", "programme__sort_order"))
    if region:
        targets = [t for t in targets if t.bureau.level == "city" or t.bureau.region_id == region]
    if not targets:
        return []
    # The city's targets count every card, a county's the cards of its region's enterprises: one row per
    # programme × stage × region (the card's stored region, ``Cultivation.region``), counted from
    # crm_cult_region_idx alone; the city's count is their sum. It was a count per county region of ``enterprise_id
    # IN`` (the region's ~7,000 enterprises), a set built and probed on every board and dashboard (~3.7 ms on SQLite).
    regions = {t.bureau.region_id for t in targets if t.bureau.level != "city"}
    pool = Cultivation.objects.visible_to(user).filter(year=year, programme_id__in={t.programme_id for t in targets})
    grouped = pool.order_by().values_list("programme", "stage", "region").annotate(n=Count("*"))
    counts: dict[tuple[str | None, str], dict[str, int]] = {}
    for programme_code, stage, card_region, n in grouped:
        everywhere = counts.setdefault((None, programme_code), {})
        everywhere[stage] = everywhere.get(stage, 0) + n
        if card_region in regions:
            counts.setdefault((card_region, programme_code), {})[stage] = n
    rows = []
    for target in targets:
        own = target.bureau.region_id if target.bureau.level != "city" else None
        stages = counts.get((own, target.programme_id), {})
        certified = stages.get(CultivationStage.CERTIFIED, 0)
        failed = stages.get(CultivationStage.FAILED, 0)
        pipeline = sum(stages.get(s, 0) for s in OPEN_CULTIVATION_STAGES)
        rows.append(
            {
                "bureau_id": target.bureau_id,
                "bureau": target.bureau.name,
                "region": own,
                "programme_code": target.programme_id,
                "programme": target.programme.name,
                "target": target.target,
                "certified": certified,
                "pipeline": pipeline,
                "failed": failed,
                "percent": round(certified * 100 / target.target) if target.target else None,
                "gap": max(target.target - certified, 0),
            }
        )
    return rows


def programme_choices() -> list[tuple[str, str]]:
    return list(Qualification.objects.order_by("sort_order", "code").values_list("code", "name"))


# ---------------------------------------------------------------------------------------------------------
# Project milestones
# ---------------------------------------------------------------------------------------------------------

# The three lag lists: (list key, the milestone reached, the next one past its planned date).
LAG_LISTS = {
    "signed_not_started": (MilestoneKind.SIGNED, MilestoneKind.STARTED),
    "started_not_completed": (MilestoneKind.STARTED, MilestoneKind.COMPLETED),
    "completed_not_producing": (MilestoneKind.COMPLETED, MilestoneKind.IN_PRODUCTION),
}

# What a lag list's row reads (crm/templatetags/list_rows.py ``milestone_rows``), loaded with the page.
LAG_ROW_FIELDS = ("kind", "planned_on", "project__name", "project__enterprise__name", "project__region__name")


def milestone_lag(*, user, which: str, today: dt.date | None = None):
    """Milestones of ``which`` list: the earlier milestone reached, the next one not reached and planned before
    ``today`` (a milestone planned for today is not late yet). Oldest planned date first; a queryset."""
    today = today or timezone.localdate()
    reached, late = LAG_LISTS[which]
    earlier = ProjectMilestone.objects.filter(project=OuterRef("project"), kind=reached, actual_on__isnull=False)
    return (
        ProjectMilestone.objects.visible_to(user)
        .filter(kind=late, actual_on__isnull=True, planned_on__lt=today)
        .filter(Exists(earlier))
        .select_related("project", "project__region", "project__enterprise")
        # The columns the list's rows show (``milestone_rows``), not every column of the four tables.
        .only(*LAG_ROW_FIELDS)
        .order_by("planned_on", "project__name", "pk")
    )


def _reached(kind: str):
    """The ids of the projects that reached the milestone ``kind`` (its actual date set), as a subquery."""
    return ProjectMilestone.objects.filter(kind=kind, actual_on__isnull=False).values("project_id")


def milestone_lag_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    """How many milestones each lag list holds (one query). "The earlier milestone reached" is ``project_id IN``
    the projects that reached it, a set each database builds once, not a correlated EXISTS per row: PostgreSQL
    priced the three subplans above its JIT threshold and spent ~50 ms compiling the query on seed_scale. The
    statement is compiled once per scope (``Prepared``, the day its parameter): building and compiling the
    aggregate cost ~5 ms of CPU on every milestone list and dashboard, about what SQLite takes to answer it."""
    today = today or timezone.localdate()
    scope = scope_region(user)
    if scope == (False, None):  # sees no project: every list is empty
        return dict.fromkeys(LAG_LISTS, 0)
    sees_all, region = scope
    # The milestones' scope is their project's region alone (ProjectScopedQuerySet): every user of a scope reads the
    # same statement, built for a stand-in of the scope (no one user's values kept in it).
    reader = SampleUser(sees_everything=sees_all, bureau_id=SAMPLE_KEY, region=region)
    prepared = _LAG_COUNTS.once(scope, lambda: Prepared(lambda day: _lag_counts_statement(reader, day), SAMPLE_DAYS[0]))
    (row,) = prepared(today)
    return dict(zip(LAG_LISTS, row, strict=True))


# The lag counts' statement per scope (``scope_region``: the city, or a county's region).
_LAG_COUNTS = Statements()


def _lag_counts_statement(user, today: dt.date) -> tuple[str, list]:
    """The statement of ``milestone_lag_counts``: the one ``aggregate()`` runs (a column per lag list, in the order
    of ``LAG_LISTS``), compiled but not run."""
    counts = {}
    for which, (reached, late) in LAG_LISTS.items():
        counts[which] = Count("project", filter=Q(kind=late, project_id__in=_reached(reached)))
    # Only the kinds that can be late (not 签约) and COUNT(project_id) (never NULL), not COUNT(id): every column
    # read is then in crm_milestone_lag_idx, three ranges of it read alone, not every milestone with its row.
    late_kinds = [late for _earlier, late in LAG_LISTS.values()]
    query = (
        ProjectMilestone.objects.visible_to(user)
        .filter(kind__in=late_kinds, actual_on__isnull=True, planned_on__lt=today)
        .query.chain()
    )
    # As QuerySet.aggregate builds its query: no ordering, no columns but the aggregates.
    query.clear_ordering(force=True)
    query.select, query.default_cols = (), False
    for name, count in counts.items():
        query.add_annotation(count, name, select=True)
    sql, params = query.get_compiler(connection.alias).as_sql()
    return sql, list(params)


def programme_kpis(*, user, today: dt.date) -> dict:
    """The dashboard's block of the growth programmes: this year's targets per county, 开工率 / 投资完成率 and the
    lag lists' counts (5 queries at most)."""
    return {
        "year": today.year,
        "targets": target_progress(user=user, year=today.year),
        "projects": project_rates(user=user),
        "lag": milestone_lag_counts(user=user, today=today),
    }


def project_schedule(*, user, project: Project, today: dt.date | None = None) -> list[dict]:
    """Planned vs actual of each milestone in order: ``{"kind", "label", "planned_on", "actual_on", "status",
    "days_late"}`` (status ``done``, ``done_late``, ``late``, ``due``, ``unplanned``). One query."""
    today = today or timezone.localdate()
    stored = {m.kind: m for m in ProjectMilestone.objects.visible_to(user).filter(project=project)}
    rows = []
    for kind, label in MilestoneKind.choices:
        m = stored.get(kind)
        planned, actual = (m.planned_on, m.actual_on) if m else (None, None)
        days_late = None
        if actual and planned:
            status = "done_late" if actual > planned else "done"
            days_late = (actual - planned).days if actual > planned else None
        elif actual:
            status = "done"
        elif planned and planned < today:
            status, days_late = "late", (today - planned).days
        elif planned:
            status = "due"
        else:
            status = "unplanned"
        rows.append(
            {
                "kind": kind,
                "label": label,
                "planned_on": planned,
                "actual_on": actual,
                "status": status,
                "days_late": days_late,
            }
        )
    return rows


def project_progress(*, user, project: Project, limit: int = 12) -> list[ProjectProgress]:
    return list(
        ProjectProgress.objects.visible_to(user)
        .filter(project=project)
        .select_related("reported_by")
        .order_by("-month")[:limit]
    )


def project_rates(*, user) -> dict:
    """开工率 (projects signed that have started / projects signed) and 投资完成率 (latest reported investment to
    date / planned investment, over projects with a planned investment) of the user's scope. Two queries.

    "Reached a milestone" is ``pk IN`` the projects that reached it (a set built once, as in
    ``milestone_lag_counts``), not a correlated EXISTS per project: PostgreSQL probed the milestone index three
    times per project (EXPLAIN ANALYZE on seed_scale: 56 -> 14 ms). The latest report with a total is the one with
    no later report with a total (an anti join: 12 -> 10 ms), not a subquery per report looking the month up."""
    projects = Project.objects.visible_to(user)
    signed = Q(pk__in=_reached(MilestoneKind.SIGNED))
    started = Q(pk__in=_reached(MilestoneKind.STARTED))
    counts = projects.aggregate(
        signed=Count("pk", filter=signed),
        started=Count("pk", filter=signed & started),
        planned=Sum("planned_investment", filter=Q(planned_investment__gt=0)),
    )
    later = ProjectProgress.objects.filter(
        project=OuterRef("project"), investment_total__isnull=False, month__gt=OuterRef("month")
    )
    money = (
        ProjectProgress.objects.filter(
            project__in=projects.filter(planned_investment__gt=0).values("pk"), investment_total__isnull=False
        )
        .filter(~Exists(later))
        .aggregate(done=Sum("investment_total"))
    )
    money["planned"] = counts["planned"]
    planned, done = money["planned"] or Decimal("0"), money["done"] or Decimal("0")
    return {
        "signed": counts["signed"],
        "started": counts["started"],
        "start_rate": round(counts["started"] * 100 / counts["signed"], 1) if counts["signed"] else None,
        "planned_investment": planned,
        "investment_done": done,
        "investment_rate": round(float(done) * 100 / float(planned), 1) if planned else None,
    }


# ---------------------------------------------------------------------------------------------------------
# Commissioners
# ---------------------------------------------------------------------------------------------------------


def commissioner_service_days() -> Coalesce:
    """A commissioner's service days in all (a correlated sum; 0 without a service log yet, not "unknown")."""
    days = (
        ServiceLog.objects.filter(assignment__commissioner=OuterRef("pk"))
        .order_by()
        .values("assignment__commissioner")
        .annotate(total=Sum("days"))
        .values("total")
    )
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=8, decimal_places=1))
    return Coalesce(Subquery(days), zero)


def commissioner_rows(*, queryset):
    """Commissioners with their industry chain and service days in all (``commissioner_service_days``)."""
    return queryset.select_related("industry_chain").annotate(service_days=commissioner_service_days())


def commissioner_assignments_prefetch(*, user) -> Prefetch:
    """The assignments a row of the commissioners list shows: the enterprise's name and link. Only those columns:
    building every enterprise's ~40 fields (its dates converted) was a third of the page's time."""
    assignments = (
        CommissionerAssignment.objects.visible_to(user)
        .select_related("enterprise")
        .only("commissioner_id", "enterprise_id", "starts_on", "enterprise__name")
        .order_by("-starts_on")
    )
    return Prefetch("assignments", queryset=assignments, to_attr="visible_assignments")


def enterprise_commissioners(*, user, enterprise: Enterprise) -> list:
    """The enterprise's commissioner assignments, current first, each with its service days (one query)."""
    return rows_of(_commissioner_rows, user=user, key=enterprise.pk, using=enterprise._state.db)


def _commissioner_rows(user, key: int) -> QuerySet:
    return (
        CommissionerAssignment.objects.visible_to(user)
        .filter(enterprise=key)
        .select_related("commissioner")
        .annotate(service_days=Sum("service_logs__days"))
        .order_by("-starts_on")[:10]
    )
