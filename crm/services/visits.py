"""登门三问 visits (DESIGN §4.2): one call saves the visit, the needs raised in it and its attachments.

Attachments are photos (JPEG, PNG, WebP, GIF, HEIC) and PDFs, recognised by their first bytes (the name and
the browser's content type are not trusted; a known extension in the name must agree with the content),
each at most ``settings.ATTACHMENT_MAX_BYTES``. Everything is checked before anything is written, and it is
written in one transaction: a bad need or attachment leaves no half-saved visit behind.
"""

import datetime as dt
import mimetypes
import os
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from crm.choices import NeedSource, Urgency, VisitFlag, VisitKind
from crm.models import Enterprise, Project, User, Visit, VisitAttachment
from crm.permissions import can_create, can_delete, can_edit
from crm.querysets import key_chunks
from crm.services.enterprises import project_of_enterprise_check
from crm.services.errors import DeleteRefused
from crm.services.needs import need_create
from crm.services.plans import visit_plans_from_visit
from crm.validators import validate_no_control_chars

# (magic test, content type); HEIC is the iPhone's default photo format.
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def attachment_sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is not an accepted type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


# A known extension in the file name must agree with the content: a PDF named photo.jpg (or a photo named
# page.html) is refused; an unknown one (scan.2024) is left to the content.
EXTENSIONS = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/png": {".png"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "image/heic": {".heic", ".heif"},
    "application/pdf": {".pdf"},
}


def _known_extension(extension: str) -> bool:
    if any(extension in known for known in EXTENSIONS.values()):
        return True
    return mimetypes.guess_type(f"x{extension}")[0] is not None


# What an upload named ".", ".." or only separators and control characters is called after sanitising: nothing
# usable. ``UNNAMED_UPLOAD`` is the name the API's multipart parser gives such a part instead of dropping it (a
# control character: sanitising leaves nothing of it, and Django's own file-name check lets it through).
UNNAMED_UPLOAD = "\x00"


def _sanitised_name(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return "" if name in (".", "..") else name


def _file_name(upload) -> str:
    name = _sanitised_name(upload) or "attachment"
    if len(name) > 150:
        stem, ext = os.path.splitext(name)
        name = stem[: 150 - len(ext[:20])] + ext[:20]
    return name


def attachment_check(upload) -> str:
    """Validate one uploaded file; return its content type or raise ValidationError naming the file."""
    if not _sanitised_name(upload):
        raise ValidationError(
            _("A file named “%(name)s” cannot be attached: give it a name (such as photo.jpg) and upload it again.")
            % {"name": "".join(ch for ch in str(getattr(upload, "name", "") or "") if ch.isprintable())}
        )
    name = _file_name(upload)
    size = getattr(upload, "size", None)
    limit = settings.ATTACHMENT_MAX_BYTES
    if size is None:
        raise ValidationError(_("%(name)s: the file could not be read.") % {"name": name})
    if size == 0:
        raise ValidationError(_("%(name)s: the file is empty.") % {"name": name})
    if size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s; an attachment may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = attachment_sniff(head)
    if content_type is None:
        raise ValidationError(_("%(name)s is not a photo (JPEG, PNG, WebP, GIF, HEIC) or a PDF.") % {"name": name})
    extension = os.path.splitext(name)[1].lower()
    if extension and extension not in EXTENSIONS[content_type] and _known_extension(extension):
        raise ValidationError(
            _("%(name)s: the file name does not match its content (%(kind)s).")
            % {"name": name, "kind": content_type.split("/")[1].upper()}
        )
    return content_type


def attachments_check(uploads: Iterable) -> list[tuple[object, str]]:
    """Check every file; all problems are reported together under ``attachments``."""
    checked, errors = [], []
    for upload in uploads or ():
        try:
            checked.append((upload, attachment_check(upload)))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


def attachments_store(*, model, owner: dict, user, checked: list[tuple[object, str]]) -> list:
    """Store uploads already checked by ``attachments_check`` as rows of ``model`` (a visit's or an activity's
    attachment), each linked by ``owner`` (e.g. ``{"visit": visit}``)."""
    saved = []
    for upload, content_type in checked:
        attachment = model(
            **owner,
            name=_file_name(upload),
            content_type=content_type,
            size=upload.size,
            created_by=user,
        )
        attachment.file.save(attachment.name, upload, save=False)
        attachment.full_clean()
        attachment.save()
        saved.append(attachment)
    return saved


def _attachments_save(*, visit: Visit, user, checked: list[tuple[object, str]]) -> list[VisitAttachment]:
    return attachments_store(model=VisitAttachment, owner={"visit": visit}, user=user, checked=checked)


VISIT_FIELDS = (
    "enterprise",
    "project",
    "visited_on",
    "kind",
    "lead",
    "interviewee",
    "interviewee_title",
    "q_needs",
    "q_difficulties",
    "q_suggestions",
    "party_notes",
    "policies_briefed",
    "resolved_on_site",
    "flag",
    "next_visit_on",
)
NEED_FIELDS = ("category", "title", "description", "urgency")


def _scope_check(*, user, enterprise, project) -> None:
    errors = {}
    if enterprise is None:
        errors["enterprise"] = [_("This field is required.")]
    elif not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
        errors["enterprise"] = [_("Select an enterprise in your scope.")]
    if project is not None and not Project.objects.visible_to(user).filter(pk=project.pk).exists():
        errors["project"] = [_("Select a project in your scope.")]
    if errors:
        raise ValidationError(errors)


def visit_project_check(*, enterprise, project) -> None:
    """A visit's project must be one of its enterprise's projects (DESIGN §3); the services and the import call this."""
    project_of_enterprise_check(
        enterprise=enterprise, project=project, message=_("Select a project of the visit's enterprise.")
    )


def visit_officers_derive(*, officers: Iterable[User] | None, user: User | None) -> list[User]:
    """A visit's officers default to the one who records it (DESIGN §3); the services and the import call this."""
    officers = list(officers or [])
    return officers or ([user] if user is not None else [])


def visit_officers_flag_refresh(*, visit_ids: Iterable[int]) -> None:
    """Set ``officers_besides_lead`` of these visits from their lead and officer links, in one UPDATE: after every
    write of a visit's lead or officers (the services here and the import). The dashboard's and the cadence's
    counts as a visit's officer read the links of the visits where it is true (or not known) only."""
    # Without a lead every officer is another one: 0 matches no user (``user_id <> NULL`` would match none).
    lead = Coalesce(OuterRef("lead_id"), Value(0))
    others = Visit.officers.through.objects.filter(visit_id=OuterRef("pk")).exclude(user_id=lead)
    for chunk in key_chunks(visit_ids):  # an import's visits: more than one statement's parameters
        Visit.objects.filter(pk__in=chunk).update(officers_besides_lead=Exists(others))


def visit_answers_check(*, visit: Visit) -> None:
    """登门三问: at least one of the three answers. The rule is the model's check constraint (one home, also in the
    database); this validates it on its own for callers that skip ``full_clean``'s constraints (the bulk import)."""
    for constraint in Visit._meta.constraints:
        if constraint.name == "crm_visit_has_an_answer":
            try:
                constraint.validate(Visit, visit)
            except ValidationError as error:
                raise ValidationError({"q_needs": error.messages}) from None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _needs_check(needs: Iterable[Mapping]) -> list[dict]:
    """Light checks of the needs before anything is saved; ``need_create`` runs the model validation."""
    cleaned, errors = [], []
    for number, data in enumerate(needs or (), start=1):
        data = {name: _strip(data.get(name)) for name in NEED_FIELDS if data.get(name) not in (None, "")}
        problems = []
        if not data.get("title"):
            problems.append(_("give a title"))
        if not data.get("category"):
            problems.append(_("choose a category"))
        for value in data.values():
            try:
                validate_no_control_chars(value)
            except ValidationError:
                problems.append(_("control characters (such as NUL) are not allowed"))
                break
        if problems:
            errors.append(_("Need %(number)d: %(problems)s.") % {"number": number, "problems": "; ".join(problems)})
        cleaned.append(data)
    if errors:
        raise ValidationError({"needs": errors})
    return cleaned


@transaction.atomic
def visit_create(
    *,
    user,
    enterprise: Enterprise,
    visited_on: dt.date,
    kind: str = VisitKind.ON_SITE,
    project: Project | None = None,
    lead: User | None = None,
    officers: Iterable[User] | None = None,
    interviewee: str = "",
    interviewee_title: str = "",
    q_needs: str = "",
    q_difficulties: str = "",
    q_suggestions: str = "",
    party_notes: str = "",
    policies_briefed: str = "",
    resolved_on_site: str = "",
    flag: str = VisitFlag.GREEN,
    next_visit_on: dt.date | None = None,
    needs: Iterable[Mapping] = (),
    attachments: Iterable = (),
) -> Visit:
    """Log a visit with the needs raised in it (each a ``Need`` with source visit) and its attachments."""
    if not can_create(user, Visit):
        raise PermissionDenied(_("Your role does not allow logging visits."))
    _scope_check(user=user, enterprise=enterprise, project=project)
    visit_project_check(enterprise=enterprise, project=project)
    visit = Visit(
        enterprise=enterprise,
        project=project,
        visited_on=visited_on,
        kind=kind or VisitKind.ON_SITE,
        lead=lead,
        interviewee=_strip(interviewee or ""),
        interviewee_title=_strip(interviewee_title or ""),
        q_needs=_strip(q_needs or ""),
        q_difficulties=_strip(q_difficulties or ""),
        q_suggestions=_strip(q_suggestions or ""),
        party_notes=_strip(party_notes or ""),
        policies_briefed=_strip(policies_briefed or ""),
        resolved_on_site=_strip(resolved_on_site or ""),
        flag=flag or VisitFlag.GREEN,
        next_visit_on=next_visit_on,
        created_by=user,
    )
    # Collect every problem of the visit, its needs and its files before writing anything.
    errors = {}
    try:
        visit.full_clean(exclude=["code"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        needs = _needs_check(needs)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        checked = attachments_check(attachments)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    visit._history_user = user
    visit.save()
    visit.officers.set(visit_officers_derive(officers=officers, user=user))
    visit_officers_flag_refresh(visit_ids=[visit.pk])
    for number, data in enumerate(needs, start=1):
        try:
            need_create(
                user=user,
                enterprise=enterprise,
                project=project,
                visit=visit,
                source=NeedSource.VISIT,
                category=data["category"],
                title=data["title"],
                description=data.get("description", ""),
                urgency=data.get("urgency") or Urgency.NORMAL,
            )
        except ValidationError as error:
            messages = [
                f"{field}: {'; '.join(m)}" if field != "__all__" else "; ".join(m)
                for field, m in getattr(error, "message_dict", {"__all__": error.messages}).items()
            ]
            raise ValidationError(
                {"needs": [_("Need %(number)d: %(problems)s.") % {"number": number, "problems": "; ".join(messages)}]}
            ) from None
    _attachments_save(visit=visit, user=user, checked=checked)
    visit_plans_from_visit(visit=visit, user=user)
    return visit


# Needs keep the enterprise and project they were raised for: those two are fixed once a visit has needs.
LOCKED_WITH_NEEDS = ("enterprise", "project")


@transaction.atomic
def visit_update(
    *,
    visit: Visit,
    user,
    officers: Iterable[User] | None = None,
    attachments: Iterable = (),
    attachments_remove: Iterable = (),
    **fields,
) -> Visit:
    """Edit a visit (its author, lead or officers, and managers); add or remove attachments.

    Only the fields given change. The needs raised in the visit are not edited here (they have their own
    workflow), and a visit with needs keeps its enterprise and project. ``attachments_remove`` takes
    attachments (or their ids) of this visit. A save that changes no field writes no history record.
    """
    if not can_edit(user, visit):
        raise PermissionDenied(_("Your role does not allow editing this visit."))
    unknown = set(fields) - set(VISIT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    before = {name: getattr(visit, Visit._meta.get_field(name).attname) for name in VISIT_FIELDS}
    for name, value in fields.items():
        setattr(visit, name, _strip(value) if value is not None or name not in VISIT_TEXT_FIELDS else "")
    changed = {name for name in VISIT_FIELDS if getattr(visit, Visit._meta.get_field(name).attname) != before[name]}
    errors = {}
    locked = [name for name in LOCKED_WITH_NEEDS if name in changed]
    if locked and visit.needs.exists():
        for name in locked:
            errors[name] = [_("This cannot be changed: needs were raised in this visit.")]
    try:
        _scope_check(user=user, enterprise=visit.enterprise, project=visit.project)
    except ValidationError as error:
        errors.update(error.message_dict)
    if changed & {"enterprise", "project"} and "project" not in errors:
        try:
            visit_project_check(enterprise=visit.enterprise, project=visit.project)
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        visit.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    try:
        checked = attachments_check(attachments)
    except ValidationError as error:
        errors.update(error.message_dict)
    remove_ids = {str(getattr(item, "pk", item)) for item in attachments_remove or ()}
    removed = []
    if remove_ids and all(raw.isdigit() for raw in remove_ids):
        removed = list(visit.attachments.filter(pk__in=[int(raw) for raw in remove_ids]))
    if len(removed) != len(remove_ids):
        errors["attachments_remove"] = [_("Select attachments of this visit.")]
    if errors:
        raise ValidationError(errors)
    if changed:
        visit._history_user = user
        visit.save()
    if officers is not None:
        visit.officers.set(visit_officers_derive(officers=officers, user=user))
    if officers is not None or "lead" in changed:
        visit_officers_flag_refresh(visit_ids=[visit.pk])
    for attachment in removed:
        attachment.delete()  # the file goes once the transaction commits (crm/models/engagement.py)
    _attachments_save(visit=visit, user=user, checked=checked)
    if "next_visit_on" in changed:
        visit_plans_from_visit(visit=visit, user=user, fulfil=False)
    return visit


VISIT_TEXT_FIELDS = {
    "interviewee",
    "interviewee_title",
    "q_needs",
    "q_difficulties",
    "q_suggestions",
    "party_notes",
    "policies_briefed",
    "resolved_on_site",
}


@transaction.atomic
def visit_delete(*, user, visit: Visit) -> None:
    """Delete a visit logged by mistake (managers): refused (``DeleteRefused``) once needs were raised in it, as
    they keep it as their source; its attachments go with it, files included (once the transaction commits)."""
    if not can_delete(user, visit):
        raise PermissionDenied(_("Only managers delete visits."))
    count = visit.needs.count()
    if count:
        raise DeleteRefused(
            _("Visit %(code)s cannot be deleted: %(n)d need(s) were raised in it.") % {"code": visit.code, "n": count}
        )
    visit.delete()
