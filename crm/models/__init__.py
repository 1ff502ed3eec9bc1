"""Models of the one app ``crm``, split by sub-area and re-exported here."""

from crm.models.base import CodeSequence, code_next
from crm.models.clock import ExtensionRequest, TimeLimit
from crm.models.engagement import Holiday, Need, NeedEvent, Visit, VisitAttachment
from crm.models.enterprises import Contact, Enterprise, EnterpriseQualification, Project
from crm.models.exports import ExportJob
from crm.models.imports import ImportJob, ImportUndo
from crm.models.lists import ActionItem, Offering
from crm.models.notifications import Notification
from crm.models.organisation import Bureau, Department, User
from crm.models.policies import Policy, PolicyMatch
from crm.models.portal import EnterpriseAccess, NeedAttachment
from crm.models.programmes import (
    Commissioner,
    CommissionerAssignment,
    Cultivation,
    CultivationTarget,
    EnterpriseYear,
    ProjectMilestone,
    ProjectProgress,
    ServiceLog,
)
from crm.models.reference import IndustryChain, Qualification, Region
from crm.models.reports import Report
from crm.models.routine import Activity, ActivityAttachment, ActivityParticipant, CadenceRule, CalendarKey, VisitPlan
from crm.models.throttles import ThrottleCounter

__all__ = [
    "ActionItem",
    "Activity",
    "ActivityAttachment",
    "ActivityParticipant",
    "Bureau",
    "CadenceRule",
    "CalendarKey",
    "CodeSequence",
    "Commissioner",
    "CommissionerAssignment",
    "Contact",
    "Cultivation",
    "CultivationTarget",
    "Department",
    "Enterprise",
    "EnterpriseAccess",
    "EnterpriseQualification",
    "EnterpriseYear",
    "ExportJob",
    "ExtensionRequest",
    "Holiday",
    "ImportJob",
    "ImportUndo",
    "IndustryChain",
    "Need",
    "NeedAttachment",
    "NeedEvent",
    "Notification",
    "Offering",
    "Policy",
    "PolicyMatch",
    "Project",
    "ProjectMilestone",
    "ProjectProgress",
    "Qualification",
    "Region",
    "Report",
    "ServiceLog",
    "ThrottleCounter",
    "TimeLimit",
    "User",
    "Visit",
    "VisitAttachment",
    "VisitPlan",
    "code_next",
]
