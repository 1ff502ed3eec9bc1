"""Reference data read once per process (issue 18): the small tables that change rarely (regions, industry chains,
qualifications, the organisation's bureaus, departments and staff, the holiday calendar, the bureaus' visit cadence
rules) are read from the database
once and reused by the requests that follow, until one of them changes.

Several server processes each keep their own copy, so "changed" is a version per kind of reference data held in
the shared cache (``settings.CACHES["default"]``: the database cache table, Redis when configured): a write bumps it
(``bump``: the models' save, delete and m2m signals, connected in ``crm.apps``, and the seed and restore commands,
which write without signals), and every process reads all the versions with one ``get_many`` in the first request
that needs one (``request_scope``, opened by crm.middleware.ReferenceVersionsMiddleware) and reloads a copy whose
versions differ.

Outside a request's scope (services, commands, tasks) ``memo`` reads the database every time, as before: a write and
the reads that follow in the same transaction agree without a version. A version is a random token, never a
counter: a cache cleared or evicted (the tests clear theirs) cannot bring back an old version with its old copy.
"""

import base64
import pickle
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now
from django.utils.translation import get_language

from crm.prepared import plan_once_cursor

REGIONS = "regions"
CHAINS = "chains"
QUALIFICATIONS = "qualifications"
# Bureaus, departments and users: a department's label names its bureau, a staff picker orders by bureau.
ORGANISATION = "organisation"
HOLIDAYS = "holidays"
CADENCE_RULES = "cadence_rules"  # crm/selectors/cadence.py Rules: every 工作台 of a liaison, the plans page
KINDS = (REGIONS, CHAINS, QUALIFICATIONS, ORGANISATION, HOLIDAYS, CADENCE_RULES)

# Which kinds a model's rows are part of (crm.apps connects the signals of these models).
MODEL_KINDS = {
    "Region": (REGIONS,),
    "IndustryChain": (CHAINS,),
    "Qualification": (QUALIFICATIONS,),
    "Bureau": (ORGANISATION,),
    "Department": (ORGANISATION,),
    "User": (ORGANISATION,),
    "Holiday": (HOLIDAYS,),
    "CadenceRule": (CADENCE_RULES,),
}

_KEYS = {kind: f"crm:reference:{kind}" for kind in KINDS}


class _Scope:
    """One request's view of the versions: read once, lazily; a kind written during the request is dropped from it
    (read from the database for the rest of the request)."""

    __slots__ = ("versions",)

    def __init__(self):
        self.versions: dict[str, str] | None = None


_SCOPE: ContextVar[_Scope | None] = ContextVar("crm_reference_scope", default=None)

# The process's copies: (kinds, key) -> (versions, value).
_MEMO: dict[tuple, tuple[tuple, Any]] = {}


# How the database cache's rows of some keys are read: (alias, table, key names) -> (SQL, cache key -> our key,
# expiry converters, their expression). Made once per process (Django's ``get_many`` makes them on every call).
_ROW_READS: dict[tuple, tuple] = {}


def _cache_get_many(keys: list[str]) -> dict:
    """``cache.get_many(keys)``. On the database cache (the default without Redis) by a statement, key names and
    expiry converters made once per process: Django's ``DatabaseCache.get_many`` validates the keys, writes the SQL
    and looks up the converters on every call, ~0.15 ms of CPU in every request that reads the versions. The same
    rows and values; when a row has expired, Django's ``get_many`` reads again (and deletes it)."""
    backend = caches["default"]
    if type(backend) is not DatabaseCache:
        return backend.get_many(keys)
    alias = router.db_for_read(backend.cache_model_class)
    plan_key = (alias, backend._table, backend.key_prefix, backend.version, backend.key_func, tuple(keys))
    plan = _ROW_READS.get(plan_key)
    connection = connections[alias]
    if plan is None:
        names = {backend.make_and_validate_key(key): key for key in keys}
        q = connection.ops.quote_name
        sql = (
            f"SELECT {q('cache_key')}, {q('value')}, {q('expires')} FROM {q(backend._table)} "
            f"WHERE {q('cache_key')} IN ({', '.join(['%s'] * len(names))})"
        )
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        plan = _ROW_READS[plan_key] = (sql, names, list(names), converters, expression)
    sql, names, params, converters, expression = plan
    with plan_once_cursor(connection) as cursor:  # a unique key's rows: one plan for every request
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    now = tz_now()
    found = {}
    for name, value, expires in rows:
        for converter in converters:
            expires = converter(expires, expression, connection)
        if expires < now:
            return backend.get_many(keys)
        found[names[name]] = pickle.loads(base64.b64decode(connection.ops.process_clob(value).encode()))
    return found


def _read_versions() -> dict[str, str]:
    found = _cache_get_many(list(_KEYS.values()))
    versions = {}
    for kind, key in _KEYS.items():
        version = found.get(key)
        if version is None:
            # First reader since the cache lost it: a new token. Another process may set its own at the same time
            # (add keeps the first): this request then keeps none, and reads the database.
            version = uuid.uuid4().hex
            if not cache.add(key, version, timeout=None):
                continue
        versions[kind] = version
    return versions


@contextmanager
def request_scope() -> Iterator[None]:
    """One request (crm.middleware.ReferenceVersionsMiddleware): inside, ``memo`` reads the versions at most once."""
    token = _SCOPE.set(_Scope())
    try:
        yield
    finally:
        _SCOPE.reset(token)


def user_scope(user):
    """The key of a user's scope of the organisation's choices (bureaus, departments, staff): ``"all"`` for a user
    who sees the whole city (or no signed-in user), else its bureau."""
    if user is None or not user.is_authenticated or user.sees_everything:
        return "all"
    return ("bureau", user.bureau_id)


def in_request() -> bool:
    """Inside a request's scope: ``memo`` may answer from the process's copy."""
    return _SCOPE.get() is not None


def memo(kinds: tuple[str, ...], key, load: Callable[[], Any], *, by_language: bool = False) -> Any:
    """``load()``, or the process's copy of it made under the current versions of ``kinds`` (and the same ``key``,
    and language if ``by_language``). The copy is shared: callers must not change it."""
    scope = _SCOPE.get()
    if scope is None:
        return load()
    if scope.versions is None:
        scope.versions = _read_versions()
    versions = tuple(scope.versions.get(kind) for kind in kinds)
    if None in versions:
        return load()
    memo_key = (kinds, key, get_language() if by_language else None)
    held = _MEMO.get(memo_key)
    if held is not None and held[0] == versions:
        return held[1]
    value = load()
    _MEMO[memo_key] = (versions, value)
    return value


def rows_by_key(model: type[models.Model]) -> dict:
    """A reference table's rows (``MODEL_KINDS``: regions, qualifications, …) by primary key: the process's copy
    (``memo``), shared, so callers read them and copy one before changing it (``CodeChoiceField``)."""
    name = model.__name__
    return memo(MODEL_KINDS[name], (name, "rows"), lambda: {obj.pk: obj for obj in model.objects.all().iterator()})


def bump(*, kinds: Iterable[str] = KINDS) -> None:
    """Every process reads ``kinds`` again: new versions now, and again when the transaction commits (a process
    that read the new version before the commit copied the rows of before)."""
    kinds = tuple(kinds)
    scope = _SCOPE.get()
    if scope is not None and scope.versions is not None:
        for kind in kinds:
            scope.versions.pop(kind, None)

    def new_versions():
        cache.set_many({_KEYS[kind]: uuid.uuid4().hex for kind in kinds}, timeout=None)

    new_versions()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(new_versions)


def changed(sender, **kwargs) -> None:
    """post_save / post_delete / m2m_changed receiver of the models of ``MODEL_KINDS``."""
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # a sign-in changes nothing a list shows
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: bumped once, after the change
    bump(kinds=MODEL_KINDS.get(sender._meta.object_name, (ORGANISATION,)))  # else the users' roles (User.groups)


def migrated(sender, **kwargs) -> None:
    """post_migrate receiver: a migration writes reference data through historical models (no signals)."""
    bump()
