"""Pages of the growth programmes: the cultivation board (filters, moving a card, certification), the milestone lag
lists, the project's schedule, the 360° page's figures and commissioner, /commissioners/; scoping for county
users and query budgets that do not grow with the rows."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Cultivation, EnterpriseQualification, EnterpriseYear, ServiceLog
from crm.services.programmes import enterprise_year_save, project_milestone_save
from tests.factories import (
    CommissionerAssignmentFactory,
    CommissionerFactory,
    CultivationFactory,
    EnterpriseFactory,
    ProjectFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]

YEAR = timezone.localdate().year


@pytest.fixture
def cards(enterprise, county_enterprise, qualifications, manager):
    return {
        "city": CultivationFactory(enterprise=enterprise, year=YEAR, programme=qualifications["hnte"], stage="applied"),
        "county": CultivationFactory(
            enterprise=county_enterprise, year=YEAR, programme=qualifications["hnte"], stage="coaching"
        ),
    }


def test_the_board_shows_the_cards_by_stage(client, manager, cards):
    client.force_login(manager)
    html = client.get(reverse("crm:cultivation-board")).content.decode()
    assert f'data-id="{cards["city"].pk}"' in html and f'data-id="{cards["county"].pk}"' in html
    html = client.get(reverse("crm:cultivation-board"), {"region": "320831"}).content.decode()
    assert f'data-id="{cards["city"].pk}"' not in html and f'data-id="{cards["county"].pk}"' in html


def test_a_county_user_sees_only_its_county_on_the_board_and_cannot_move_a_city_card(client, county_manager, cards):
    client.force_login(county_manager)
    html = client.get(reverse("crm:cultivation-board")).content.decode()
    assert f'data-id="{cards["city"].pk}"' not in html and f'data-id="{cards["county"].pk}"' in html
    response = client.post(reverse("crm:cultivation-move", args=[cards["city"].pk]), {"stage": "certified"})
    assert response.status_code == 404


def test_moving_a_card_to_certified_renews_the_qualification(client, manager, cards, enterprise):
    client.force_login(manager)
    response = client.post(
        reverse("crm:cultivation-move", args=[cards["city"].pk]),
        {"stage": "certified", "certified_on": "2026-10-15", "certificate_no": "GR2026001"},
    )
    assert response.status_code == 302
    held = EnterpriseQualification.objects.get(enterprise=enterprise, qualification_id="hnte")
    assert (held.certified_on, held.expires_on, held.certificate_no) == (
        dt.date(2026, 10, 15),
        dt.date(2029, 10, 14),
        "GR2026001",
    )


def test_an_officer_moves_only_the_cards_they_coach(client, officer, cards):
    client.force_login(officer)
    url = reverse("crm:cultivation-move", args=[cards["city"].pk])
    assert client.post(url, {"stage": "publicised"}).status_code == 403
    Cultivation.objects.filter(pk=cards["city"].pk).update(officer=officer)
    assert client.post(url, {"stage": "publicised"}).status_code == 302
    assert Cultivation.objects.get(pk=cards["city"].pk).stage == "publicised"


def test_a_bad_stage_is_a_message_not_a_500(client, manager, cards):
    client.force_login(manager)
    response = client.post(reverse("crm:cultivation-move", args=[cards["city"].pk]), {"stage": "nonsense"}, follow=True)
    assert response.status_code == 200
    assert Cultivation.objects.get(pk=cards["city"].pk).stage == "applied"


def test_the_year_filter_shows_the_year_counted_when_the_address_names_none(client, manager, cards):
    client.force_login(manager)
    html = client.get(reverse("crm:cultivation-board"), {"programme": "hnte"}).content.decode()
    assert re.search(rf'name="year"[^>]*value="{YEAR}"', html)
    html = client.get(reverse("crm:cultivation-board"), {"year": YEAR - 1}).content.decode()
    assert re.search(rf'name="year"[^>]*value="{YEAR - 1}"', html)


def test_the_add_panel_loads_its_form_only_when_opened(client, manager, cards):
    """The board carries the closed panel and where its form comes from, not the form: its pickers were a quarter
    of the board's time for a panel most views never open."""
    client.force_login(manager)
    html = client.get(reverse("crm:cultivation-board"), {"year": YEAR - 1}).content.decode()
    panel = re.search(r'<details[^>]*id="cultivation-create"[^>]*>', html).group(0)
    create = reverse("crm:cultivation-create")
    assert f'hx-get="{create}?year={YEAR - 1}&amp;next=' in panel and 'hx-trigger="toggle once"' in panel
    assert 'name="new-enterprise"' not in html
    assert f'href="{create}?year={YEAR - 1}&amp;next=' in html  # the link without JavaScript


def test_the_add_form_is_a_fragment_for_htmx_and_a_page_without(client, manager, cards):
    client.force_login(manager)
    url = reverse("crm:cultivation-create")
    board = reverse("crm:cultivation-board") + "?year=2025"
    fragment = client.get(url, {"year": "2025", "next": board}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<form") and "<html" not in fragment
    assert 'name="new-enterprise"' in fragment and 'name="new-officer"' in fragment
    assert re.search(r'name="new-year"[^>]*value="2025"', fragment)
    assert f'name="next" value="{board}"' in fragment
    page = client.get(url, {"year": "2025", "next": board}).content.decode()
    assert "<html" in page and 'name="new-enterprise"' in page and f'href="{board}"' in page
    # A year that is not one, and a next that leaves the site: this year, back to the board.
    page = client.get(url, {"year": "公元", "next": "https://evil.example/"}).content.decode()
    assert re.search(rf'name="new-year"[^>]*value="{YEAR}"', page)
    assert f'name="next" value="{reverse("crm:cultivation-board")}"' in page
    assert 'href="https://evil.example/"' not in page and 'value="https://evil.example/"' not in page


def test_a_user_who_cannot_add_gets_no_panel_and_no_form(client, leader, cards):
    client.force_login(leader)
    assert 'id="cultivation-create"' not in client.get(reverse("crm:cultivation-board")).content.decode()
    assert client.get(reverse("crm:cultivation-create"), headers={"HX-Request": "true"}).status_code == 403


def test_the_loaded_form_adds_a_card_and_bad_input_adds_nothing(client, manager, qualifications, county_enterprise):
    client.force_login(manager)
    board = reverse("crm:cultivation-board") + f"?year={YEAR}"
    data = {"new-enterprise": county_enterprise.pk, "new-year": YEAR, "new-programme": "hnte", "next": board}
    response = client.post(reverse("crm:cultivation-create"), {**data, "new-stage": "candidate"})
    assert response.status_code == 302 and response["Location"] == board
    assert Cultivation.objects.filter(enterprise=county_enterprise, year=YEAR, stage="candidate").count() == 1
    response = client.post(reverse("crm:cultivation-create"), {**data, "new-stage": "nonsense"}, follow=True)
    assert response.status_code == 200 and Cultivation.objects.count() == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_board_query_budget(client, manager, qualifications, regions, rows, django_assert_max_num_queries):
    for _ in range(rows):
        for stage in ("candidate", "applied", "certified"):
            CultivationFactory(
                enterprise=EnterpriseFactory(region=regions["320812"]),
                year=YEAR,
                programme=qualifications["hnte"],
                stage=stage,
            )
    client.force_login(manager)
    # The process's copies of the reference tables (the choices, the names of regions and programmes on the cards)
    # are made by a first page.
    assert client.get(reverse("crm:cultivation-board")).status_code == 200
    # The page's own (session, user, bell), the targets (one here: no target is set) and the board itself: ONE
    # statement for the six columns and their counts (it was 7: 20 in all). The new-card form's pickers (3) load
    # when its panel opens (CultivationCreateView); the filter's choices come from the process's copy.
    with django_assert_max_num_queries(5):
        assert client.get(reverse("crm:cultivation-board")).status_code == 200


def test_the_board_reads_programmes_and_regions_from_the_process_copy(client, manager, cards, regions):
    """The filter's and the new-card form's programmes and regions, and the chosen programme and region, come from
    the process's copy of the reference data (crm/reference.py): no query of theirs once it is made."""
    client.force_login(manager)
    url = reverse("crm:cultivation-board") + "?programme=hnte&region=320812"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and "hnte" in response.text
    own = [q["sql"] for q in queries if re.search(r'FROM "crm_(qualification|region)"(?! U)', q["sql"])]
    assert own == []


# ------------------------------------------------------------------------------------------ projects


@pytest.fixture
def late_project(regions, manager):
    project = ProjectFactory(name="签约未开工项目", region=regions["320812"])
    project_milestone_save(user=manager, project=project, kind="signed", actual_on=dt.date(2026, 1, 5))
    project_milestone_save(user=manager, project=project, kind="started", planned_on=dt.date(2026, 3, 1))
    return project


def test_the_lag_list_and_the_project_schedule(client, manager, late_project):
    client.force_login(manager)
    html = client.get(reverse("crm:milestone-lag"), {"list": "signed_not_started"}).content.decode()
    assert f'data-project="{late_project.pk}"' in html
    html = client.get(reverse("crm:milestone-lag"), {"list": "started_not_completed"}).content.decode()
    assert f'data-project="{late_project.pk}"' not in html
    html = client.get(reverse("crm:project-detail", args=[late_project.pk])).content.decode()
    assert 'data-kind="signed" data-status="done"' in html
    assert 'data-kind="started" data-status="late"' in html


def test_a_county_user_sees_no_city_project_in_the_lag_lists(client, county_officer, late_project):
    client.force_login(county_officer)
    html = client.get(reverse("crm:milestone-lag"), {"list": "signed_not_started"}).content.decode()
    assert f'data-project="{late_project.pk}"' not in html


def test_the_schedule_form_moves_the_stage(client, manager, late_project):
    client.force_login(manager)
    response = client.post(
        reverse("crm:project-milestones", args=[late_project.pk]),
        {"ms-actual_signed": "2026-01-05", "ms-planned_started": "2026-03-01", "ms-actual_started": "2026-03-03"},
    )
    assert response.status_code == 302
    late_project.refresh_from_db()
    assert late_project.stage == "under_construction"


def test_dates_out_of_order_are_refused_with_a_message(client, manager, late_project):
    client.force_login(manager)
    response = client.post(
        reverse("crm:project-milestones", args=[late_project.pk]),
        {"ms-planned_signed": "2026-01-01", "ms-actual_signed": "2026-01-05", "ms-planned_started": "2025-12-01"},
        follow=True,
    )
    assert response.status_code == 200
    assert late_project.milestones.get(kind="started").planned_on == dt.date(2026, 3, 1)


@pytest.mark.parametrize("rows", [3, 30])
def test_lag_list_query_budget(client, manager, regions, rows, django_assert_max_num_queries):
    for i in range(rows):
        project = ProjectFactory(region=regions["320812"])
        project_milestone_save(user=manager, project=project, kind="signed", actual_on=dt.date(2026, 1, 5))
        project_milestone_save(user=manager, project=project, kind="started", planned_on=dt.date(2026, 2, 1 + i % 20))
    client.force_login(manager)
    # The page's own (session, user, bell …) + the list (keys, rows) + the three lists' counts (one query, which
    # is the list's count too).
    with django_assert_max_num_queries(12):
        assert client.get(reverse("crm:milestone-lag")).status_code == 200


# ------------------------------------------------------------------------------------------ enterprise page


def test_the_360_page_shows_the_years_chart_and_commissioner(client, manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2024, data={"revenue": 7000, "rd_expense": 300})
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": 8800, "rd_expense": 400})
    CommissionerAssignmentFactory(commissioner=CommissionerFactory(name="周明远"), enterprise=enterprise)
    client.force_login(manager)
    html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert 'id="trend-chart"' in html and "<polyline" in html
    assert 'data-year="2025"' in html
    assert "周明远" in html


def test_recording_a_year_from_the_360_page(client, manager, enterprise):
    client.force_login(manager)
    response = client.post(
        reverse("crm:enterprise-year", args=[enterprise.pk]), {"year-year": "2026", "year-revenue": "9900"}
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("9900")
    assert EnterpriseYear.objects.filter(enterprise=enterprise, year=2026).exists()


def test_a_county_user_cannot_record_a_city_enterprise_year(client, county_manager, enterprise):
    client.force_login(county_manager)
    response = client.post(reverse("crm:enterprise-year", args=[enterprise.pk]), {"year-year": "2026"})
    assert response.status_code == 404


# ------------------------------------------------------------------------------------------ commissioners


def test_commissioners_page_is_scoped(client, county_officer, manager, enterprise, county_enterprise):
    city_only = CommissionerAssignmentFactory(
        commissioner=CommissionerFactory(name="城区特派员"), enterprise=enterprise
    )
    county = CommissionerAssignmentFactory(
        commissioner=CommissionerFactory(name="县域特派员"), enterprise=county_enterprise
    )
    client.force_login(county_officer)
    html = client.get(reverse("crm:commissioner-list")).content.decode()
    assert "县域特派员" in html and "城区特派员" not in html
    client.force_login(manager)
    html = client.get(reverse("crm:commissioner-list")).content.decode()
    assert f'data-id="{city_only.commissioner_id}"' in html and f'data-id="{county.commissioner_id}"' in html


def test_commissioners_page_rows_show_service_days_and_enterprises(client, manager, regions):
    """Each row: the service days of all its assignments' logs (0 without one), computed on the page's rows only,
    and the enterprises served; the second page likewise. Fails when the days are summed wrongly or dropped."""
    serving = CommissionerFactory(name="甲特派员")
    first = CommissionerAssignmentFactory(commissioner=serving, enterprise=EnterpriseFactory(name="甲企业"))
    second = CommissionerAssignmentFactory(commissioner=serving, enterprise=EnterpriseFactory(name="乙企业"))
    ServiceLog.objects.create(assignment=first, served_on=dt.date(2025, 3, 1), days="12.5", content="走访")
    ServiceLog.objects.create(assignment=second, served_on=dt.date(2025, 4, 1), days="3", content="培训")
    idle = CommissionerFactory(name="乙特派员")
    client.force_login(manager)

    def row(html: str, pk: int) -> str:
        return re.search(rf'data-id="{pk}">(.*?)\n    </div>', html, re.S).group(1)

    html = client.get(reverse("crm:commissioner-list")).content.decode()
    assert (
        ">15.5 service days<" in row(html, serving.pk)
        and "甲企业" in row(html, serving.pk)
        and "乙企业" in row(html, serving.pk)
    )
    assert ">0 service days<" in row(html, idle.pk)
    html = client.get(reverse("crm:commissioner-list"), {"page_size": 1, "page": 2}).content.decode()  # 乙 < 甲
    assert f'data-id="{idle.pk}"' not in html and ">15.5 service days<" in row(html, serving.pk)


@pytest.mark.parametrize("rows", [3, 25])
def test_commissioners_query_budget(client, manager, regions, rows, django_assert_max_num_queries):
    for _ in range(rows):
        CommissionerAssignmentFactory(enterprise=EnterpriseFactory(region=regions["320812"]))
    client.force_login(manager)
    # Fixed: the page's own + count, keys, rows with their service days, the scoped assignments (one prefetch).
    with django_assert_max_num_queries(13):
        assert client.get(reverse("crm:commissioner-list")).status_code == 200


def test_enterprise_list_filters_expiring_qualifications(
    client, manager, enterprise, county_enterprise, qualifications
):
    today = timezone.localdate()
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=today + dt.timedelta(days=60)
    )
    EnterpriseQualification.objects.create(
        enterprise=county_enterprise, qualification=qualifications["hnte"], expires_on=today + dt.timedelta(days=150)
    )
    client.force_login(manager)
    rows = lambda days: client.get(reverse("crm:enterprise-list"), {"qualification_expiring": days}).context[  # noqa: E731
        "object_list"
    ]
    assert [e.pk for e in rows(90)] == [enterprise.pk]
    assert {e.pk for e in rows(180)} == {enterprise.pk, county_enterprise.pk}
    assert list(rows(30)) == []
