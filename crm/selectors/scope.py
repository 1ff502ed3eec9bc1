"""Which related records a page may link: a record the user sees can name one the user does not (a county
enterprise's city project, a need transferred from the city with the city enterprise it concerns). Pages link
only what ``visible_to`` lets the user open and show the rest as plain text; the API leaves its id out.
"""

from collections.abc import Iterable
from types import SimpleNamespace

LINK_FIELDS = ("enterprise", "project", "need", "visit")


def links_mark(rows: Iterable, *, user, fields: Iterable[str] = LINK_FIELDS) -> list:
    """Set ``row.opens`` on each row to the names of ``fields`` whose related record ``user`` may open.

    One query per field for all rows (none for a user who sees everything); a field the rows' model does not
    have is skipped.
    """
    rows = list(rows)
    if not rows:
        return rows
    for row in rows:
        row.opens = set()
    meta = rows[0]._meta
    names = {f.name for f in meta.get_fields()}
    for field in fields:
        if field not in names:
            continue
        model = meta.get_field(field).related_model
        ids = {getattr(row, f"{field}_id") for row in rows}
        visible = model._default_manager.visible_pks(user, ids)
        for row in rows:
            if getattr(row, f"{field}_id") in visible:
                row.opens.add(field)
    return rows


_NOT_READ = object()


class SampleUser:
    """A user of one shape, for a statement built once per shape of user and run for every user of that shape
    (``rows_of``, the 工作台's cards, 预警企业; crm.prepared): what ``visible_to`` (``scope_region``) and those
    selectors read of a user, each value a sample (``crm.prepared.SAMPLE_KEY`` and friends) or part of the shape.

    What is not given is not there: a builder reading it fails (AttributeError) instead of keeping one user's value
    in a statement shared by many. ``region`` is the bureau's (``bureau.region_id``); ``roles`` the answers of the
    ``has_role`` questions the shape holds (any other question fails)."""

    is_authenticated = True

    def __init__(
        self,
        *,
        sees_everything: bool,
        pk=_NOT_READ,
        bureau_id=_NOT_READ,
        department_id=_NOT_READ,
        region=_NOT_READ,
        is_superuser=_NOT_READ,
        roles: dict[tuple[str, ...], bool] | None = None,
    ):
        self.sees_everything = sees_everything
        if pk is not _NOT_READ:
            self.pk = self.id = pk
        given = {"bureau_id": bureau_id, "department_id": department_id, "is_superuser": is_superuser}
        for name, value in given.items():
            if value is not _NOT_READ:
                setattr(self, name, value)
        if region is not _NOT_READ:
            self.bureau = SimpleNamespace(region_id=region)
        self._roles = roles or {}

    def has_role(self, *roles: str) -> bool:
        if roles not in self._roles:
            raise ValueError(f"This SampleUser answers has_role{tuple(self._roles)} only, not {roles!r}")
        return self._roles[roles]
