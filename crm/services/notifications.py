"""In-app notifications (the bell) and their e-mail copies.

A notice with a ``dedupe_key`` is created at most once per recipient (a unique constraint backs this up), which
makes the daily ``send_reminders`` run idempotent. E-mail goes out after the transaction commits, only to
users with an address, through whatever ``EMAIL_BACKEND`` is configured (console by default, SMTP by
environment); a mail failure never undoes the in-app notice.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.models import Notification
from crm.querysets import key_chunks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One notice to be sent; see ``notifications_send_many``."""

    recipient: object
    kind: str
    text: str
    need: object = None
    action_item: object = None
    dedupe_key: str = ""


def _mail(notifications: list[Notification]) -> None:
    messages = []
    with override(settings.LANGUAGE_CODE):
        subject_prefix = _("[Enterprise liaison]")
    for notification in notifications:
        email = getattr(notification.recipient, "email", "")
        if email:
            messages.append(
                EmailMessage(
                    subject=f"{subject_prefix} {notification.text}"[:150],
                    body=notification.text,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[email],
                )
            )
    if not messages:
        return
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except Exception:  # a mail server outage must not break the workflow; the in-app notice stands
        logger.exception("Sending %d notification e-mail(s) failed", len(messages))


def _mail_on_commit(notifications: list[Notification]) -> None:
    if notifications:
        transaction.on_commit(lambda: _mail(notifications))


@transaction.atomic
def notification_send(
    *,
    recipient,
    kind: str,
    text: str,
    need=None,
    action_item=None,
    dedupe_key: str = "",
    export_job=None,
    report=None,
    import_job=None,
) -> Notification | None:
    """Create one notice (and its e-mail); with a ``dedupe_key`` already used for this recipient, do nothing."""
    if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
        return None
    notification = Notification(
        recipient=recipient,
        kind=kind,
        text=text[:500],
        need=need,
        action_item=action_item,
        export_job=export_job,
        report=report,
        import_job=import_job,
        dedupe_key=dedupe_key,
    )
    notification.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        if dedupe_key:  # a concurrent run created it first
            return None
        raise
    _mail_on_commit([notification])
    return notification


@transaction.atomic
def notifications_send_many(*, notices: Iterable[Notice]) -> list[Notification]:
    """Create many notices with few queries; keys already used are skipped. Returns those created."""
    notices = list(notices)
    keyed = {(n.recipient.pk, n.dedupe_key) for n in notices if n.dedupe_key}
    existing: set[tuple[int, str]] = set()
    keys = sorted({key for _, key in keyed})
    for chunk in key_chunks(keys):
        existing.update(Notification.objects.filter(dedupe_key__in=chunk).values_list("recipient_id", "dedupe_key"))
    seen: set[tuple[int, str]] = set()
    to_create = []
    for n in notices:
        pair = (n.recipient.pk, n.dedupe_key)
        if n.dedupe_key and (pair in existing or pair in seen):
            continue
        seen.add(pair)
        to_create.append(
            Notification(
                recipient=n.recipient,
                kind=n.kind,
                text=n.text[:500],
                need=n.need,
                action_item=n.action_item,
                dedupe_key=n.dedupe_key,
            )
        )
    # ignore_conflicts: a second run racing this one must not fail, and must not duplicate a notice.
    Notification.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
    _mail_on_commit(to_create)
    return to_create


@transaction.atomic
def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Mark one of the user's own notices read (idempotent)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark all of the user's notices read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
