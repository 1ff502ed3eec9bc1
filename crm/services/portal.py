"""The enterprise's own page (企业服务码, DESIGN §11.5): access links, and what an enterprise does through one.

Who acts: the enterprise's contact, through the link, with no user account. The existing services are called
with ``user=None`` and ``contact=<the link's contact>``: ``need_create`` (the clock, the managers' inbox and
notices as for any new need), ``need_return_visit`` (closes or reopens exactly like a return visit; the rating
is marked ``rated_by_enterprise``) and ``policy_match_update_status`` (有意申报 → applying, 暂不需要 →
declined). Their timeline events carry ``contact`` and no author, so every action shows as the contact's.

Tokens: ``secrets.token_urlsafe(32)`` (256 bits), shown once; only the SHA-256 is stored.
"""

import datetime as dt
import io
import secrets
from collections.abc import Iterable

import segno
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.choices import MatchStatus, NeedSource
from crm.models import Contact, EnterpriseAccess, Need, NeedAttachment, PolicyMatch
from crm.models.portal import access_token_hash
from crm.permissions import can_create
from crm.services.needs import need_create, need_return_visit
from crm.services.policies import policy_match_update_status
from crm.services.visits import attachments_check
from crm.sms import sms_send
from crm.validators import COMMENT_MAX_LENGTH, validate_no_control_chars

TOKEN_BYTES = 32
# last_used_at is written at most once per this many seconds per link (a page view is not a write each time).
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


# ---------------------------------------------------------------------------------------------- links


def access_link_url(*, token: str, base: str = "") -> str:
    """The absolute address of ``/e/<token>/``: ``settings.CRM_PUBLIC_URL`` or ``base`` (the request's origin)."""
    return f"{settings.CRM_PUBLIC_URL or base.rstrip('/')}{reverse('crm:portal-home', args=[token])}"


def access_may_manage(*, user, contact: Contact) -> bool:
    """Officers and managers with the contact in scope make, send and revoke its links."""
    return (
        user is not None
        and user.is_authenticated
        and can_create(user, EnterpriseAccess)
        and Contact.objects.visible_to(user).filter(pk=contact.pk).exists()
    )


@transaction.atomic
def access_link_create(
    *, user, contact: Contact, expires_at: dt.datetime | None = None, printed: bool = False
) -> tuple[EnterpriseAccess, str]:
    """Make a link for ``contact``; returns it and its token (the only time the token exists in clear)."""
    if not access_may_manage(user=user, contact=contact):
        raise PermissionDenied(_("Your role does not allow making service links for this contact."))
    now = timezone.now()
    if expires_at is not None and not (now < expires_at <= now + dt.timedelta(days=366)):
        raise ValidationError({"expires_at": [_("A link expires between now and one year from now.")]})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    access = EnterpriseAccess(contact=contact, token_hash=access_token_hash(token), created_by=user, printed=printed)
    if expires_at is not None:
        access.expires_at = expires_at
    access.full_clean()
    access.save()
    return access, token


@transaction.atomic
def access_link_revoke(*, user, access: EnterpriseAccess) -> EnterpriseAccess:
    """Revoke a link at once (idempotent: a revoked link keeps its first revocation)."""
    if not access_may_manage(user=user, contact=access.contact):
        raise PermissionDenied(_("Your role does not allow revoking service links for this contact."))
    locked = EnterpriseAccess.objects.select_for_update().get(pk=access.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = user
        locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return locked


def access_link_sms_text(*, contact: Contact, url: str, expires_at: dt.datetime) -> str:
    with override(settings.LANGUAGE_CODE):
        return _(
            "%(name)s, this is the service page of %(enterprise)s: %(url)s — raise needs, follow them and rate the "
            "answers there. Valid until %(date)s; do not pass it on."
        ) % {
            "name": contact.name,
            "enterprise": contact.enterprise.name,
            "url": url,
            "date": timezone.localtime(expires_at).date().isoformat(),
        }


@transaction.atomic
def access_link_send(*, user, contact: Contact, base: str = "") -> tuple[EnterpriseAccess, str]:
    """Make a new link and send it to the contact's mobile by SMS (after commit)."""
    if not contact.mobile:
        raise ValidationError({"mobile": [_("This contact has no mobile number to send the link to.")]})
    access, token = access_link_create(user=user, contact=contact)
    text = access_link_sms_text(
        contact=contact, url=access_link_url(token=token, base=base), expires_at=access.expires_at
    )
    mobile = contact.mobile
    transaction.on_commit(lambda: sms_send(mobile=mobile, text=text))
    return access, token


def access_print_contact(*, enterprise) -> Contact | None:
    """The contact whose link the printed visit record carries: the primary contact, else the first one."""
    return Contact.objects.filter(enterprise=enterprise).order_by("-is_primary", "id").first()


def access_print_may(*, user, enterprise) -> bool:
    """Whether ``user`` may print the enterprise's service code: a contact to make it for, and the right to."""
    contact = access_print_contact(enterprise=enterprise)
    return contact is not None and access_may_manage(user=user, contact=contact)


@transaction.atomic
def access_link_for_print(*, user, enterprise, base: str = "") -> tuple[EnterpriseAccess, str]:
    """The printed 走访记录表's QR code: a new link for the enterprise's primary contact, made by an explicit
    打印服务码 (a POST; opening the record makes nothing). Tokens are stored hashed, so the link is shown once,
    on the page that answers that POST.

    Raises ``ValidationError`` without a contact, ``PermissionDenied`` without the right to make links.
    """
    contact = access_print_contact(enterprise=enterprise)
    if contact is None:
        raise ValidationError(_("This enterprise has no contact yet: add one before printing its service code."))
    access, token = access_link_create(user=user, contact=contact, printed=True)
    return access, access_link_url(token=token, base=base)


def access_qr_svg(*, url: str) -> str:
    """The QR code of ``url`` as inline SVG (segno; error correction M, no network)."""
    qr = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="企业服务码", nl=False)
    return out.getvalue().decode()


# ---------------------------------------------------------------------------------------------- the page


def access_resolve(*, token: str) -> EnterpriseAccess | None:
    """The live link of ``token`` (with its contact and enterprise), or None: unknown, expired and revoked alike."""
    if not token or len(token) > 100:
        return None
    access = (
        EnterpriseAccess.objects.live()
        .select_related("contact__enterprise__bureau")
        .filter(token_hash=access_token_hash(token))
        .first()
    )
    if access is None:
        return None
    now = timezone.now()
    if access.last_used_at is None or now - access.last_used_at > LAST_USED_RESOLUTION:
        EnterpriseAccess.objects.filter(pk=access.pk).update(last_used_at=now)
        access.last_used_at = now
    return access


def access_throttle_hit(*, token: str) -> bool:
    """Count one request for the token in the shared cache; False when the token is over its rate per minute.
    Counted by the token's hash, so invalid tokens are throttled too and no token is written to the cache."""
    window = int(timezone.now().timestamp() // 60)
    key = f"crm:portal:{access_token_hash(token)[:32]}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count <= settings.CRM_PORTAL_RATE


def _own_need(*, access: EnterpriseAccess, need: Need | int) -> Need:
    pk = getattr(need, "pk", need)
    found = Need.objects.filter(pk=pk, enterprise_id=access.contact.enterprise_id).first()
    if found is None:
        raise PermissionDenied(_("Not a need of this enterprise."))
    return found


@transaction.atomic
def portal_need_create(
    *,
    access: EnterpriseAccess,
    category: str,
    title: str,
    description: str = "",
    attachments: Iterable = (),
) -> Need:
    """The enterprise raises a need (source 平台): the same ``need_create`` as staff (clock, inbox, notices),
    with its photos and PDFs checked by content like a visit's; nothing is written when one is refused."""
    checked = attachments_check(attachments)
    contact = access.contact
    need = need_create(
        user=None,
        contact=contact,
        enterprise=contact.enterprise,
        category=category,
        title=title,
        description=description,
        source=NeedSource.PLATFORM,
    )
    for upload, content_type in checked:
        name = (getattr(upload, "name", "") or "attachment").replace("/", "_").replace("\\", "_")[-200:]
        attachment = NeedAttachment(need=need, contact=contact, name=name, content_type=content_type, size=upload.size)
        attachment.file.save(name, upload, save=False)
        attachment.full_clean()
        attachment.save()
    return need


def portal_need_rate(*, access: EnterpriseAccess, need: Need | int, version, satisfaction: str, text: str = "") -> Need:
    """The enterprise rates an answered need: exactly the return visit (closes, or reopens when unsatisfied)."""
    need = _own_need(access=access, need=need)
    return need_return_visit(
        need=need, user=None, contact=access.contact, version=version, satisfaction=satisfaction, text=text
    )


@transaction.atomic
def portal_match_answer(
    *, access: EnterpriseAccess, match: PolicyMatch | int, decision: str, reason: str = ""
) -> PolicyMatch:
    """有意申报 (``applying``) or 暂不需要 (``declined``, with a reason) on a policy pushed to the enterprise."""
    pk = getattr(match, "pk", match)
    found = PolicyMatch.objects.filter(pk=pk, enterprise_id=access.contact.enterprise_id).first()
    if found is None:
        raise PermissionDenied(_("Not a policy of this enterprise."))
    reason = (reason or "").strip()
    validate_no_control_chars(reason)
    if decision == MatchStatus.DECLINED and not reason:
        raise ValidationError({"reason": [_("Tell us briefly why you do not need this policy.")]})
    if len(reason) > COMMENT_MAX_LENGTH:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": COMMENT_MAX_LENGTH}]})
    with override(settings.LANGUAGE_CODE):
        label = MatchStatus(decision).label if decision in MatchStatus.values else decision
        note = _("%(contact)s (enterprise, on its service page): %(answer)s") % {
            "contact": access.contact.name,
            "answer": f"{label}" + (f" — {reason}" if reason else ""),
        }
    previous = found.note.strip()
    return policy_match_update_status(
        user=None,
        contact=access.contact,
        match=found,
        status=decision,
        note=f"{previous}\n{note}" if previous else note,
    )
