"""``manage.py make_report`` (DESIGN §11.6): the city's report by default, a county's by its region code, the file
copied with ``--output``; a bad period or an unknown bureau is a clear error."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from crm.models import Report

pytestmark = pytest.mark.usefixtures("english_default", "media_root")


def test_make_report(march, tmp_path, city_bureau, county_bureau):
    out = io.StringIO()
    target = tmp_path / "ledger.xlsx"
    call_command("make_report", "needs_ledger", "--period", "2025-03", "--output", str(target), stdout=out)
    report = Report.objects.get()
    assert report.bureau == city_bureau and report.generated_by is None
    assert "5 row(s)" in out.getvalue()
    assert load_workbook(target).active["A1"].value.endswith("Ledger of enterprise needs")
    call_command("make_report", "visits_summary", "--period", "2025-03", "--bureau", "320831", stdout=io.StringIO())
    assert Report.objects.get(kind="visits_summary").bureau == county_bureau


def test_make_report_errors(march):
    with pytest.raises(CommandError, match="2026Q4"):
        call_command("make_report", "needs_ledger", "--period", "March", stdout=io.StringIO())
    with pytest.raises(CommandError, match="999999"):
        call_command("make_report", "needs_ledger", "--period", "2025-03", "--bureau", "999999", stdout=io.StringIO())
    assert not Report.objects.exists()
