"""Writes of the policy library and of policy matches: create/update, push (idempotent), outcome tracking.

Keyword-only functions, one transaction each, ``full_clean()`` before saving. ``data`` holds validated values
keyed by model field name, with model instances (or codes) for relations. Reads and ranking live in
``crm/selectors/matching.py``.

Errors: ``PermissionDenied`` (403) for a role that may not write; ``ValidationError`` (400) for bad input;
``MatchStatusConflict`` (409) for a status change the match's current status does not allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from simple_history.utils import bulk_create_with_history

from crm.choices import MatchStatus, NeedStatus, PolicyDelivery
from crm.models import Contact, Enterprise, Need, Policy, PolicyMatch, User
from crm.permissions import can_create, can_delete, can_edit, is_manager
from crm.selectors.matching import TOLD_STATUSES, enterprise_eligibility_q, explain_pairs, need_enterprise
from crm.services.errors import TransitionConflict
from crm.sms import enterprises_sms_notify

POLICY_M2M = ("regions", "industry_chains", "required_qualifications")

# The outcome path of a match: pushed → applying → granted / not granted / declined. A 免申即享 policy needs no
# application, so a pushed match of one may be granted directly. Final statuses change no more.
MATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    MatchStatus.SUGGESTED: frozenset({MatchStatus.PUSHED, MatchStatus.DECLINED}),
    MatchStatus.PUSHED: frozenset({MatchStatus.APPLYING, MatchStatus.DECLINED}),
    MatchStatus.APPLYING: frozenset({MatchStatus.GRANTED, MatchStatus.NOT_GRANTED, MatchStatus.DECLINED}),
    MatchStatus.GRANTED: frozenset(),
    MatchStatus.NOT_GRANTED: frozenset(),
    MatchStatus.DECLINED: frozenset(),
}


class MatchStatusConflict(TransitionConflict):
    """The match's current status does not allow the requested one (HTTP 409)."""


def match_next_statuses(match: PolicyMatch) -> list[str]:
    """The statuses a match may move to now, in the order of ``MatchStatus``."""
    allowed = set(MATCH_TRANSITIONS.get(match.status, ()))
    if match.status == MatchStatus.PUSHED and match.policy.delivery == PolicyDelivery.NO_APPLICATION:
        allowed.add(MatchStatus.GRANTED)
    return [s for s in MatchStatus.values if s in allowed]


# ---------------------------------------------------------------------------------------------------------
# The policy library
# ---------------------------------------------------------------------------------------------------------


def _split(data: Mapping[str, Any]) -> tuple[dict, dict]:
    plain = {k: v for k, v in data.items() if k not in POLICY_M2M}
    related = {k: list(data[k]) for k in POLICY_M2M if k in data and data[k] is not None}
    return plain, related


def _require_manager(user: User, message: str) -> None:
    if not is_manager(user):
        raise PermissionDenied(message)


def policy_derive(*, policy: Policy) -> None:
    """Normalise what every way in stores alike: keywords separated by single blanks, categories a list."""
    if isinstance(policy.keywords, str):
        policy.keywords = " ".join(policy.keywords.split())
    if policy.need_categories is None:
        policy.need_categories = []


def policy_edit_check(*, user: User | None, policy: Policy) -> None:
    """403 unless ``user`` may change this policy: a county bureau keeps only the policies it entered."""
    if user is not None and not can_edit(user, policy):
        raise PermissionDenied(_("Only managers keep the policy library."))


def _save_policy(policy: Policy, plain: Mapping[str, Any], related: Mapping[str, Any]) -> Policy:
    for name, value in plain.items():
        setattr(policy, name, value)
    policy_derive(policy=policy)
    policy.full_clean()
    policy.save()
    for name, values in related.items():
        getattr(policy, name).set(values)
    return policy


def policy_department_check(*, user: User | None, department) -> None:
    """As on the web form: a county user names its own bureau's departments (``departments_kept_q``)."""
    if department is not None and user is not None and not department.kept_by(user):
        raise ValidationError({"department": _("Choose a department of your own bureau.")})


@transaction.atomic
def policy_create(*, user: User, data: Mapping[str, Any]) -> Policy:
    """Add a policy to the library (managers). Contradictory criteria are refused naming the field."""
    if not can_create(user, Policy):
        raise PermissionDenied(_("Only managers keep the policy library."))
    policy_department_check(user=user, department=data.get("department"))
    plain, related = _split(data)
    return _save_policy(Policy(created_by=user), plain, related)


@transaction.atomic
def policy_update(*, user: User, policy: Policy, data: Mapping[str, Any]) -> Policy:
    """Change a policy (managers); relations given in ``data`` replace the current ones."""
    policy_edit_check(user=user, policy=policy)
    if "department" in data and getattr(data["department"], "pk", None) != policy.department_id:
        policy_department_check(user=user, department=data["department"])
    plain, related = _split(data)
    return _save_policy(policy, plain, related)


@transaction.atomic
def policy_delete(*, user: User, policy: Policy) -> None:
    """Delete a policy nobody has been matched with; otherwise it must be deactivated, keeping the record."""
    if not can_delete(user, policy):
        raise PermissionDenied(_("Only managers keep the policy library."))
    if policy.matches.exists():
        raise ValidationError(_("This policy has been matched with enterprises; deactivate it instead of deleting."))
    policy.delete()


# ---------------------------------------------------------------------------------------------------------
# Push
# ---------------------------------------------------------------------------------------------------------


@dataclass
class PushResult:
    """What a push did: new matches, suggestions turned into pushes, and pairs told already (unchanged)."""

    created: list[PolicyMatch] = field(default_factory=list)
    pushed: list[PolicyMatch] = field(default_factory=list)
    unchanged: list[PolicyMatch] = field(default_factory=list)

    @property
    def matches(self) -> list[PolicyMatch]:
        return sorted(self.created + self.pushed + self.unchanged, key=lambda m: m.pk)


def _enterprise_ids(enterprises: Iterable[Enterprise | int | str]) -> list[int]:
    ids: list[int] = []
    bad: list[str] = []
    for item in enterprises:
        value = getattr(item, "pk", item)
        try:
            pk = int(value)
        except (TypeError, ValueError):
            bad.append(str(value))
            continue
        if pk <= 0:
            bad.append(str(value))
        elif pk not in ids:
            ids.append(pk)
    if bad:
        raise ValidationError({"enterprises": _("Not an enterprise id: %(values)s.") % {"values": ", ".join(bad)}})
    return ids


# A need in one of these statuses is settled (办结 after the rating, or 不予受理): nothing more is pushed for it.
# Reopening it (``reopen``) makes it pushable again.
NEED_PUSH_CLOSED_STATUSES = frozenset({NeedStatus.CLOSED, NeedStatus.REJECTED})


def need_push_refusal(*, need: Need) -> str | None:
    """Why no policy may be pushed for ``need`` now (a message for the user), or None when it may.

    The one rule the push service applies and the pages ask before offering a 推送 button.
    """
    if need.status in NEED_PUSH_CLOSED_STATUSES:
        return _("This need is %(status)s: policies are no longer pushed for it; reopen it first if needed.") % {
            "status": need.get_status_display()
        }
    return None


@transaction.atomic
def policy_push(
    *,
    user: User,
    policy: Policy,
    enterprises: Iterable[Enterprise | int],
    need: Need | None = None,
    note: str = "",
) -> PushResult:
    """Push ``policy`` to enterprises (managers), all or nothing; idempotent for pairs told already.

    Each enterprise must be in the user's scope and eligible (the same database condition as the eligible
    list); a need, when given, must be the enterprise's. A pair without a match gets a new ``pushed`` match
    with the score and reasons of the moment; a ``suggested`` match becomes ``pushed``; a pair told already
    (pushed or further) is left unchanged, so pressing the button twice changes nothing. Nothing is pushed for
    a settled need (``need_push_refusal``).
    """
    _require_manager(user, _("Only managers push policies."))
    today = timezone.localdate()
    if not policy.is_active:
        raise ValidationError(_("This policy is no longer active."))
    if policy.is_expired:
        raise ValidationError(
            _("The application window of this policy closed on %(date)s.") % {"date": policy.apply_until.isoformat()}
        )
    ids = _enterprise_ids(enterprises)
    if not ids:
        raise ValidationError({"enterprises": _("Choose at least one enterprise.")})
    if len(ids) > 1000:
        raise ValidationError({"enterprises": _("Push to at most 1000 enterprises at once.")})
    found = {
        e.pk: e
        for e in Enterprise.objects.visible_to(user).filter(pk__in=ids).select_related("region", "industry_chain")
    }
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            {
                "enterprises": _("These enterprises do not exist or are outside your scope: %(ids)s.")
                % {"ids": ", ".join(missing)}
            }
        )
    if need is not None:
        if refusal := need_push_refusal(need=need):
            raise ValidationError({"need": refusal})
        owner = need_enterprise(need)
        if owner is None or ids != [owner.pk]:
            raise ValidationError({"need": _("A push for a need goes to the need's own enterprise only.")})
        if not Need.objects.visible_to(user).filter(pk=need.pk).exists():
            raise ValidationError({"need": _("This need does not exist or is outside your scope.")})
    eligible = set(
        Enterprise.objects.filter(pk__in=ids)
        .filter(enterprise_eligibility_q(policy, today=today))
        .values_list("pk", flat=True)
    )
    enterprises_list = [found[pk] for pk in ids]
    # Stored reasons are written in the site language, whatever the request's language.
    with override(settings.LANGUAGE_CODE):
        explanations = explain_pairs(policy=policy, enterprises=enterprises_list, need=need, today=today)
    problems = []
    for enterprise in enterprises_list:
        if enterprise.pk not in eligible:
            failed = "；".join(f"{r['name']}: {r['detail']}" for r in explanations[enterprise.pk].failed) or _(
                "criteria not met"
            )
            problems.append(
                _("%(enterprise)s is not eligible (%(failed)s).") % {"enterprise": enterprise.name, "failed": failed}
            )
    if problems:
        raise ValidationError({"enterprises": problems})

    existing = list(PolicyMatch.objects.select_for_update().filter(policy=policy, enterprise_id__in=ids).order_by("id"))
    result = PushResult()
    now = timezone.now()
    to_create: list[PolicyMatch] = []
    for enterprise in enterprises_list:
        rows = [m for m in existing if m.enterprise_id == enterprise.pk]
        if need is not None:
            rows = [m for m in rows if m.need_id == need.pk]
        told = [m for m in rows if m.status in TOLD_STATUSES]
        if told:
            result.unchanged.append(told[0])
            continue
        explanation = explanations[enterprise.pk]
        suggested = [m for m in rows if m.status == MatchStatus.SUGGESTED and (need is not None or m.need_id is None)]
        if suggested:
            match = suggested[0]
            match.status = MatchStatus.PUSHED
        else:
            match = PolicyMatch(policy=policy, enterprise=enterprise, need=need, created_by=user)
            match.status = MatchStatus.PUSHED
        match.score = explanation.score
        match.reasons = explanation.reasons
        match.pushed_by = user
        match.pushed_at = now
        if note:
            match.note = note
        match.full_clean(
            exclude=["policy", "enterprise", "need", "pushed_by", "created_by"], validate_constraints=False
        )
        if match.pk:
            match.save()
            result.pushed.append(match)
        else:
            to_create.append(match)
    if to_create:
        try:
            with transaction.atomic():
                result.created = bulk_create_with_history(to_create, PolicyMatch, default_user=user)
        except IntegrityError as error:
            raise MatchStatusConflict(
                _("Someone pushed this policy to the same enterprise at the same moment; reload and try again.")
            ) from error
    told = result.created + result.pushed
    if told:
        with override(settings.LANGUAGE_CODE):
            text = _("The policy “%(title)s” has been pushed to you; see it on your service page.") % {
                "title": policy.title
            }
        enterprises_sms_notify(texts={m.enterprise_id: text for m in told})
    return result


# ---------------------------------------------------------------------------------------------------------
# Outcome
# ---------------------------------------------------------------------------------------------------------


def _amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"granted_amount": _("Enter a number.")}) from error
    if not amount.is_finite():
        raise ValidationError({"granted_amount": _("Enter a number.")})
    return amount


_UNSET = object()
# What an enterprise may answer to a policy pushed to it: 有意申报 and 暂不需要.
ENTERPRISE_MATCH_ANSWERS = (MatchStatus.APPLYING, MatchStatus.DECLINED)


@transaction.atomic
def policy_match_update_status(
    *,
    user: User,
    match: PolicyMatch,
    status: str | None = None,
    granted_amount: Any = _UNSET,
    note: str | None = None,
    contact: Contact | None = None,
) -> PolicyMatch:
    """Follow a match to its outcome (managers): pushed → applying → granted (amount) / not granted / declined.

    ``status`` None or unchanged only updates the note (and the amount of a granted match). Checks the role
    (403), then the current status under a row lock (409), then the fields (400).
    ``contact``: the enterprise answers a pushed policy on its own page (DESIGN §11.5), ``user`` None: only its
    own matches, only 有意申报 (applying) or 暂不需要 (declined).
    """
    if contact is not None:
        if user is not None or match.enterprise_id != contact.enterprise_id:
            raise PermissionDenied(_("An enterprise answers its own policies only."))
        if status not in ENTERPRISE_MATCH_ANSWERS or granted_amount is not _UNSET:
            raise ValidationError({"status": _("An enterprise may only apply or decline.")})
    elif not can_edit(user, match):
        raise PermissionDenied(_("Only managers follow up policy matches."))
    locked = PolicyMatch.objects.select_for_update().select_related("policy").get(pk=match.pk)
    target = status or locked.status
    if target not in MatchStatus.values:
        raise ValidationError({"status": _("Unknown status: %(value)s.") % {"value": target}})
    if target != locked.status and target not in match_next_statuses(locked):
        raise MatchStatusConflict(
            _("A match that is %(current)s cannot become %(target)s.")
            % {"current": locked.get_status_display(), "target": MatchStatus(target).label}
        )
    amount = locked.granted_amount if granted_amount is _UNSET else _amount(granted_amount)
    if target == MatchStatus.GRANTED:
        if amount is None:
            raise ValidationError({"granted_amount": _("Give the amount granted (10k CNY).")})
        if amount < 0:
            raise ValidationError({"granted_amount": _("The amount cannot be negative.")})
        if locked.policy.max_amount is not None and amount > locked.policy.max_amount:
            raise ValidationError(
                {
                    "granted_amount": _("The amount is above the policy's maximum of %(max)s (10k CNY).")
                    % {"max": locked.policy.max_amount}
                }
            )
    elif amount is not None:
        raise ValidationError({"granted_amount": _("Only a granted match has an amount.")})
    if target == MatchStatus.PUSHED and locked.status == MatchStatus.SUGGESTED:
        locked.pushed_by = user
        locked.pushed_at = timezone.now()
    locked.status = target
    locked.granted_amount = amount
    if note is not None:
        locked.note = note
    locked.full_clean(validate_constraints=False)
    locked.save()
    return locked
