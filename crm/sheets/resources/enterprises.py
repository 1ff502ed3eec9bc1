"""Ledgers of enterprises (企业台账) and projects (项目台账)."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from crm import choices
from crm.models import (
    Enterprise,
    IndustryChain,
    Project,
    Qualification,
    Region,
)
from crm.services.enterprises import REGION_FOLLOWERS, enterprise_regions_follow, project_derive, region_check
from crm.sheets.resources.base import (
    EXAMPLE_CREDIT_CODE,
    EXAMPLE_ENTERPRISE,
    EXAMPLE_PREFIX,
    LedgerResource,
    _first,
    chain_col,
    changed,
    choice,
    col,
    credit_code_col,
    example_person,
    flag,
    qualifications_many,
    region_col,
    rule_check,
    text,
)
from crm.sheets.resources.widgets import DateWidget, DecimalWidget, EnterpriseWidget, IntWidget, ManyWidget, UserWidget

EXAMPLE_REGION = "320812"  # 清江浦区: a district, not the city itself (淮安市 sorts first)

# ------------------------------------------------------------------------------------------- the kinds


class EnterpriseResource(LedgerResource):
    kind = "enterprises"
    title = "企业台账"
    key = "credit_code"
    key_lookup = "credit_code"
    key_required = True
    required_headers = ("企业名称", "统一社会信用代码")
    aliases = {
        "企业全称": "企业名称",
        "单位名称": "企业名称",
        "公司名称": "企业名称",
        "社会信用代码": "统一社会信用代码",
        "信用代码": "统一社会信用代码",
        "统一信用代码": "统一社会信用代码",
        "区县": "所属区县",
        "所在区县": "所属区县",
        "所属地区": "所属区县",
        "产业链": "所属产业链",
        "资质": "企业资质",
        "营业收入(万元)": "上年营业收入(万元)",
        "研发投入(万元)": "上年研发投入(万元)",
        "法人代表": "法定代表人",
        "法人": "法定代表人",
        "企业地址": "地址",
        "注册地址": "地址",
    }
    export_select_related = ("region", "industry_chain", "liaison_leader")
    export_prefetch_related = ("qualifications", "liaison_officers")
    example_columns = ("统一社会信用代码", "企业名称")

    name = text("企业名称", "name")
    credit_code = credit_code_col()
    region = region_col()
    industry_chain = chain_col()
    qualifications = qualifications_many("企业资质", "qualifications")
    employees = col("从业人数", "employees", IntWidget())
    rd_staff = col("研发人员数", "rd_staff", IntWidget())
    revenue = col("上年营业收入(万元)", "revenue", DecimalWidget())
    rd_expense = col("上年研发投入(万元)", "rd_expense", DecimalWidget())
    established_on = col("成立日期", "established_on", DateWidget())
    legal_representative = text("法定代表人", "legal_representative")
    address = text("地址", "address")
    main_products = text("主要产品", "main_products")
    is_linked = flag("挂钩联系企业", "is_linked")
    is_assisted = flag("挂钩帮办企业", "is_assisted")
    liaison_officers = col("挂钩联系人", "liaison_officers", ManyWidget(UserWidget()))
    liaison_leader = col("挂钩局领导", "liaison_leader", UserWidget())
    party_organization = choice("党组织", "party_organization", choices.PartyOrganization)
    party_members = col("党员人数", "party_members", IntWidget())
    status = choice("经营状态", "status", choices.EnterpriseStatus)

    class Meta(LedgerResource.Meta):
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "region",
            "industry_chain",
            "qualifications",
            "employees",
            "rd_staff",
            "revenue",
            "rd_expense",
            "established_on",
            "legal_representative",
            "address",
            "main_products",
            "is_linked",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "party_organization",
            "party_members",
            "status",
        )

    def not_found_message(self, key, exists: bool):
        return _("An enterprise with this credit code exists outside your bureau's area.")

    def row_checks(self, instance, row, errors):
        if changed(instance, "region_id"):
            rule_check(errors, region_check, user=self.user, region=instance.region_id)
        if instance.rd_staff is not None and instance.employees is not None and instance.rd_staff > instance.employees:
            errors.setdefault("rd_staff", []).append(_("There are more R&D staff than employees."))

    def after_update(self, objs: list) -> None:
        # As enterprise_update: the visits and cultivation cards of an enterprise moved to another region follow it
        # (their stored region).
        moved = [o.pk for o in objs if changed(o, "region_id")]
        if not moved:
            return
        with ExitStack() as stack:
            for model in REGION_FOLLOWERS:
                pks = []
                if self.journal is not None:  # the rows' regions this changes, for the undo journal
                    pks = list(model.objects.filter(enterprise_id__in=moved).values_list("pk", flat=True))
                stack.enter_context(self.journal_updating(model, pks, ["region_id"]))
            enterprise_regions_follow(enterprise_ids=moved)

    def example_row(self):
        region = _first(Region, pk=EXAMPLE_REGION) or _first(Region)
        chain = _first(IndustryChain)
        quals = list(Qualification.objects.order_by("sort_order", "code")[:2])
        return {
            "企业名称": EXAMPLE_ENTERPRISE,
            "统一社会信用代码": EXAMPLE_CREDIT_CODE,
            "所属区县": region.name if region else "清江浦区",
            "所属产业链": chain.name if chain else "",
            "企业资质": "、".join(q.name for q in quals),
            "从业人数": 120,
            "研发人员数": 18,
            "上年营业收入(万元)": Decimal("8000.00"),
            "上年研发投入(万元)": Decimal("320.50"),
            "成立日期": date(2015, 5, 1),
            "法定代表人": "张三",
            "地址": "淮安市清江浦区示例路1号",
            "主要产品": "示例产品",
            "挂钩联系企业": "是",
            "挂钩帮办企业": "否",
            "挂钩联系人": example_person(self.user),
            "挂钩局领导": "",
            "党组织": "党支部",
            "党员人数": 12,
            "经营状态": "正常经营",
        }


class ProjectResource(LedgerResource):
    kind = "projects"
    title = "项目台账"
    key = "id"
    key_lookup = "pk"
    required_headers = ("项目名称",)
    aliases = {"名称": "项目名称", "区县": "所属区县", "产业链": "所属产业链", "计划总投资(万元)": "计划投资(万元)"}
    export_select_related = ("enterprise", "region", "industry_chain", "liaison_leader")
    export_prefetch_related = ("liaison_officers",)
    notes = {"系统编号": _("Leave empty for a new project; keep it to update an exported project.")}
    example_columns = ("项目名称",)

    id = col("系统编号", "id", IntWidget(), readonly=True)
    name = text("项目名称", "name")
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    region = region_col()
    industry_chain = chain_col()
    kind_ = choice("项目类型", "kind", choices.ProjectKind)
    stage = choice("项目阶段", "stage", choices.ProjectStage)
    planned_investment = col("计划投资(万元)", "planned_investment", DecimalWidget())
    description = text("项目简介", "description")
    is_assisted = flag("挂钩帮办项目", "is_assisted")
    liaison_officers = col("挂钩联系人", "liaison_officers", ManyWidget(UserWidget()))
    liaison_leader = col("挂钩局领导", "liaison_leader", UserWidget())
    status = choice("项目状态", "status", choices.ProjectStatus)

    class Meta(LedgerResource.Meta):
        model = Project
        fields = (
            "id",
            "name",
            "enterprise",
            "enterprise_code",
            "region",
            "industry_chain",
            "kind_",
            "stage",
            "planned_investment",
            "description",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "status",
        )

    def row_checks(self, instance, row, errors):
        if "region" not in errors:
            project_derive(project=instance)
        if changed(instance, "region_id"):
            rule_check(errors, region_check, user=self.user, region=instance.region_id)

    def example_row(self):
        region = _first(Region, pk=EXAMPLE_REGION) or _first(Region)
        return {
            "项目名称": EXAMPLE_PREFIX + "年产10万套新能源汽车零部件项目",
            "所属区县": region.name if region else "清江浦区",
            "项目类型": "招商引资",
            "项目阶段": "签约",
            "计划投资(万元)": Decimal("50000"),
            "挂钩帮办项目": "是",
            "项目状态": "推进中",
        }
