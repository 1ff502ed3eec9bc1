"""Reads for the 工作台 (home page): the user's own enterprises, projects, needs, actions and counts."""

import datetime as dt
from collections.abc import Callable
from operator import attrgetter

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm.choices import Role
from crm.models import ActionItem, Enterprise, Need, Notification, Project
from crm.prepared import SAMPLE_DAYS, SAMPLE_REGION, Prepared, Statements, sample_keys
from crm.querysets import scope_region
from crm.selectors.needs import (
    Tally,
    _need_rows,
    compound_sql,
    count_each_sql,
    deadline_order,
    due_soon_range,
    extension_requests_by_managers,
    extension_requests_to_decide,
    needs_escalation_annotate,
    needs_first_each,
    needs_first_query,
    needs_mine,
    needs_mine_first_ids,
)
from crm.selectors.scope import SampleUser
from crm.selectors.watch import INBOX_KEYS, inbox_lists, needs_supervised, plans_upcoming, supervision_cutoff

HOME_LIST_LIMIT = 10
DEADLINES_LIMIT = 8
HOME_NEED_RELATED = ("enterprise", "project")  # what the need cards show of a need's relations
# The columns the need cards read: code, title, status, deadline, the escalation clock's start, the names of the
# enterprise or project (not their whole rows).
HOME_NEED_FIELDS = (
    "id",
    "code",
    "title",
    "status",
    "due_on",
    "assigned_at",
    "created_at",
    "enterprise_id",
    "project_id",
    "enterprise__name",
    "project__name",
)


# ``home_count_lists``' keys as ``count_each`` gives them (a ``Tally``'s are its conditions'), in order.
HOME_COUNT_KEYS = ("linked", "assisted", "assisted_projects", "liaised", "led")


def home_counts(*, user, inbox_day: dt.date | None = None) -> dict:
    """Linked and assisted enterprises and assisted projects in the user's scope, and how many enterprises the user
    liaises with (``liaised``) and leads (``led``, both in any scope: what ``home_needs`` reads): ``count_each`` of
    ``home_count_lists`` and, with ``inbox_day``, of the manager's inbox lists of that day (``inbox_lists``, under
    ``("inbox", key)``). One statement, compiled once per shape of user (``_shaped_rows``): building and compiling
    the five to nine querysets was most of the count card's CPU."""
    if inbox_day is not None and not user.has_role(Role.MANAGER, Role.ADMIN):
        # The inbox reads a manager's bureau: ``_shaped_rows`` holds a bureau in the statement for a manager's shape.
        raise ValueError("home_counts counts the inbox of a manager only.")
    days = () if inbox_day is None else (inbox_day, supervision_cutoff(inbox_day))

    def build(shape, *shape_days):
        lists: dict = home_count_lists(user=shape)
        if shape_days:
            today, cutoff = shape_days
            inbox = inbox_lists(user=shape, today=today, cutoff=cutoff)
            lists.update({("inbox", key): queryset for key, queryset in inbox.items()})
        _keys, sql, params = count_each_sql(lists)
        return sql, params

    keys = (*HOME_COUNT_KEYS, *(("inbox", key) for key in INBOX_KEYS if days))
    # The inbox reads the user's bureau (``_owned``), a superuser's every need in scope.
    owned = bool(days) and not user.is_superuser
    (row,) = _shaped_rows("counts", user, build, days=days, key=(bool(days),), reads_bureau=owned)
    return dict(zip(keys, row, strict=True))


def home_count_lists(*, user) -> dict[str, QuerySet | Tally]:
    """What ``home_counts`` counts (``count_each``: the keys of a ``Tally`` are its conditions'; the 工作台 counts
    them in one statement with the manager's inbox)."""
    # Counted over the linked-or-assisted ones only: ``crm_ent_liaison_idx`` (~4%), not every enterprise. Linked and
    # assisted in one pass over them: PostgreSQL planned each of two counts as a bitmap of a flag's index ANDed with
    # the region's and read the table (a county manager's 1.7 -> 0.6 ms).
    liaison = Enterprise.objects.visible_to(user).filter(Q(is_linked=True) | Q(is_assisted=True))
    return {
        "liaison": Tally(liaison, {"linked": Q(is_linked=True), "assisted": Q(is_assisted=True)}),
        "assisted_projects": Project.objects.visible_to(user).filter(is_assisted=True),
        # Each from its index (the link table's user index, the liaison leader index): ``home_needs`` leaves out
        # the parts of a reason without enterprises instead of having the database plan them.
        "liaised": _liaised(user),
        "led": Enterprise.objects.filter(liaison_leader_id=user.pk),  # the id: a shape user compiles it
    }


def _liaised(user):
    """Ids of the enterprises ``user`` is a liaison officer of (the link table's user index)."""
    return Enterprise.liaison_officers.through.objects.filter(user_id=user.pk).values("enterprise_id")


def my_enterprises(*, user, limit: int = HOME_LIST_LIMIT, cut: bool = True):
    """Enterprises in scope where the user is a liaison officer or the liaison leader, by name. ``cut``: each reason
    cut to its first rows before they meet."""
    # One UNION of two index lookups, not an OR: PostgreSQL guessed half the enterprises match an OR and walked
    # the name index through all of them (80 ms at province scale).
    if cut:
        # Each reason cut to its own first rows in scope, in the card's order, before they meet (the first rows of a
        # union are among the first rows of its parts): PostgreSQL joined all 100k enterprises to a leader's 2,000 to
        # sort them (50-90 -> 1 ms), SQLite read and sorted them (9 ms). The led ones are the first entries of
        # crm_ent_leader_name_idx (without it, a LIMIT in name order tempted SQLite to walk the name index through
        # every enterprise for a user who leads none: 0 -> 340 ms).
        visible = Enterprise.objects.visible_to(user).order_by("name", "id")
        parts = [visible.filter(id__in=_liaised(user)), visible.filter(liaison_leader_id=user.pk)]
        first, params = compound_sql(part.values("id")[:limit] for part in parts)
        enterprises = Enterprise.objects.filter(id__in=RawSQL(first or "SELECT 0 WHERE 1 = 0", params))
    else:
        led = Enterprise.objects.filter(liaison_leader_id=user.pk)
        mine = _liaised(user).order_by().union(led.order_by().values("id"))
        enterprises = Enterprise.objects.visible_to(user).filter(id__in=mine)
    # The card shows the name and the region: the region alone is joined in.
    return (
        enterprises.select_related("region")
        .only("id", "name", "region_id", "region__name")
        .order_by("name", "id")[:limit]
    )


def my_projects(*, user, limit: int = HOME_LIST_LIMIT):
    """Projects in scope where the user is a liaison officer or the liaison leader (one UNION, as above)."""
    liaised = Project.liaison_officers.through.objects.filter(user_id=user.pk).values("project_id")
    mine = liaised.order_by().union(Project.objects.filter(liaison_leader_id=user.pk).order_by().values("id"))
    return Project.objects.visible_to(user).filter(id__in=mine).only("id", "name", "stage").order_by("name")[:limit]


def my_open_needs(*, user, limit: int = HOME_LIST_LIMIT) -> list:
    """我的在办诉求: ``needs_mine`` (the one definition of "my needs" every 工作台 card reads), overdue first, then
    the soonest deadline, needs without a deadline last."""
    return list(needs_mine(user=user)[:limit])


def home_needs(
    *,
    user,
    today: dt.date | None = None,
    limit: int = HOME_LIST_LIMIT,
    deadlines_limit: int = DEADLINES_LIMIT,
    counts: dict[str, int] | None = None,
) -> dict[str, list]:
    """The two need cards of the 工作台: 我的在办诉求 (``my_needs``: ``needs_mine(...)[:limit]``) and 办理时限提醒
    (``overdue``: ``needs_overdue(...)[:deadlines_limit]``, ``due_soon``: ``needs_due_soon(...)[:deadlines_limit]``,
    with their escalation badges).

    One query (``needs_mine_first_ids``): the first rows of my needs and the first ones due soon, in deadline order.
    The overdue ones sort first, so they are the first rows' overdue ones; the ones due soon are the first rows of the
    selection due in the range (the first ones due soon, whether or not the first rows reach them). ``counts``: the
    page's ``home_counts``, if read: the needs of the enterprises I liaise with or lead are left out when I have none.
    """
    start, until = due_soon_range(today=today)
    rows = _home_need_rows(
        user=user,
        start=start,
        until=until,
        limit=limit,
        deadlines_limit=deadlines_limit,
        liaised=counts is None or counts["liaised"] > 0,
        led=counts is None or counts["led"] > 0,
    )
    mine = rows[: max(limit, deadlines_limit)]
    overdue = [need for need in mine if need.due_on is not None and need.due_on < start][:deadlines_limit]
    due_soon = [need for need in rows if need.due_on is not None and start <= need.due_on <= until][:deadlines_limit]
    needs_escalation_annotate([*overdue, *due_soon], today=start)  # one holiday query for both lists
    return {"my_needs": mine[:limit], "overdue": overdue, "due_soon": due_soon}


def _home_need_query(*, user, start, until, limit, deadlines_limit, liaised, led) -> QuerySet:
    """The need cards' rows: ``needs_mine_first_ids`` with what the cards show joined in, in deadline order."""
    ids = needs_mine_first_ids(
        user=user,
        limit=max(limit, deadlines_limit),
        due_from=start,
        due_until=until,
        due_limit=deadlines_limit,
        liaised=liaised,
        led=led,
    )
    return (
        Need.objects.filter(pk__in=ids)
        .select_related(*HOME_NEED_RELATED)
        .only(*HOME_NEED_FIELDS)
        .order_by(*deadline_order())
    )


# The statements of the cards, compiled once per card and shape of user (whether they see everything, are a manager
# with a bureau, have a department; the card's own key: which reasons, the limits): building and compiling the
# querysets was most of the cards' Python (the need cards' five to seven id queries, their union and rows query).
_SHAPED_STATEMENTS = Statements()
# The one role question of the cards (``_mine_parts``): part of the shape.
_MANAGER_QUESTION = (Role.MANAGER, Role.ADMIN)


def _shaped_rows(
    card: str,
    user,
    build: Callable[..., QuerySet],
    *,
    days: tuple[dt.date, ...] = (),
    key: tuple = (),
    reads_bureau: bool = False,
    reads_department: bool = False,
    reads_region: bool = True,
    reads_pk: bool = True,
) -> list:
    """The rows of ``build(user, *days)``, from its statement compiled once per ``card``, ``key`` and shape of
    ``user`` (``Prepared``): built for a ``SampleUser`` whose id, bureau (``reads_bureau``: the statement holds it
    when the user is a manager or scoped), department (``reads_department``: when the user has one) and region
    (``reads_region``: when scoped) are samples, run with the user's own (the id too unless not ``reads_pk``).
    ``build`` reads of a user only what that ``SampleUser`` answers (``_mine_parts``, ``plans_upcoming``,
    ``visible_to``, the inbox's ``_owned``)."""
    sees_all, region = scope_region(user)
    if not sees_all and region is None:  # sees nothing: no statement to keep
        built = build(user, *days)
        return Prepared(lambda: built)() if isinstance(built, tuple) else list(built)
    manager = bool(user.has_role(*_MANAGER_QUESTION) and user.bureau_id)
    department = reads_department and bool(user.department_id)
    bureau = reads_bureau and (manager or not sees_all)
    scoped = reads_region and not sees_all
    shape = (card, sees_all, manager, department, user.is_superuser, reads_pk, *key)
    prepared = _SHAPED_STATEMENTS.get(shape)
    if prepared is None:
        sample_pk, sample_bureau, sample_department = sample_keys(3)
        samples = [*SAMPLE_DAYS[: len(days)], *[sample_pk] * reads_pk]
        samples += [sample_bureau] * bureau + [sample_department] * department + [SAMPLE_REGION] * scoped

        def build_shaped(*values):
            values = list(values)
            sample_days = [values.pop(0) for _day in days]
            pk = {"pk": values.pop(0)} if reads_pk else {}  # not given: a builder reading it fails
            sample_user = SampleUser(
                sees_everything=sees_all,
                roles={_MANAGER_QUESTION: manager},
                is_superuser=user.is_superuser,
                **pk,
                # A scoped user has a bureau (``scope_region``), read by the statement or not.
                bureau_id=values.pop(0) if bureau else (sample_bureau if user.bureau_id else None),
                department_id=values.pop(0) if department else None,
                region=values.pop(0) if scoped else (None if sees_all else SAMPLE_REGION),
            )
            return build(sample_user, *sample_days)

        # Planned once per connection on PostgreSQL where its generic plan is as good (PostgreSQL keeps planning per
        # value otherwise): the cards' parsing and planning cost the server more than running them (officers',
        # managers' and leaders' 工作台: 2,929 -> 2,312 ms of the server's time per 270 pages, pg_stat_statements).
        prepared = Prepared(build_shaped, *samples, repeated=True, plan_once=True)
        _SHAPED_STATEMENTS.keep(shape, prepared)
    values = [*days, *[user.pk] * reads_pk]
    values += [user.bureau_id] * bureau + [user.department_id] * department + [region] * scoped
    return prepared(*values)


def _home_need_rows(*, user, start, until, limit, deadlines_limit, liaised, led) -> list[Need]:
    """``_home_need_query``'s rows, from its statement compiled once per shape of ``user`` (``_shaped_rows``; the
    bureau: its new and accepted needs for a manager, the needs transferred to it for a scoped user; the department:
    the needs it leads that nobody handles)."""

    def build(shape, day_from, day_until):
        return _home_need_query(
            user=shape,
            start=day_from,
            until=day_until,
            limit=limit,
            deadlines_limit=deadlines_limit,
            liaised=liaised,
            led=led,
        )

    key = (liaised, led, limit, deadlines_limit)
    return _shaped_rows("needs", user, build, days=(start, until), key=key, reads_bureau=True, reads_department=True)


PLANS_LIMIT = 10
PLANS_DAYS = 14  # plans_upcoming's horizon


def home_plans(*, user, today: dt.date | None = None) -> list:
    """The plans card: ``plans_upcoming(...)[:PLANS_LIMIT]`` from its statement compiled once per shape of user
    (its one date is the horizon, ``PLANS_DAYS`` after today)."""
    horizon = (today or timezone.localdate()) + dt.timedelta(days=PLANS_DAYS)

    def build(shape, last_day):
        return plans_upcoming(user=shape, days=PLANS_DAYS, today=last_day - dt.timedelta(days=PLANS_DAYS))[:PLANS_LIMIT]

    return _shaped_rows("plans", user, build, days=(horizon,))


def my_due_actions(*, user, limit: int = HOME_LIST_LIMIT):
    return (
        ActionItem.objects.open()
        .filter(owner_id=user.pk)
        .select_related("enterprise")  # the card shows the enterprise's name, not the project or the need
        .only("id", "code", "title", "status", "due_on", "enterprise_id", "enterprise__name")
        .order_by("due_on", "id")[:limit]
    )


# The 工作台's cards of the user's own enterprises, projects and due action items: name -> (selector, reads_region).
_HOME_LIST_CARDS = {
    "my_enterprises": (lambda shape: my_enterprises(user=shape), True),
    "my_projects": (lambda shape: my_projects(user=shape), True),
    "my_actions": (lambda shape: my_due_actions(user=shape), False),
}
HOME_LIST_CARDS = tuple(_HOME_LIST_CARDS)


def home_list(*, user, card: str) -> list:
    """One card of ``HOME_LIST_CARDS`` (``my_enterprises``, ``my_projects``, ``my_actions``) from its statement
    compiled once per shape of user."""
    build, reads_region = _HOME_LIST_CARDS[card]
    return _shaped_rows(card, user, build, reads_region=reads_region)


def my_unread_notifications(*, user, limit: int = 5) -> list[Notification]:
    """The notifications card: the user's ``limit`` latest unread, from its statement compiled once per shape of user
    (``_shaped_rows``; the id: a shape user compiles it)."""

    def build(shape):
        unread = Notification.objects.filter(recipient_id=shape.pk, read_at__isnull=True)
        return unread.order_by("-created_at", "-id")[:limit]

    return _shaped_rows("notifications", user, build, key=(limit,), reads_region=False)


EXTENSION_REQUESTS_LIMIT = 20


def home_extension_requests(*, user, limit: int = EXTENSION_REQUESTS_LIMIT) -> list:
    """The extension requests card (``extension_requests_pending``'s rows) from its statement compiled once per
    shape of user: building and compiling it was ~3,000 Python calls of every manager's and leader's 工作台. The
    bureau is the statement's for a scoped user (``ExtensionRequest.objects.visible_to``), never for one who sees
    all."""
    by_managers = extension_requests_by_managers(user)
    if by_managers is None:
        return []

    def build(shape):
        return extension_requests_to_decide(user=shape, by_managers=by_managers)[:limit]

    sees_all, _region = scope_region(user)
    return _shaped_rows("extension_requests", user, build, key=(by_managers, limit), reads_bureau=not sees_all)


def home_supervised(*, user, limit: int, fields: tuple[str, ...], today: dt.date | None = None) -> list[Need]:
    """The leader's supervised needs of their scope (the first ``limit`` of ``needs_supervised(owned=False)``, of
    ``fields`` only) from its statement compiled once per shape of user, the supervision cutoff its one date:
    building and compiling it was ~4,000 Python calls of every leader's 工作台."""
    cutoff = supervision_cutoff(today or timezone.localdate())

    def build(shape, day_cutoff):
        needs = needs_supervised(user=shape, owned=False, cutoff=day_cutoff)
        return needs_first_query(needs, limit, related=(), fields=fields)

    sees_all, _region = scope_region(user)
    key = (limit, fields)
    return _shaped_rows("supervised", user, build, days=(cutoff,), key=key, reads_bureau=not sees_all, reads_pk=False)


def inbox_first(*, user, today: dt.date, limit: int, related: tuple[str, ...], fields: tuple[str, ...]) -> dict:
    """The manager's inbox cards: ``needs_first_each`` of ``inbox_lists`` of ``today`` (by ``INBOX_KEYS``), from two
    statements compiled once: the lists' first ids per shape of user (``_shaped_rows``; the bureau is the lists'
    ``_owned``), their rows per number of ids. Building the four lists and compiling their union and the rows'
    statement on every manager's 工作台 was ~4 ms of its CPU."""
    if not user.is_superuser and not user.bureau_id:  # owns no need (``_owned``): nothing worth compiling
        return needs_first_each(inbox_lists(user=user, today=today), limit, related=related, fields=fields)
    cutoff = supervision_cutoff(today)

    def build(shape, day, day_cutoff):
        lists = inbox_lists(user=shape, today=day, cutoff=day_cutoff)
        return compound_sql((lists[key].values("pk")[:limit] for key in INBOX_KEYS), tagged=True)

    first = _shaped_rows(
        "inbox_first",
        user,
        build,
        days=(today, cutoff),
        key=(limit,),
        reads_bureau=not user.is_superuser,
        reads_region=False,  # a bureau's needs are its scope (``_owned``)
        reads_pk=False,  # nor the user's own
    )
    found: dict[str, list[int]] = {key: [] for key in INBOX_KEYS}
    for index, pk in first:
        found[INBOX_KEYS[index]].append(pk)
    ids = sorted({pk for pks in found.values() for pk in pks})
    rows: dict = {}
    if ids:
        prepared = _SHAPED_STATEMENTS.once(
            ("inbox_rows", len(ids), related, fields),
            lambda: Prepared.for_keys(lambda *pks: _need_rows(pks, related, fields).order_by(), len(ids)),
        )
        rows = {need.pk: need for need in prepared(*ids)}
    # Each list sorted by its own ordering, as ``needs_first_each`` sorts it (a union's parts keep no order).
    orderings = _SHAPED_STATEMENTS.once(("inbox_first", "orderings"), lambda: _inbox_orderings(user, today, cutoff))
    return {key: sorted((rows[pk] for pk in found[key]), key=attrgetter(*orderings[key])) for key in INBOX_KEYS}


def _inbox_orderings(user, today: dt.date, cutoff: dt.date) -> dict[str, tuple[str, ...]]:
    """The columns each inbox list sorts by (the same for every user and day)."""
    lists = inbox_lists(user=user, today=today, cutoff=cutoff)
    return {key: tuple("id" if name == "pk" else name for name in lists[key].query.order_by) for key in INBOX_KEYS}
