"""The options of the type-ahead pickers (crm/forms/widgets.py, crm/views/pickers.py): enterprises, projects,
staff and policies matching a few typed characters, scoped by ``visible_to`` (a county officer never gets a
city enterprise). Enterprises the user liaises with (as officer or leader) come first, in their own group."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Enterprise, Policy, Project, User
from crm.validators import is_valid_id, normalize_credit_code

PICKER_LIMIT = 20
MINE, OTHERS = "mine", "others"


@dataclass(frozen=True)
class PickerOption:
    value: int
    text: str
    group: str = ""


def picker_groups(kind: str) -> list[dict]:
    """The option groups of a picker kind, in display order (``value`` is the option's ``group``)."""
    if kind == "enterprise":
        return [
            {"value": MINE, "label": _("Enterprises I liaise with")},
            {"value": OTHERS, "label": _("Other enterprises")},
        ]
    return []


def _mine_q(user) -> Q:
    return Q(liaison_officers=user) | Q(liaison_leader=user)


def picker_enterprises(*, user, query: str = "", limit: int = PICKER_LIMIT) -> list[PickerOption]:
    """Enterprises in scope whose name (or credit code) contains ``query``: the user's own first (``mine``),
    then the others (``others``), each by name; at most ``limit`` of each."""
    scoped = Enterprise.objects.visible_to(user)
    text = query.strip()
    if text:
        code = normalize_credit_code("".join(text.split()))  # a credit code typed with spaces
        condition = Q(name__icontains=text)
        if code.isascii() and code.isalnum():
            condition |= Q(credit_code__contains=code)
        scoped = scoped.filter(condition)
    mine_ids = list(scoped.filter(_mine_q(user)).order_by("name", "id").values_list("id", "name").distinct()[:limit])
    mine_all = Enterprise.objects.filter(_mine_q(user)).values("pk")
    others = scoped.exclude(pk__in=mine_all).order_by("name", "id").values_list("id", "name")[:limit]
    return [PickerOption(pk, name, MINE) for pk, name in mine_ids] + [
        PickerOption(pk, name, OTHERS) for pk, name in others
    ]


def picker_projects(*, user, query: str = "", enterprise=None, limit: int = PICKER_LIMIT) -> list[PickerOption]:
    """Projects in scope whose name contains ``query`` (of one enterprise when ``enterprise`` is an id)."""
    qs = Project.objects.visible_to(user)
    if query.strip():
        qs = qs.filter(name__icontains=query.strip())
    if enterprise not in (None, ""):
        qs = qs.filter(enterprise_id=int(enterprise)) if is_valid_id(enterprise) else qs.none()
    return [PickerOption(pk, name) for pk, name in qs.order_by("name", "id").values_list("id", "name")[:limit]]


def _staff(user):
    qs = User.objects.filter(is_active=True, bureau__isnull=False)
    if not user.sees_everything:
        qs = qs.filter(bureau_id=user.bureau_id)
    return qs.select_related("bureau")


def picker_staff(*, user, query: str = "", limit: int = PICKER_LIMIT) -> list[PickerOption]:
    """Active staff a user may name: its own bureau's (the whole city's for city users), by name or login."""
    qs = _staff(user)
    text = query.strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(username__icontains=text))
    qs = qs.order_by("bureau__level", "name", "username")[:limit]
    return [PickerOption(pk, label) for pk, label in User.staff_labels(qs)]


def picker_policies(*, user, query: str = "", limit: int = PICKER_LIMIT) -> list[PickerOption]:
    """Policies the user reads whose title or document number contains ``query``, newest first."""
    qs = Policy.objects.visible_to(user)
    text = query.strip()
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(doc_number__icontains=text))
    rows = qs.order_by("-published_on", "-id").values_list("id", "title")[:limit]
    return [PickerOption(pk, title) for pk, title in rows]


PICKERS = {
    "enterprise": picker_enterprises,
    "project": picker_projects,
    "staff": picker_staff,
    "policy": picker_policies,
}
"""Picker kind → its selector (the kinds of ``crm.forms.widgets.PICKER_KINDS``)."""


def picker_option(*, kind: str, user, pk: int) -> PickerOption | None:
    """The option of one record by id when the user may see it (None otherwise, or for an unknown kind)."""
    if kind == "enterprise":
        row = Enterprise.objects.visible_to(user).filter(pk=pk).values_list("id", "name").first()
        if row is None:
            return None
        mine = Enterprise.objects.filter(_mine_q(user), pk=pk).exists()
        return PickerOption(row[0], row[1], MINE if mine else OTHERS)
    if kind == "project":
        row = Project.objects.visible_to(user).filter(pk=pk).values_list("id", "name").first()
        return PickerOption(*row) if row else None
    if kind == "policy":
        row = Policy.objects.visible_to(user).filter(pk=pk).values_list("id", "title").first()
        return PickerOption(*row) if row else None
    if kind == "staff":
        person = _staff(user).filter(pk=pk).first()
        return PickerOption(person.pk, person.staff_label) if person else None
    return None
