"""The five report kinds (DESIGN §11.6) on the hand-made March 2025 dataset of tests/report_helpers.py: rows,
totals and figures worked out by hand; the city's own rows leave the county's out and the county's leave the
city's out; consolidation renumbers the rows and recomputes totals and rates."""

import pytest

from crm.choices import ReportKind
from crm.selectors.reports import ReportPeriodError, report_consolidate, report_data, report_period
from tests.report_helpers import PERIOD, TODAY


def _data(kind, bureau):
    return report_data(kind=kind, period=PERIOD, bureau=bureau, today=TODAY)


def test_periods():
    assert report_period("2025-03")[1:] == (TODAY.replace(month=3, day=1), TODAY.replace(month=3, day=31))
    assert report_period("2026q4")[0] == "2026Q4"
    for bad in ("", "2025-13", "March", "1999"):
        with pytest.raises(ReportPeriodError):
            report_period(bad)


def test_visits_summary(march, city_bureau, county_bureau):
    snapshot = _data(ReportKind.VISITS_SUMMARY, city_bureau)
    rows = [
        (r["enterprise"], r["visits"], r["on_site"], r["meeting"], r["remote"], r["needs"], r["last_visit"], r["flag"])
        for r in snapshot["rows"]
    ]
    assert rows == [
        ("甲企业", 3, 2, 0, 1, 1, "2025-03-28", "red"),  # needs raised in March: N1
        ("丙企业", 1, 0, 1, 0, 0, "2025-03-18", "green"),
        ("乙企业", 0, 0, 0, 0, 1, None, ""),  # assisted, not visited; N4 raised in March
    ]
    assert [r["seq"] for r in snapshot["rows"]] == [1, 2, 3]
    assert snapshot["rows"][0]["liaison"] == "officer"
    assert snapshot["totals"] == {"rows": 3, "visits": 4, "on_site": 2, "meeting": 1, "remote": 1, "needs": 2}
    assert snapshot["figures"]["coverage"] == {"count": 1, "total": 2, "percent": 50.0}
    county = _data(ReportKind.VISITS_SUMMARY, county_bureau)
    assert [r["enterprise"] for r in county["rows"]] == ["金湖企业"]
    assert county["totals"]["visits"] == 1


def test_needs_ledger(march, city_bureau, county_bureau):
    snapshot = _data(ReportKind.NEEDS_LEDGER, city_bureau)
    rows = [(r["title"], r["crossed_off"], r["crossed_off_on"], r["overdue"]) for r in snapshot["rows"]]
    assert rows == [
        ("N2", False, None, True),  # carried over, open, due 03-01
        ("N6", True, "2025-03-03", False),  # carried over, closed in March
        ("N1", True, "2025-03-20", False),
        ("PN1", False, None, False),  # due 04-08: not overdue at the end of March
        ("N4", True, "2025-03-12", False),  # rejected: crossed off on the day of the rejection
    ]
    assert snapshot["rows"][3]["enterprise"] == "一号项目"
    assert snapshot["rows"][0]["code"] == march["n2"].code
    figures = snapshot["figures"]
    assert (figures["needs"], figures["crossed_off"], figures["open"], figures["overdue"]) == (5, 3, 2, 1)
    # 及时受理率: N1 accepted by its deadline, N2 late (N4 rejected unaccepted, others without a deadline) → 1/2.
    assert figures["accepted_on_time"] == {"count": 1, "total": 2, "percent": 50.0}
    # 按期办结率 against the original deadline: N1 on time, N6 closed 03-03 after 03-01 → 1/2.
    assert figures["closed_on_time_original"] == {"count": 1, "total": 2, "percent": 50.0}
    # 延期率: N2 has an approved extension; N2, N6, N1 have an original deadline → 1/3.
    assert figures["extended"] == {"count": 1, "total": 3, "percent": 33.3}
    assert figures["satisfaction"] == {"count": 1, "total": 1, "percent": 100.0}
    assert snapshot["totals"] == {"rows": 5}
    county = _data(ReportKind.NEEDS_LEDGER, county_bureau)
    assert [r["title"] for r in county["rows"]] == ["CN1"]


def test_projects_progress(march, city_bureau):
    snapshot = _data(ReportKind.PROJECTS_PROGRESS, city_bureau)
    rows = {r["project"]: r for r in snapshot["rows"]}
    assert set(rows) == {"一号项目", "二号项目"}  # not the unassisted one, nor the county's
    p1 = rows["一号项目"]
    assert (p1["visits"], p1["requests"], p1["requests_new"], p1["requests_settled"], p1["requests_open"]) == (
        1,
        2,
        1,
        1,
        1,
    )
    assert p1["requests_overdue"] == 0
    assert p1["enterprise"] == "甲企业"
    assert p1["last_visit"] == "2025-03-12"
    assert snapshot["totals"]["planned_investment"] == "1200.50"
    assert snapshot["totals"]["requests"] == 2


def test_policy_delivery(march, city_bureau, county_bureau):
    snapshot = _data(ReportKind.POLICY_DELIVERY, city_bureau)
    rows = [
        (r["policy"], r["pushed_period"], r["pushed"], r["applying"], r["granted"], r["not_granted"], r["amount"])
        for r in snapshot["rows"]
    ]
    assert rows == [("政策甲", 2, 3, 1, 1, 1, "10.00"), ("政策乙", 1, 1, 0, 1, 0, "2.50")]
    assert snapshot["rows"][0]["doc_number"] == "淮科〔2025〕1号"
    assert snapshot["totals"] == {
        "rows": 2,
        "pushed_period": 3,
        "pushed": 4,
        "applying": 1,
        "granted": 2,
        "not_granted": 1,
        "amount": "12.50",
    }
    county = _data(ReportKind.POLICY_DELIVERY, county_bureau)
    assert county["totals"]["amount"] == "5.00"


def test_monthly_brief(march, city_bureau):
    snapshot = _data(ReportKind.MONTHLY_BRIEF, city_bureau)
    figures = snapshot["figures"]
    assert (figures["visits"], figures["enterprises_visited"], figures["red_visits"]) == (4, 2, 1)
    assert (figures["needs_raised"], figures["needs_settled"], figures["needs_open"]) == (3, 3, 2)
    assert figures["needs_overdue"] == 2
    assert (figures["policies_pushed"], figures["policies_granted"], figures["amount_granted"]) == (3, 2, "12.50")
    assert figures["closed_on_time_original"]["percent"] == 50.0
    lists = snapshot["lists"]
    assert [item["title"] for item in lists["solved"]] == ["N1", "N6"]
    assert [item["title"] for item in lists["overdue"]] == ["PN1"]  # due 04-08: late, not yet supervised
    assert [item["title"] for item in lists["supervised"]] == ["N2"]  # due 03-01: past the 04-03 cut-off
    assert [item["enterprise"] for item in lists["red_flags"]] == ["甲企业"]
    assert [(p["planned_on"], p["enterprise"]) for p in lists["plans"]] == [("2025-04-15", "甲企业")]
    assert snapshot["next_period"] == "2025-04"


def test_consolidation_adds_the_counties_rows_and_recomputes(march, city_bureau, county_bureau):
    own = _data(ReportKind.NEEDS_LEDGER, city_bureau)
    county = _data(ReportKind.NEEDS_LEDGER, county_bureau)
    merged = report_consolidate(own=own, sources=[(county_bureau.name, 7, county)])
    assert [r["seq"] for r in merged["rows"]] == [1, 2, 3, 4, 5, 6]
    assert [r["unit"] for r in merged["rows"]] == [city_bureau.name] * 5 + [county_bureau.name]
    assert merged["columns"][:2] == ["seq", "unit"]
    assert merged["figures"]["needs"] == 6
    assert merged["figures"]["open"] == 3
    assert merged["sources"] == [{"bureau": county_bureau.name, "report": 7}]
    visits = report_consolidate(
        own=_data(ReportKind.VISITS_SUMMARY, city_bureau),
        sources=[(county_bureau.name, 8, _data(ReportKind.VISITS_SUMMARY, county_bureau))],
    )
    assert visits["totals"]["visits"] == 5
    assert visits["figures"]["coverage"] == {"count": 2, "total": 3, "percent": 66.7}
