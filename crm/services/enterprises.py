"""Writes of enterprises (with their qualifications), contacts and projects.

Every function is keyword-only, runs in one transaction and calls ``full_clean()`` before saving, so the
web forms, the API and the imports apply the same rules. ``data`` holds validated values keyed by model
field name, with model instances for relations (``region``: Region, ``liaison_officers``: [User], …);
``qualifications`` is a list of ``Qualification`` objects or of dicts
``{"qualification", "certified_on", "expires_on", "certificate_no"}``.

Scoping (DESIGN §5) is the caller's job for reads; these services enforce what only the data can tell:
a county-bureau user records enterprises and projects in its own region only (400 naming ``region``).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, OuterRef, Subquery, Sum
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from crm.choices import TOLD_STATUSES, MatchStatus
from crm.models import (
    Contact,
    Cultivation,
    Enterprise,
    EnterpriseQualification,
    Project,
    Qualification,
    User,
    Visit,
)
from crm.permissions import can_delete
from crm.querysets import key_chunks
from crm.services.errors import DeleteRefused

ENTERPRISE_M2M = ("liaison_officers",)
PROJECT_M2M = ("liaison_officers",)


def region_check(*, user: User | None, region) -> None:
    """A county user may only place records in its own county; otherwise they would vanish from its view.

    ``region`` is a Region or its code. Called by the create/update services and, per row, by the imports.
    """
    if user is None or user.sees_everything or region is None:
        return
    own_region = user.bureau.region_id if user.bureau_id else None
    region_code = getattr(region, "pk", region)
    if region_code != own_region:
        raise ValidationError(
            {"region": _("You can only record entries in your own region (%(region)s).") % {"region": own_region}}
        )


def _split(data: Mapping[str, Any], m2m: Iterable[str]) -> tuple[dict, dict]:
    plain = {k: v for k, v in data.items() if k not in m2m and k != "qualifications"}
    related = {k: data[k] for k in m2m if k in data}
    return plain, related


def _assign(instance: Model, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(instance, name, value)


def _set_m2m(instance: Model, related: Mapping[str, Any]) -> None:
    for name, value in related.items():
        getattr(instance, name).set(value)


# ---------------------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------------------


def _qualification_rows(items: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Normalise ``qualifications`` input to {code: {certified_on, expires_on, certificate_no} or {}}."""
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, Qualification):
            rows[item.pk] = {}
        elif isinstance(item, str):
            rows[item] = {}
        else:
            qualification = item["qualification"]
            code = getattr(qualification, "pk", qualification)
            rows[code] = {k: item[k] for k in ("certified_on", "expires_on", "certificate_no") if k in item}
    return rows


@transaction.atomic
def enterprise_set_qualifications(*, enterprise: Enterprise, qualifications: Iterable[Any]) -> None:
    """Make the enterprise hold exactly these qualifications.

    A qualification it holds already keeps its certificate dates unless new ones are given; a new one given
    by code alone has no dates (no expiry); qualifications not listed are removed.
    """
    wanted = _qualification_rows(qualifications)
    unknown = set(wanted) - set(Qualification.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if unknown:
        raise ValidationError(
            {"qualifications": _("Unknown qualification code(s): %(codes)s.") % {"codes": ", ".join(sorted(unknown))}}
        )
    existing = {eq.qualification_id: eq for eq in enterprise.enterprise_qualifications.all()}
    EnterpriseQualification.objects.filter(enterprise=enterprise).exclude(qualification_id__in=wanted).delete()
    errors = []
    for code, values in wanted.items():
        record = existing.get(code) or EnterpriseQualification(enterprise=enterprise, qualification_id=code)
        if record.pk and not values:
            continue
        _assign(record, values)
        try:
            record.full_clean(exclude=["enterprise", "qualification"], validate_unique=False)
        except ValidationError as error:
            errors.extend(f"{code}: {m}" for m in error.messages)
            continue
        record.save()
    if errors:
        raise ValidationError({"qualifications": errors})
    # The caller may have prefetched the old set.
    if hasattr(enterprise, "_prefetched_objects_cache"):
        enterprise._prefetched_objects_cache.pop("enterprise_qualifications", None)
        enterprise._prefetched_objects_cache.pop("qualifications", None)


@transaction.atomic
def enterprise_create(*, user: User, data: Mapping[str, Any]) -> Enterprise:
    """Create an enterprise owned by the creator's bureau."""
    plain, related = _split(data, ENTERPRISE_M2M)
    region_check(user=user, region=plain.get("region"))
    enterprise = Enterprise(**plain)
    enterprise.bureau_id = user.bureau_id
    enterprise.created_by = user
    enterprise.full_clean()
    enterprise.save()
    _set_m2m(enterprise, related)
    if data.get("qualifications"):
        enterprise_set_qualifications(enterprise=enterprise, qualifications=data["qualifications"])
    return enterprise


# The models that store their enterprise's region (``EnterpriseRegionStored``).
REGION_FOLLOWERS = (Visit, Cultivation)


def enterprise_regions_follow(*, enterprise_ids: Iterable[int]) -> None:
    """Set the stored region (``Visit.region``, ``Cultivation.region``) of these enterprises' visits and cultivation
    cards to their enterprise's, one UPDATE per table and ``IN_LIST_KEYS`` enterprises: after every write of an
    enterprise's region (the update service here and the enterprise import)."""
    enterprise_ids = list(enterprise_ids)
    region = Enterprise.objects.filter(pk=OuterRef("enterprise_id")).values("region")
    for chunk in key_chunks(enterprise_ids):  # an import's enterprises: more than one statement's parameters
        for model in REGION_FOLLOWERS:
            model.objects.filter(enterprise_id__in=chunk).update(region=Subquery(region))


@transaction.atomic
def enterprise_update(*, user: User, enterprise: Enterprise, data: Mapping[str, Any]) -> Enterprise:
    """Change the given fields (a partial update); ``qualifications``, if given, replaces the set."""
    plain, related = _split(data, ENTERPRISE_M2M)
    if "region" in plain and plain["region"] != enterprise.region:
        region_check(user=user, region=plain["region"])
    region_before = enterprise.region_id
    _assign(enterprise, plain)
    enterprise.full_clean()
    enterprise.save()
    if enterprise.region_id != region_before:
        enterprise_regions_follow(enterprise_ids=[enterprise.pk])
    _set_m2m(enterprise, related)
    if "qualifications" in data:
        enterprise_set_qualifications(enterprise=enterprise, qualifications=data["qualifications"])
    return enterprise


# ---------------------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------------------


def _single_primary(contact: Contact) -> None:
    """At most one primary contact per enterprise: marking one primary unmarks the others."""
    if contact.is_primary:
        Contact.objects.filter(enterprise_id=contact.enterprise_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )


def contacts_primary_apply(*, contacts) -> None:
    """The single-primary rule of contact_create/contact_update for contacts saved in bulk (imports), in order."""
    for contact in contacts:
        _single_primary(contact)


@transaction.atomic
def contact_create(*, user: User, data: Mapping[str, Any]) -> Contact:
    contact = Contact(**data)
    contact.created_by = user
    contact.full_clean()
    contact.save()
    _single_primary(contact)
    return contact


@transaction.atomic
def contact_update(*, user: User, contact: Contact, data: Mapping[str, Any]) -> Contact:
    _assign(contact, data)
    contact.full_clean()
    contact.save()
    _single_primary(contact)
    return contact


# ---------------------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------------------


def project_derive(*, project: Project) -> None:
    """A project without a region lies in its enterprise's region."""
    if project.region_id is None and project.enterprise_id is not None:
        project.region_id = project.enterprise.region_id


def project_of_enterprise_check(*, enterprise: Enterprise | None, project: Project | None, message: str) -> None:
    """A record linked with both an enterprise and a project (a visit, a need) takes one of that enterprise's
    projects (DESIGN §3): ``message`` on the ``project`` field otherwise. Nothing to check without either."""
    if project is not None and enterprise is not None and project.enterprise_id != enterprise.pk:
        raise ValidationError({"project": [message]})


@transaction.atomic
def project_create(*, user: User, data: Mapping[str, Any]) -> Project:
    """Create a project owned by the creator's bureau."""
    plain, related = _split(data, PROJECT_M2M)
    region_check(user=user, region=plain.get("region"))
    project = Project(**plain)
    project.bureau_id = user.bureau_id
    project.created_by = user
    project_derive(project=project)
    project.full_clean()
    project.save()
    _set_m2m(project, related)
    return project


@transaction.atomic
def project_update(*, user: User, project: Project, data: Mapping[str, Any]) -> Project:
    plain, related = _split(data, PROJECT_M2M)
    if "region" in plain and plain["region"] != project.region:
        region_check(user=user, region=plain["region"])
    _assign(project, plain)
    project.full_clean()
    project.save()
    _set_m2m(project, related)
    return project


# ---------------------------------------------------------------------------------------------------------
# Deletes: refused, not soft, for records with outcomes
# ---------------------------------------------------------------------------------------------------------
# A record that carries outcomes — visits, needs (open or closed), action items, policy matches the
# enterprise was told of (a granted 50 万元 above all) — is refused with the reasons (409), and the user is
# pointed to the status that retires it (an enterprise "closed", a project "finished"). Refusing keeps every
# list, count and report as it was without a "deleted" flag that each of them would have to filter out; what
# may still be deleted (an entry made by mistake) goes with its contacts and qualifications, whose history
# (django-simple-history) keeps who deleted what.


def _counted(parts: list[tuple[int, str]]) -> list[str]:
    return [text % {"n": n} for n, text in parts if n]


def _delete_check(*, user: User, instance: Model, reasons: list[str], hint: str) -> None:
    if not can_delete(user, instance):
        raise PermissionDenied(_("Only managers delete records."))
    if reasons:
        raise DeleteRefused(
            _gettext("%(record)s cannot be deleted: it has %(reasons)s. %(hint)s")
            % {"record": instance, "reasons": _gettext(", ").join(reasons), "hint": hint}
        )


@transaction.atomic
def enterprise_delete(*, user: User, enterprise: Enterprise) -> None:
    """Delete an enterprise entered by mistake: refused (``DeleteRefused``) once it has visits, needs, projects,
    action items or policy matches beyond a mere suggestion; its contacts and qualifications go with it."""
    told = enterprise.policy_matches.filter(status__in=TOLD_STATUSES)
    granted = told.filter(status=MatchStatus.GRANTED).aggregate(n=Sum("granted_amount"))["n"]
    reasons = _counted(
        [
            (enterprise.visits.count(), _gettext("%(n)d visit(s)")),
            (enterprise.needs.count(), _gettext("%(n)d need(s)")),
            (enterprise.projects.count(), _gettext("%(n)d project(s)")),
            (enterprise.action_items.count(), _gettext("%(n)d action item(s)")),
            (told.count(), _gettext("%(n)d policy match(es) the enterprise was told of")),
        ]
    )
    if granted:
        reasons.append(_gettext("%(amount)s (10k CNY) granted") % {"amount": granted})
    _delete_check(
        user=user,
        instance=enterprise,
        reasons=reasons,
        hint=_gettext("Set its status to closed or relocated instead."),
    )
    enterprise.delete()


@transaction.atomic
def project_delete(*, user: User, project: Project) -> None:
    """Delete a project entered by mistake: refused once it has needs or action items."""
    reasons = _counted(
        [
            (project.needs.count(), _gettext("%(n)d need(s)")),
            (project.action_items.count(), _gettext("%(n)d action item(s)")),
        ]
    )
    _delete_check(user=user, instance=project, reasons=reasons, hint=_gettext("Set its status to finished instead."))
    project.delete()
