"""Scoping of DESIGN §5: one ``visible_to(user)`` per model, the only way views, the API and exports read.

A city-bureau user (and a superuser) sees the whole city; a county-bureau user sees what lies in its
county (by the enterprise's or project's region) plus needs transferred to its bureau; a user without a
bureau sees nothing.
"""

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db import models
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.lookups import In
from django.utils import timezone

from crm.choices import OPEN_ACTION_STATUSES, OPEN_NEED_STATUSES, BureauLevel, ReportStatus
from crm.validators import normalize_credit_code

# ---------------------------------------------------------------------------------------------------------
# Rules used by more than one layer, each defined once: a Q for the database and, where a model shows the
# same fact, a Python predicate next to it (the model property calls it, so filter and property agree).
# ---------------------------------------------------------------------------------------------------------


@CharField.register_lookup
class ConstantIn(In):
    """``IN`` over a fixed list of constants (statuses), written into the SQL on SQLite instead of bound: SQLite
    matches a partial index (``… WHERE "status" IN ('new', 'accepted', …)``) only to the same literal list in a
    query, never to parameters. Other databases bind the values as ``in`` does."""

    lookup_name = "in_constants"

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = [str(value) for value in dict.fromkeys(self.rhs)]  # in order: the index's list is compared as written
        literals = ", ".join("'{}'".format(value.replace("'", "''")) for value in values)
        return f"{lhs} IN ({literals})", params


# Keys per ``IN (…)`` list when a read or write takes a set of any size (an import's rows, its undo, an export's
# related rows: ``key_chunks``): one statement must stay under the parameters a database takes (65,535 bound on
# the PostgreSQL server, config/postgresql/base.py; SQLite's compile-time limit, 32,766 by default), and Django
# splits no ``__in`` list.
IN_LIST_KEYS = 2000


def key_chunks(keys: Iterable) -> Iterator[list]:
    """``keys`` in lists of at most ``IN_LIST_KEYS``, each for one ``pk__in=`` (nothing for no keys)."""
    keys = list(keys)
    for start in range(0, len(keys), IN_LIST_KEYS):
        yield keys[start : start + IN_LIST_KEYS]


def open_q(open_statuses, *, partial: bool = False) -> Q:
    """Rows still to be worked on: status among ``open_statuses`` (``OPEN_NEED_STATUSES``, ``OPEN_ACTION_STATUSES``).
    ``partial``: the statuses written into the SQL on SQLite (``ConstantIn``), so that it may read the partial
    indexes over open rows (``crm_need_open_due_idx``, ``crm_need_open_bureau_idx``); only for the lists known to
    gain: SQLite then also picks them for lists sorted otherwise (every open need by creation date: 1 -> 30 ms)."""
    return Q(status__in_constants=list(open_statuses)) if partial else Q(status__in=list(open_statuses))


def overdue_q(open_statuses, today: dt.date | None = None, *, partial: bool = False) -> Q:
    """Overdue: open and due before ``today`` (a row without a due date is never overdue). ``partial``: ``open_q``'s."""
    return open_q(open_statuses, partial=partial) & Q(due_on__lt=today or timezone.localdate())


def is_overdue(*, status: str, due_on: dt.date | None, open_statuses, today: dt.date | None = None) -> bool:
    """``overdue_q`` for one row in Python (model properties, templates)."""
    return bool(due_on and status in open_statuses and due_on < (today or timezone.localdate()))


def policy_expired_q(today: dt.date | None = None) -> Q:
    """The application window closed before ``today`` (the negation of the date part of ``policy_current_q``)."""
    return Q(apply_until__lt=today or timezone.localdate())


def policy_current_q(today: dt.date | None = None) -> Q:
    """Active and not expired: a window still to open counts (managers tell enterprises in advance)."""
    today = today or timezone.localdate()
    return Q(is_active=True) & (Q(apply_until__isnull=True) | Q(apply_until__gte=today))


def policy_window_open_q(today: dt.date | None = None) -> Q:
    """Active, opened on or before ``today`` and not closed: the policy can be applied for now."""
    today = today or timezone.localdate()
    return policy_current_q(today) & (Q(apply_from__isnull=True) | Q(apply_from__lte=today))


def policy_is_expired(policy, today: dt.date | None = None) -> bool:
    return bool(policy.apply_until and policy.apply_until < (today or timezone.localdate()))


def policy_is_current(policy, today: dt.date | None = None) -> bool:
    return bool(policy.is_active) and not policy_is_expired(policy, today)


def policy_window_is_open(policy, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return policy_is_current(policy, today) and (policy.apply_from is None or policy.apply_from <= today)


def policy_closes_soon(policy, today: dt.date | None = None) -> bool:
    """The window closes within two weeks (and has not closed yet)."""
    today = today or timezone.localdate()
    if not policy.apply_until or policy_is_expired(policy, today):
        return False
    return (policy.apply_until - today).days <= 14


def departments_assignable_q(bureau_id) -> Q:
    """Departments a bureau's staff may name (lead, assist, own an action, run a policy): the bureau's own and
    the city bureau's (市、县区联动), never another county's."""
    return Q(bureau_id=bureau_id) | Q(bureau__level=BureauLevel.CITY)


def department_is_assignable(department, user) -> bool:
    """``DepartmentQuerySet.assignable_by`` for one department."""
    if user.sees_everything:
        return True
    return department.bureau_id == user.bureau_id or department.bureau.level == BureauLevel.CITY


def departments_kept_q(bureau_id) -> Q:
    """Departments whose shared records (the policies and offerings of the library) a bureau keeps and names:
    its own only. A county may hand a need to a city department, but does not put its own policy or offering
    under one (the city's library would then show a city department answering for a county's entry)."""
    return Q(bureau_id=bureau_id)


def department_is_kept(department, user) -> bool:
    """``departments_kept_q`` for one department (every department for a user who sees the whole city)."""
    return user.sees_everything or department.bureau_id == user.bureau_id


def enterprise_search_q(text: str, *, contact_model) -> Q:
    """The enterprise text search of the list filter ``q`` and the navbar search: name, credit code, legal
    representative or a contact's name contains ``text`` (already stripped, not empty)."""
    contacts = contact_model.objects.filter(enterprise=OuterRef("pk"), name__icontains=text)
    return (
        Q(name__icontains=text)
        | Q(credit_code__contains=normalize_credit_code(text))
        | Q(legal_representative__icontains=text)
        | Q(Exists(contacts))
    )


def scope_region(user) -> tuple[bool, str | None]:
    """Return (sees_all, region_code) for a user; region_code is None when the user sees nothing."""
    if not user or not user.is_authenticated:
        return False, None
    if user.sees_everything:
        return True, None
    if not user.bureau_id:
        return False, None
    return False, user.bureau.region_id


class ScopedQuerySet(models.QuerySet):
    """Subclasses name the region lookups that put a row inside a county's scope."""

    region_lookups: tuple[str, ...] = ()

    def extra_scope(self, user) -> Q:
        return Q(pk__in=[])

    def visible_to(self, user, *, region_subqueries: bool = False):
        """The rows ``user`` may read. ``region_subqueries``: each region lookup through a relation is written as
        ``fk IN (SELECT pk … WHERE region = …)`` instead of a LEFT JOIN: the same rows, but an aggregate over a
        county's scope no longer joins (hashes, on PostgreSQL) every row of the related table before it can
        test the region (the dashboard's needs of a county: ~2x faster on SQLite and PostgreSQL). Off by
        default: a page's plans are left as they are."""
        sees_all, region = scope_region(user)
        if sees_all:
            return self.all()
        if region is None:
            return self.none()
        condition = Q(pk__in=[])
        for lookup in self.region_lookups:
            condition |= self._region_subquery_q(lookup, region) if region_subqueries else Q(**{lookup: region})
        return self.filter(condition | self.extra_scope(user))

    def _region_subquery_q(self, lookup: str, region: str) -> Q:
        """``lookup = region`` as ``first relation IN (its rows where the rest of the lookup = region)``."""
        first, _, rest = lookup.partition("__")
        if not rest:
            return Q(**{lookup: region})
        related = self.model._meta.get_field(first).related_model
        # The base manager: a join applies no manager's filter either.
        return Q(**{f"{first}__in": related._base_manager.filter(**{rest: region}).values("pk")})

    def visible_pks(self, user, pks) -> set:
        """Which of ``pks`` ``user`` may open: one query, none for a user who sees everything. Pages and the API
        ask it before they link a related record (a need's project, an action item's enterprise)."""
        pks = {pk for pk in pks if pk is not None}
        if not pks or scope_region(user)[0]:
            return pks
        return set(self.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))


class EnterpriseQuerySet(ScopedQuerySet):
    region_lookups = ("region",)

    def search(self, text: str):
        """Enterprises matching ``enterprise_search_q``; every enterprise for an empty ``text``."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(enterprise_search_q(text, contact_model=self.model.contacts.rel.related_model))


class ContactQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class ProjectQuerySet(ScopedQuerySet):
    region_lookups = ("region",)


class VisitQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)

    def _region_subquery_q(self, lookup: str, region: str) -> Q:
        """The enterprise's region is stored on the visit (``Visit.region``, kept by ``region_derive`` and
        ``enterprise_regions_follow``): the aggregates over a county's visits read ``crm_visit_region_idx`` instead of
        the visits of each of the county's enterprises (the dashboard's visits per month of a county: 76 -> 1 ms)."""
        if lookup == "enterprise__region":
            return Q(region=region)
        return super()._region_subquery_q(lookup, region)


class DeadlineQuerySet(ScopedQuerySet):
    """Rows with a status and a ``due_on``: ``open()`` and ``overdue()`` by the model's ``open_statuses``."""

    open_statuses: tuple[str, ...] = ()

    def open(self):
        return self.filter(open_q(self.open_statuses))

    def overdue(self, today: dt.date | None = None):
        return self.filter(overdue_q(self.open_statuses, today))


class NeedQuerySet(DeadlineQuerySet):
    region_lookups = ("enterprise__region", "project__region")
    open_statuses = OPEN_NEED_STATUSES

    def extra_scope(self, user) -> Q:
        # Needs transferred to the user's bureau are visible there wherever the enterprise lies.
        return Q(bureau_id=user.bureau_id)


class NeedEventQuerySet(ScopedQuerySet):
    region_lookups = ("need__enterprise__region", "need__project__region")

    def extra_scope(self, user) -> Q:
        return Q(need__bureau_id=user.bureau_id)


class ExtensionRequestQuerySet(ScopedQuerySet):
    """Extension requests follow their need's scope (DESIGN §11.4)."""

    region_lookups = ("need__enterprise__region", "need__project__region")

    def extra_scope(self, user) -> Q:
        return Q(need__bureau_id=user.bureau_id)


class SharedQuerySet(models.QuerySet):
    """Records every signed-in user of every bureau reads (``visible_to`` and ``visible_pks`` as scoped ones);
    ``kept_by(user)`` are those the user's bureau keeps (edits, deletes): other bureaus' entries answer 404 there."""

    def visible_to(self, user):
        return self.all() if user and user.is_authenticated else self.none()

    def kept_q(self, bureau_id) -> Q:
        return Q(pk__in=[])

    def kept_by(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        if not user.bureau_id:
            return self.none()
        return self.filter(self.kept_q(user.bureau_id))

    def visible_pks(self, user, pks) -> set:
        return {pk for pk in pks if pk is not None} if user and user.is_authenticated else set()


class PolicyQuerySet(SharedQuerySet):
    """The policy library is shared by every bureau of the city; a bureau keeps the policies of its departments
    and those its staff entered (``permissions.owns_policy`` for one policy)."""

    def kept_q(self, bureau_id) -> Q:
        return Q(department__bureau_id=bureau_id) | Q(created_by__bureau_id=bureau_id)

    def current(self, today: dt.date | None = None):
        return self.filter(policy_current_q(today))

    def window_open(self, today: dt.date | None = None):
        return self.filter(policy_window_open_q(today))


class PolicyMatchQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class OfferingQuerySet(SharedQuerySet):
    """The resource list is shared: county bureaus draw on the city departments' offerings too; a bureau keeps
    the offerings of its own departments (``permissions.owns_offering`` for one offering)."""

    def kept_q(self, bureau_id) -> Q:
        return Q(department__bureau_id=bureau_id)


class ActionItemQuerySet(DeadlineQuerySet):
    region_lookups = ("enterprise__region", "project__region")
    open_statuses = OPEN_ACTION_STATUSES

    def extra_scope(self, user) -> Q:
        return Q(owner_id=user.pk) | Q(need__bureau_id=user.bureau_id)


class SmallTableQuerySet(models.QuerySet):
    """A table of at most a few hundred rows (reference data, departments), read whole by the choice fields."""

    def iterator(self, chunk_size=None):
        # One plain SELECT. Django's iterator() (which ModelChoiceField renders its options with) reads through a
        # server-side cursor on PostgreSQL: DECLARE, FETCH and CLOSE, three round trips instead of one, 3-9 more
        # per list page's filter form, to spare memory on tables of thousands of rows.
        return iter(self.all())


class DepartmentQuerySet(SmallTableQuerySet):
    def for_bureau(self, bureau_id):
        """The departments a record of bureau ``bureau_id`` may be handed to (``departments_assignable_q``)."""
        return self.filter(departments_assignable_q(bureau_id))

    def kept_by(self, user):
        """Departments ``user`` names on the policies and offerings its bureau keeps (``departments_kept_q``)."""
        if user is None or not user.is_authenticated or user.sees_everything:
            return self.all()
        return self.filter(departments_kept_q(user.bureau_id))

    def assignable_by(self, user):
        """Departments ``user`` may name: all for city users; its own bureau's and the city's for county users.

        Without an authenticated user (a filter form built outside a request) every department."""
        if user is None or not user.is_authenticated or user.sees_everything:
            return self.all()
        return self.for_bureau(user.bureau_id)


class ActivityQuerySet(ScopedQuerySet):
    """An activity is in a county's scope when one of its enterprises lies in the county, or the county bureau
    organised it or took part (Exists, so an activity with many participants is one row)."""

    def visible_to(self, user):
        sees_all, region = scope_region(user)
        if sees_all:
            return self.all()
        if region is None:
            return self.none()
        participants = self.model.participants.rel.related_model.objects.filter(
            activity=OuterRef("pk"), enterprise__region=region
        )
        taking_part = self.model.bureaus.through.objects.filter(activity=OuterRef("pk"), bureau_id=user.bureau_id)
        return self.filter(Exists(participants) | Exists(taking_part) | Q(bureau_id=user.bureau_id))


class EnterpriseAccessQuerySet(ScopedQuerySet):
    """Access links (企业服务码, DESIGN §11.5) follow their contact's enterprise."""

    region_lookups = ("contact__enterprise__region",)

    def live(self, now: dt.datetime | None = None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class NeedAttachmentQuerySet(ScopedQuerySet):
    """A need's files follow the need's scope."""

    region_lookups = ("need__enterprise__region", "need__project__region")

    def extra_scope(self, user) -> Q:
        return Q(need__bureau_id=user.bureau_id)


class ReportQuerySet(models.QuerySet):
    """Reports (DESIGN §11.6): a bureau sees its own; the city also sees what the counties sent up (every report
    of another bureau that is not a draft). A county never sees another county's reports, nor the city's."""

    def visible_to(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.bureau_id:
            return self.none()
        if user.sees_everything:
            return self.filter(Q(bureau_id=user.bureau_id) | ~Q(status=ReportStatus.DRAFT))
        return self.filter(bureau_id=user.bureau_id)
