"""Services of the growth programmes (DESIGN §11.7): latest-year precedence, certification adding or renewing a
qualification, the project's stage following its milestones, and the reminders once per threshold."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from crm.choices import CultivationStage, NotificationKind, ProjectStage
from crm.models import EnterpriseQualification, Notification, ProjectMilestone
from crm.selectors.programmes import milestone_lag, project_rates
from crm.services.programmes import (
    annual_report_reminders_send,
    cultivation_move,
    enterprise_year_delete,
    enterprise_year_save,
    expiry_threshold,
    milestone_reminders_send,
    project_milestone_save,
    project_progress_save,
    qualification_expiry,
    qualification_reminders_send,
)
from tests.factories import CultivationFactory, EnterpriseQualificationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ yearly figures


def test_the_latest_year_sets_the_current_figures_whatever_the_order_of_saving(manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": Decimal("9000")})
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("9000")
    # An older year saved later does not override the newer one.
    enterprise_year_save(user=manager, enterprise=enterprise, year=2023, data={"revenue": Decimal("5000")})
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("9000")
    assert enterprise.employees == 120  # no year gives it: the enterprise keeps its own


def test_a_field_the_latest_year_leaves_empty_comes_from_the_year_before(manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2024, data={"revenue": 7000, "employees": 150})
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": 7600})
    enterprise.refresh_from_db()
    assert (enterprise.revenue, enterprise.employees) == (Decimal("7600"), 150)


def test_deleting_the_latest_year_falls_back_to_the_year_before(manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2024, data={"rd_expense": 300})
    latest = enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"rd_expense": 450})
    enterprise_year_delete(user=manager, record=latest)
    enterprise.refresh_from_db()
    assert enterprise.rd_expense == Decimal("300")


def test_matching_reads_the_latest_year(manager, enterprise):
    """The policy criteria read the enterprise's fields, which follow the latest year."""
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": 100, "rd_expense": 10})
    enterprise.refresh_from_db()
    assert enterprise.rd_ratio == Decimal("10.00")


def test_a_bad_year_is_refused_and_nothing_is_written(manager, enterprise):
    with pytest.raises(ValidationError) as error:
        enterprise_year_save(user=manager, enterprise=enterprise, year=1800, data={"revenue": 1})
    assert "year" in error.value.message_dict
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("8000")
    assert not enterprise.years.exists()


# ------------------------------------------------------------------------------------------ cultivation


def test_certification_adds_the_qualification(manager, enterprise, qualifications):
    card = CultivationFactory(enterprise=enterprise, programme=qualifications["hnte"], stage=CultivationStage.APPLIED)
    cultivation_move(user=manager, cultivation=card, stage="certified", certified_on=dt.date(2026, 11, 20))
    held = EnterpriseQualification.objects.get(enterprise=enterprise, qualification_id="hnte")
    assert (held.certified_on, held.expires_on) == (dt.date(2026, 11, 20), dt.date(2029, 11, 19))


def test_certification_renews_a_held_qualification_and_keeps_the_others(manager, enterprise, qualifications):
    EnterpriseQualificationFactory(
        enterprise=enterprise,
        qualification=qualifications["hnte"],
        certified_on=dt.date(2023, 11, 1),
        expires_on=dt.date(2026, 10, 31),
        certificate_no="GR202332000001",
    )
    EnterpriseQualificationFactory(enterprise=enterprise, qualification=qualifications["srdi"])
    card = CultivationFactory(
        enterprise=enterprise, programme=qualifications["hnte"], stage=CultivationStage.PUBLICISED
    )
    cultivation_move(
        user=manager, cultivation=card, stage="certified", certified_on=dt.date(2026, 11, 1), certificate_no="GR2026"
    )
    rows = {eq.qualification_id: eq for eq in EnterpriseQualification.objects.filter(enterprise=enterprise)}
    assert set(rows) == {"hnte", "srdi"}
    assert rows["hnte"].expires_on == dt.date(2029, 10, 31)
    assert rows["hnte"].certificate_no == "GR2026"
    assert rows["hnte"].history.count() == 2  # who renewed it is kept


def test_a_tsme_registration_lasts_one_year():
    assert qualification_expiry(programme_code="tsme", certified_on=dt.date(2026, 7, 1)) == dt.date(2027, 6, 30)
    assert qualification_expiry(programme_code="hnte", certified_on=dt.date(2024, 2, 29)) == dt.date(2027, 2, 27)


def test_moving_to_another_stage_leaves_the_qualifications_alone(manager, enterprise, qualifications):
    card = CultivationFactory(enterprise=enterprise, programme=qualifications["hnte"])
    cultivation_move(user=manager, cultivation=card, stage="coaching")
    assert not EnterpriseQualification.objects.filter(enterprise=enterprise).exists()
    with pytest.raises(ValidationError):
        cultivation_move(user=manager, cultivation=card, stage="nonsense")


# ------------------------------------------------------------------------------------------ reminders


@pytest.mark.parametrize(
    ("days", "threshold"), [(181, None), (180, 180), (91, 180), (90, 90), (31, 90), (30, 30), (0, 30), (-1, None)]
)
def test_expiry_thresholds(days, threshold):
    assert expiry_threshold(days) == threshold


def test_expiry_reminders_once_each_per_threshold(officer, enterprise, qualifications):
    enterprise.liaison_officers.add(officer)
    EnterpriseQualificationFactory(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2027, 6, 30)
    )
    expiry = dt.date(2027, 6, 30)
    sent = []
    day = expiry - dt.timedelta(days=200)
    while day <= expiry + dt.timedelta(days=3):
        sent.append(qualification_reminders_send(today=day))
        day += dt.timedelta(days=1)
    notices = Notification.objects.filter(recipient=officer, kind=NotificationKind.QUALIFICATION)
    assert sum(sent) == notices.count() == 3
    assert sorted(n.dedupe_key.rsplit(":", 1)[1] for n in notices) == ["180", "30", "90"]
    # The same day again creates nothing.
    assert qualification_reminders_send(today=expiry - dt.timedelta(days=30)) == 0


def test_a_missed_run_catches_up_with_the_last_threshold_only(officer, enterprise, qualifications):
    enterprise.liaison_officers.add(officer)
    EnterpriseQualificationFactory(
        enterprise=enterprise, qualification=qualifications["tsme"], expires_on=dt.date(2027, 1, 31)
    )
    assert qualification_reminders_send(today=dt.date(2027, 1, 1)) == 1  # 30 days left: neither 180 nor 90
    assert Notification.objects.get(recipient=officer).dedupe_key.endswith(":30")


def test_the_annual_report_reminder_in_may_once_a_year(officer, enterprise, qualifications):
    enterprise.liaison_officers.add(officer)
    EnterpriseQualificationFactory(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2028, 1, 1)
    )
    assert annual_report_reminders_send(today=dt.date(2026, 4, 30)) == 0
    assert annual_report_reminders_send(today=dt.date(2026, 5, 1)) == 1
    assert annual_report_reminders_send(today=dt.date(2026, 5, 20)) == 0
    assert annual_report_reminders_send(today=dt.date(2027, 5, 2)) == 1


def test_send_reminders_runs_the_programme_reminders(officer, enterprise, qualifications, capsys):
    enterprise.liaison_officers.add(officer)
    EnterpriseQualificationFactory(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2026, 12, 1)
    )
    call_command("send_reminders", "--date", "2026-11-20")
    assert "qualifications expiring: 1 notice(s) created" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ milestones


@pytest.fixture
def project(regions, officer):
    project = ProjectFactory(region=regions["320812"], planned_investment=Decimal("10000"))
    project.liaison_officers.add(officer)
    return project


def test_the_stage_follows_the_furthest_milestone_reached(manager, project):
    project_milestone_save(user=manager, project=project, kind="signed", planned_on=dt.date(2026, 1, 10))
    project.refresh_from_db()
    assert project.stage == ProjectStage.NEGOTIATING  # planned only
    project_milestone_save(
        user=manager, project=project, kind="signed", planned_on=dt.date(2026, 1, 10), actual_on=dt.date(2026, 1, 12)
    )
    project_milestone_save(user=manager, project=project, kind="started", actual_on=dt.date(2026, 3, 1))
    project.refresh_from_db()
    assert project.stage == ProjectStage.UNDER_CONSTRUCTION
    assert project.history.filter(stage=ProjectStage.UNDER_CONSTRUCTION).exists()


def test_milestone_dates_out_of_order_are_refused(manager, project):
    project_milestone_save(user=manager, project=project, kind="started", planned_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as error:
        project_milestone_save(user=manager, project=project, kind="completed", planned_on=dt.date(2026, 2, 1))
    assert "planned_on" in error.value.message_dict
    assert not ProjectMilestone.objects.filter(kind="completed").exists()


def test_signed_not_started_at_the_date_boundary(manager, project, leader):
    project_milestone_save(user=manager, project=project, kind="signed", actual_on=dt.date(2026, 1, 5))
    project_milestone_save(user=manager, project=project, kind="started", planned_on=dt.date(2026, 6, 1))
    rows = lambda day: list(milestone_lag(user=leader, which="signed_not_started", today=day))  # noqa: E731
    assert rows(dt.date(2026, 6, 1)) == []  # due today: not late yet
    assert [m.project for m in rows(dt.date(2026, 6, 2))] == [project]
    assert rows(dt.date(2026, 6, 2)) and not list(
        milestone_lag(user=leader, which="started_not_completed", today=dt.date(2026, 6, 2))
    )
    project_milestone_save(
        user=manager, project=project, kind="started", planned_on=dt.date(2026, 6, 1), actual_on=dt.date(2026, 6, 2)
    )
    assert rows(dt.date(2026, 6, 3)) == []


def test_not_signed_yet_is_in_no_lag_list(manager, project, leader):
    project_milestone_save(user=manager, project=project, kind="started", planned_on=dt.date(2026, 2, 1))
    assert not list(milestone_lag(user=leader, which="signed_not_started", today=dt.date(2026, 6, 1)))


def test_overdue_milestone_reminders_once_per_planned_date(manager, project, officer):
    project_milestone_save(user=manager, project=project, kind="signed", planned_on=dt.date(2026, 1, 5))
    assert milestone_reminders_send(today=dt.date(2026, 1, 5)) == 0
    assert milestone_reminders_send(today=dt.date(2026, 1, 6)) == 1
    assert milestone_reminders_send(today=dt.date(2026, 1, 7)) == 0
    project_milestone_save(user=manager, project=project, kind="signed", planned_on=dt.date(2026, 2, 1))
    assert milestone_reminders_send(today=dt.date(2026, 2, 2)) == 1
    assert Notification.objects.filter(recipient=officer, kind=NotificationKind.MILESTONE).count() == 2


def test_start_rate_and_investment_rate(manager, project, leader, regions):
    other = ProjectFactory(region=regions["320812"], planned_investment=Decimal("30000"))
    project_milestone_save(user=manager, project=project, kind="signed", actual_on=dt.date(2026, 1, 5))
    project_milestone_save(user=manager, project=project, kind="started", actual_on=dt.date(2026, 2, 5))
    project_milestone_save(user=manager, project=other, kind="signed", actual_on=dt.date(2026, 1, 5))
    project_progress_save(user=manager, project=project, data={"month": dt.date(2026, 2, 14), "investment_total": 2000})
    project_progress_save(user=manager, project=project, data={"month": dt.date(2026, 3, 1), "investment_total": 4000})
    rates = project_rates(user=leader)
    assert (rates["signed"], rates["started"], rates["start_rate"]) == (2, 1, 50.0)
    assert rates["investment_done"] == Decimal("4000")
    assert rates["investment_rate"] == 10.0
