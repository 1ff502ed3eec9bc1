"""The closed loop of a need (DESIGN §4.1): creation, editing, the transitions, follow-ups and reminders.

Every transition checks, in this order: the role (``TransitionForbidden`` → 403), then the ``version``
and the current status under a row lock (``TransitionConflict`` → 409), then the verb's fields
(``ValidationError`` → 400). It then saves the need with ``version + 1`` and appends a ``NeedEvent``.
The verb's fields are described once, by its input (``TRANSITIONS[verb].input``, a Django form scoped to
the need): the service parses it, the web form renders it (crm/forms/engagement.py) and the API feeds the
request body into it and documents it (crm/api/engagement.py).
The callers (API, web views) have already read the need through ``Need.objects.visible_to(user)``, so
scope is settled before a service is called. Values that come straight from a request (ids, dates) may be
passed as they are: they are resolved only after the role and status checks, which keeps the order above.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, override

from crm.choices import (
    OPEN_NEED_STATUSES,
    ExtensionStatus,
    NeedEventKind,
    NeedSource,
    NeedStatus,
    NotificationKind,
    Role,
    Satisfaction,
    Urgency,
)
from crm.models import (
    Bureau,
    Contact,
    Department,
    Enterprise,
    ExtensionRequest,
    Holiday,
    Need,
    NeedEvent,
    Project,
    User,
)
from crm.models.engagement import DEADLINE_SPAN
from crm.permissions import can_create, is_leader, is_manager
from crm.selectors.needs import need_escalation
from crm.services.enterprises import project_of_enterprise_check
from crm.services.errors import TransitionConflict, TransitionForbidden
from crm.services.notifications import Notice, notification_send, notifications_send_many
from crm.sms import enterprise_sms_notify
from crm.validators import COMMENT_MAX_LENGTH, TEXT_MAX_LENGTH, is_valid_id, validate_no_control_chars
from crm.workdays import (
    ANSWER_WORKDAYS,
    SUPERVISION_AFTER_DAYS,
    TimeLimits,
    WorkCalendar,
    answer_workdays,
    answer_workdays_fill,
    answer_workdays_shift,
    default_due_on,
)

# Who may act: managers every verb; the handler and members of the lead department the work verbs;
# officers the return visit (they go back to the enterprise); leaders only write instructions.
MANAGER, HANDLER, OFFICER = "manager", "handler", "officer"


# ---------------------------------------------------------------------------------------------- verb inputs
# One typed input per verb: the fields it takes besides ``version`` (names, types, required, allowed values
# scoped to the user and the need). A service parses it after its role and status checks; the web form
# subclasses it (adding ``version`` and the widgets); the API passes the request body to the service and
# documents the body from it.

CHOICE_MESSAGE = gettext_lazy("Select a valid choice; %(value)s is not one of the available choices.")


# What counts as "not given" in a verb's input: nothing, or an empty string (a web form's empty field). Django's
# fields also read ``{}``, ``[]`` and ``()`` as empty, so a JSON body's ``"text": {}`` passed as no comment.
BLANK_VALUES = [None, ""]


class TextField(forms.CharField):
    """Text (a comment, a reason): a string, stripped, without control characters, at most
    ``COMMENT_MAX_LENGTH`` characters unless told; optional unless told."""

    empty_values = BLANK_VALUES

    def __init__(self, *, rows: int = 2, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", COMMENT_MAX_LENGTH)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(validate_no_control_chars)

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError(_("Enter text."), code="invalid")
        return super().to_python(value)


class DateField(forms.DateField):
    """A date as ``YYYY-MM-DD`` (or a date)."""

    default_error_messages = {"invalid": gettext_lazy("Enter a valid date (YYYY-MM-DD).")}
    empty_values = BLANK_VALUES

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("widget", forms.DateInput())
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str | dt.date):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _is_id(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | str) and is_valid_id(value)


class RecordChoiceField(forms.ModelChoiceField):
    """A record by id (or the record itself) among the field's queryset, which the input scopes to the need."""

    default_error_messages = {"invalid_choice": CHOICE_MESSAGE}
    empty_values = BLANK_VALUES

    def to_python(self, value):
        if isinstance(value, self.queryset.model):
            value = value.pk
        if value not in self.empty_values and not _is_id(value):
            # Not an id at all (a word, a number beyond a bigint): no such record, and no query.
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(value)


class RecordsChoiceField(forms.ModelMultipleChoiceField):
    """Records by id (a list; one id alone is taken as a list of one) among the field's queryset."""

    default_error_messages = {
        "invalid_choice": CHOICE_MESSAGE,
        "invalid_pk_value": gettext_lazy("“%(value)s” is not a valid id."),
    }
    empty_values = [*BLANK_VALUES, [], ()]

    def clean(self, value):
        if isinstance(value, set | frozenset):
            value = list(value)
        elif value not in self.empty_values and not isinstance(value, list | tuple):
            value = [value]
        return super().clean(value)

    def _check_values(self, value):
        pks = []
        for item in value:
            pk = item.pk if isinstance(item, self.queryset.model) else item
            if not _is_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"value": pk}
                )
            pks.append(int(pk))
        found = list(self.queryset.filter(pk__in=pks))
        missing = sorted(set(pks) - {obj.pk for obj in found})
        if missing:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": ", ".join(str(pk) for pk in missing)},
            )
        return found


class TransitionInput(forms.Form):
    """The fields of one verb besides ``version``, for one need and one user (querysets scoped to them)."""

    def __init__(self, data=None, *args, need: Need, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.need = need
        self.user = user


class CommentInput(TransitionInput):
    """accept, start: an optional comment."""

    text = TextField(label=gettext_lazy("Comment"))


class RejectInput(TransitionInput):
    reason = TextField(
        label=gettext_lazy("Reason"),
        required=True,
        error_messages={"required": gettext_lazy("Give the reason for rejecting the need.")},
    )


class ReopenInput(TransitionInput):
    reason = TextField(
        label=gettext_lazy("Reason"),
        required=True,
        error_messages={"required": gettext_lazy("Give the reason for reopening the need.")},
    )


class AssignInput(TransitionInput):
    """The lead department (主办) of the need's bureau, assisting ones (协办) of that bureau or the city, a
    handler of the bureau, a deadline (empty: the default time limit in working days) and a comment."""

    lead_department = RecordChoiceField(label=gettext_lazy("Lead department"), queryset=Department.objects.none())
    assisting_departments = RecordsChoiceField(
        label=gettext_lazy("Assisting departments"), queryset=Department.objects.none(), required=False
    )
    handler = RecordChoiceField(label=gettext_lazy("Handler"), queryset=User.objects.none(), required=False)
    due_on = DateField(
        label=gettext_lazy("Due on"),
        required=False,
        help_text=gettext_lazy("Leave empty for the default time limit in working days."),
    )
    text = TextField(label=gettext_lazy("Comment"))

    def __init__(self, *args, need: Need, user, **kwargs):
        super().__init__(*args, need=need, user=user, **kwargs)
        departments = Department.objects.select_related("bureau")
        self.fields["lead_department"].queryset = departments.filter(bureau_id=need.bureau_id).order_by("name")
        # 市、县区联动: the departments of the need's bureau and the city's, never another county's.
        self.fields["assisting_departments"].queryset = departments.for_bureau(need.bureau_id)
        self.fields["handler"].queryset = (
            User.objects.filter(bureau_id=need.bureau_id, is_active=True)
            .select_related("bureau", "department")
            .order_by("department__name", "name", "username")
        )

    def clean_due_on(self):
        due = self.cleaned_data.get("due_on")
        if due is not None and due < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."), code="past")
        deadline_check_range(due)
        # The clock started when the need arrived (DESIGN §11.4): assigning may shorten it, never lengthen it.
        if due is not None and self.need.due_on is not None and due > self.need.due_on:
            raise ValidationError(
                _(
                    "Assigning may only shorten the deadline: give %(date)s or earlier, "
                    "or ask for an extension after assigning."
                )
                % {"date": self.need.due_on.isoformat()},
                code="later",
            )
        return due

    def clean(self):
        cleaned = super().clean()
        lead, handler = cleaned.get("lead_department"), cleaned.get("handler")
        if lead is not None and handler is not None and handler.department_id != lead.pk:
            self.add_error(
                "handler",
                ValidationError(
                    _("The handler must be a member of the lead department %(department)s.")
                    % {"department": lead.name},
                    code="not_in_department",
                ),
            )
        return cleaned


class AcceptInput(AssignInput):
    """accept: a comment and, optionally, the assign fields (受理并交办: accepted and assigned in one call)."""

    def __init__(self, *args, need: Need, user, **kwargs):
        super().__init__(*args, need=need, user=user, **kwargs)
        self.fields["lead_department"].required = False
        self.fields["lead_department"].help_text = gettext_lazy("Choose one to accept and assign at once.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_department") is None and (cleaned.get("handler") or cleaned.get("assisting_departments")):
            self.add_error("lead_department", ValidationError(_("Choose the lead department to assign to.")))
        return cleaned


def deadline_check_range(due: dt.date | None) -> None:
    """A deadline at most two years from today (a date such as 9999-12-31 broke every list: issue 11)."""
    if due is not None and due > timezone.localdate() + DEADLINE_SPAN:
        raise ValidationError(
            _("A deadline must be within two years from today (%(date)s at the latest).")
            % {"date": (timezone.localdate() + DEADLINE_SPAN).isoformat()},
            code="too_far",
        )


class AnswerInput(TransitionInput):
    resolution = TextField(
        label=gettext_lazy("Resolution"),
        rows=3,
        required=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=gettext_lazy("How the need was resolved."),
        error_messages={"required": gettext_lazy("Describe how the need was resolved.")},
    )


class ReturnVisitInput(TransitionInput):
    """The enterprise's rating: satisfied (or basically) closes the need, unsatisfied sends it back."""

    satisfaction = forms.ChoiceField(
        label=gettext_lazy("Satisfaction"),
        choices=Satisfaction.choices,
        error_messages={
            "required": gettext_lazy("Choose how satisfied the enterprise is."),
            "invalid_choice": gettext_lazy("“%(value)s” is not a valid rating."),
        },
    )
    text = TextField(label=gettext_lazy("Comment"))


class TransferInput(TransitionInput):
    """Another bureau (转办) and a comment."""

    bureau = RecordChoiceField(label=gettext_lazy("Bureau"), queryset=Bureau.objects.none())
    text = TextField(label=gettext_lazy("Comment"))

    def __init__(self, *args, need: Need, user, **kwargs):
        super().__init__(*args, need=need, user=user, **kwargs)
        self.fields["bureau"].queryset = Bureau.objects.exclude(pk=need.bureau_id).order_by("level", "name")


class ExtendInput(TransitionInput):
    """A requested deadline later than the current one (or than today) and the reason (延期申请); a manager
    decides (DESIGN §11.4)."""

    due_on = DateField(label=gettext_lazy("New deadline"), required=True)
    reason = TextField(
        label=gettext_lazy("Reason"),
        required=True,
        error_messages={"required": gettext_lazy("Give the reason for the extension.")},
    )

    def clean_due_on(self):
        due = self.cleaned_data.get("due_on")
        floor = self.need.due_on or timezone.localdate()
        if due is not None and due <= floor:
            raise ValidationError(
                _("The new deadline must be after %(date)s.") % {"date": floor.isoformat()}, code="not_later"
            )
        deadline_check_range(due)
        return due


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None  # None: the status does not change (extend) or depends on the input (return-visit)
    actors: frozenset
    label: str
    input: type[TransitionInput]


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(
        frozenset({NeedStatus.NEW}), NeedStatus.ACCEPTED, frozenset({MANAGER}), gettext_lazy("Accept"), AcceptInput
    ),
    "reject": Transition(
        frozenset({NeedStatus.NEW, NeedStatus.ACCEPTED}),
        NeedStatus.REJECTED,
        frozenset({MANAGER}),
        gettext_lazy("Reject"),
        RejectInput,
    ),
    "assign": Transition(
        frozenset({NeedStatus.ACCEPTED, NeedStatus.ASSIGNED, NeedStatus.IN_PROGRESS}),
        NeedStatus.ASSIGNED,
        frozenset({MANAGER}),
        gettext_lazy("Assign"),
        AssignInput,
    ),
    "start": Transition(
        frozenset({NeedStatus.ASSIGNED}),
        NeedStatus.IN_PROGRESS,
        frozenset({MANAGER, HANDLER}),
        gettext_lazy("Start handling"),
        CommentInput,
    ),
    "answer": Transition(
        frozenset({NeedStatus.IN_PROGRESS}),
        NeedStatus.ANSWERED,
        frozenset({MANAGER, HANDLER}),
        gettext_lazy("Answer"),
        AnswerInput,
    ),
    "return-visit": Transition(
        frozenset({NeedStatus.ANSWERED}),
        None,
        frozenset({MANAGER, OFFICER}),
        gettext_lazy("Return visit"),
        ReturnVisitInput,
    ),
    "reopen": Transition(
        frozenset({NeedStatus.CLOSED, NeedStatus.REJECTED}),
        NeedStatus.ACCEPTED,
        frozenset({MANAGER}),
        gettext_lazy("Reopen"),
        ReopenInput,
    ),
    "transfer": Transition(
        frozenset({NeedStatus.NEW, NeedStatus.ACCEPTED}),
        NeedStatus.NEW,
        frozenset({MANAGER}),
        gettext_lazy("Transfer"),
        TransferInput,
    ),
    "extend": Transition(
        frozenset({NeedStatus.ASSIGNED, NeedStatus.IN_PROGRESS}),
        None,
        frozenset({MANAGER, HANDLER}),
        gettext_lazy("Request an extension"),
        ExtendInput,
    ),
}
VERBS = tuple(TRANSITIONS)


# ---------------------------------------------------------------------------------------------- checks


def _is_handler(user, need: Need) -> bool:
    if not user.is_authenticated:
        return False
    if need.handler_id and need.handler_id == user.pk:
        return True
    return bool(need.lead_department_id and user.department_id == need.lead_department_id)


def manages_need(user, need: Need) -> bool:
    """A manager of the bureau that owns the need, or a manager who sees the whole city.

    A county bureau sees the needs of its county's enterprises, but one the city bureau owns (not transferred)
    is the city's to accept, assign and transfer: a county manager would assign city departments and handlers.
    """
    return _manages(user, need, manager=is_manager(user))


def _manages(user, need: Need, *, manager: bool, city: bool | None = None) -> bool:
    # ``city``: whether the user sees the whole city, when already worked out.
    if not manager:
        return False
    if city is None:
        city = user.sees_everything
    return city or (bool(user.bureau_id) and user.bureau_id == need.bureau_id)


def _user_actor_roles(user) -> tuple[bool, bool, bool]:
    """What of ``_need_actors`` depends on the user alone: (a manager, one who sees the whole city, an officer)."""
    manager = is_manager(user)
    return manager, manager and user.sees_everything, user.is_authenticated and user.has_role(Role.OFFICER)


def _need_actors(user, need: Need, roles: tuple[bool, bool, bool] | None = None) -> set[str]:
    """The actors of ``TRANSITIONS`` the user is for this need: its managing manager, its handler, an officer.
    ``roles``: ``_user_actor_roles(user)``, when already worked out."""
    manager, city, officer = roles if roles is not None else _user_actor_roles(user)
    actors = set()
    if _manages(user, need, manager=manager, city=city):
        actors.add(MANAGER)
    if _is_handler(user, need):
        actors.add(HANDLER)
    if officer:
        actors.add(OFFICER)
    return actors


def need_may(*, user, need: Need, verb: str) -> bool:
    """Whether the user's role allows the verb on this need (status aside)."""
    return not TRANSITIONS[verb].actors.isdisjoint(_need_actors(user, need))


def need_verbs_available(*, user, need: Need) -> list[str]:
    """The verbs the user may use on the need now: role allowed and status fitting (for the buttons). Who the user
    is for the need is worked out once, not once per verb."""
    return need_verbs_reader(user=user)(need)


def need_verbs_reader(*, user) -> Callable[[Need], list[str]]:
    """``need_verbs_available`` for many needs of one user (a list asks it for every row): the user's roles are
    worked out once, here. Read with the user as it is now; make a new reader when the user's roles change."""
    roles = _user_actor_roles(user)

    def verbs_available(need: Need) -> list[str]:
        verbs = [verb for verb, transition in TRANSITIONS.items() if need.status in transition.sources]
        if not verbs:
            return []
        actors = _need_actors(user, need, roles)
        return [verb for verb in verbs if not TRANSITIONS[verb].actors.isdisjoint(actors)]

    return verbs_available


def need_may_instruct(*, user) -> bool:
    return user.is_authenticated and user.has_role(Role.LEADER)


def _check_role(*, user, need: Need, verb: str) -> None:
    if not need_may(user=user, need=need, verb=verb):
        raise TransitionForbidden(_("Your role does not allow this action on this need."))


def _version(value) -> int:
    if value is None or value == "":
        raise ValidationError({"version": [_("Give the version of the need you are changing.")]})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("The version must be a whole number.")]}) from None


def _lock(*, need: Need, version, verb: str) -> Need:
    """Re-read the need under a row lock (PostgreSQL) / the write lock (SQLite IMMEDIATE); check version, status."""
    expected = _version(version)
    locked = Need.objects.select_for_update().get(pk=need.pk)
    if locked.version != expected:
        raise TransitionConflict(
            _("This need was changed by someone else meanwhile (version %(current)d, not %(given)d). Reload it.")
            % {"current": locked.version, "given": expected}
        )
    if locked.status not in TRANSITIONS[verb].sources:
        raise TransitionConflict(
            _("A need with status “%(status)s” cannot be changed this way.") % {"status": locked.get_status_display()}
        )
    return locked


def _parse(verb: str, *, need: Need, user, **values) -> dict:
    """The verb's input parsed from the given values (ids, records, texts, dates); 400 with every field's error."""
    form = TRANSITIONS[verb].input(values, need=need, user=user)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


# ---------------------------------------------------------------------------------------------- helpers


def _fmt(message: str, **params) -> str:
    """Stored texts (events, notices) are written in the site language, whatever the request's language."""
    with override(settings.LANGUAGE_CODE):
        return _(message) % params


def _label(choices, value) -> str:
    with override(settings.LANGUAGE_CODE):
        return str(choices(value).label) if value else ""


def _event(
    *, need: Need, user, kind: str, from_status: str = "", to_status: str = "", text: str = "", contact=None
) -> NeedEvent:
    event = NeedEvent(
        need=need,
        author=user if user and user.is_authenticated else None,
        contact=contact,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        text=text,
    )
    event.full_clean()
    event.save()
    return event


def _save(need: Need, *, user) -> Need:
    need.version += 1
    need_answer_workdays_set(need=need)
    need.full_clean()
    need._history_user = user if user and user.is_authenticated else None
    need.save()
    return need


def need_answer_workdays_set(*, need: Need) -> None:
    """Set the need's stored working days to answer (``Need.answer_workdays``) from its dates: one holiday query
    when it is answered, none otherwise. Every transition saves through ``_save``, which calls it."""
    calendar = None
    if need.answered_at is not None:
        days = [
            timezone.localdate(moment) for moment in (need.created_at, need.assigned_at, need.answered_at) if moment
        ]
        calendar = WorkCalendar.for_range(start=min(days), end=max(days))
    for name, start in ANSWER_WORKDAYS.items():
        value = answer_workdays(start=getattr(need, start), answered=need.answered_at, calendar=calendar)
        setattr(need, name, value)


def needs_answer_workdays_fill(*, needs=None) -> None:
    """Recompute the stored working days to answer of ``needs`` (every need by default) in SQL, set-based: for rows
    written outside the transitions (seed data, tests that set dates directly)."""
    answer_workdays_fill(Need.objects.all() if needs is None else needs, holidays=Holiday.objects.all())


def holiday_changed(*, before: tuple[dt.date, bool] | None, after: tuple[dt.date, bool] | None) -> None:
    """A Holiday row was added (``before`` None), changed or removed (``after`` None), as (date, is_workday): the
    stored working days of the needs whose interval holds a date whose status changed move by one, one UPDATE per
    such date (``answer_workdays_shift``). Connected to the Holiday row's saves and deletes (crm/apps.py), so the
    admin, its import and any other writer keep them right."""
    status: dict[dt.date, list[bool]] = {}  # date -> [working before, working after]
    for index, row in enumerate((before, after)):
        if row is not None:
            day, is_workday = row
            status.setdefault(day, [day.weekday() < 5, day.weekday() < 5])[index] = bool(is_workday)
    for day, (was, now) in sorted(status.items()):
        answer_workdays_shift(Need.objects.all(), day=day, delta=int(now) - int(was))


def holiday_before_save(sender, instance, **kwargs) -> None:
    """``pre_save`` receiver of Holiday: remember the row as it was, for ``holiday_saved``."""
    instance._holiday_before = (
        sender.objects.filter(pk=instance.pk).values_list("date", "is_workday").first() if instance.pk else None
    )


def holiday_saved(sender, instance, **kwargs) -> None:
    """``post_save`` receiver of Holiday (the admin, its import, fixtures, the shell): ``holiday_changed``."""
    before = getattr(instance, "_holiday_before", None)
    holiday_changed(before=before, after=(instance.date, instance.is_workday))
    instance._holiday_before = (instance.date, instance.is_workday)


def holiday_deleted(sender, instance, **kwargs) -> None:
    """``post_delete`` receiver of Holiday: ``holiday_changed``."""
    holiday_changed(before=(instance.date, instance.is_workday), after=None)


def _user_label(user) -> str:
    return str(user) if user else ""


def _bureau_users(bureau_id: int, role: str):
    return User.objects.filter(bureau_id=bureau_id, groups__name=role, is_active=True).distinct()


def _notify(recipients: Iterable, *, exclude=None, kind: str, text: str, need: Need) -> None:
    sent = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in sent or (exclude is not None and recipient.pk == exclude.pk):
            continue
        sent.add(recipient.pk)
        notification_send(recipient=recipient, kind=kind, text=text, need=need)


def _need_owner_default_bureau(user, enterprise, project):
    if user is not None and user.bureau_id:
        return user.bureau
    for obj in (enterprise, project):
        if obj is not None and obj.bureau_id:
            return obj.bureau
    bureau = Bureau.objects.order_by("level", "pk").first()
    if bureau is None:
        raise ValidationError(_("No bureau exists yet to own the need."))
    return bureau


# ---------------------------------------------------------------------------------------------- create, edit


def need_derive(*, need: Need, user: User, limits: TimeLimits | None = None) -> None:
    """Fill in what a new need takes from its links and its recorder; every way in (form, API, visit, import).

    Its enterprise comes from the visit, else from the project; without a source it is 走访 when raised in a
    visit, else 电话; without a bureau it is owned by the recorder's bureau, else the enterprise's or the
    project's, else the first bureau. The clock starts (DESIGN §11.4): ``accept_due_on`` and ``due_on`` from
    the time-limit table in working days from today (a deadline given, e.g. by an old ledger, is kept), and
    ``original_due_on`` keeps the first deadline. ``limits``: the table loaded once for many needs (imports).
    """
    need_clock_start(need=need, limits=limits)
    if need.enterprise_id is None:
        if need.visit_id is not None:
            need.enterprise_id = need.visit.enterprise_id
        elif need.project_id is not None and need.project.enterprise_id:
            need.enterprise_id = need.project.enterprise_id
    if not need.source:
        need.source = NeedSource.VISIT if need.visit_id is not None else NeedSource.PHONE
    if need.bureau_id is None:
        enterprise = need.enterprise if need.enterprise_id is not None else None
        project = need.project if need.project_id is not None else None
        need.bureau = _need_owner_default_bureau(user, enterprise, project)


def need_clock_start(*, need: Need, limits: TimeLimits | None = None, received_on: dt.date | None = None) -> None:
    """Set the dates of the clock that are still empty: acceptance and answer deadlines, the original one."""
    if need.accept_due_on is None or need.due_on is None:
        accept, due = (limits or TimeLimits()).clock_dates(
            category=need.category, urgency=need.urgency or Urgency.NORMAL, start=received_on or timezone.localdate()
        )
        need.accept_due_on = need.accept_due_on or accept
        need.due_on = need.due_on or due
    if need.original_due_on is None:
        need.original_due_on = need.due_on


def need_recorded_event(*, need: Need, user: User | None, contact: Contact | None = None) -> NeedEvent:
    """The first entry of a need's timeline (unsaved, so an import can write many in one go)."""
    return NeedEvent(
        need=need,
        author=user if user and user.is_authenticated else None,
        contact=contact,
        kind=NeedEventKind.STATUS,
        to_status=need.status,
        text=_fmt(gettext_noop("Need recorded.")),
    )


def need_project_check(*, enterprise: Enterprise | None, project: Project | None) -> None:
    """A need's project must be one of its enterprise's projects; the services and the import call this."""
    project_of_enterprise_check(
        enterprise=enterprise,
        project=project,
        message=_("This project is not one of the enterprise's projects: choose one of its projects, or none."),
    )


NEED_EDITABLE_FIELDS = ("title", "description", "category", "urgency", "enterprise", "project", "source")


@transaction.atomic
def need_create(
    *,
    user,
    category: str,
    title: str,
    enterprise: Enterprise | None = None,
    project: Project | None = None,
    visit=None,
    description: str = "",
    urgency: str = Urgency.NORMAL,
    source: str | None = None,
    contact: Contact | None = None,
) -> Need:
    """Record a need (status new) for an enterprise and/or a project in the user's scope.

    ``contact``: the enterprise raises the need itself on its own page (企业服务码, DESIGN §11.5); ``user`` is then
    None, the need is the contact's enterprise's (no project), owned by the enterprise's bureau, and its
    timeline names the contact.
    """
    if contact is not None:
        if user is not None or enterprise is None or enterprise.pk != contact.enterprise_id or project is not None:
            raise PermissionDenied(_("An enterprise raises needs for itself only."))
    else:
        if not can_create(user, Need):
            raise PermissionDenied(_("Your role does not allow recording needs."))
        if enterprise is not None and not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
            raise ValidationError({"enterprise": [_("Select an enterprise in your scope.")]})
        if project is not None and not Project.objects.visible_to(user).filter(pk=project.pk).exists():
            raise ValidationError({"project": [_("Select a project in your scope.")]})
    need_project_check(enterprise=enterprise, project=project)
    need = Need(
        enterprise=enterprise,
        project=project,
        visit=visit,
        source=source or "",
        category=category,
        title=(title or "").strip(),
        description=(description or "").strip(),
        urgency=urgency or Urgency.NORMAL,
        status=NeedStatus.NEW,
        created_by=user,
    )
    need_derive(need=need, user=user)
    need.full_clean(exclude=["code"])
    need._history_user = user
    need.save()
    event = need_recorded_event(need=need, user=user, contact=contact)
    event.full_clean()
    event.save()
    need_created_notify(need=need, user=user)
    return need


def need_created_notify(*, need: Need, user=None) -> None:
    """An urgent or critical new need tells the managers of its bureau at once (DESIGN §11.3); normal ones wait
    for the daily digest of ``need_digest_send``. Once per need and manager (``dedupe_key``)."""
    if need.urgency == Urgency.NORMAL:
        return
    text = _fmt(
        gettext_noop("New %(urgency)s need %(code)s “%(title)s” of %(enterprise)s awaits acceptance."),
        urgency=_label(Urgency, need.urgency),
        code=need.code,
        title=need.title,
        enterprise=str(need.enterprise or need.project or ""),
    )
    notifications_send_many(
        notices=[
            Notice(recipient=m, kind=NotificationKind.NEW_NEED, text=text, need=need, dedupe_key=f"need:{need.pk}:new")
            for m in _bureau_users(need.bureau_id, Role.MANAGER)
            if user is None or m.pk != user.pk
        ]
    )


def need_digest_send(*, today: dt.date | None = None) -> int:
    """The managers' daily digest: one notice per manager listing the normal needs created yesterday (or since
    the last digest day) that are still new. Idempotent per manager and day."""
    today = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    needs = list(
        Need.objects.filter(
            status=NeedStatus.NEW, urgency=Urgency.NORMAL, created_at__gte=since, created_at__lt=until
        ).only("id", "code", "title", "bureau_id")
    )
    if not needs:
        return 0
    by_bureau = defaultdict(list)
    for need in needs:
        by_bureau[need.bureau_id].append(need)
    notices = []
    for manager in User.objects.filter(bureau_id__in=by_bureau, is_active=True, groups__name=Role.MANAGER).distinct():
        mine = by_bureau[manager.bureau_id]
        text = _fmt(
            gettext_noop("%(count)d new need(s) await acceptance: %(codes)s"),
            count=len(mine),
            codes="、".join(n.code for n in mine[:20]) + ("…" if len(mine) > 20 else ""),
        )
        notices.append(
            Notice(
                recipient=manager,
                kind=NotificationKind.NEED_DIGEST,
                text=text,
                need=mine[0] if len(mine) == 1 else None,
                dedupe_key=f"need-digest:{today.isoformat()}",
            )
        )
    return len(notifications_send_many(notices=notices))


@transaction.atomic
def need_update(*, need: Need, user, version=None, **fields) -> Need:
    """Edit the descriptive fields of a need: managers always, its author while it is new or accepted."""
    unknown = set(fields) - set(NEED_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    is_author = need.created_by_id == user.pk and need.status in (NeedStatus.NEW, NeedStatus.ACCEPTED)
    if not (manages_need(user, need) or is_author):
        raise PermissionDenied(_("Your role does not allow editing this need."))
    locked = Need.objects.select_for_update().get(pk=need.pk)
    if version not in (None, "") and locked.version != _version(version):
        raise TransitionConflict(
            _("This need was changed by someone else meanwhile (version %(current)d, not %(given)d). Reload it.")
            % {"current": locked.version, "given": _version(version)}
        )
    if "enterprise" in fields and fields["enterprise"] is not None:
        if not Enterprise.objects.visible_to(user).filter(pk=fields["enterprise"].pk).exists():
            raise ValidationError({"enterprise": [_("Select an enterprise in your scope.")]})
    if "project" in fields and fields["project"] is not None:
        if not Project.objects.visible_to(user).filter(pk=fields["project"].pk).exists():
            raise ValidationError({"project": [_("Select a project in your scope.")]})
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if "enterprise" in fields or "project" in fields:
        need_project_check(enterprise=locked.enterprise, project=locked.project)
    return _save(locked, user=user)


# ---------------------------------------------------------------------------------------------- transitions


@transaction.atomic
def need_accept(
    *,
    need: Need,
    user,
    version,
    text: str = "",
    lead_department=None,
    assisting_departments=(),
    handler=None,
    due_on=None,
) -> Need:
    """Accept a new need; with a ``lead_department`` also assign it in the same transaction (受理并交办: two
    events, accepted then assigned). Nothing is written when the assign fields are invalid."""
    _check_role(user=user, need=need, verb="accept")
    need = _lock(need=need, version=version, verb="accept")
    data = _parse(
        "accept",
        need=need,
        user=user,
        text=text,
        lead_department=lead_department,
        assisting_departments=assisting_departments,
        handler=handler,
        due_on=due_on,
    )
    from_status = need.status
    need.status = NeedStatus.ACCEPTED
    need.accepted_at = need.accepted_at or timezone.now()  # 签收: the first acceptance counts (及时受理率)
    _save(need, user=user)
    assigning = data["lead_department"] is not None
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.STATUS,
        from_status=from_status,
        to_status=need.status,
        text="" if assigning else data["text"],
    )
    if assigning:
        need = need_assign(
            need=need,
            user=user,
            version=need.version,
            lead_department=data["lead_department"].pk,
            assisting_departments=[d.pk for d in data["assisting_departments"]],
            handler=data["handler"].pk if data["handler"] else None,
            due_on=data["due_on"],
            text=data["text"],
        )
    return need


@transaction.atomic
def need_reject(*, need: Need, user, version, reason: str = "") -> Need:
    _check_role(user=user, need=need, verb="reject")
    need = _lock(need=need, version=version, verb="reject")
    reason = _parse("reject", need=need, user=user, reason=reason)["reason"]
    from_status = need.status
    need.status = NeedStatus.REJECTED
    _save(need, user=user)
    _event(need=need, user=user, kind=NeedEventKind.STATUS, from_status=from_status, to_status=need.status, text=reason)
    if need.created_by_id and need.created_by_id != user.pk:
        _notify(
            [need.created_by],
            kind=NotificationKind.STATUS,
            need=need,
            text=_fmt(
                gettext_noop("Need %(code)s “%(title)s” was rejected: %(reason)s"),
                code=need.code,
                title=need.title,
                reason=reason,
            ),
        )
    return need


@transaction.atomic
def need_assign(
    *,
    need: Need,
    user,
    version,
    lead_department=None,
    assisting_departments=(),
    handler=None,
    due_on=None,
    text: str = "",
) -> Need:
    """Hand the need to a lead department (主办), optional assisting ones (协办), a handler and a deadline."""
    _check_role(user=user, need=need, verb="assign")
    need = _lock(need=need, version=version, verb="assign")
    data = _parse(
        "assign",
        need=need,
        user=user,
        lead_department=lead_department,
        assisting_departments=assisting_departments,
        handler=handler,
        due_on=due_on,
        text=text,
    )
    lead, handler, due, text = data["lead_department"], data["handler"], data["due_on"], data["text"]
    assisting = [d for d in data["assisting_departments"] if d.pk != lead.pk]
    today = timezone.localdate()

    fresh = need.status == NeedStatus.ACCEPTED or need.assigned_at is None
    if fresh:
        need.assigned_at = timezone.now()
    # The deadline runs from the need's arrival (DESIGN §11.4); a need without one (an old record) gets the
    # table's from today. A given date is at most the current deadline (AssignInput).
    if due is None and need.due_on is None:
        due = default_due_on(category=need.category, urgency=need.urgency, start=today)
    if due is not None:
        need.due_on = due
    if need.original_due_on is None:
        need.original_due_on = need.due_on
    previous_handler_id = need.handler_id
    from_status = need.status
    need.lead_department = lead
    need.handler = handler
    need.status = NeedStatus.ASSIGNED
    _save(need, user=user)
    need.assisting_departments.set(assisting)

    summary = _fmt(
        gettext_noop("Lead department: %(lead)s; assisting: %(assisting)s; handler: %(handler)s; due on: %(due)s."),
        lead=lead.name,
        assisting="、".join(d.name for d in assisting) or "—",
        handler=_user_label(handler) or "—",
        due=need.due_on.isoformat() if need.due_on else "—",
    )
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.ASSIGNMENT,
        from_status=from_status,
        to_status=need.status,
        text=f"{summary}\n{text}" if text else summary,
    )
    notice = _fmt(
        gettext_noop("Need %(code)s “%(title)s” was assigned to you; due on %(due)s."),
        code=need.code,
        title=need.title,
        due=need.due_on.isoformat() if need.due_on else "—",
    )
    if handler is not None:
        if handler.pk != previous_handler_id or from_status == NeedStatus.ACCEPTED:
            _notify([handler], exclude=user, kind=NotificationKind.ASSIGNED, text=notice, need=need)
    else:
        _notify(lead.users.filter(is_active=True), exclude=user, kind=NotificationKind.ASSIGNED, text=notice, need=need)
    return need


@transaction.atomic
def need_start(*, need: Need, user, version, text: str = "") -> Need:
    _check_role(user=user, need=need, verb="start")
    need = _lock(need=need, version=version, verb="start")
    text = _parse("start", need=need, user=user, text=text)["text"]
    from_status = need.status
    need.status = NeedStatus.IN_PROGRESS
    if need.handler_id is None and _is_handler(user, need):
        need.handler = user
    _save(need, user=user)
    _event(need=need, user=user, kind=NeedEventKind.STATUS, from_status=from_status, to_status=need.status, text=text)
    return need


@transaction.atomic
def need_answer(*, need: Need, user, version, resolution: str = "") -> Need:
    _check_role(user=user, need=need, verb="answer")
    need = _lock(need=need, version=version, verb="answer")
    resolution = _parse("answer", need=need, user=user, resolution=resolution)["resolution"]
    from_status = need.status
    need.status = NeedStatus.ANSWERED
    need.resolution = resolution
    need.answered_at = timezone.now()
    _save(need, user=user)
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.STATUS,
        from_status=from_status,
        to_status=need.status,
        text=resolution,
    )
    if need.created_by_id:
        _notify(
            [need.created_by],
            exclude=user,
            kind=NotificationKind.STATUS,
            need=need,
            text=_fmt(
                gettext_noop("Need %(code)s “%(title)s” was answered; please make the return visit."),
                code=need.code,
                title=need.title,
            ),
        )
    enterprise_sms_notify(
        enterprise=need.enterprise_id,
        text=_fmt(
            gettext_noop("Your need %(code)s “%(title)s” has been answered; see and rate it on your service page."),
            code=need.code,
            title=need.title,
        ),
    )
    return need


@transaction.atomic
def need_return_visit(
    *, need: Need, user, version, satisfaction: str = "", text: str = "", contact: Contact | None = None
) -> Need:
    """Record the enterprise's rating: satisfied closes the need, unsatisfied sends it back to in progress.

    ``contact``: the enterprise rates on its own page (DESIGN §11.5), ``user`` None; the rating is marked as the
    enterprise's own (``rated_by_enterprise``) and the event names the contact.
    """
    if contact is None:
        _check_role(user=user, need=need, verb="return-visit")
    elif user is not None or need.enterprise_id != contact.enterprise_id:
        raise TransitionForbidden(_("An enterprise rates its own needs only."))
    need = _lock(need=need, version=version, verb="return-visit")
    data = _parse("return-visit", need=need, user=user, satisfaction=satisfaction, text=text)
    satisfaction, text = data["satisfaction"], data["text"]
    from_status = need.status
    need.satisfaction = satisfaction
    need.rated_by_enterprise = contact is not None
    if satisfaction == Satisfaction.UNSATISFIED:
        need.status = NeedStatus.IN_PROGRESS
        need.closed_at = None
    else:
        need.status = NeedStatus.CLOSED
        need.closed_at = timezone.now()
    _save(need, user=user)
    rating = _label(Satisfaction, satisfaction)
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.RETURN_VISIT,
        from_status=from_status,
        to_status=need.status,
        text=f"{rating}\n{text}" if text else rating,
        contact=contact,
    )
    if need.status == NeedStatus.IN_PROGRESS:
        recipients = [need.handler] if need.handler_id else _bureau_users(need.bureau_id, Role.MANAGER)
        _notify(
            recipients,
            exclude=user,
            kind=NotificationKind.STATUS,
            need=need,
            text=_fmt(
                gettext_noop("The enterprise is not satisfied with need %(code)s “%(title)s”; it is back in progress."),
                code=need.code,
                title=need.title,
            ),
        )
    return need


@transaction.atomic
def need_reopen(*, need: Need, user, version, reason: str = "") -> Need:
    """Open a closed or rejected need again; it goes back to accepted and waits for a new assignment."""
    _check_role(user=user, need=need, verb="reopen")
    need = _lock(need=need, version=version, verb="reopen")
    reason = _parse("reopen", need=need, user=user, reason=reason)["reason"]
    from_status = need.status
    need.status = NeedStatus.ACCEPTED
    need.closed_at = None
    need.satisfaction = ""
    need.rated_by_enterprise = False
    need.due_on = None
    need.assigned_at = None
    _save(need, user=user)
    _event(need=need, user=user, kind=NeedEventKind.STATUS, from_status=from_status, to_status=need.status, text=reason)
    return need


@transaction.atomic
def need_transfer(*, need: Need, user, version, bureau=None, text: str = "") -> Need:
    """Hand the need to another bureau (转办): it starts again as new there; both bureaus keep seeing it."""
    _check_role(user=user, need=need, verb="transfer")
    need = _lock(need=need, version=version, verb="transfer")
    data = _parse("transfer", need=need, user=user, bureau=bureau, text=text)
    target, text = data["bureau"], data["text"]
    source_bureau = need.bureau
    from_status = need.status
    need.bureau = target
    need.status = NeedStatus.NEW
    need.lead_department = None
    need.handler = None
    need.due_on = None
    need.assigned_at = None
    _save(need, user=user)
    need.assisting_departments.clear()
    summary = _fmt(
        gettext_noop("Transferred from %(source)s to %(target)s."), source=source_bureau.name, target=target.name
    )
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.TRANSFER,
        from_status=from_status,
        to_status=need.status,
        text=f"{summary}\n{text}" if text else summary,
    )
    _notify(
        _bureau_users(target.pk, Role.MANAGER),
        exclude=user,
        kind=NotificationKind.TRANSFER,
        need=need,
        text=_fmt(
            gettext_noop("Need %(code)s “%(title)s” was transferred to your bureau by %(source)s."),
            code=need.code,
            title=need.title,
            source=source_bureau.name,
        ),
    )
    return need


@transaction.atomic
def need_extend(*, need: Need, user, version, due_on=None, reason: str = "") -> ExtensionRequest:
    """Ask for a later deadline (延期申请, DESIGN §11.4): a pending ``ExtensionRequest`` that a manager decides
    (a leader when the requester manages the need). The need itself does not change until then.

    The table's limits (``max_extensions`` approved extensions, ``max_extension_days`` working days added) and
    one pending request per need are checked here (400 naming the limit); the deciders are notified.
    """
    _check_role(user=user, need=need, verb="extend")
    need = _lock(need=need, version=version, verb="extend")
    data = _parse("extend", need=need, user=user, due_on=due_on, reason=reason)
    due, reason = data["due_on"], data["reason"]
    if need.extension_requests.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(
            {"due_on": [_("This need already has a pending extension request; wait for the decision.")]}
        )
    limits = TimeLimits().for_need(category=need.category, urgency=need.urgency)
    approved = need.extension_requests.filter(status=ExtensionStatus.APPROVED).count()
    if approved >= limits.max_extensions:
        raise ValidationError(
            {
                "due_on": [
                    _(
                        "This need has been extended %(used)d time(s); the time limit allows %(max)d "
                        "(maximum extensions, max_extensions)."
                    )
                    % {"used": approved, "max": limits.max_extensions}
                ]
            }
        )
    floor = need.due_on or timezone.localdate()
    added = WorkCalendar.for_range(start=floor, end=due).between(start=floor, end=due)
    if added > limits.max_extension_days:
        raise ValidationError(
            {
                "due_on": [
                    _(
                        "An extension may add at most %(max)d working days (maximum working days of an extension, "
                        "max_extension_days); %(date)s adds %(days)d."
                    )
                    % {"max": limits.max_extension_days, "date": due.isoformat(), "days": added}
                ]
            }
        )
    request = ExtensionRequest(
        need=need, requested_due_on=due, reason=reason, requested_by=user, previous_due_on=need.due_on
    )
    request.full_clean()
    request._history_user = user
    request.save()
    _event(
        need=need,
        user=user,
        kind=NeedEventKind.NOTE,
        text=_fmt(
            gettext_noop("Extension requested from %(old)s to %(new)s: %(reason)s"),
            old=need.due_on.isoformat() if need.due_on else "—",
            new=due.isoformat(),
            reason=reason,
        ),
    )
    _notify(
        extension_deciders(request=request),
        exclude=user,
        kind=NotificationKind.EXTENSION,
        need=need,
        text=_fmt(
            gettext_noop("%(author)s asks to extend need %(code)s “%(title)s” to %(new)s: %(reason)s"),
            author=str(user),
            code=need.code,
            title=need.title,
            new=due.isoformat(),
            reason=reason[:200],
        ),
    )
    return request


def _requested_by_manager(request: ExtensionRequest) -> bool:
    return request.requested_by is not None and manages_need(request.requested_by, request.need)


def extension_deciders(*, request: ExtensionRequest):
    """Who decides: the managers of the need's bureau; for a request of one of them, the bureau's leaders."""
    role = Role.LEADER if _requested_by_manager(request) else Role.MANAGER
    return _bureau_users(request.need.bureau_id, role).exclude(pk=request.requested_by_id)


def extension_may_decide(*, user, request: ExtensionRequest) -> bool:
    """Not the requester; a manager of the need, or a leader (in scope) when a manager asked."""
    if not user.is_authenticated or user.pk == request.requested_by_id:
        return False
    if _requested_by_manager(request):
        return is_leader(user) and (user.sees_everything or user.bureau_id == request.need.bureau_id)
    return manages_need(user, request.need)


def _extension_decide(*, request: ExtensionRequest, user, status: str, note: str) -> ExtensionRequest:
    need = request.need
    if request.requested_by_id == user.pk:
        raise TransitionForbidden(_("You cannot decide your own extension request."))
    if not extension_may_decide(user=user, request=request):
        if _requested_by_manager(request):
            raise TransitionForbidden(_("A manager's own extension request is decided by a leader."))
        raise TransitionForbidden(_("Only a manager of the need's bureau decides its extension requests."))
    form = ExtensionDecisionInput({"note": note})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    note = form.cleaned_data["note"]
    if status == ExtensionStatus.REFUSED and not note:
        raise ValidationError({"note": [_("Give the reason for refusing the extension.")]})
    locked = Need.objects.select_for_update().get(pk=need.pk)
    # Exactly one decision wins: the row changes only while it is still pending.
    decided = ExtensionRequest.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
        status=status, decided_by=user, decided_at=timezone.now(), decision_note=note
    )
    if not decided:
        raise TransitionConflict(_("This extension request has been decided already. Reload the page."))
    request.refresh_from_db()
    if status == ExtensionStatus.APPROVED:
        if locked.status not in TRANSITIONS["extend"].sources:
            raise TransitionConflict(
                _("A need with status “%(status)s” cannot be changed this way.")
                % {"status": locked.get_status_display()}
            )
        old = locked.due_on
        locked.due_on = request.requested_due_on
        if locked.original_due_on is None:
            locked.original_due_on = old or request.requested_due_on
        _save(locked, user=user)
        text = _fmt(
            gettext_noop("Deadline moved from %(old)s to %(new)s (extension approved by %(decider)s): %(reason)s"),
            old=old.isoformat() if old else "—",
            new=request.requested_due_on.isoformat(),
            decider=str(user),
            reason=request.reason,
        )
        _event(
            need=locked,
            user=user,
            kind=NeedEventKind.EXTENSION,
            from_status=locked.status,
            to_status=locked.status,
            text=f"{text}\n{note}" if note else text,
        )
        message = gettext_noop("Your extension of need %(code)s to %(new)s was approved by %(decider)s.")
    else:
        _event(
            need=locked,
            user=user,
            kind=NeedEventKind.NOTE,
            text=_fmt(
                gettext_noop("Extension to %(new)s refused by %(decider)s: %(note)s"),
                new=request.requested_due_on.isoformat(),
                decider=str(user),
                note=note,
            ),
        )
        message = gettext_noop("Your extension of need %(code)s to %(new)s was refused by %(decider)s.")
    text = _fmt(message, code=locked.code, new=request.requested_due_on.isoformat(), decider=str(user))
    _notify([request.requested_by], exclude=user, kind=NotificationKind.EXTENSION, need=locked, text=text)
    # The other deciders learn that the request is settled (it leaves their pending list).
    _notify(extension_deciders(request=request), exclude=user, kind=NotificationKind.EXTENSION, need=locked, text=text)
    return request


class ExtensionDecisionInput(forms.Form):
    """The decider's note: optional for an approval, the reason for a refusal."""

    note = TextField(label=gettext_lazy("Note"), max_length=2000)


@transaction.atomic
def extension_request_approve(*, request: ExtensionRequest, user, note: str = "") -> ExtensionRequest:
    """Approve: the need's ``due_on`` moves to the requested date (``original_due_on`` stays), an ``extension``
    event is written; 403 for the requester or a non-decider, 409 when already decided."""
    return _extension_decide(request=request, user=user, status=ExtensionStatus.APPROVED, note=note)


@transaction.atomic
def extension_request_refuse(*, request: ExtensionRequest, user, note: str = "") -> ExtensionRequest:
    """Refuse with a reason: a note event on the need, the deadline unchanged."""
    return _extension_decide(request=request, user=user, status=ExtensionStatus.REFUSED, note=note)


TRANSITION_SERVICES = {
    "accept": need_accept,
    "reject": need_reject,
    "assign": need_assign,
    "start": need_start,
    "answer": need_answer,
    "return-visit": need_return_visit,
    "reopen": need_reopen,
    "transfer": need_transfer,
    "extend": need_extend,
}


def transition_data(*, verb: str, data, prefix: str = "") -> dict:
    """The verb's fields (``version`` aside) found in request data: a QueryDict (a web form, with the form's
    ``prefix``; several values for a multiple choice) or a dict (a JSON body). Absent fields are left out."""
    fields = {}
    for name, field in TRANSITIONS[verb].input.base_fields.items():
        key = f"{prefix}-{name}" if prefix else name
        if key in data:
            fields[name] = field.widget.value_from_datadict(data, {}, key)
    return fields


def need_transition(*, need: Need, user, verb: str, version, **fields) -> Need:
    """Dispatch a verb of §4.1 with the fields it takes (others are ignored)."""
    if verb not in TRANSITION_SERVICES:
        raise ValidationError({"verb": [_("Unknown action.")]})
    kwargs = {name: fields[name] for name in TRANSITIONS[verb].input.base_fields if name in fields}
    return TRANSITION_SERVICES[verb](need=need, user=user, version=version, **kwargs)


# ---------------------------------------------------------------------------------------------- follow-ups

EVENT_KINDS_ADDABLE = (NeedEventKind.NOTE, NeedEventKind.INSTRUCTION)


class NeedEventInput(forms.Form):
    """A follow-up: its kind (a note, or a leader's instruction) and its text. The web form narrows the kinds
    to those the user may add; the service checks the role itself (403)."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(kind.value, kind.label) for kind in EVENT_KINDS_ADDABLE],
        error_messages={"invalid_choice": gettext_lazy("Choose “note” or “instruction”.")},
    )
    text = TextField(
        label=gettext_lazy("Text"),
        required=True,
        error_messages={"required": gettext_lazy("Write the text of the follow-up.")},
    )


@transaction.atomic
def need_event_add(*, need: Need, user, kind: str, text: str) -> NeedEvent:
    """A follow-up note (anyone in scope) or a leader's instruction (批示); the handler is told."""
    if kind not in EVENT_KINDS_ADDABLE:
        raise ValidationError({"kind": [_("Choose “note” or “instruction”.")]})
    if kind == NeedEventKind.INSTRUCTION and not need_may_instruct(user=user):
        raise PermissionDenied(_("Only leaders give instructions."))
    form = NeedEventInput({"kind": kind, "text": text})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    text = form.cleaned_data["text"]
    event = _event(need=need, user=user, kind=kind, text=text)
    if kind == NeedEventKind.INSTRUCTION:
        message = gettext_noop("%(author)s gave an instruction on need %(code)s: %(text)s")
        notice_kind = NotificationKind.INSTRUCTION
    else:
        message = gettext_noop("%(author)s added a follow-up note to need %(code)s: %(text)s")
        notice_kind = NotificationKind.NOTE
    if need.handler_id:
        recipients = [need.handler]
    elif need.lead_department_id:
        recipients = list(need.lead_department.users.filter(is_active=True))
    else:
        recipients = list(_bureau_users(need.bureau_id, Role.MANAGER))
    _notify(
        recipients,
        exclude=user,
        kind=notice_kind,
        need=need,
        text=_fmt(message, author=str(user), code=need.code, text=text[:300]),
    )
    return event


# ---------------------------------------------------------------------------------------------- reminders


def need_reminders_send(*, today: dt.date | None = None) -> int:
    """Raise the escalation notices of §4.1 for every open need; returns how many notices were created.

    warning (80 % of the working days used) and overdue go to the handler (else the lead department, else
    the bureau's managers); overdue also to the bureau's managers; supervision (5 working days past the
    deadline) also to the liaison leader of the enterprise or project, else to the bureau's leaders.
    One notice per need, level, deadline and recipient (``dedupe_key``), so running twice adds nothing.
    """
    today = today or timezone.localdate()
    needs = list(
        Need.objects.filter(status__in=OPEN_NEED_STATUSES, due_on__isnull=False)
        .select_related("handler", "enterprise__liaison_leader", "project__liaison_leader")
        .defer("description", "resolution")
    )
    if not needs:
        return 0
    earliest = min(timezone.localtime(n.assigned_at or n.created_at).date() for n in needs)
    calendar = WorkCalendar.for_range(start=min(earliest, today), end=max(max(n.due_on for n in needs), today))

    escalated = [(n, need_escalation(n, today=today, calendar=calendar)) for n in needs]
    escalated = [(n, level) for n, level in escalated if level]
    if not escalated:
        return 0
    bureau_ids = {n.bureau_id for n, _level in escalated}
    department_ids = {n.lead_department_id for n, _level in escalated if n.lead_department_id}
    managers, leaders, members = defaultdict(list), defaultdict(list), defaultdict(list)
    for user in User.objects.filter(bureau_id__in=bureau_ids, is_active=True, groups__name=Role.MANAGER).distinct():
        managers[user.bureau_id].append(user)
    for user in User.objects.filter(bureau_id__in=bureau_ids, is_active=True, groups__name=Role.LEADER).distinct():
        leaders[user.bureau_id].append(user)
    for user in User.objects.filter(department_id__in=department_ids, is_active=True):
        members[user.department_id].append(user)

    with override(settings.LANGUAGE_CODE):
        texts = {
            NotificationKind.WARNING: _("Need %(code)s “%(title)s” is due on %(due)s."),
            NotificationKind.OVERDUE: _("Need %(code)s “%(title)s” is overdue: it was due on %(due)s."),
            NotificationKind.SUPERVISION: _("Need %(code)s “%(title)s” is under supervision: it was due on %(due)s."),
        }
    notices = []
    for need, level in escalated:
        if need.handler_id and need.handler.is_active:
            recipients = [need.handler]
        elif need.lead_department_id and members[need.lead_department_id]:
            recipients = list(members[need.lead_department_id])
        else:
            recipients = list(managers[need.bureau_id])
        if level in (NotificationKind.OVERDUE, NotificationKind.SUPERVISION):
            recipients += managers[need.bureau_id]
        if level == NotificationKind.SUPERVISION:
            leader = (need.enterprise.liaison_leader if need.enterprise_id else None) or (
                need.project.liaison_leader if need.project_id else None
            )
            recipients += [leader] if leader is not None and leader.is_active else leaders[need.bureau_id]
        text = texts[level] % {"code": need.code, "title": need.title, "due": need.due_on.isoformat()}
        key = f"need:{need.pk}:{level}:{need.due_on.isoformat()}"
        seen = set()
        for recipient in recipients:
            if recipient.pk in seen:
                continue
            seen.add(recipient.pk)
            notices.append(Notice(recipient=recipient, kind=level, text=text, need=need, dedupe_key=key))
    return len(notifications_send_many(notices=notices))


def need_acceptance_reminders_send(*, today: dt.date | None = None) -> int:
    """Escalate the needs still new after their ``accept_due_on`` (DESIGN §11.4), like overdue ones.

    The day after the acceptance deadline a warning goes to the managers of the need's bureau; from
    ``SUPERVISION_AFTER_DAYS`` working days after it, supervision (督办) to those managers and the liaison leader
    of the enterprise or project, else the bureau's leaders. One notice per need, level, deadline and recipient.
    """
    today = today or timezone.localdate()
    needs = list(
        Need.objects.filter(status=NeedStatus.NEW, accept_due_on__lt=today)
        .select_related("enterprise__liaison_leader", "project__liaison_leader")
        .defer("description", "resolution")
    )
    if not needs:
        return 0
    calendar = WorkCalendar.for_range(start=min(n.accept_due_on for n in needs), end=today)
    bureau_ids = {n.bureau_id for n in needs}
    managers, leaders = defaultdict(list), defaultdict(list)
    for user in User.objects.filter(bureau_id__in=bureau_ids, is_active=True, groups__name=Role.MANAGER).distinct():
        managers[user.bureau_id].append(user)
    for user in User.objects.filter(bureau_id__in=bureau_ids, is_active=True, groups__name=Role.LEADER).distinct():
        leaders[user.bureau_id].append(user)
    with override(settings.LANGUAGE_CODE):
        texts = {
            NotificationKind.WARNING: _(
                "Need %(code)s “%(title)s” is not accepted yet: it was to be accepted by %(due)s."
            ),
            NotificationKind.SUPERVISION: _(
                "Need %(code)s “%(title)s” is under supervision: not accepted, it was to be accepted by %(due)s."
            ),
        }
    notices = []
    for need in needs:
        late = calendar.between(start=need.accept_due_on, end=today)
        level = NotificationKind.SUPERVISION if late >= SUPERVISION_AFTER_DAYS else NotificationKind.WARNING
        recipients = list(managers[need.bureau_id])
        if level == NotificationKind.SUPERVISION:
            leader = (need.enterprise.liaison_leader if need.enterprise_id else None) or (
                need.project.liaison_leader if need.project_id else None
            )
            recipients += [leader] if leader is not None and leader.is_active else leaders[need.bureau_id]
        text = texts[level] % {"code": need.code, "title": need.title, "due": need.accept_due_on.isoformat()}
        key = f"need:{need.pk}:accept-{level}:{need.accept_due_on.isoformat()}"
        for recipient in {r.pk: r for r in recipients}.values():
            notices.append(Notice(recipient=recipient, kind=level, text=text, need=need, dedupe_key=key))
    return len(notifications_send_many(notices=notices))
