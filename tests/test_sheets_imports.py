"""``manage.py import_sheet`` and the file handling behind it: all or nothing, problems by row and column,
encodings, file types, limits, dry runs."""

import io
import os
import zipfile
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from crm.models import Enterprise
from crm.sheets import readers
from crm.sheets.imports import sheet_import
from crm.sheets.resources import RESOURCES, EnterpriseResource
from crm.sheets.resources import base as resources
from tests import sheets_catalogue as catalogue
from tests.factories import credit_code
from tests.sheets_helpers import make_csv, make_xlsx

HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数", "挂钩联系企业"]


pytestmark = pytest.mark.usefixtures("english_default")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sheet", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, data: bytes, name="enterprises.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def good_rows(start=1, count=3):
    return [[f"企业{i}", credit_code(i), "清江浦区", 10 * i, "是"] for i in range(start, start + count)]


@pytest.mark.django_db
def test_import_prints_the_counts(tmp_path, regions):
    path = write(tmp_path, make_xlsx(HEADERS, good_rows()))
    out, _err = run("enterprises", path)
    assert "Created 3, updated 0, unchanged 0." in out
    assert Enterprise.objects.count() == 3
    out, _err = run("enterprises", path)
    assert "Created 0, updated 0, unchanged 3." in out


@pytest.mark.django_db
def test_a_bad_row_writes_nothing_exits_non_zero_and_prints_one_line_per_problem(tmp_path, regions):
    rows = [*good_rows(), ["坏企业", "91320812000000001X", "火星", "-1", "也许"]]
    path = write(tmp_path, make_xlsx(HEADERS, rows))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported: 4 problem\(s\) in 1 row\(s\)\."):
        call_command("import_sheet", "enterprises", path, stdout=out)
    assert out.getvalue().splitlines() == [
        "Row 5, column 统一社会信用代码: The check character of the credit code is wrong: expected Q, got X.",
        "Row 5, column 所属区县: No region is called or coded “火星”.",
        "Row 5, column 从业人数: 从业人数 must be at least 0.",
        "Row 5, column 挂钩联系企业: “也许” is not 是 or 否.",
    ]
    assert not Enterprise.objects.exists()


def test_the_command_exits_with_status_1(tmp_path):
    """What a shell script sees: a non-zero exit status."""
    from django.core.management import ManagementUtility

    path = write(tmp_path, b"")
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_sheet", "enterprises", path]).execute()
    assert exit_info.value.code == 1


@pytest.mark.django_db
def test_dry_run_checks_everything_and_writes_nothing(tmp_path, regions):
    path = write(tmp_path, make_xlsx(HEADERS, good_rows()))
    out, _err = run("enterprises", path, "--dry-run")
    assert "Dry run, nothing saved: 3 to create, 0 to update, 0 unchanged." in out
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_import_as_a_user_applies_their_scope_and_role(tmp_path, regions, county_manager, county_officer):
    path = write(tmp_path, make_xlsx(HEADERS, good_rows()))
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("enterprises", path, "--user", "county_manager")
    with pytest.raises(CommandError, match="Only managers may import ledgers."):
        run("enterprises", path, "--user", "county_officer")
    with pytest.raises(CommandError, match="No user has the user name “nobody”."):
        run("enterprises", path, "--user", "nobody")
    with pytest.raises(CommandError, match="No such file"):
        run("enterprises", str(tmp_path / "missing.xlsx"))


@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_rows_were_written_rolls_all_of_them_back(regions, monkeypatch):
    """All or nothing for real (no test transaction around it), on SQLite and PostgreSQL alike: the rows are
    collected while the library works in batches and written in one atomic block; a database error after the
    rows were inserted leaves none of them."""
    monkeypatch.setattr(EnterpriseResource._meta, "batch_size", 2)
    real = resources.RowsInsert.run
    calls, written = [], []

    def counting(self, **kwargs):
        calls.append(len(self.objs))
        return real(self, **kwargs)

    def failing(self, objs):
        written.append(Enterprise.objects.count())
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(resources.RowsInsert, "run", counting)
    monkeypatch.setattr(EnterpriseResource, "after_create", failing)
    outcome = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, good_rows(count=5)))
    assert calls == [5]  # one write of every row, not one per batch
    assert written == [5]
    assert [p.as_line() for p in outcome.problems] == [
        "The database refused the data: duplicate key value violates unique constraint"
    ]
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()
    # The database is usable afterwards (no aborted transaction left behind).
    monkeypatch.undo()
    assert sheet_import(kind="enterprises", data=make_xlsx(HEADERS, good_rows(count=5))).ok
    assert Enterprise.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_bad_row_after_a_saved_batch_leaves_nothing(regions, monkeypatch):
    monkeypatch.setattr(EnterpriseResource._meta, "batch_size", 2)
    rows = [*good_rows(count=4), ["坏", "bad", "清江浦区", 1, "是"]]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, rows))
    assert [p.row for p in outcome.problems] == [6]
    assert not Enterprise.objects.exists()


# ------------------------------------------------------------------------------------ files and text


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(regions, encoding):
    rows = [["淮安𠀀龘科技有限公司", credit_code(1), "清江浦区", "1,200", "是"]]
    outcome = sheet_import(kind="enterprises", data=make_csv(HEADERS, rows, encoding=encoding))
    assert outcome.ok, [p.as_line() for p in outcome.problems]
    enterprise = Enterprise.objects.get()
    assert (enterprise.name, enterprise.employees, enterprise.is_linked) == ("淮安𠀀龘科技有限公司", 1200, True)


@pytest.mark.django_db
def test_semicolon_separated_csv(regions):
    data = ";".join(HEADERS[:3]).encode() + b"\r\n" + f"甲;{credit_code(1)};清江浦区\r\n".encode()
    assert sheet_import(kind="enterprises", data=data).ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \r\n  ", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old office document but not an Excel workbook"),
        (b"PK\x03\x04garbage", "damaged"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither an Excel workbook (.xlsx, .xls)"),
        # A binary without NUL bytes near the start (e.g. a renamed executable or a truncated workbook).
        ("企业名称\x01\x02\x1b[0m".encode() + bytes(range(0x80, 0xFF)), "neither an Excel workbook (.xlsx, .xls)"),
        ("企业名称,统一社会信用代码\n".encode(), "The file has headers but no data rows."),
        (b"\xff\xfe\x00\x00bad", "neither"),
    ],
)
@pytest.mark.django_db
def test_files_that_cannot_be_read_get_a_clear_message(data, message):
    outcome = sheet_import(kind="enterprises", data=data)
    (problem,) = outcome.problems
    assert problem.row is None
    assert message in problem.message


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook(regions):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    (problem,) = sheet_import(kind="enterprises", data=buffer.getvalue()).problems
    assert "not an Excel workbook" in problem.message


@pytest.mark.django_db
def test_a_workbook_with_a_dtd_is_refused(regions):
    """No entity expansion (billion laughs) through our fast reader: a DTD is refused outright."""
    source = io.BytesIO(make_xlsx(HEADERS, good_rows(count=1)))
    target = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet",
                    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet',
                    1,
                )
            copy.writestr(item, data)
    (problem,) = sheet_import(kind="enterprises", data=target.getvalue()).problems
    assert "not allowed (a DTD)" in problem.message


def test_openpyxl_parses_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


@pytest.mark.django_db
def test_size_and_row_limits(regions, monkeypatch):
    big = b"x" * (10 * 1024 * 1024 + 1)
    (problem,) = sheet_import(kind="enterprises", data=big).problems
    assert problem.message == "The file is larger than 10 MB; split it into several files."
    monkeypatch.setattr(readers, "MAX_ROWS", 5)
    (problem,) = sheet_import(kind="enterprises", data=make_xlsx(HEADERS, good_rows(count=6))).problems
    assert problem.message == "The file has more than 5 data rows; split it into several files."
    assert sheet_import(kind="enterprises", data=make_xlsx(HEADERS, good_rows(count=5))).ok


@pytest.mark.django_db
def test_the_real_row_limit_is_50000(regions):
    lines = ["企业名称,统一社会信用代码"] + [f"企业{i},x" for i in range(50_001)]
    (problem,) = sheet_import(kind="enterprises", data="\n".join(lines).encode()).problems
    assert problem.message == "The file has more than 50,000 data rows; split it into several files."


@pytest.mark.django_db
def test_excel_date_cells_and_serial_numbers(regions):
    import datetime as dt

    headers = ["企业名称", "统一社会信用代码", "所属区县", "成立日期"]
    rows = [["甲", credit_code(1), "清江浦区", dt.datetime(2015, 5, 1)], ["乙", credit_code(2), "清江浦区", 46082]]
    data = make_xlsx(headers, rows, date_cells=[(1, 4)])
    assert sheet_import(kind="enterprises", data=data).ok
    dates = dict(Enterprise.objects.values_list("name", "established_on"))
    assert dates == {"甲": dt.date(2015, 5, 1), "乙": dt.date(2026, 3, 1)}


@pytest.mark.django_db
def test_a_header_less_column_with_data_is_ignored_with_a_warning(regions):
    data = make_xlsx([*HEADERS[:3], None], [["甲", credit_code(1), "清江浦区", "多余"]])
    outcome = sheet_import(kind="enterprises", data=data)
    assert outcome.ok
    assert outcome.warnings == ["Columns not imported (not part of this ledger): (column D without a header)."]


@pytest.mark.django_db
def test_progress_is_reported_for_terminals(tmp_path, regions):
    reports = []
    sheet_import(kind="enterprises", data=make_xlsx(HEADERS, good_rows(count=3)), progress=lambda *a: reports.append(a))
    assert reports[-1] == ("import", 3, 3)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    path = write(tmp_path, make_xlsx(HEADERS, good_rows(count=3)))
    terminal = Terminal()
    with mock.patch("crm.management.commands.import_sheet.PROGRESS_FROM_ROWS", 1):
        call_command("import_sheet", "enterprises", path, stdout=io.StringIO(), stderr=terminal)
    assert "Importing: 3 of 3 rows" in terminal.getvalue()


@pytest.mark.django_db
def test_every_kind_is_accepted_by_the_command(tmp_path):
    for kind in RESOURCES:
        path = write(tmp_path, b"", name=f"{kind}.csv")
        with pytest.raises(CommandError, match="Nothing was imported"):
            run(kind, path)
    with pytest.raises(CommandError):
        run("contacts", str(tmp_path / "x.csv"))


@pytest.mark.django_db
def test_purge_imports_deletes_old_jobs_and_their_files(manager, settings, tmp_path):
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.utils import timezone

    from crm.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    old = ImportJob(user=manager, kind="enterprises", original_name="old.csv", size=3)
    old.file.save("old.csv", ContentFile(b"a,b"), save=False)
    old.created_at = timezone.now() - dt.timedelta(days=8)
    old.save()
    new = ImportJob(user=manager, kind="enterprises", original_name="new.csv", size=3)
    new.file.save("new.csv", ContentFile(b"a,b"), save=True)
    old_path = old.file.path
    call_command("purge_imports", "--days", "7", stdout=io.StringIO())
    assert list(ImportJob.objects.all()) == [new]
    assert not os.path.exists(old_path)
    assert os.path.exists(new.file.path)


@pytest.mark.django_db
def test_the_command_says_which_sheet_and_row_it_read_and_its_warnings(tmp_path, regions):
    path = write(tmp_path, catalogue.title_two_level_header_footer())
    out, err = run("enterprises", path)
    assert "Created 3, updated 0, unchanged 0." in out
    assert err.splitlines() == [
        "Read sheet “企业台账”, headers on row 4.",
        "Note: Columns not imported (not part of this ledger): 备注.",
        "Note: Rows that are not data were skipped: 10（合计）、11（制表人：王伟）.",
    ]
