"""Every enumeration of DESIGN §3.1: English values for code and API, Chinese labels via translations."""

from django.db import models
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChoicePairs(BaseChoiceIterator):
    """Choices built already in the form Django normalizes them to: ``(value, label)`` pairs and ``(group label,
    [pairs])``. Django's ``normalize_choices`` takes a choice iterator as it is; a list it walks pair by pair, each
    label through a call of its own, every time a field or widget is given the choices and every time a filter's
    choice field iterates them (validation, the select, the chips)."""

    def __init__(self, pairs: list):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class Role(models.TextChoices):
    OFFICER = "officer", _("Liaison officer")
    MANAGER = "manager", _("Manager")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class BureauLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    RELOCATED = "relocated", _("Relocated")
    CLOSED = "closed", pgettext_lazy("enterprise status", "Closed")


class PartyOrganization(models.TextChoices):
    NONE = "none", _("None")
    BRANCH = "branch", _("Party branch")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    COMMITTEE = "committee", _("Party committee")


class ProjectKind(models.TextChoices):
    INVESTMENT = "investment", _("Investment attraction")
    TECH = "tech", _("S&T project")
    INDUSTRIALISATION = "industrialisation", _("Industrialisation")
    PLATFORM = "platform", _("Platform")


class ProjectStage(models.TextChoices):
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    COMPLETED = "completed", _("Completed")
    IN_PRODUCTION = "in_production", _("In production")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class VisitKind(models.TextChoices):
    ON_SITE = "on_site", _("On-site visit")
    MEETING = "meeting", _("Meeting")
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("Online")


class VisitFlag(models.TextChoices):
    GREEN = "green", pgettext_lazy("visit flag", "Normal")
    YELLOW = "yellow", _("Attention")
    RED = "red", _("Alert")


class NeedCategory(models.TextChoices):
    FUNDING = "funding", _("Funding support")
    TALENT = "talent", _("Talent recruitment")
    RD = "rd", _("Technology R&D")
    COOPERATION = "cooperation", _("Industry-university cooperation")
    FINANCE = "finance", _("S&T finance")
    PLATFORM = "platform", _("Platforms")
    IP = "ip", _("Intellectual property")
    QUALIFICATION = "qualification", _("Qualification recognition")
    CONSULTATION = "consultation", _("Policy consultation")
    LAND = "land", _("Land and premises")
    LABOUR = "labour", _("Labour")
    ENERGY = "energy", _("Energy")
    APPROVAL = "approval", _("Approvals")
    MARKET = "market", _("Market expansion")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


# A need still to be worked on (the "open" filter, my work, overdue and the reminders).
OPEN_NEED_STATUSES = (
    NeedStatus.NEW,
    NeedStatus.ACCEPTED,
    NeedStatus.ASSIGNED,
    NeedStatus.IN_PROGRESS,
)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class NeedSource(models.TextChoices):
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    MEETING = "meeting", pgettext_lazy("need source", "Meeting")
    PLATFORM = "platform", pgettext_lazy("need source", "Platform")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class NeedEventKind(models.TextChoices):
    NOTE = "note", _("Follow-up note")
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    TRANSFER = "transfer", _("Transfer")
    EXTENSION = "extension", _("Extension")
    INSTRUCTION = "instruction", _("Instruction")
    RETURN_VISIT = "return_visit", _("Return visit")


class PolicyLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class PolicyKind(models.TextChoices):
    FUNDING = "funding", _("Funding and awards")
    TAX = "tax", _("Tax incentives")
    FINANCE = "finance", _("Financial support")
    TALENT = "talent", _("Talent support")
    PLATFORM = "platform", _("Platforms")
    QUALIFICATION = "qualification", _("Qualification recognition")
    OTHER = "other", _("Other")


class PolicyDelivery(models.TextChoices):
    NO_APPLICATION = "no_application", _("No application needed")
    INSTANT = "instant", _("Instant on application")
    APPLICATION = "application", _("Application")


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    PUSHED = "pushed", _("Pushed")
    APPLYING = "applying", _("Applying")
    GRANTED = "granted", _("Granted")
    NOT_GRANTED = "not_granted", _("Not granted")
    DECLINED = "declined", _("Declined")


# Statuses that mean the enterprise has been told about the policy.
TOLD_STATUSES = tuple(s for s in MatchStatus.values if s != MatchStatus.SUGGESTED)


class OfferingKind(models.TextChoices):
    FUNDING_PROGRAMME = "funding_programme", _("Funding programme")
    PLATFORM = "platform", _("Platform")
    EXPERT_TEAM = "expert_team", _("Expert team")
    COMMISSIONER = "commissioner", _("S&T commissioner")
    FINANCE_PRODUCT = "finance_product", _("Finance product")
    SERVICE_EVENT = "service_event", _("Service event")
    POLICY_COACHING = "policy_coaching", _("Policy coaching")
    TALENT_PROGRAMME = "talent_programme", _("Talent programme")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("action status", "In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# An action item still to be done (the "overdue" filter, the reminders, my work, the dashboard).
OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you")
    WARNING = "warning", _("Deadline warning")
    OVERDUE = "overdue", _("Overdue")
    SUPERVISION = "supervision", _("Supervision")
    NOTE = "note", _("Follow-up note")
    INSTRUCTION = "instruction", _("Instruction")
    TRANSFER = "transfer", _("Transferred")
    ACTION_OVERDUE = "action_overdue", _("Action item overdue")
    STATUS = "status", _("Status change")
    EXPORT = "export", _("Export ready")
    NEW_NEED = "new_need", _("New need")
    NEED_DIGEST = "need_digest", _("New needs of the day")
    PLAN = "plan", _("Planned visit")
    CADENCE = "cadence", _("Visit cadence")
    EXTENSION = "extension", _("Extension request")
    REPORT = "report", _("Report")
    IMPORT = "import", _("Import")
    QUALIFICATION = "qualification", _("Qualification")
    MILESTONE = "milestone", _("Project milestone")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    INVALID = "invalid", _("Has errors")
    IMPORTED = "imported", _("Imported")
    # A file over IMPORT_SYNC_MAX_ROWS rows is checked and imported by a task (DESIGN §11.9):
    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    IMPORTING = "importing", _("Importing")
    FAILED = "failed", _("Failed")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# ---------------------------------------------------------------------------------------------------------
# The bureau's routine (DESIGN §11.1, §11.2): cadence rules, visit plans, activities.
# ---------------------------------------------------------------------------------------------------------


class CadenceTier(models.TextChoices):
    LINKED = "linked", _("Linked enterprise")
    ASSISTED = "assisted", _("Assisted enterprise")


class CadenceRole(models.TextChoices):
    OFFICER = "officer", _("Liaison officer")
    LEADER = "leader", _("Liaison leader")


class CadencePeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class CadenceStatus(models.TextChoices):
    MET = "met", _("Met")
    DUE = "due", _("Due")
    MISSED = "missed", _("Missed")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned visit")
    DONE = "done", _("Visited")
    CANCELLED = "cancelled", pgettext_lazy("plan status", "Cancelled")


class ActivityKind(models.TextChoices):
    SYMPOSIUM = "symposium", _("Symposium")
    JOINT_RESEARCH = "joint_research", _("Joint research")
    BRIEFING = "briefing", _("Policy briefing")
    MATCHMAKING = "matchmaking", _("Matchmaking meeting")
    TRAINING = "training", _("Training")


class ExtensionStatus(models.TextChoices):
    """An extension request (延期申请) of a need's deadline (DESIGN §11.4)."""

    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


# ---------------------------------------------------------------------------------------------------------
# Reports sent upward (DESIGN §11.6).
# ---------------------------------------------------------------------------------------------------------


class ReportKind(models.TextChoices):
    VISITS_SUMMARY = "visits_summary", _("Visits summary")
    NEEDS_LEDGER = "needs_ledger", _("Needs ledger")
    PROJECTS_PROGRESS = "projects_progress", _("Assisted projects progress")
    POLICY_DELIVERY = "policy_delivery", _("Policy delivery")
    MONTHLY_BRIEF = "monthly_brief", _("Monthly work brief")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", pgettext_lazy("report status", "Accepted")


# A report whose figures are frozen: submitted upward or accepted (a returned one may be generated again).
FROZEN_REPORT_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
# Growth programmes (DESIGN §11.7): cultivation toward a qualification, project milestones.
# ---------------------------------------------------------------------------------------------------------


class CultivationStage(models.TextChoices):
    """Where an enterprise of the cultivation pool (培育库) stands on the way to a qualification."""

    CANDIDATE = "candidate", _("Candidate")
    COACHING = "coaching", _("Coaching")
    APPLIED = "applied", _("Applied")
    PUBLICISED = "publicised", _("Publicised")
    CERTIFIED = "certified", _("Certified")
    FAILED = "failed", pgettext_lazy("cultivation stage", "Failed")


# Stages still on the way (the board's "in the pipeline" count).
OPEN_CULTIVATION_STAGES = (
    CultivationStage.CANDIDATE,
    CultivationStage.COACHING,
    CultivationStage.APPLIED,
    CultivationStage.PUBLICISED,
)


class MilestoneKind(models.TextChoices):
    """A project's milestones in their order: 签约 → 开工 → 竣工 → 投产."""

    SIGNED = "signed", _("Signed")
    STARTED = "started", _("Construction started")
    COMPLETED = "completed", _("Completed")
    IN_PRODUCTION = "in_production", _("In production")
