"""工作台: the signed-in user's own enterprises, projects, needs, actions and notifications.

The page is a list of ``Section``s (see crm/views/mixins.py). To add a block, write a template
``templates/crm/home/_section_<name>.html`` and append one ``Section`` to ``HOME_SECTIONS``; its
``context(user, request)`` returns the variables the template needs.
"""

import datetime as dt

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from crm.choices import Role
from crm.models import Activity, Visit, VisitPlan
from crm.permissions import can_create, is_leader, is_manager
from crm.selectors import home as home_selectors
from crm.selectors import matching, watch
from crm.selectors.cadence import cadence_todo
from crm.views.mixins import Section, build_sections
from crm.workdays import holidays_read_once


def _home_counts(user, request) -> dict:
    """``home_counts``, read once per request: the counts card shows them, the need cards read the liaison ones. For
    a manager, in the same statement as the inbox's counts (one round trip, not two)."""
    counts = getattr(request, "_home_counts", None)
    if counts is None:
        inbox_day = _inbox_day(request) if is_manager(user) else None
        every = home_selectors.home_counts(user=user, inbox_day=inbox_day)
        counts = request._home_counts = {key: every[key] for key in home_selectors.HOME_COUNT_KEYS}
        if inbox_day is not None:
            request._inbox_counts = {key: every["inbox", key] for key in watch.INBOX_KEYS}
    return counts


def _inbox_day(request) -> dt.date:
    """The day of the manager's inbox lists, one per request: counted with the page's counts, then their first rows
    read."""
    day = getattr(request, "_inbox_day", None)
    if day is None:
        day = request._inbox_day = timezone.localdate()
    return day


def _counts(user, request) -> dict:
    return {"counts": _home_counts(user, request)}


def _my_enterprises(user, request) -> dict:
    return {"my_enterprises": home_selectors.home_list(user=user, card="my_enterprises")}


def _my_projects(user, request) -> dict:
    return {"my_projects": home_selectors.home_list(user=user, card="my_projects")}


def _needs(user, request) -> dict:
    """我的在办诉求 and 办理时限提醒 (my open needs overdue or due within three working days) are read together, once
    per request, by ``home_needs``: the overdue ones are the first rows of my open needs."""
    needs = getattr(request, "_home_needs", None)
    if needs is None:
        needs = request._home_needs = home_selectors.home_needs(user=user, counts=_home_counts(user, request))
    return needs


def _my_needs(user, request) -> dict:
    return {"my_needs": _needs(user, request)["my_needs"]}


def _deadlines(user, request) -> dict:
    needs = _needs(user, request)
    return {"overdue": needs["overdue"], "due_soon": needs["due_soon"]}


def _my_actions(user, request) -> dict:
    return {"my_actions": home_selectors.home_list(user=user, card="my_actions")}


def _my_notifications(user, request) -> dict:
    return {"my_notifications": home_selectors.my_unread_notifications(user=user)}


def _policy_radar(user, request) -> dict:
    return {"radar": matching.policy_radar(user=user)}


INBOX_LIMIT = 5


def _cadence(user, request) -> dict:
    """待走访: the enterprises the user liaises with whose cadence is due or missed."""
    return {"cadence_todo": cadence_todo(user=user)}


def _plans(user, request) -> dict:
    return {"plans": home_selectors.home_plans(user=user)}


INBOX_RELATED = ("enterprise", "project")  # what an inbox row shows of a need's relations
# The columns an inbox row shows (crm/templatetags/home_rows.inbox_row) and its lists sort by.
INBOX_FIELDS = (
    *("id", "code", "title", "urgency", "created_at", "accept_due_on", "due_on"),
    *("enterprise_id", "project_id", "enterprise__name", "project__name"),
)
SUPERVISED_FIELDS = ("id", "code", "title", "due_on")  # a row of the leader's supervised needs


def _inbox(user, request) -> dict:
    """The manager's 待受理 / 待交办 / overdue / supervised lists (DESIGN §11.3), a few rows each and their counts
    (the four counts in the page's counts statement, one for their first ids, one for those rows)."""
    today = _inbox_day(request)
    _home_counts(user, request)  # the inbox's counts are read with the page's
    counts = request._inbox_counts
    first = home_selectors.inbox_first(
        user=user, today=today, limit=INBOX_LIMIT, related=INBOX_RELATED, fields=INBOX_FIELDS
    )
    blocks = [
        ("accept", _("To accept"), "status=new&ordering=created_at", False),
        ("assign", _("To assign"), "status=accepted&ordering=created_at", False),
        ("overdue", _("Overdue"), "overdue=true", True),
        ("supervised", _("Supervised"), "overdue=true", True),
    ]
    return {
        "inbox": [
            {
                "key": key,
                "title": title,
                "needs": first[key],
                "count": counts[key],
                "query": query,
                "danger": danger,
            }
            for key, title, query, danger in blocks
        ],
        "today": today,
    }


def _watch(user, request) -> dict:
    """预警企业 and, for leaders, the supervised needs of their scope."""
    supervised = None
    if is_leader(user):  # a row shows the need's own code, title and deadline: no relation joined in
        supervised = home_selectors.home_supervised(user=user, limit=INBOX_LIMIT, fields=SUPERVISED_FIELDS)
    return {"red_flags": watch.red_flag_visits(user=user), "supervised": supervised}


def _liaises(request) -> bool:
    return not is_manager(request.user) or is_leader(request.user) or request.user.has_role("officer")


HOME_SECTIONS: list[Section] = [
    Section("counts", "crm/home/_section_counts.html", _counts, column="top"),
    Section("inbox", "crm/home/_section_inbox.html", _inbox, visible=lambda request: is_manager(request.user)),
    Section(
        "watch",
        "crm/home/_section_watch.html",
        _watch,
        visible=lambda request: is_leader(request.user) or is_manager(request.user),
    ),
    Section("cadence", "crm/home/_section_cadence.html", _cadence, visible=_liaises),
    Section("plans", "crm/home/_section_plans.html", _plans, visible=_liaises),
    Section(
        "extension_requests",
        "crm/home/_extension_requests.html",
        lambda user, request: {"extension_requests": home_selectors.home_extension_requests(user=user)},
        visible=lambda request: request.user.has_role(Role.MANAGER, Role.ADMIN, Role.LEADER),
    ),
    Section("my_needs", "crm/home/_section_my_needs.html", _my_needs),
    Section("deadlines", "crm/needs/_home_deadlines.html", _deadlines),
    Section("my_actions", "crm/home/_section_my_actions.html", _my_actions),
    Section(
        "policy_radar",
        "crm/policies/_home_radar.html",
        _policy_radar,
        column="side",
        visible=lambda request: is_manager(request.user),
    ),
    Section("my_enterprises", "crm/home/_section_my_enterprises.html", _my_enterprises),
    Section("my_projects", "crm/home/_section_my_projects.html", _my_projects),
    Section("notifications", "crm/home/_section_notifications.html", _my_notifications, column="side"),
    Section(
        "shortcuts",
        "crm/home/_section_shortcuts.html",
        lambda user, request: {
            "show_manager_links": is_manager(user),
            "can_log_visit": can_create(user, Visit),
            "can_record_activity": can_create(user, Activity),
            "can_plan_visit": can_create(user, VisitPlan),
        },
        column="side",
    ),
]


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "crm/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = _("Workbench")
        context["can_log_visit"] = can_create(self.request.user, Visit)
        with holidays_read_once():  # the deadline, inbox and supervision cards each build a working-day calendar
            context["columns"] = build_sections(HOME_SECTIONS, self.request.user, self.request)
        return context


home = HomeView.as_view()
