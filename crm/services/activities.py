"""Activities with many enterprises (座谈会、联合调研、政策宣讲, DESIGN §11.2): one call records the activity, its
participants (enterprise + attendee names) and the needs each raised, in one transaction.

Needs raised at an activity carry ``activity`` and ``source=meeting``, and their enterprise must be one of the
participants. They go through the same derive/check functions as every need (``need_derive``, the model's
``full_clean``, ``need_recorded_event``, ``need_created_notify``); a leader who leads the activity may record
them even though leaders do not record needs otherwise.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.choices import ActivityKind, NeedSource, NeedStatus, Urgency
from crm.models import Activity, ActivityAttachment, ActivityParticipant, Bureau, Enterprise, Need, User
from crm.permissions import can_create, can_edit
from crm.services.needs import need_created_notify, need_derive, need_recorded_event
from crm.services.visits import attachments_check, attachments_store
from crm.validators import validate_no_control_chars

NEED_FIELDS = ("enterprise", "category", "title", "description", "urgency")


def activity_counts_default(kind: str) -> bool:
    """``counts_as_visit`` defaults to true for a joint research trip, false otherwise."""
    return kind == ActivityKind.JOINT_RESEARCH


def _id(value):
    return getattr(value, "pk", value)


def _participants_check(*, user, participants: Iterable[Mapping]) -> list[tuple[Enterprise, str]]:
    rows = list(participants or ())
    if not rows:
        raise ValidationError({"participants": [_("Add at least one participating enterprise.")]})
    ids = [_id(row.get("enterprise")) for row in rows]
    visible = Enterprise.objects.visible_to(user).in_bulk([i for i in ids if isinstance(i, int)])
    errors, seen, out = [], set(), []
    for number, (row, pk) in enumerate(zip(rows, ids, strict=True), start=1):
        enterprise = visible.get(pk) if isinstance(pk, int) else None
        attendees = (row.get("attendees") or "").strip()
        if enterprise is None:
            errors.append(_("Participant %(number)d: select an enterprise in your scope.") % {"number": number})
            continue
        if pk in seen:
            errors.append(
                _("Participant %(number)d: %(name)s is listed twice.") % {"number": number, "name": enterprise}
            )
            continue
        try:
            validate_no_control_chars(attendees)
        except ValidationError:
            errors.append(_("Participant %(number)d: control characters are not allowed.") % {"number": number})
            continue
        if len(attendees) > 200:
            errors.append(_("Participant %(number)d: at most 200 characters of names.") % {"number": number})
            continue
        seen.add(pk)
        out.append((enterprise, attendees))
    if errors:
        raise ValidationError({"participants": errors})
    return out


def _needs_check(*, needs: Iterable[Mapping], participants: dict[int, Enterprise]) -> list[dict]:
    """Each need names a participating enterprise, a category and a title (the model checks the rest)."""
    cleaned, errors = [], []
    for number, data in enumerate(needs or (), start=1):
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in NEED_FIELDS}
        problems = []
        enterprise = participants.get(_id(data.get("enterprise")))
        if enterprise is None:
            problems.append(_("its enterprise must be one of the participants"))
        if not data.get("title"):
            problems.append(_("give a title"))
        if not data.get("category"):
            problems.append(_("choose a category"))
        if problems:
            errors.append(_("Need %(number)d: %(problems)s.") % {"number": number, "problems": "; ".join(problems)})
            continue
        cleaned.append({**data, "enterprise": enterprise})
    if errors:
        raise ValidationError({"needs": errors})
    return cleaned


def _need_build(*, user, activity: Activity, data: dict) -> Need:
    need = Need(
        enterprise=data["enterprise"],
        activity=activity,
        source=NeedSource.MEETING,
        category=data["category"],
        title=data["title"],
        description=data.get("description") or "",
        urgency=data.get("urgency") or Urgency.NORMAL,
        status=NeedStatus.NEW,
        created_by=user,
    )
    need_derive(need=need, user=user)
    return need


def _attachments_save(*, activity: Activity, user, checked: list[tuple[object, str]]) -> None:
    """Store checked uploads (``attachments_check``: the visit's rules, by content) on the activity."""
    attachments_store(model=ActivityAttachment, owner={"activity": activity}, user=user, checked=checked)


@transaction.atomic
def activity_create(
    *,
    user,
    kind: str,
    title: str,
    held_on: dt.date,
    participants: Iterable[Mapping],
    place: str = "",
    bureaus: Iterable[Bureau] = (),
    lead: User | None = None,
    officers: Iterable[User] | None = None,
    summary: str = "",
    counts_as_visit: bool | None = None,
    needs: Iterable[Mapping] = (),
    attachments: Iterable = (),
) -> Activity:
    """Record an activity with its participants (``[{enterprise, attendees}]``), the needs raised
    (``[{enterprise, category, title, description, urgency}]``) and its files (photos, PDFs); all or nothing."""
    if not can_create(user, Activity):
        raise PermissionDenied(_("Your role does not allow recording activities."))
    activity = Activity(
        kind=kind,
        title=(title or "").strip(),
        held_on=held_on,
        place=(place or "").strip(),
        lead=lead,
        summary=(summary or "").strip(),
        counts_as_visit=activity_counts_default(kind) if counts_as_visit is None else bool(counts_as_visit),
        bureau=user.bureau if user.bureau_id else Bureau.objects.order_by("level", "pk").first(),
        created_by=user,
    )
    errors = {}
    try:
        activity.full_clean(exclude=["code"])
    except ValidationError as error:
        errors.update(error.message_dict)
    checked = []
    try:
        checked = _participants_check(user=user, participants=participants)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        needs = _needs_check(needs=needs, participants={e.pk: e for e, _a in checked})
    except ValidationError as error:
        if checked:
            errors.update(error.message_dict)
    files = []
    try:
        files = attachments_check(attachments)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    activity._history_user = user
    activity.save()
    activity.bureaus.set(list(bureaus or []))
    activity.officers.set(list(officers or []) or ([user] if lead is None or lead.pk != user.pk else []))
    ActivityParticipant.objects.bulk_create(
        [ActivityParticipant(activity=activity, enterprise=e, attendees=a) for e, a in checked]
    )
    for number, data in enumerate(needs, start=1):
        need = _need_build(user=user, activity=activity, data=data)
        try:
            need.full_clean(exclude=["code"])
        except ValidationError as error:
            problems = "; ".join(f"{k}: {'; '.join(v)}" for k, v in error.message_dict.items())
            raise ValidationError(
                {"needs": [_("Need %(number)d: %(problems)s.") % {"number": number, "problems": problems}]}
            ) from None
        need._history_user = user
        need.save()
        event = need_recorded_event(need=need, user=user)
        event.full_clean()
        event.save()
        need_created_notify(need=need, user=user)
    _attachments_save(activity=activity, user=user, checked=files)
    return activity


ACTIVITY_FIELDS = ("kind", "title", "held_on", "place", "lead", "summary", "counts_as_visit")


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    user,
    bureaus: Iterable[Bureau] | None = None,
    officers: Iterable[User] | None = None,
    participants: Iterable[Mapping] | None = None,
    attachments: Iterable = (),
    attachments_remove: Iterable = (),
    **fields,
) -> Activity:
    """Edit an activity; a participant that raised a need stays (its needs keep their enterprise). Files may be
    added (``attachments``) and removed (``attachments_remove``: attachments of this activity or their ids)."""
    if not can_edit(user, activity):
        raise PermissionDenied(_("Your role does not allow editing this activity."))
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(activity, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    try:
        activity.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    files = []
    try:
        files = attachments_check(attachments)
    except ValidationError as error:
        errors.update(error.message_dict)
    remove_ids = {str(getattr(item, "pk", item)) for item in attachments_remove or ()}
    removed = []
    if all(raw.isdigit() for raw in remove_ids):
        removed = list(activity.attachments.filter(pk__in=[int(raw) for raw in remove_ids]))
    if len(removed) != len(remove_ids):
        errors["attachments_remove"] = [_("Select attachments of this activity.")]
    if errors:
        raise ValidationError(errors)
    checked = None
    if participants is not None:
        checked = _participants_check(user=user, participants=participants)
        kept = {e.pk for e, _a in checked}
        raised = set(activity.needs.values_list("enterprise_id", flat=True))
        if raised - kept:
            raise ValidationError(
                {"participants": [_("An enterprise that raised a need at the activity cannot be removed.")]}
            )
    activity._history_user = user
    activity.save()
    if bureaus is not None:
        activity.bureaus.set(list(bureaus))
    if officers is not None:
        activity.officers.set(list(officers))
    if checked is not None:
        activity.participants.all().delete()
        ActivityParticipant.objects.bulk_create(
            [ActivityParticipant(activity=activity, enterprise=e, attendees=a) for e, a in checked]
        )
    for attachment in removed:
        attachment.delete()  # the file goes once the transaction commits (crm/models/routine.py)
    _attachments_save(activity=activity, user=user, checked=files)
    return activity
