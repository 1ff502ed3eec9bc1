"""Reads of the enterprise's own page (企业服务码, DESIGN §11.5) and of the staff's list of access links.

The page shows one enterprise only (the link's contact's), and of its needs only the public timeline: status
changes and return visits, with text only where it is meant for the enterprise (the answer, the reason for a
rejection, the enterprise's own words). Notes, instructions, assignments, transfers and extensions are never
read here, nor any staff name: the handler is shown by department.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q, QuerySet

from crm.choices import TOLD_STATUSES, MatchStatus, NeedEventKind, NeedStatus
from crm.models import Contact, Enterprise, EnterpriseAccess, Need, NeedEvent, PolicyMatch
from crm.selectors.matching import Suggestion, enterprise_policy_suggestions

PUBLIC_EVENT_KINDS = (NeedEventKind.STATUS, NeedEventKind.RETURN_VISIT)
# Status changes whose text is written for the enterprise: the answer (resolution) and a rejection's reason.
PUBLIC_TEXT_STATUSES = (NeedStatus.ANSWERED, NeedStatus.REJECTED)
PORTAL_NEEDS_LIMIT = 50
SELF_CHECK_LIMIT = 20


@dataclass(frozen=True)
class PublicEvent:
    """One line of a need's public timeline."""

    created_at: object
    kind: str
    from_status: str
    to_status: str
    text: str
    by_enterprise: bool
    contact_name: str

    @property
    def to_label(self) -> str:
        return NeedStatus(self.to_status).label if self.to_status else ""


def public_event(event: NeedEvent) -> PublicEvent:
    """What the enterprise may see of an event (``event.contact`` loaded)."""
    by_enterprise = event.contact_id is not None
    shows_text = by_enterprise or event.kind == NeedEventKind.RETURN_VISIT or event.to_status in PUBLIC_TEXT_STATUSES
    return PublicEvent(
        created_at=event.created_at,
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        text=event.text if shows_text else "",
        by_enterprise=by_enterprise,
        contact_name=event.contact.name if by_enterprise and event.contact else "",
    )


def portal_needs(*, enterprise: Enterprise, limit: int = PORTAL_NEEDS_LIMIT) -> list[Need]:
    """The enterprise's needs, newest first, each with ``public_events`` (three queries whatever their number)."""
    events = (
        NeedEvent.objects.filter(kind__in=PUBLIC_EVENT_KINDS)
        .select_related("contact")
        .only("need_id", "created_at", "kind", "from_status", "to_status", "text", "contact__name", "contact_id")
        .order_by("created_at", "id")
    )
    needs = list(
        Need.objects.filter(enterprise=enterprise)
        .select_related("lead_department")
        .prefetch_related(Prefetch("events", queryset=events, to_attr="timeline"), "attachments")
        .order_by("-created_at", "-id")[:limit]
    )
    for need in needs:
        need.public_events = [public_event(e) for e in need.timeline]
    return needs


def portal_need(*, enterprise: Enterprise, pk) -> Need | None:
    """One need of the enterprise, or None (another enterprise's need is simply not there)."""
    return Need.objects.filter(enterprise=enterprise, pk=pk).first()


def portal_matches(*, enterprise: Enterprise) -> QuerySet[PolicyMatch]:
    """The policies pushed to the enterprise (every match told to it), open answers first."""
    return (
        PolicyMatch.objects.filter(enterprise=enterprise, status__in=TOLD_STATUSES)
        .select_related("policy")
        .annotate(answered=ExpressionWrapper(~Q(status=MatchStatus.PUSHED), output_field=BooleanField()))
        .order_by("answered", F("pushed_at").desc(nulls_last=True), "-id")
    )


def portal_self_check(*, enterprise: Enterprise, limit: int = SELF_CHECK_LIMIT) -> list[Suggestion]:
    """自助测评: the policies open now that the enterprise is eligible for, each with its reasons (§4.3)."""
    return enterprise_policy_suggestions(enterprise=enterprise, limit=limit)


def access_links(*, user, contact: Contact | None = None) -> QuerySet[EnterpriseAccess]:
    """Access links in the user's scope (no tokens: only their hashes are stored, and those are not shown)."""
    links = EnterpriseAccess.objects.visible_to(user).select_related("contact__enterprise", "created_by", "revoked_by")
    if contact is not None:
        links = links.filter(contact=contact)
    return links.order_by("-created_at", "-id")
