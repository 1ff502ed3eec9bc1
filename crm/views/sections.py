"""Sections that several composite pages share (the 360° page, the project page, the need page).

Each builder has the ``Section`` signature ``(target, request) -> dict``: it reads through the selectors (which
read through ``visible_to``) and adds what the user may do. Page modules import these builders and never
each other (DESIGN §11.8).
"""

from django.urls import reverse
from django.utils.http import urlencode

from crm.forms.programmes import EnterpriseYearForm, MilestonesForm, ProjectProgressForm
from crm.models import ActionItem, Need, Visit
from crm.permissions import can_create, can_edit, is_manager
from crm.selectors import enterprises as enterprise_selectors
from crm.selectors import matching
from crm.selectors import programmes as programme_selectors
from crm.services.policies import need_push_refusal

SUGGESTION_LIMIT = 10


def _timeline(entries: list[dict], **extra) -> dict:
    return {"entries": entries, "visits_count": sum(1 for entry in entries if entry["kind"] == "visit"), **extra}


def enterprise_engagement(enterprise, request) -> enterprise_selectors.Engagement:
    """The timeline and the needs section of the 360° page read once for both (DESIGN §9.2: ≤ 15 queries), kept
    on the page's enterprise object for the second section that asks."""
    engagement = getattr(enterprise, "_engagement", None)
    if engagement is None:
        engagement = enterprise_selectors.enterprise_engagement(user=request.user, enterprise=enterprise)
        enterprise._engagement = engagement
    return engagement


def enterprise_timeline_section(enterprise, request) -> dict:
    """Visits and needs of the enterprise in one timeline, newest first."""
    entries = enterprise_engagement(enterprise, request).timeline
    return _timeline(
        entries,
        can_log_visit=can_create(request.user, Visit),
        visit_query=f"enterprise={enterprise.pk}",
        need_query=f"enterprise={enterprise.pk}",
    )


def project_timeline_section(project, request) -> dict:
    """Visits and help requests (帮办事项) of the project in one timeline, newest first."""
    entries = enterprise_selectors.project_timeline(user=request.user, project=project)
    return _timeline(
        entries,
        can_log_visit=can_create(request.user, Visit) and bool(project.enterprise_id),
        can_add_need=can_create(request.user, Need),
        visit_query=f"project={project.pk}",
        need_query=f"project={project.pk}",
    )


def _action_items(rows: enterprise_selectors.Rows, request, *, add_url: str) -> dict:
    for item in rows.rows:
        item.user_can_edit = can_edit(request.user, item)
    return {
        "action_items": rows.rows,
        "action_items_count": rows.count,
        "add_url": add_url if can_create(request.user, ActionItem) else "",
    }


def need_action_items_section(need, request) -> dict:
    """Action items of a need, with "new action item" (offerings filtered by the need's category) for managers."""
    rows = enterprise_selectors.action_items_of(user=request.user, need=need)
    add_url = reverse("crm:actionitem-create") + "?" + urlencode({"need": need.pk, "next": request.path})
    return _action_items(rows, request, add_url=add_url)


def project_action_items_section(project, request) -> dict:
    rows = enterprise_selectors.action_items_of(user=request.user, project=project)
    add_url = reverse("crm:actionitem-create") + "?" + urlencode({"project": project.pk, "next": request.path})
    return _action_items(rows, request, add_url=add_url)


def need_policy_suggestions_section(need, request) -> dict:
    """Eligible policies with an open window for the need, ranked, each with ✓/✗ reasons; push in one click.

    The policies that list the need's category come first; the others (they do not name it) wait behind
    "显示全部". A settled need offers no push (``need_push_refusal``, the service's own rule).
    """
    enterprise = matching.need_enterprise(need, user=request.user)
    suggestions = (
        matching.need_policy_suggestions(need=need, user=request.user, limit=SUGGESTION_LIMIT) if enterprise else []
    )
    fitting, others = matching.partition_by_category(suggestions)
    manager = is_manager(request.user)
    refusal = need_push_refusal(need=need) if manager else None
    return {
        "suggestions": suggestions,
        "fitting": fitting,
        "others": others,
        "suggestion_enterprise": enterprise,
        "can_push": manager and refusal is None,
        "push_refusal": refusal,
        "need": need,
    }


# ---------------------------------------------------------------------------------------------------------
# Growth programmes (DESIGN §11.7): the 360° page's yearly figures and commissioners, the project's schedule
# ---------------------------------------------------------------------------------------------------------


def enterprise_figures_section(enterprise, request) -> dict:
    """The enterprise's latest years with a small trend chart (inline SVG) and, for who may edit the enterprise,
    the form of a year's figures."""
    absent = enterprise_selectors.section_absent(enterprise, "years")
    years = [] if absent else programme_selectors.enterprise_years(user=request.user, enterprise=enterprise)
    may_edit = can_edit(request.user, enterprise)
    return {
        "years": list(reversed(years)),
        "chart": programme_selectors.trend_chart(years),
        "can_add_year": may_edit,
        "year_form": EnterpriseYearForm(prefix="year") if may_edit else None,
    }


def enterprise_commissioners_section(enterprise, request) -> dict:
    if enterprise_selectors.section_absent(enterprise, "commissioners"):
        return {"assignments": []}
    return {"assignments": programme_selectors.enterprise_commissioners(user=request.user, enterprise=enterprise)}


def project_schedule_section(project, request) -> dict:
    """Planned vs actual of the four milestones, the latest monthly reports and, for who may edit the project,
    the forms to change the dates and to report a month."""
    schedule = programme_selectors.project_schedule(user=request.user, project=project)
    may_edit = can_edit(request.user, project)
    return {
        "schedule": schedule,
        "progress": programme_selectors.project_progress(user=request.user, project=project),
        "can_edit_schedule": may_edit,
        "milestones_form": MilestonesForm(schedule=schedule, prefix="ms") if may_edit else None,
        "progress_form": ProjectProgressForm(prefix="pr") if may_edit else None,
    }
