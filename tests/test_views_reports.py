"""The reports page (DESIGN §11.6): generate, download, submit, review (return with a note, accept), scoping."""

import pytest

from crm.choices import BureauLevel, ReportKind, ReportStatus, Role
from crm.models import Report
from tests.factories import BureauFactory, ReportFactory, make_user

pytestmark = pytest.mark.usefixtures("media_root")


def _login(client, user):
    client.force_login(user)
    return client


def test_generate_download_submit_and_review(march, client, county_manager, manager):
    client = _login(client, county_manager)
    page = client.get("/reports/")
    assert page.status_code == 200 and "生成报表" in page.content.decode()
    response = client.post("/reports/", {"kind": ReportKind.NEEDS_LEDGER, "period": "2025-03"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    detail = client.get(f"/reports/{report.pk}/").content.decode()
    assert "CN1" in detail and 'id="report-submit"' in detail
    download = client.get(f"/reports/{report.pk}/download/")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    client.post(f"/reports/{report.pk}/submit/")
    assert Report.objects.get().status == ReportStatus.SUBMITTED
    client = _login(client, manager)
    listing = client.get("/reports/").content.decode()
    assert 'id="report-review"' in listing and "金湖县科技局" in listing
    client.post(f"/reports/{report.pk}/return/", {"note": ""})
    assert Report.objects.get().status == ReportStatus.SUBMITTED  # a return needs a note
    client.post(f"/reports/{report.pk}/return/", {"note": "请补充"})
    assert Report.objects.get().return_note == "请补充"
    client = _login(client, county_manager)
    assert "请补充" in client.get(f"/reports/{report.pk}/").content.decode()


def test_bad_period_shows_the_form_again(march, client, county_manager):
    response = _login(client, county_manager).post("/reports/", {"kind": ReportKind.NEEDS_LEDGER, "period": "3月"})
    assert response.status_code == 400
    assert "2026Q4" in response.content.decode()
    assert not Report.objects.exists()


def test_officers_do_not_generate_and_other_counties_do_not_see(march, client, county_officer, county_manager, regions):
    assert (
        _login(client, county_officer).post("/reports/", {"kind": "needs_ledger", "period": "2025-03"}).status_code
        == 403
    )
    _login(client, county_manager).post("/reports/", {"kind": "needs_ledger", "period": "2025-03"})
    report = Report.objects.get()
    other = BureauFactory(name="淮安区科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    stranger = make_user("other_manager", Role.MANAGER, other)
    client = _login(client, stranger)
    for path in (f"/reports/{report.pk}/", f"/reports/{report.pk}/download/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/reports/{report.pk}/submit/").status_code == 404
    assert 'id="report-empty"' in client.get("/reports/").content.decode()


def test_list_queries_do_not_grow_with_the_rows(client, manager, county_bureau, django_assert_max_num_queries):
    client.force_login(manager)
    ReportFactory.create_batch(2, bureau=manager.bureau)
    ReportFactory.create_batch(2, bureau=county_bureau, status=ReportStatus.SUBMITTED)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/reports/").status_code == 200
    ReportFactory.create_batch(12, bureau=manager.bureau)
    ReportFactory.create_batch(12, bureau=county_bureau, status=ReportStatus.SUBMITTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/reports/").content.decode()
    assert page.count("data-id=") == 28 + 14  # all 28 in the list, and the 14 submitted to review


def test_the_preview_writes_amounts_in_wan_and_its_wide_table_takes_the_keyboard(client, manager):
    snapshot = {
        "kind": ReportKind.PROJECTS_PROGRESS,
        "columns": ["seq", "project", "planned_investment", "visits"],
        "rows": [
            {"seq": 1, "project": "中试平台", "planned_investment": "12000.00", "visits": 1},
            {"seq": 2, "project": "扩产项目", "planned_investment": "120000.50", "visits": 2},
        ],
        "totals": {"rows": 2, "planned_investment": "132000.50", "visits": 3},
    }
    report = ReportFactory(kind=ReportKind.PROJECTS_PROGRESS, bureau=manager.bureau, snapshot=snapshot)
    html = _login(client, manager).get(f"/reports/{report.pk}/").content.decode()
    assert ">12,000<" in html and ">120,000.5<" in html and ">132,000.5<" in html and ".00<" not in html
    assert ">3<" in html.split('id="report-totals"')[1]  # counts as they are
    region = html.split('id="report-rows-title"')[1].split("<table")[0]
    assert 'tabindex="0"' in region and 'role="region"' in region and 'aria-labelledby="report-rows-title"' in region
