"""The ``enterprise-years`` ledger (年度数据): export → import round trip, matching on (enterprise, 年度), the
enterprise's current figures following the latest year, scope, and all-or-nothing on a bad row."""

from decimal import Decimal

import pytest

from crm.models import EnterpriseYear
from crm.services.programmes import enterprise_year_save
from crm.sheets.exports import ledger_export
from crm.sheets.imports import sheet_import
from crm.sheets.resources import RESOURCES
from tests.sheets_helpers import make_xlsx, read_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["企业名称", "统一社会信用代码", "年度", "营业收入(万元)", "研发投入(万元)", "从业人数"]


def test_the_kind_is_registered():
    assert RESOURCES["enterprise-years"]._meta.model is EnterpriseYear


def test_round_trip_changes_nothing_and_an_edit_updates_the_year(manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2024, data={"revenue": 7000, "employees": 110})
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": 8800, "rd_expense": 400})
    exported = ledger_export(kind="enterprise-years", user=manager)
    rows = read_xlsx(exported)
    header_row = next(i for i, r in enumerate(rows) if r and r[0] == "企业名称")
    headers, body = list(rows[header_row]), [list(r) for r in rows[header_row + 1 :] if any(r)]
    assert len(body) == 2
    again = sheet_import(kind="enterprise-years", data=make_xlsx(headers, body), user=manager)
    assert again.ok, again.problems
    assert (again.created, again.updated) == (0, 0)
    # Change the 2025 revenue in the file: the year is updated, not duplicated, and the enterprise follows.
    year_col = headers.index("年度")
    revenue_col = headers.index("营业收入(万元)")
    for row in body:
        if str(row[year_col]) == "2025":
            row[revenue_col] = "9100"
    outcome = sheet_import(kind="enterprise-years", data=make_xlsx(headers, body), user=manager)
    assert outcome.ok, outcome.problems
    assert outcome.updated == 1
    assert EnterpriseYear.objects.filter(enterprise=enterprise).count() == 2
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("9100")
    assert enterprise.employees == 110  # from 2024: 2025 gives no head count


def test_a_new_older_year_does_not_override_the_latest(manager, enterprise):
    enterprise_year_save(user=manager, enterprise=enterprise, year=2025, data={"revenue": 8800})
    rows = [[enterprise.name, enterprise.credit_code, 2022, "1000", "10", 50]]
    assert sheet_import(kind="enterprise-years", data=make_xlsx(HEADERS, rows), user=manager).ok
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("8800")


def test_a_bad_row_writes_nothing(manager, enterprise):
    rows = [
        [enterprise.name, enterprise.credit_code, 2024, "1000", "10", 50],
        [enterprise.name, enterprise.credit_code, 2024, "1200", "12", 55],  # the same year twice
    ]
    outcome = sheet_import(kind="enterprise-years", data=make_xlsx(HEADERS, rows), user=manager)
    assert not outcome.ok
    assert any("年度" in str(p) for p in outcome.problems)
    assert not EnterpriseYear.objects.exists()


def test_a_county_manager_cannot_import_a_city_enterprise(county_manager, enterprise):
    rows = [[enterprise.name, enterprise.credit_code, 2024, "1000", "10", 50]]
    outcome = sheet_import(kind="enterprise-years", data=make_xlsx(HEADERS, rows), user=county_manager)
    assert not outcome.ok
    assert not EnterpriseYear.objects.exists()
