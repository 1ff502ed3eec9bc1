"""crm/sheets/files.py: formula-injection escaping of the xlsx/CSV writers and of the admin's datasets."""

import csv
import io

import pytest
import tablib

from crm.sheets.files import cell_escape, dataset_escape, write_csv, write_xlsx
from crm.sheets.resources import resource_for
from tests.sheets_helpers import read_xlsx

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------- escaping


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_dangerous_prefix_is_escaped_in_xlsx_and_csv_headers_too(prefix):
    value = prefix + "cmd|' /C calc'!A0"
    assert cell_escape(value) == "'" + value
    xlsx_rows = read_xlsx(write_xlsx([prefix + "表头"], [[value], [12], ["安全"]]))
    expected = [("'" + prefix + "表头",), ("'" + value,), (12,), ("安全",)]

    # Whether a carriage return comes back as such or as a line feed depends on the XML library openpyxl uses
    # (lxml keeps it); the apostrophe in front is what matters.
    def lf(rows):
        return [tuple(v.replace("\r", "\n") if isinstance(v, str) else v for v in r) for r in rows]

    assert lf(xlsx_rows) == lf(expected)
    text = write_csv([prefix + "表头"], [[value]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["'" + prefix + "表头"], ["'" + value]]


def test_the_library_dataset_is_escaped_for_the_admin_export(enterprise, manager):
    enterprise.name = "@SUM(1+1)"
    enterprise.save()
    dataset = resource_for("enterprises").export()
    assert dataset.dict[0]["企业名称"] == "'@SUM(1+1)"
    other = tablib.Dataset(["=1", 2], headers=["-h", "ok"])
    dataset_escape(other)
    assert other.headers == ["'-h", "ok"] and list(other[0]) == ["'=1", 2]


def test_safe_values_are_left_alone():
    assert cell_escape("淮安") == "淮安"
    assert cell_escape(-5) == -5
    assert cell_escape(None) is None
    assert cell_escape("a=b") == "a=b"
