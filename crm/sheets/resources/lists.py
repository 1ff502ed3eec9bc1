"""Ledgers of the resource list (资源清单) and the action list (行动清单)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import choices
from crm.choices import ActionStatus
from crm.models import (
    ActionItem,
    Need,
    Offering,
)
from crm.services.errors import TransitionConflict
from crm.services.lists import (
    action_item_department_check,
    action_item_derive,
    action_item_due_check,
    action_item_links_check,
    action_item_offering_check,
    action_item_owner_check,
    action_item_result_check,
    action_item_status_apply,
    offering_department_check,
    offering_derive,
)
from crm.sheets.resources.base import (
    EXAMPLE_PREFIX,
    LedgerResource,
    changed,
    choice,
    col,
    example_person,
    flag,
    rule_check,
    text,
)
from crm.sheets.resources.widgets import (
    CodeWidget,
    DateWidget,
    DepartmentWidget,
    IntWidget,
    MultiChoiceWidget,
    OfferingWidget,
    ProjectWidget,
    UserWidget,
)


class OfferingResource(LedgerResource):
    kind = "offerings"
    title = "资源清单"
    key = "id"
    key_lookup = "pk"
    required_headers = ("资源名称",)
    aliases = {"名称": "资源名称", "处室": "提供处室", "责任处室": "提供处室"}
    export_select_related = ("department__bureau",)
    notes = {"系统编号": _("Leave empty for a new offering; keep it to update an exported offering.")}
    example_columns = ("资源名称",)

    id = col("系统编号", "id", IntWidget(), readonly=True)
    name = text("资源名称", "name")
    department = col("提供处室", "department", DepartmentWidget())
    kind_ = choice("资源类型", "kind", choices.OfferingKind)
    description = text("资源说明", "description")
    need_categories = col("适用诉求类别", "need_categories", MultiChoiceWidget(choices.NeedCategory))
    contact_name = text("联系人", "contact_name")
    contact_phone = text("联系电话", "contact_phone")
    available_until = col("有效期至", "available_until", DateWidget())
    is_active = flag("是否有效", "is_active")

    class Meta(LedgerResource.Meta):
        model = Offering
        fields = (
            "id",
            "name",
            "department",
            "kind_",
            "description",
            "need_categories",
            "contact_name",
            "contact_phone",
            "available_until",
            "is_active",
        )

    def row_checks(self, instance, row, errors):
        if "department" in errors:
            return
        if instance.pk is None:
            offering_derive(offering=instance, user=self.user)  # the creator's department, as offering_create
        # A county manager keeps the offerings of its own bureau's departments (as offering_create/update do).
        departments = self.fields["department"].widget
        before = (instance._import_snapshot or {}).get("department_id")
        for department_id in dict.fromkeys([before, instance.department_id]):
            if department_id is not None:
                department = departments.by_id(department_id)
                rule_check(errors, offering_department_check, user=self.user, department=department)

    def example_row(self):
        department = self.user.department if self.user is not None and self.user.department_id else None
        return {
            "资源名称": EXAMPLE_PREFIX + "高企认定辅导",
            "提供处室": department.name if department else "",
            "资源类型": "政策辅导",
            "适用诉求类别": "资质认定、政策咨询",
            "联系人": "李四",
            "联系电话": "0517-80000000",
            "是否有效": "是",
        }


class ActionItemResource(LedgerResource):
    kind = "action-items"
    title = "行动清单"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "行动编号", "事项": "行动事项", "责任人员": "责任人", "时限": "完成时限", "状态": "办理状态"}
    export_select_related = ("need", "project", "enterprise", "offering", "owner", "department__bureau")
    notes = {
        "行动编号": _("Leave empty for a new record; keep it to update an exported record."),
        "完成日期": _("Today when left empty and the status becomes 已完成; cleared for other statuses."),
    }
    example_columns = ("行动事项",)

    code = text("行动编号", "code", upper=True, readonly=True)
    title_ = text("行动事项", "title")
    need = col("诉求编号", "need", CodeWidget(Need, _("No need in your area has the code “%(value)s”.")))
    project = col("项目名称", "project", ProjectWidget())
    enterprise = text("企业名称", "enterprise__name", readonly=True)
    offering = col("资源名称", "offering", OfferingWidget())
    owner = col("责任人", "owner", UserWidget())
    department = col("责任处室", "department", DepartmentWidget())
    due_on = col("完成时限", "due_on", DateWidget())
    status = choice("办理状态", "status", choices.ActionStatus)
    result = text("办理结果", "result")
    completed_on = col("完成日期", "completed_on", DateWidget())

    class Meta(LedgerResource.Meta):
        model = ActionItem
        fields = (
            "code",
            "title_",
            "need",
            "project",
            "enterprise",
            "offering",
            "owner",
            "department",
            "due_on",
            "status",
            "result",
            "completed_on",
        )

    def row_checks(self, instance, row, errors):
        # The checks of action_item_create (a new row) and action_item_update (a changed cell), per row.
        today = timezone.localdate()
        need = instance.need if instance.need_id else None
        project = instance.project if instance.project_id else None
        if not {"need", "project"} & set(errors):
            rule_check(errors, action_item_links_check, need=need, project=project)
        if instance.pk is None:
            action_item_derive(item=instance, user=self.user)
        else:
            if changed(instance, "need_id") or changed(instance, "project_id"):
                instance.enterprise_id = None  # derived again from the new need or project, as action_item_update
            instance.enterprise_derive()
        if changed(instance, "department_id") and "department" not in errors:
            department = instance.department if instance.department_id else None
            rule_check(errors, action_item_department_check, user=self.user, department=department)
        if changed(instance, "owner_id") and "owner" not in errors:
            rule_check(errors, action_item_owner_check, owner=instance.owner if instance.owner_id else None)
        if changed(instance, "offering_id") and "offering" not in errors:
            offering = instance.offering if instance.offering_id else None
            rule_check(errors, action_item_offering_check, offering=offering, today=today)
        if instance.pk is None and "due_on" not in errors:
            rule_check(errors, action_item_due_check, due_on=instance.due_on, today=today)
        if "status" not in errors:
            self._status_apply(instance, errors, today=today)

    def _status_apply(self, instance, errors, *, today) -> None:
        """The row's status, reached from the stored one (a new item's from planned) as the services move it."""
        status, completed_on = instance.status, instance.completed_on
        if instance.pk is None:
            instance.status = ActionStatus.PLANNED
        else:
            instance.status = (instance._import_snapshot or {}).get("status", status)
        try:
            action_item_status_apply(item=instance, status=status, today=today, completed_on=completed_on)
        except TransitionConflict as error:
            errors["status"] = [error.message]
            return
        except ValidationError as error:
            errors.update(error.message_dict)
            return
        if "result" not in errors:
            rule_check(errors, action_item_result_check, item=instance)

    def extra_update_fields(self):
        return ["updated_at", "enterprise", "completed_on"]

    def example_row(self):
        return {
            "行动事项": EXAMPLE_PREFIX + "组织高企认定辅导",
            "诉求编号": "",
            "责任人": example_person(self.user),
            "完成时限": timezone.localdate() + timedelta(days=30),
            "办理状态": "待办",
        }
