"""Ledgers of visits (走访记录) and needs (诉求清单)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import choices
from crm.models import (
    Need,
    NeedEvent,
    Visit,
)
from crm.services.needs import need_derive, need_project_check, need_recorded_event
from crm.services.visits import (
    visit_answers_check,
    visit_officers_derive,
    visit_officers_flag_refresh,
    visit_project_check,
)
from crm.sheets.resources.base import (
    EXAMPLE_CREDIT_CODE,
    EXAMPLE_ENTERPRISE,
    LedgerResource,
    changed,
    choice,
    col,
    example_person,
    rule_check,
    text,
)
from crm.sheets.resources.widgets import (
    BureauWidget,
    CodeWidget,
    DateWidget,
    DepartmentWidget,
    EnterpriseWidget,
    ManyWidget,
    ProjectWidget,
    UserWidget,
    is_blank,
)
from crm.workdays import TimeLimits


class VisitResource(LedgerResource):
    kind = "visits"
    title = "走访记录"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "走访编号", "日期": "走访日期", "走访时间": "走访日期", "走访人": "走访人员"}
    export_select_related = ("enterprise", "project", "lead")
    export_prefetch_related = ("officers",)
    notes = {"走访编号": _("Leave empty for a new record; keep it to update an exported record.")}
    example_columns = ("统一社会信用代码", "企业名称")

    code = text("走访编号", "code", upper=True, readonly=True)
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    project = col("项目名称", "project", ProjectWidget())
    visited_on = col("走访日期", "visited_on", DateWidget())
    kind_ = choice("走访方式", "kind", choices.VisitKind)
    lead = col("带队领导", "lead", UserWidget())
    officers = col("走访人员", "officers", ManyWidget(UserWidget()))
    interviewee = text("受访人", "interviewee")
    interviewee_title = text("受访人职务", "interviewee_title")
    q_needs = text("问需", "q_needs")
    q_difficulties = text("问难", "q_difficulties")
    q_suggestions = text("问计", "q_suggestions")
    party_notes = text("党建情况", "party_notes")
    policies_briefed = text("宣讲政策", "policies_briefed")
    resolved_on_site = text("现场解决事项", "resolved_on_site")
    flag_ = choice("预警标识", "flag", choices.VisitFlag)
    next_visit_on = col("下次走访日期", "next_visit_on", DateWidget())

    class Meta(LedgerResource.Meta):
        model = Visit
        fields = (
            "code",
            "enterprise",
            "enterprise_code",
            "project",
            "visited_on",
            "kind_",
            "lead",
            "officers",
            "interviewee",
            "interviewee_title",
            "q_needs",
            "q_difficulties",
            "q_suggestions",
            "party_notes",
            "policies_briefed",
            "resolved_on_site",
            "flag_",
            "next_visit_on",
        )

    def row_checks(self, instance, row, errors):
        # The same rules as visit_create: three answers, the project of the visit's enterprise, officers' default.
        if not {"q_needs", "q_difficulties", "q_suggestions"} & set(errors):
            rule_check(errors, visit_answers_check, visit=instance)
        if not {"enterprise", "project"} & set(errors) and instance.enterprise_id:
            rule_check(errors, visit_project_check, enterprise=instance.enterprise, project=instance.project)
        if instance.pk is None:
            instance._import_m2m["officers"] = visit_officers_derive(
                officers=instance._import_m2m.get("officers"), user=self.user
            )
        if changed(instance, "enterprise_id"):  # as save(); the enterprise is the look-up's, its region loaded
            instance.region_derive()

    def extra_update_fields(self):
        return ["updated_at", "region"]  # written (and journaled for undo) with the row's columns

    def rows_run(self, plan: dict) -> None:
        super().rows_run(plan)
        # As visit_create / visit_update: the flag follows the lead and officers just written (journaled for undo).
        if plan["created"]:
            visit_officers_flag_refresh(visit_ids=[obj.pk for obj in plan["created"]])
        if plan["updated"]:
            pks = [obj.pk for obj in plan["updated"]]
            with self.journal_updating(Visit, pks, ["officers_besides_lead"]):
                visit_officers_flag_refresh(visit_ids=pks)

    def example_row(self):
        return {
            "企业名称": EXAMPLE_ENTERPRISE,
            "统一社会信用代码": EXAMPLE_CREDIT_CODE,
            "走访日期": timezone.localdate(),
            "走访方式": "实地走访",
            "走访人员": example_person(self.user),
            "受访人": "王五",
            "受访人职务": "总经理",
            "问需": "希望对接高校研发团队",
            "问难": "研发人才招引难",
            "问计": "建议组织产学研对接会",
            "预警标识": "正常",
        }


# Fields of an existing need that only the transitions of DESIGN §4.1 change.
WORKFLOW_ATTRIBUTES = (
    ("lead_department_id", "lead_department"),
    ("handler_id", "handler"),
    ("due_on", "due_on"),
    ("resolution", "resolution"),
    ("satisfaction", "satisfaction"),
)


class NeedResource(LedgerResource):
    kind = "needs"
    title = "诉求清单"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "诉求编号", "标题": "诉求标题", "诉求内容": "诉求描述", "类别": "诉求类别", "状态": "办理状态"}
    export_select_related = ("enterprise", "project", "visit", "bureau", "lead_department__bureau", "handler")
    export_prefetch_related = ("assisting_departments__bureau",)
    notes = {"诉求编号": _("Leave empty for a new record; keep it to update an exported record.")}
    example_columns = ("统一社会信用代码", "企业名称")

    code = text("诉求编号", "code", upper=True, readonly=True)
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    project = col("项目名称", "project", ProjectWidget())
    visit = col("走访编号", "visit", CodeWidget(Visit, _("No visit in your area has the code “%(value)s”.")))
    source = choice("诉求来源", "source", choices.NeedSource)
    category = choice("诉求类别", "category", choices.NeedCategory)
    title_ = text("诉求标题", "title")
    description = text("诉求描述", "description")
    urgency = choice("紧急程度", "urgency", choices.Urgency)
    status = choice("办理状态", "status", choices.NeedStatus)
    bureau = col("承办科技局", "bureau", BureauWidget())
    lead_department = col("主办处室", "lead_department", DepartmentWidget())
    assisting_departments = col("协办处室", "assisting_departments", ManyWidget(DepartmentWidget()))
    handler = col("经办人", "handler", UserWidget())
    due_on = col("办理时限", "due_on", DateWidget())
    resolution = text("办理结果", "resolution")
    satisfaction = choice("满意度", "satisfaction", choices.Satisfaction, blank=True)

    class Meta(LedgerResource.Meta):
        model = Need
        fields = (
            "code",
            "enterprise",
            "enterprise_code",
            "project",
            "visit",
            "source",
            "category",
            "title_",
            "description",
            "urgency",
            "status",
            "bureau",
            "lead_department",
            "assisting_departments",
            "handler",
            "due_on",
            "resolution",
            "satisfaction",
        )

    def row_checks(self, instance, row, errors):
        if instance.pk is None:
            if "诉求来源" not in row or is_blank(row.get("诉求来源")):
                instance.source = ""  # not the model default: need_derive decides, as for need_create
            try:
                if getattr(self, "_time_limits", None) is None:
                    self._time_limits = TimeLimits()  # the table and calendar once per import, not per row
                need_derive(need=instance, user=self.user, limits=self._time_limits)
            except ValidationError as error:
                errors.setdefault(NON_FIELD_ERRORS, []).extend(error.messages)
        if not instance.enterprise_id and not instance.project_id and not {"enterprise", "project"} & set(errors):
            errors.setdefault("enterprise", []).append(
                _("A need belongs to an enterprise or a project; give at least one.")
            )
        if not {"enterprise", "project"} & set(errors) and instance.enterprise_id and instance.project_id:
            rule_check(errors, need_project_check, enterprise=instance.enterprise, project=instance.project)
        snapshot = instance._import_snapshot or {}
        # The closed loop (DESIGN §4.1) moves an existing need only through its verbs, each logged on the
        # timeline; an import may set the status of new needs (an old ledger) but not move existing ones.
        if "status" in snapshot and instance.status != snapshot["status"] and "status" not in errors:
            errors["status"] = [_("Change the status of an existing need on its page, not by import.")]
        if "bureau_id" in snapshot and instance.bureau_id != snapshot["bureau_id"] and "bureau" not in errors:
            errors["bureau"] = [_("Transfer an existing need on its page, not by import.")]
        # Likewise assignment, deadline, answer and rating: the verbs log them (an extension needs a reason).
        for attname, name in WORKFLOW_ATTRIBUTES:
            if attname in snapshot and getattr(instance, attname) != snapshot[attname] and name not in errors:
                errors[name] = [_("Change this on the need's page (assign, extend, answer), not by import.")]

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk:
            instance.version += 1  # optimistic locking: an open form on this need must reload

    def extra_update_fields(self):
        return ["updated_at", "version"]

    def after_create(self, objs: list) -> None:
        # The first timeline entry of every new need, as need_create writes it, in one INSERT per batch.
        events = [need_recorded_event(need=need, user=self.user) for need in objs]
        NeedEvent.objects.bulk_create(events, batch_size=self._meta.batch_size)
        if self.journal is not None:
            self.journal.created(NeedEvent, [event.pk for event in events])

    def example_row(self):
        return {
            "企业名称": EXAMPLE_ENTERPRISE,
            "统一社会信用代码": EXAMPLE_CREDIT_CODE,
            "诉求来源": "走访",
            "诉求类别": "人才引进",
            "诉求标题": "引进高端研发人才",
            "诉求描述": "企业急需电池管理系统方向的研发人才",
            "紧急程度": "一般",
        }
