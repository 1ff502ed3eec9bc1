"""SMS to enterprise contacts (企业服务码 links and the notices meant for enterprises, DESIGN §11.5).

``settings.CRM_SMS_BACKEND`` names the backend (a dotted path): ``crm.sms.ConsoleBackend`` (the default) writes
each message to stdout and the ``crm.sms`` log; ``crm.sms.HttpGatewayBackend`` POSTs it as JSON to an SMS
gateway (``CRM_SMS_URL``, ``CRM_SMS_TOKEN``, ``CRM_SMS_SIGN``, ``CRM_SMS_TIMEOUT``; urllib, no extra package).
A backend's ``send(mobile, text)`` returns True when the message was accepted. Messages tied to a write are
sent after the transaction commits and a failure is logged, never raised into the request.
"""

import json
import logging
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from crm.models import Contact, Enterprise, EnterpriseAccess

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway refused or could not be reached."""


class BaseBackend:
    def send(self, mobile: str, text: str) -> bool:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development default: the message goes to stdout and the log, nothing leaves the machine."""

    def send(self, mobile: str, text: str) -> bool:
        line = f"[SMS to {mobile}] 【{settings.CRM_SMS_SIGN}】{text}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        logger.info(line)
        return True


class HttpGatewayBackend(BaseBackend):
    """POST ``{"mobile", "text", "sign"}`` as JSON to ``CRM_SMS_URL`` with a bearer token; a 2xx answer is success."""

    def send(self, mobile: str, text: str) -> bool:
        if not settings.CRM_SMS_URL:
            raise SmsError("CRM_SMS_URL is not set")
        body = json.dumps({"mobile": mobile, "text": text, "sign": settings.CRM_SMS_SIGN}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            settings.CRM_SMS_URL,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.CRM_SMS_TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.CRM_SMS_TIMEOUT) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(str(error)) from error
        return True


def sms_backend() -> BaseBackend:
    return import_string(settings.CRM_SMS_BACKEND)()


def sms_send(*, mobile: str, text: str) -> bool:
    """Send one message now; False (logged) when the backend fails."""
    try:
        return bool(sms_backend().send(mobile, text))
    except SmsError:
        logger.exception("SMS to %s failed", mobile)
        return False


def sms_send_on_commit(*, mobiles: Iterable[str], text: str) -> None:
    """Send once the current transaction commits (a rollback sends nothing)."""
    targets = sorted({m for m in mobiles if m})
    if targets:
        transaction.on_commit(lambda: [sms_send(mobile=m, text=text) for m in targets])


def enterprise_sms_recipients(enterprise_ids: Iterable[int]) -> dict[int, list[str]]:
    """The mobiles notices for each enterprise go to: its contacts holding a live access link, else its primary
    contact. Two queries whatever the number of enterprises."""
    ids = {int(pk) for pk in enterprise_ids if pk}
    if not ids:
        return {}
    found: dict[int, set[str]] = {}
    linked = (
        EnterpriseAccess.objects.live()
        .filter(contact__enterprise_id__in=ids)
        .exclude(contact__mobile="")
        .values_list("contact__enterprise_id", "contact__mobile")
    )
    for enterprise_id, mobile in linked:
        found.setdefault(enterprise_id, set()).add(mobile)
    rest = ids - set(found)
    if rest:
        primaries = (
            Contact.objects.filter(enterprise_id__in=rest)
            .exclude(mobile="")
            .order_by("enterprise_id", "-is_primary", "id")
            .values_list("enterprise_id", "mobile")
        )
        for enterprise_id, mobile in primaries:
            found.setdefault(enterprise_id, {mobile})
    return {pk: sorted(mobiles) for pk, mobiles in found.items()}


def enterprise_sms_notify(*, enterprise: Enterprise | int | None, text: str) -> None:
    """A notice meant for the enterprise (need answered, policy pushed), sent by SMS after commit."""
    enterprises_sms_notify(texts={getattr(enterprise, "pk", enterprise): text} if enterprise else {})


def enterprises_sms_notify(*, texts: dict[int, str]) -> None:
    """Notices for many enterprises (``{enterprise id: text}``), sent after commit; two queries."""
    recipients = enterprise_sms_recipients(texts)
    for enterprise_id, text in texts.items():
        sms_send_on_commit(mobiles=recipients.get(enterprise_id, ()), text=text)
