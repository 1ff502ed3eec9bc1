"""Routine notices of ``send_reminders`` (DESIGN §11.1, §11.3): planned visits tomorrow, cadence not met with
N days left, and the managers' daily digest of new normal needs. Each is once per (enterprise, person,
period, level) through the notice's ``dedupe_key``, so a second run the same day adds nothing."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.choices import CadenceStatus, NotificationKind, PlanStatus
from crm.models import User, VisitPlan
from crm.selectors.cadence import REMIND_DAYS, cadence_rows
from crm.services.notifications import Notice, notifications_send_many


def plan_reminders_send(*, today: dt.date | None = None) -> int:
    """ "Planned visit tomorrow" to the plan's lead and officers."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    plans = (
        VisitPlan.objects.filter(status=PlanStatus.PLANNED, planned_on=tomorrow)
        .select_related("enterprise", "lead")
        .prefetch_related("officers")
    )
    notices = []
    with override(settings.LANGUAGE_CODE):
        template = _("Planned visit tomorrow (%(date)s): %(enterprise)s. %(purpose)s")
    for plan in plans:
        people = {u.pk: u for u in plan.officers.all() if u.is_active}
        if plan.lead is not None and plan.lead.is_active:
            people[plan.lead.pk] = plan.lead
        text = template % {"date": tomorrow.isoformat(), "enterprise": plan.enterprise.name, "purpose": plan.purpose}
        notices += [
            Notice(recipient=u, kind=NotificationKind.PLAN, text=text.strip(), dedupe_key=f"plan:{plan.pk}:{tomorrow}")
            for u in people.values()
        ]
    return len(notifications_send_many(notices=notices))


def cadence_reminders_send(*, today: dt.date | None = None) -> int:
    """ "Cadence not met, N days left" to each liaison person whose period ends within ``REMIND_DAYS`` days;
    once per (enterprise, person, period, level) — the level is the role."""
    today = today or timezone.localdate()
    rows = [
        r
        for r in cadence_rows(user=None, today=today)
        if r["status"] != CadenceStatus.MET and 0 <= r["days_left"] <= REMIND_DAYS
    ]
    if not rows:
        return 0
    people = User.objects.in_bulk({r["person_id"] for r in rows})
    with override(settings.LANGUAGE_CODE):
        template = _(
            "Visit cadence not met for %(enterprise)s: %(remaining)d more visit(s) needed by %(date)s, "
            "%(days)d day(s) left."
        )
    notices = []
    for row in rows:
        person = people.get(row["person_id"])
        if person is None or not person.is_active:
            continue
        text = template % {
            "enterprise": row["enterprise_name"],
            "remaining": row["remaining"],
            "date": row["due_by"].isoformat(),
            "days": row["days_left"],
        }
        key = f"cadence:{row['enterprise_id']}:{row['period_label']}:{row['role']}"
        notices.append(Notice(recipient=person, kind=NotificationKind.CADENCE, text=text, dedupe_key=key))
    return len(notifications_send_many(notices=notices))
