"""The ledger of enterprises' yearly figures (年度数据, kind ``enterprise-years``; DESIGN §11.7).

A row is one (enterprise, year): it updates the stored year of that enterprise or adds it. After the rows are
saved, the enterprises touched take their latest year's figures (``enterprise_figures_sync``, the same rule as
``enterprise_year_save``), so the enterprise ledger, the lists and the policy matching follow the import.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import Enterprise, EnterpriseYear
from crm.querysets import key_chunks
from crm.services.programmes import CURRENT_FIGURES, YEAR_FIELDS, enterprise_figures_sync
from crm.sheets.resources.base import (
    EXAMPLE_CREDIT_CODE,
    EXAMPLE_ENTERPRISE,
    LedgerResource,
    col,
    text,
)
from crm.sheets.resources.widgets import DecimalWidget, EnterpriseWidget, IntWidget, is_blank


class EnterpriseYearResource(LedgerResource):
    """Yearly figures of the enterprises in the user's scope, matched on (enterprise, 年度)."""

    kind = "enterprise-years"
    title = "年度数据"
    required_headers = ("年度",)
    aliases = {
        "年份": "年度",
        "统计年度": "年度",
        "企业全称": "企业名称",
        "单位名称": "企业名称",
        "公司名称": "企业名称",
        "社会信用代码": "统一社会信用代码",
        "信用代码": "统一社会信用代码",
        "营业收入": "营业收入(万元)",
        "研发投入": "研发投入(万元)",
        "研发费用(万元)": "研发投入(万元)",
        "职工人数": "从业人数",
        "资产总额": "资产总额(万元)",
        "高新技术产品收入": "高新技术产品收入(万元)",
        "高新技术产品(服务)收入(万元)": "高新技术产品收入(万元)",
        "发明专利": "发明专利数",
        "其他知识产权": "其他知识产权数",
    }
    export_select_related = ("enterprise",)
    example_columns = ("统一社会信用代码", "企业名称")
    notes = {
        "年度": _("The year the figures are for, e.g. 2025. A row updates the enterprise's figures of that year."),
        "企业名称": _("The enterprise by its name, or give its 统一社会信用代码 instead."),
    }

    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    year = col("年度", "year", IntWidget())
    revenue = col("营业收入(万元)", "revenue", DecimalWidget())
    rd_expense = col("研发投入(万元)", "rd_expense", DecimalWidget())
    employees = col("从业人数", "employees", IntWidget())
    rd_staff = col("研发人员数", "rd_staff", IntWidget())
    total_assets = col("资产总额(万元)", "total_assets", DecimalWidget())
    high_tech_revenue = col("高新技术产品收入(万元)", "high_tech_revenue", DecimalWidget())
    invention_patents = col("发明专利数", "invention_patents", IntWidget())
    other_ip = col("其他知识产权数", "other_ip", IntWidget())

    class Meta(LedgerResource.Meta):
        model = EnterpriseYear
        fields = ("enterprise", "enterprise_code", "year", *YEAR_FIELDS)

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._by_pair: dict[tuple[int, int], EnterpriseYear] = {}

    def _prefetch(self, dataset) -> None:
        super()._prefetch(dataset)
        enterprise_ids = sorted({o.pk for bucket in self.fields["enterprise"].widget.index().values() for o in bucket})
        self._by_pair = {}
        for chunk in key_chunks(enterprise_ids):
            for record in self.scoped_queryset().filter(enterprise_id__in=chunk):
                self._by_pair[(record.enterprise_id, record.year)] = record

    def get_instance(self, instance_loader, row):
        if is_blank(row.get("年度")):
            return None  # reported as a required cell
        try:
            enterprise = self.fields["enterprise"].widget.clean(row.get("企业名称"), row=row)
            year = self.fields["year"].widget.clean(row.get("年度"), row=row)
        except ValueError:
            return None  # reported by the column itself
        if enterprise is None or year is None:
            return None
        here = self.sheet_row(self._current)
        first = self._seen.setdefault(("pair", enterprise.pk, year), here)
        if first != here:
            raise ValidationError(
                {"year": _("Row %(row)s gives the same enterprise and year; each may appear once.") % {"row": first}}
            )
        return self._by_pair.get((enterprise.pk, year))

    def row_checks(self, instance, row, errors: dict) -> None:
        if instance.rd_staff is not None and instance.employees is not None and instance.rd_staff > instance.employees:
            errors.setdefault("rd_staff", []).append(_("There are more R&D staff than employees."))

    def after_create(self, objs: list) -> None:
        self._figures_sync(objs)

    def after_update(self, objs: list) -> None:
        self._figures_sync(objs)

    def _figures_sync(self, objs: list) -> None:
        ids = sorted({o.enterprise_id for o in objs})
        with self.journal_updating(Enterprise, ids, [*CURRENT_FIGURES, "updated_at"]):
            enterprise_figures_sync(enterprise_ids=ids)

    def example_row(self):
        return {
            "企业名称": EXAMPLE_ENTERPRISE,
            "统一社会信用代码": EXAMPLE_CREDIT_CODE,
            "年度": 2025,
            "营业收入(万元)": "5200.00",
            "研发投入(万元)": "260.00",
            "从业人数": 120,
            "研发人员数": 18,
            "资产总额(万元)": "8800.00",
            "高新技术产品收入(万元)": "3600.00",
            "发明专利数": 6,
            "其他知识产权数": 21,
        }
