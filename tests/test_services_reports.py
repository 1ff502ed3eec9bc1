"""Reports' services (DESIGN §11.6): generation freezes a snapshot, the county → city flow (submit, return with
a note, submit again, accept) with its notifications, the city's consolidated report, and who may do what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.choices import BureauLevel, NeedStatus, NotificationKind, ReportKind, ReportStatus, Role
from crm.models import Need, Notification, Report
from crm.services.errors import TransitionConflict
from crm.services.reports import report_accept, report_generate, report_return, report_submit
from crm.tasks import report_render
from tests.factories import BureauFactory, make_user
from tests.report_helpers import PERIOD, TODAY

pytestmark = pytest.mark.usefixtures("english", "media_root")


def _generate(user, kind=ReportKind.NEEDS_LEDGER, **extra) -> Report:
    report = report_generate(user=user, kind=kind, period=PERIOD, today=TODAY, **extra)
    report_render.call(report.pk)
    return Report.objects.get(pk=report.pk)


def test_generate_freezes_the_rows_and_writes_the_file(march, county_manager):
    report = _generate(county_manager)
    assert report.bureau == county_manager.bureau
    assert report.status == ReportStatus.DRAFT
    assert [r["title"] for r in report.snapshot["rows"]] == ["CN1"]
    assert report.file and report.filename.endswith(".xlsx")
    assert report.generated_by == county_manager


def test_snapshot_unchanged_after_the_data_changes_once_submitted(march, county_manager):
    report = _generate(county_manager)
    report_submit(report=report, user=county_manager)
    frozen = Report.objects.get(pk=report.pk)
    content = frozen.file.read()
    Need.objects.filter(pk=march["cn1"].pk).update(status=NeedStatus.CLOSED, title="changed")
    with pytest.raises(TransitionConflict):
        report_generate(user=county_manager, kind=ReportKind.NEEDS_LEDGER, period=PERIOD, today=TODAY)
    after = Report.objects.get(pk=report.pk)
    assert after.snapshot == frozen.snapshot
    assert after.snapshot["rows"][0]["title"] == "CN1"
    assert after.file.read() == content


def test_a_draft_is_generated_again_in_place(march, county_manager):
    first = _generate(county_manager)
    Need.objects.filter(pk=march["cn1"].pk).update(title="新标题")
    second = _generate(county_manager)
    assert second.pk == first.pk
    assert second.snapshot["rows"][0]["title"] == "新标题"
    assert Report.objects.count() == 1


def test_county_to_city_flow(march, county_manager, manager, city_bureau, county_bureau):
    report = _generate(county_manager)
    report_submit(report=report, user=county_manager)
    assert Notification.objects.filter(recipient=manager, kind=NotificationKind.REPORT, report=report).count() == 1
    # Returned with a note: the county's managers hear of it, and may generate it again and resubmit.
    with pytest.raises(ValidationError) as error:
        report_return(report=report, user=manager, note="  ")
    assert "note" in error.value.message_dict
    report = report_return(report=report, user=manager, note="请补充办理结果")
    assert report.status == ReportStatus.RETURNED
    assert report.return_note == "请补充办理结果"
    notice = Notification.objects.get(recipient=county_manager, report=report)
    assert "请补充办理结果" in notice.text
    report = _generate(county_manager)
    assert report.status == ReportStatus.RETURNED
    report = report_submit(report=report, user=county_manager)
    report = report_accept(report=report, user=manager)
    assert report.status == ReportStatus.ACCEPTED
    assert report.reviewed_by == manager
    # The city's report of the period takes in the county's accepted rows after its own.
    city = _generate(manager)
    assert city.bureau == city_bureau
    assert [r["title"] for r in city.snapshot["rows"]] == ["N2", "N6", "N1", "PN1", "N4", "CN1"]
    assert city.snapshot["rows"][-1]["unit"] == county_bureau.name
    assert city.snapshot["sources"] == [{"bureau": county_bureau.name, "report": report.pk}]
    assert city.snapshot["figures"]["needs"] == 6


def test_only_accepted_county_reports_are_consolidated(march, county_manager, manager):
    report = _generate(county_manager)
    report_submit(report=report, user=county_manager)
    city = _generate(manager)
    assert city.snapshot["sources"] == []
    assert len(city.snapshot["rows"]) == 5


def test_who_may_do_what(march, county_manager, county_officer, manager, leader, county_bureau, regions):
    with pytest.raises(PermissionDenied):
        report_generate(user=county_officer, kind=ReportKind.NEEDS_LEDGER, period=PERIOD)
    with pytest.raises(PermissionDenied):  # a city manager does not make a county's report
        report_generate(user=manager, kind=ReportKind.NEEDS_LEDGER, period=PERIOD, bureau=county_bureau)
    with pytest.raises(ValidationError) as error:
        report_generate(user=manager, kind="nonsense", period="2025-13")
    assert set(error.value.message_dict) == {"kind", "period"}
    report = _generate(county_manager)
    with pytest.raises(TransitionConflict):  # not submitted yet
        report_accept(report=report, user=manager)
    report_submit(report=report, user=county_manager)
    with pytest.raises(TransitionConflict):
        report_submit(report=report, user=county_manager)
    with pytest.raises(PermissionDenied):  # a county manager does not review
        report_accept(report=report, user=county_manager)
    with pytest.raises(PermissionDenied):  # a leader does not review
        report_accept(report=report, user=leader)
    other = BureauFactory(name="淮安区科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    stranger = make_user("other_manager", Role.MANAGER, other)
    with pytest.raises(PermissionDenied):
        report_submit(report=report, user=stranger)
    city = _generate(manager)
    report_submit(report=city, user=manager)  # the city sends its own up: nobody in the product reviews it
    with pytest.raises(TransitionConflict):
        report_accept(report=city, user=manager)


def test_scoping(march, county_manager, manager, regions):
    county_report = _generate(county_manager)
    city_report = _generate(manager)
    other = BureauFactory(name="淮安区科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    stranger = make_user("other_manager", Role.MANAGER, other)
    assert list(Report.objects.visible_to(stranger)) == []
    assert list(Report.objects.visible_to(county_manager)) == [county_report]
    assert list(Report.objects.visible_to(manager)) == [city_report]  # a county's draft stays the county's
    report_submit(report=county_report, user=county_manager)
    assert set(Report.objects.visible_to(manager)) == {city_report, county_report}
    assert list(Report.objects.visible_to(county_manager)) == [county_report]
