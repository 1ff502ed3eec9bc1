"""crm/sheets/resources/bulk.py: the imports' own bulk writes store what the ORM and simple_history would, and
the per-import memos of the resources (crm/sheets/resources/base.py) read every row as if read alone."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from simple_history.utils import bulk_create_with_history

from crm.models import Enterprise, EnterpriseQualification
from crm.sheets.imports import sheet_import
from crm.sheets.resources.bulk import HistoryRows, RowsInsert, RowsUpdate
from crm.sheets.resources.widgets import CHANGE_REASON
from tests.factories import EnterpriseFactory, credit_code
from tests.sheets_helpers import make_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]

SKIP = {"id", "name", "credit_code", "created_at", "updated_at", "qualifications", "liaison_officers"}


def unsaved(regions, chains, user, seed: int, count: int = 3) -> list[Enterprise]:
    return [
        EnterpriseFactory.build(
            name=f"批量{seed}-{i}",
            credit_code=credit_code(seed * 100 + i),
            region=regions["320812"],
            industry_chain=chains["green-food"] if i % 2 else None,
            employees=i * 7,
            revenue=Decimal("1234.50") if i else None,
            rd_expense=Decimal("0.01"),
            established_on=dt.date(2011, 5, 1 + i),
            is_linked=bool(i % 2),
            created_by=user,
            bureau=user.bureau,
        )
        for i in range(count)
    ]


def stored(objs) -> list[dict]:
    fresh = Enterprise.objects.filter(pk__in=[o.pk for o in objs]).order_by("pk")
    return [{k: v for k, v in model_to_dict(e).items() if k not in SKIP} for e in fresh]


def history(objs) -> list[dict]:
    rows = Enterprise.history.filter(id__in=[o.pk for o in objs]).order_by("id")
    return [
        {
            "type": h.history_type,
            "user": h.history_user,
            "reason": h.history_change_reason,
            **{f: getattr(h, f) for f in ("region_id", "employees", "revenue", "established_on", "is_linked")},
        }
        for h in rows
    ]


@pytest.mark.parametrize("vendor", ["sqlite", "other"])  # SQLite's executemany path and the RETURNING path
def test_rows_insert_stores_what_the_orm_stores(regions, chains, manager, vendor):
    expected = bulk_create_with_history(
        unsaved(regions, chains, manager, 1), Enterprise, default_user=manager, default_change_reason=CHANGE_REASON
    )
    mine = unsaved(regions, chains, manager, 2)
    with transaction.atomic(), mock.patch.object(connection, "vendor", vendor):
        RowsInsert(mine, Enterprise, batch_size=2).run(user=manager, reason=CHANGE_REASON)
    assert [o.pk for o in mine] == sorted(o.pk for o in mine) and all(not o._state.adding for o in mine)
    assert [o.name for o in Enterprise.objects.filter(pk__in=[o.pk for o in mine]).order_by("pk")] == [
        "批量2-0",
        "批量2-1",
        "批量2-2",
    ]
    assert stored(mine) == stored(expected)
    assert history(mine) == history(expected)
    assert {h["type"] for h in history(mine)} == {"+"} and history(mine)[1]["revenue"] == Decimal("1234.50")
    created = Enterprise.objects.get(pk=mine[0].pk)
    assert created.created_at is not None and created.updated_at is not None


@pytest.mark.parametrize("vendor", ["sqlite", "other"])
def test_rows_insert_copies_the_history_rows_in_the_database(regions, chains, manager, vendor):
    """The "+" history rows are copied from the inserted rows by one INSERT … SELECT (no row built in Python),
    and hold every tracked value simple_history's bulk_create_with_history writes."""
    expected = bulk_create_with_history(
        unsaved(regions, chains, manager, 7), Enterprise, default_user=manager, default_change_reason=CHANGE_REASON
    )
    mine = unsaved(regions, chains, manager, 8)
    statements = []

    def recording(execute, sql, params, many, context):
        if "historicalenterprise" in sql:
            statements.append((sql.split(" ")[0], many))
        return execute(sql, params, many, context)

    with (
        transaction.atomic(),
        mock.patch.object(connection, "vendor", vendor),
        connection.execute_wrapper(recording),
    ):
        RowsInsert(mine, Enterprise).run(user=manager, reason=CHANGE_REASON)
    assert statements == [("INSERT", False)]
    skip = {"history_id", "history_date", "id", "name", "credit_code", "created_at", "updated_at"}

    def full(objs):
        rows = Enterprise.history.filter(id__in=[o.pk for o in objs]).order_by("id").values()
        return [{k: v for k, v in row.items() if k not in skip} for row in rows]

    assert full(mine) == full(expected) and len(full(mine)) == 3
    assert [h.name for h in Enterprise.history.filter(id__in=[o.pk for o in mine]).order_by("id")] == [
        "批量8-0",
        "批量8-1",
        "批量8-2",
    ]
    created = {e.pk: e for e in Enterprise.objects.filter(pk__in=[o.pk for o in mine])}
    for row in Enterprise.history.filter(id__in=[o.pk for o in mine]):
        assert (row.created_at, row.updated_at, row.credit_code) == (
            created[row.id].created_at,
            created[row.id].updated_at,
            created[row.id].credit_code,
        )


def test_an_object_with_its_own_history_reason_gets_its_history_row_from_python(regions, chains, manager):
    objs = unsaved(regions, chains, manager, 9, count=2)
    objs[1]._change_reason = "另一原因"
    with transaction.atomic():
        RowsInsert(objs, Enterprise).run(user=manager, reason=CHANGE_REASON)
    reasons = Enterprise.history.filter(id__in=[o.pk for o in objs]).order_by("id")
    assert [h.history_change_reason for h in reasons] == [CHANGE_REASON, "另一原因"]


def test_sqlite_rows_go_out_in_statements_as_long_as_sqlite_allows(regions, chains, manager):
    """Many rows per INSERT (one statement per row makes the search index flush a segment per row), cut at
    SQLite's parameter limit; the keys still come back in the rows' order."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own path")
    objs = unsaved(regions, chains, manager, 4, count=5)
    per_row = len([f for f in Enterprise._meta.concrete_fields if not f.primary_key])
    inserts = []

    def counting(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "crm_enterprise"'):
            inserts.append(len(params) // per_row)
        return execute(sql, params, many, context)

    with (
        transaction.atomic(),
        mock.patch("crm.sheets.resources.bulk.sqlite_max_params", return_value=per_row * 2 + 1),
        connection.execute_wrapper(counting),
    ):
        RowsInsert(objs, Enterprise).run(user=manager, reason=CHANGE_REASON)
    assert inserts == [2, 2, 1]
    assert [e.name for e in Enterprise.objects.filter(pk__in=[o.pk for o in objs]).order_by("pk")] == [
        o.name for o in objs
    ]
    assert Enterprise.history.filter(id__in=[o.pk for o in objs], history_type="+").count() == 5


@pytest.mark.parametrize("vendor", ["sqlite", "other"])  # UPDATE … FROM (VALUES …) and executemany
def test_rows_update_stores_what_save_stores(regions, chains, manager, vendor):
    objs = unsaved(regions, chains, manager, 5, count=5)
    with transaction.atomic():
        RowsInsert(objs, Enterprise).run(user=manager, reason=CHANGE_REASON)
    expected = unsaved(regions, chains, manager, 6, count=5)
    names = ["name", "employees", "revenue", "established_on", "is_linked", "industry_chain", "updated_at"]
    for obj, other in zip(objs, expected, strict=True):
        for name in names:
            setattr(obj, name, getattr(other, name))
        obj.updated_at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    objs[1].revenue, objs[2].industry_chain = Decimal("0.50"), chains["nev"]
    with (
        transaction.atomic(),
        mock.patch.object(connection, "vendor", vendor),
        mock.patch("crm.sheets.resources.bulk.sqlite_max_params", return_value=len(names) * 2 + 2),
    ):
        RowsUpdate(list(reversed(objs)), Enterprise, names).run()
    for obj in objs:
        fresh = Enterprise.objects.get(pk=obj.pk)
        assert [getattr(fresh, n) for n in names] == [getattr(obj, n) for n in names]
    assert Enterprise.objects.get(pk=objs[1].pk).revenue == Decimal("0.50")
    assert Enterprise.objects.filter(name__startswith="批量6-").count() == 5


def test_history_rows_of_an_update_write_a_change_row_each(regions, chains, manager):
    objs = unsaved(regions, chains, manager, 3)
    with transaction.atomic():
        RowsInsert(objs, Enterprise).run(user=manager, reason=CHANGE_REASON)
    for obj in objs:
        obj.employees = 999
    HistoryRows(objs, Enterprise, history_type="~", user=manager, reason=CHANGE_REASON).run()
    latest = [Enterprise.history.filter(id=o.pk).order_by("-history_id").first() for o in objs]
    assert [(h.history_type, h.employees, h.history_user) for h in latest] == [("~", 999, manager)] * 3


HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数", "上年营业收入(万元)", "经营状态"]


def test_a_value_refused_once_is_refused_on_every_row(regions, manager):
    """The memos remember refusals too: each row with the value gets the message (widget and model field)."""
    rows = [[f"记忆企业{i}", credit_code(300 + i), "火星", -1, "1", "正常"] for i in range(3)]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, rows), user=manager)
    lines = [p.as_line() for p in outcome.problems]
    assert [line.split(",")[0] for line in lines if "火星" in line] == ["Row 2", "Row 3", "Row 4"]
    assert len([line for line in lines if "从业人数" in line]) == 3
    assert not Enterprise.objects.exists()


def test_equal_decimals_with_other_decimal_places_are_checked_apart(regions, manager):
    """Decimal('1.00') == Decimal('1.000'), but only one has too many decimal places for 万元 (two)."""
    rows = [
        ["小数企业1", credit_code(401), "清江浦区", 1, "1.00", "正常"],
        ["小数企业2", credit_code(402), "清江浦区", 1, "1.000", "正常"],
        ["小数企业3", credit_code(403), "清江浦区", 1, "1.00", "正常"],
    ]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, rows), user=manager)
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "上年营业收入(万元)")]


def test_a_repeated_key_is_still_a_duplicate(regions, manager):
    code = credit_code(501)
    rows = [["重复企业", code, "清江浦区", 1, "", "正常"], ["重复企业二", code.lower(), "清江浦区", 2, "", "正常"]]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, rows), user=manager)
    assert [p.as_line() for p in outcome.problems] == [
        "Row 3, column 统一社会信用代码: Row 2 has the same 统一社会信用代码; each record may appear once."
    ]


def test_an_update_removing_qualifications_keeps_their_history(enterprise, qualifications, manager):
    EnterpriseQualification.objects.create(enterprise=enterprise, qualification=qualifications["hnte"])
    EnterpriseQualification.objects.create(enterprise=enterprise, qualification=qualifications["tsme"])
    headers = ["企业名称", "统一社会信用代码", "企业资质"]
    rows = [[enterprise.name, enterprise.credit_code, qualifications["tsme"].name]]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(headers, rows), user=manager)
    assert outcome.updated == 1, outcome.problems
    assert list(enterprise.qualifications.values_list("code", flat=True)) == ["tsme"]
    (removed,) = EnterpriseQualification.history.filter(history_type="-")
    assert (removed.qualification_id, removed.enterprise_id, removed.history_user) == (
        qualifications["hnte"].pk,
        enterprise.pk,
        manager,
    )
    assert removed.history_change_reason == CHANGE_REASON
