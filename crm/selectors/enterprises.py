"""Reads of the enterprise 360° page and the project page (the enterprises domain: enterprises and projects).

Every section reads through ``visible_to(user)`` (DESIGN §11.8), so no section shows a record that the same
user gets 404 for when opening it: a county officer on a county enterprise's page does not see the city
project of that enterprise. Each function returns data only; the views add what the user may do with it.
"""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    OuterRef,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL

from crm.choices import MatchStatus
from crm.models import (
    ActionItem,
    CommissionerAssignment,
    Contact,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    Need,
    PolicyMatch,
    Project,
    User,
    Visit,
)
from crm.selectors import matching
from crm.selectors.needs import engagement_timeline, needs_escalation_annotate, timeline_entries
from crm.selectors.rows import rows_of

SECTION_LIMIT = 20
TIMELINE_LIMIT = 30
SUGGESTION_LIMIT = 10
NEAR_MISS_LIMIT = 5


@dataclass
class Rows:
    """The first rows of a section and how many there are in all."""

    rows: list = field(default_factory=list)
    count: int = 0


def _rows(queryset: QuerySet, limit: int) -> Rows:
    rows = list(queryset[:limit])
    # One query when everything fits on the section; a COUNT only when it does not.
    count = len(rows) if len(rows) < limit else queryset.count()
    return Rows(rows=rows, count=count)


def _section_rows(build, *, user, enterprise: Enterprise, limit: int) -> Rows:
    """``_rows`` of ``build(user, enterprise key)`` (a ``rows_of`` builder taking the limit), its first rows through
    ``rows_of``."""
    rows = rows_of(build, limit, user=user, key=enterprise.pk, using=enterprise._state.db)
    count = len(rows) if len(rows) < limit else build(user, enterprise.pk, None).count()
    return Rows(rows=rows, count=count)


@dataclass
class Engagement:
    """The 360° page's visits-and-needs timeline and its needs section, read together."""

    timeline: list[dict] = field(default_factory=list)
    needs: Rows = field(default_factory=Rows)


def _scoped_enterprise(*, user, key: int) -> QuerySet:
    """The enterprise as a subquery through the scope: the sections of an enterprise outside it are empty."""
    return Enterprise.objects.visible_to(user).filter(pk=key).values("pk")


# ---------------------------------------------------------------------------------------------------------
# The 360° page
# ---------------------------------------------------------------------------------------------------------

# The sections most enterprises leave empty, and the rows that fill each. Whether the enterprise has any is read
# with the enterprise itself (an EXISTS column each, no round trip of its own: ``with_section_presence``) and an
# empty section skips its query (``section_absent``): at province scale most enterprises have no contacts,
# projects or commissioners, and each such query was a round trip on PostgreSQL. Read unscoped: the scope only
# narrows a section, so a section with no rows at all stays empty for everybody.
SECTION_ROWS = {
    "qualifications": lambda: EnterpriseQualification.objects.all(),
    "contacts": lambda: Contact.objects.all(),
    "projects": lambda: Project.objects.all(),
    "years": lambda: EnterpriseYear.objects.all(),
    "commissioners": lambda: CommissionerAssignment.objects.all(),
    "action_items": lambda: ActionItem.objects.all(),
    "policy_matches": lambda: PolicyMatch.objects.exclude(status=MatchStatus.SUGGESTED),
}


# The ``EXISTS`` of each section as SQL, per database alias: compiled by the ORM once per process. Building and
# compiling the seven correlated subqueries on every request was a quarter of the 360° page's ORM time.
_PRESENCE_SQL: dict[str, dict[str, tuple[str, tuple]]] = {}


def _presence_sql(alias: str) -> dict[str, tuple[str, tuple]]:
    """``{"has_<section>": (sql, params)}``: ``Exists(rows.filter(enterprise=OuterRef("pk")))`` compiled against
    the enterprise table (the base table of an enterprise query keeps the table's name as its alias)."""
    compiled = _PRESENCE_SQL.get(alias)
    if compiled is None:
        query = Enterprise.objects.using(alias).all().query
        compiler = query.get_compiler(using=alias)
        compiled = {}
        for name, rows in SECTION_ROWS.items():
            sql, params = compiler.compile(Exists(rows().filter(enterprise=OuterRef("pk"))).resolve_expression(query))
            compiled[f"has_{name}"] = (sql, tuple(params))
        _PRESENCE_SQL[alias] = compiled
    return compiled


def with_section_presence(queryset: QuerySet) -> QuerySet:
    """``queryset`` of enterprises (read as the outer query, not as a subquery) with a ``has_<section>`` column per
    ``SECTION_ROWS``."""
    return queryset.annotate(
        **{
            name: RawSQL(sql, params, output_field=BooleanField())
            for name, (sql, params) in _presence_sql(queryset.db).items()
        }
    )


def section_absent(enterprise: Enterprise, name: str) -> bool:
    """True when the enterprise was read ``with_section_presence`` and has no row in section ``name``."""
    return getattr(enterprise, f"has_{name}", True) is False


# The 360° page: the enterprise read through the user's scope (``enterprise_page``), then its sections, each from a
# builder ``(user, key[, limit])`` whose statement ``rows_of`` compiles once for the users who see everything.

PAGE_RELATED = ("region", "industry_chain", "liaison_leader", "bureau")


def _page_enterprise(user, key: int) -> QuerySet:
    return with_section_presence(Enterprise.objects.visible_to(user).select_related(*PAGE_RELATED).filter(pk=key))


def _page_liaison_officers(user, key: int) -> QuerySet:
    # Of an enterprise read through the scope (``enterprise_page``), with their department as the page shows them.
    return User.objects.filter(liaised_enterprises=key).select_related("department")


def enterprise_page(*, user, key: int, using: str = "default") -> Enterprise | None:
    """The 360° page's enterprise (None outside the user's scope): with ``PAGE_RELATED``, its sections' presence
    (``with_section_presence``) and its liaison officers where ``prefetch_related`` puts them (a list, as
    ``people_prefetch`` keeps them): ``enterprise_liaison_officers(in_scope=True)`` lists them and
    ``permissions.can_edit`` checks an officer against them without a query per check (the page checks the
    enterprise and each contact)."""
    rows = rows_of(_page_enterprise, user=user, key=key, using=using)
    if not rows:
        return None
    (enterprise,) = rows
    officers = rows_of(_page_liaison_officers, user=user, key=key, using=using)
    enterprise._prefetched_objects_cache = {"liaison_officers": officers}
    return enterprise


def _qualification_rows(user, key: int) -> QuerySet:
    return EnterpriseQualification.objects.filter(enterprise__in=_scoped_enterprise(user=user, key=key)).select_related(
        "qualification"
    )


def enterprise_qualifications(*, user, enterprise: Enterprise) -> list[EnterpriseQualification]:
    if section_absent(enterprise, "qualifications"):
        return []
    return rows_of(_qualification_rows, user=user, key=enterprise.pk, using=enterprise._state.db)


def _contact_rows(user, key: int) -> QuerySet:
    return Contact.objects.visible_to(user).filter(enterprise=key)


def enterprise_contacts(*, user, enterprise: Enterprise) -> list[Contact]:
    if section_absent(enterprise, "contacts"):
        return []
    contacts = rows_of(_contact_rows, user=user, key=enterprise.pk, using=enterprise._state.db)
    for contact in contacts:
        contact.enterprise = enterprise  # the page's own (set, not read again by each contact's permission check)
    return contacts


def enterprise_liaison_officers(*, user, enterprise: Enterprise, in_scope: bool = False) -> list[User]:
    """The liaison officers; ``in_scope`` when the caller read ``enterprise`` through the user's scope (then from
    ``enterprise_page``)."""
    if in_scope:
        return list(enterprise.liaison_officers.all())
    return list(
        User.objects.filter(
            pk__in=Enterprise.liaison_officers.through.objects.filter(
                enterprise__in=_scoped_enterprise(user=user, key=enterprise.pk)
            ).values("user_id")
        ).select_related("department")
    )


def enterprise_needs(*, user, enterprise: Enterprise, limit: int = SECTION_LIMIT) -> Rows:
    return enterprise_engagement(user=user, enterprise=enterprise, needs_limit=limit).needs


# The columns of the 360° page's timeline entries (crm/templatetags/timeline_tags.py) and needs table
# (list_rows.needs_table_rows), the needs' escalation (crm.selectors.needs.need_escalation) included.
TIMELINE_VISIT_FIELDS = (
    *("id", "code", "enterprise_id", "visited_on", "kind", "flag", "lead_id", "interviewee", "interviewee_title"),
    *("q_needs", "q_difficulties", "q_suggestions"),
)
TIMELINE_NEED_FIELDS = (
    *("id", "code", "enterprise_id", "title", "category", "urgency", "status", "lead_department_id", "due_on"),
    *("created_at", "assigned_at"),
)


# Joined in: what the timeline and the needs table show, of those rows only the columns they show (the long texts,
# time stamps and the lead's account were most of the rows' loading); the enterprise is the page's own (set, not
# read).


def _timeline_visit_rows(user, key: int, limit: int) -> QuerySet:
    return (
        Visit.objects.visible_to(user)
        .filter(enterprise=key)
        .select_related("lead")
        .only(*TIMELINE_VISIT_FIELDS, *User.name_fields_of("lead"))
        .order_by("-visited_on", "-id")[:limit]
    )


def _timeline_need_rows(user, key: int, limit: int) -> QuerySet:
    return (
        Need.objects.visible_to(user)
        .filter(enterprise=key)
        .select_related("lead_department")
        .only(*TIMELINE_NEED_FIELDS, "lead_department__name")
        .annotate(total_count=Window(Count("pk")))
        .order_by("-created_at", "-id")[:limit]
    )


def enterprise_engagement(
    *, user, enterprise: Enterprise, timeline_limit: int = TIMELINE_LIMIT, needs_limit: int = SECTION_LIMIT
) -> Engagement:
    """The timeline (visits and needs, newest first) and the needs section (the newest needs and how many there
    are) in two queries: the needs are read once, with their count as a window (``COUNT(*) OVER ()``), and the
    section shows the first of the timeline's needs (both are newest first)."""
    key, using = enterprise.pk, enterprise._state.db
    visits = rows_of(_timeline_visit_rows, timeline_limit, user=user, key=key, using=using)
    needs = rows_of(_timeline_need_rows, max(timeline_limit, needs_limit), user=user, key=key, using=using)
    for row in (*visits, *needs):
        row.enterprise = enterprise
    needs_escalation_annotate(needs)
    return Engagement(
        timeline=timeline_entries(visits=visits, needs=needs[:timeline_limit], limit=timeline_limit),
        needs=Rows(rows=needs[:needs_limit], count=needs[0].total_count if needs else 0),
    )


ACTION_ITEM_FIELDS = ("id", "code", "title", "enterprise_id", "owner_id", "due_on", "status")


def _action_item_rows(user, key: int, limit: int | None) -> QuerySet:
    return (
        ActionItem.objects.visible_to(user)
        .filter(enterprise=key)
        .select_related("owner")
        # What the section's table shows (list_rows.action_items_table_rows), the owner's name included.
        .only(*ACTION_ITEM_FIELDS, *User.name_fields_of("owner"))[:limit]
    )


def enterprise_action_items(*, user, enterprise: Enterprise, limit: int = SECTION_LIMIT) -> Rows:
    if section_absent(enterprise, "action_items"):
        return Rows()
    return _section_rows(_action_item_rows, user=user, enterprise=enterprise, limit=limit)


def _project_rows(user, key: int) -> QuerySet:
    return Project.objects.visible_to(user).filter(enterprise=key).select_related("region")


def enterprise_projects(*, user, enterprise: Enterprise) -> list[Project]:
    """The enterprise's projects the user may open (a city project of a county enterprise is not the county's)."""
    if section_absent(enterprise, "projects"):
        return []
    return rows_of(_project_rows, user=user, key=enterprise.pk, using=enterprise._state.db)


def enterprise_timeline(*, user, enterprise: Enterprise, limit: int = TIMELINE_LIMIT) -> list[dict]:
    """Visits and needs of the enterprise in one timeline, newest first."""
    return enterprise_engagement(user=user, enterprise=enterprise, timeline_limit=limit).timeline


def enterprise_policy_matches(*, user, enterprise: Enterprise, limit: int = SECTION_LIMIT) -> Rows:
    """The policies pushed to the enterprise and how each ended (suggestions not yet told are left out)."""
    if section_absent(enterprise, "policy_matches"):
        return Rows()
    return _section_rows(_policy_match_rows, user=user, enterprise=enterprise, limit=limit)


def _policy_match_rows(user, key: int, limit: int | None) -> QuerySet:
    matches = matching.enterprise_match_history(enterprise=key, user=user)
    return matches.exclude(status=MatchStatus.SUGGESTED)[:limit]


def enterprise_policy_suggestions(
    *, user, enterprise: Enterprise, limit: int = SUGGESTION_LIMIT, in_scope: bool = False
) -> dict:
    """Policies the enterprise is eligible for (ranked against its open needs) and the near misses.

    ``in_scope``: the caller read ``enterprise`` through ``visible_to(user)`` already (no second check). The two
    readers share the enterprise's qualifications and open needs, read once here.
    """
    if not in_scope and not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
        return {"suggestions": [], "near_misses": []}
    prefetch_related_objects([enterprise], "enterprise_qualifications")
    enterprise._matching_open_needs = matching.enterprise_open_needs(enterprise)
    try:
        return {
            "suggestions": matching.enterprise_policy_suggestions(enterprise=enterprise, limit=limit),
            "near_misses": matching.enterprise_near_misses(enterprise=enterprise, limit=NEAR_MISS_LIMIT),
        }
    finally:
        del enterprise._matching_open_needs


# ---------------------------------------------------------------------------------------------------------
# The project page
# ---------------------------------------------------------------------------------------------------------


def project_needs(*, user, project: Project, limit: int = SECTION_LIMIT) -> Rows:
    needs = (
        Need.objects.visible_to(user).filter(project=project).select_related("lead_department", "handler", "enterprise")
    )
    return _rows(needs, limit)


def project_liaison_officers(*, user, project: Project) -> list[User]:
    scoped = Project.objects.visible_to(user).filter(pk=project.pk).values("pk")
    return list(
        User.objects.filter(
            pk__in=Project.liaison_officers.through.objects.filter(project__in=scoped).values("user_id")
        ).select_related("department")
    )


def project_timeline(*, user, project: Project, limit: int = TIMELINE_LIMIT) -> list[dict]:
    """Visits and help requests (帮办事项) of the project in one timeline, newest first."""
    return engagement_timeline(user=user, project=project, limit=limit)


# ---------------------------------------------------------------------------------------------------------
# Action items of a need or a project (their sections on the need page and the project page)
# ---------------------------------------------------------------------------------------------------------


def action_items_of(*, user, need: Need | None = None, project: Project | None = None, limit: int = SECTION_LIMIT):
    items = ActionItem.objects.visible_to(user).select_related("owner", "need", "offering", "department")
    if need is not None:
        items = items.filter(need=need)
    if project is not None:
        items = items.filter(project=project)
    return _rows(items.order_by("due_on", "id"), limit)
