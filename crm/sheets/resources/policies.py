"""The ledger of the policy library (惠企政策)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from crm import choices
from crm.models import (
    Policy,
)
from crm.services.policies import policy_department_check, policy_derive, policy_edit_check
from crm.sheets.resources.base import (
    EXAMPLE_PREFIX,
    LedgerResource,
    chains_many,
    changed,
    choice,
    col,
    flag,
    qualifications_many,
    regions_many,
    rule_check,
    text,
)
from crm.sheets.resources.widgets import DateWidget, DecimalWidget, DepartmentWidget, IntWidget, MultiChoiceWidget


class PolicyResource(LedgerResource):
    kind = "policies"
    title = "惠企政策"
    key = "id"
    key_lookup = "pk"
    required_headers = ("政策名称",)
    aliases = {"标题": "政策名称", "政策标题": "政策名称", "发文机关": "发文单位", "发文字号": "文号"}
    export_select_related = ("department__bureau",)
    export_prefetch_related = ("regions", "industry_chains", "required_qualifications")
    notes = {"系统编号": _("Leave empty for a new policy; keep it to update an exported policy.")}
    example_columns = ("政策名称",)

    id = col("系统编号", "id", IntWidget(), readonly=True)
    title_ = text("政策名称", "title")
    issuer = text("发文单位", "issuer")
    doc_number = text("文号", "doc_number")
    level = choice("政策层级", "level", choices.PolicyLevel)
    kind_ = choice("政策类型", "kind", choices.PolicyKind)
    delivery = choice("兑现方式", "delivery", choices.PolicyDelivery)
    published_on = col("发布日期", "published_on", DateWidget())
    apply_from = col("申报开始日期", "apply_from", DateWidget())
    apply_until = col("申报截止日期", "apply_until", DateWidget())
    summary = text("政策摘要", "summary")
    conditions_text = text("申报条件", "conditions_text")
    support_text = text("扶持标准", "support_text")
    max_amount = col("最高扶持金额(万元)", "max_amount", DecimalWidget())
    department = col("责任处室", "department", DepartmentWidget())
    url = text("政策链接", "url")
    need_categories = col("适用诉求类别", "need_categories", MultiChoiceWidget(choices.NeedCategory))
    keywords = text("关键词", "keywords")
    is_active = flag("是否有效", "is_active")
    regions = regions_many("适用区县", "regions")
    industry_chains = chains_many("适用产业链", "industry_chains")
    required_qualifications = qualifications_many("所需资质", "required_qualifications")
    min_employees = col("最少从业人数", "min_employees", IntWidget())
    max_employees = col("最多从业人数", "max_employees", IntWidget())
    min_revenue = col("最低营业收入(万元)", "min_revenue", DecimalWidget())
    max_revenue = col("最高营业收入(万元)", "max_revenue", DecimalWidget())
    min_rd_expense = col("最低研发投入(万元)", "min_rd_expense", DecimalWidget())
    min_rd_ratio = col("最低研发投入占比(%)", "min_rd_ratio", DecimalWidget())
    min_years_established = col("最短成立年限", "min_years_established", IntWidget())
    linked_only = flag("仅限挂钩企业", "linked_only")

    class Meta(LedgerResource.Meta):
        model = Policy
        fields = (
            "id",
            "title_",
            "issuer",
            "doc_number",
            "level",
            "kind_",
            "delivery",
            "published_on",
            "apply_from",
            "apply_until",
            "summary",
            "conditions_text",
            "support_text",
            "max_amount",
            "department",
            "url",
            "need_categories",
            "keywords",
            "is_active",
            "regions",
            "industry_chains",
            "required_qualifications",
            "min_employees",
            "max_employees",
            "min_revenue",
            "max_revenue",
            "min_rd_expense",
            "min_rd_ratio",
            "min_years_established",
            "linked_only",
        )

    def existing_checks(self, instance, errors):
        # A county bureau changes only the policies it entered (policy_update answers 403 otherwise).
        rule_check(errors, policy_edit_check, user=self.user, policy=instance)

    def row_checks(self, instance, row, errors):
        policy_derive(policy=instance)
        if changed(instance, "department_id") and "department" not in errors:
            department = instance.department if instance.department_id else None
            rule_check(errors, policy_department_check, user=self.user, department=department)

    def example_row(self):
        return {
            "政策名称": EXAMPLE_PREFIX + "关于支持高新技术企业发展的若干政策",
            "发文单位": "淮安市科学技术局",
            "文号": "淮科发〔2026〕1号",
            "政策层级": "市级",
            "政策类型": "资金奖补",
            "兑现方式": "申报制",
            "发布日期": date(2026, 1, 15),
            "申报截止日期": date(2026, 6, 30),
            "最高扶持金额(万元)": Decimal("30"),
            "适用诉求类别": "资金支持、资质认定",
            "是否有效": "是",
        }
