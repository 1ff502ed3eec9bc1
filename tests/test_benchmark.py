"""``manage.py benchmark`` (DESIGN §9.2) on a tiny generated dataset: the table, not the timings."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.management.commands.benchmark import cases_build

pytestmark = pytest.mark.django_db

NUMERIC = ("p50 ms", "p95 ms", "floor", "ORM p50", "ORM p95", "ratio", "queries")


@pytest.fixture
def tiny_dataset():
    call_command("seed_scale", "--scale", "0.001", "--seed", "3", "--no-analyze", stdout=StringIO())


def run(*args: str) -> str:
    out = StringIO()
    call_command("benchmark", "--repeat", "1", *args, stdout=out)
    return out.getvalue()


def table_rows(output: str) -> dict[str, dict[str, str]]:
    """The table as {row name: {column: cell}}, cut at the column positions of the dashed line."""
    lines = output.splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("---"))
    header, spans, pos = lines[dashes - 1], [], 0
    for part in lines[dashes].split("  "):
        spans.append((pos, pos + len(part)))
        pos += len(part) + 2
    names = [header[a:b].strip() for a, b in spans]
    rows = {}
    for line in lines[dashes + 1 :]:
        if not line or line.startswith("ratio =") or " of " in line and "rows within" in line:
            break
        cells = [line[a:b].strip() if i < len(spans) - 1 else line[a:].strip() for i, (a, b) in enumerate(spans)]
        rows[cells[0]] = dict(zip(names, cells, strict=True))
    return rows


def test_table_has_every_row_with_numbers(tiny_dataset):
    output = run()
    rows = table_rows(output)
    expected = [case.name for case in cases_build(region="320831")]
    assert list(rows) == expected
    for name in (
        "API enterprises region+linked",
        "API needs assigned+overdue",
        "API visits last 90 days",
        "web enterprises region+linked",
        "web needs assigned+overdue",
        "web enterprise 360°",
        "API eligible enterprises",
        "API need policy-suggestions",
    ):
        assert name in rows
    for name, row in rows.items():
        for column in NUMERIC:
            float(row[column])  # a number in every numeric column
        assert int(row["queries"]) >= 1, name
        assert row["verdict"] == "ok" or row["verdict"].startswith(("OVER", "HTTP")), name
        assert row["path"].startswith("/"), name
    assert "/api/v1/enterprises/?region=320831&is_linked=true" in output
    assert f"of {len(expected)} rows within the DESIGN §9.2 targets" in output


def test_every_row_answers_200(tiny_dataset):
    rows = table_rows(run())
    failing = {name for name, row in rows.items() if row["verdict"].startswith("HTTP")}
    assert not failing


def test_policy_matches_row_answers_200(tiny_dataset):
    rows = table_rows(run("--only", "policy-matches"))
    assert rows["API policy-matches pushed"]["verdict"] != "HTTP 500"


def test_only_filters_rows_and_repeat_is_checked(tiny_dataset):
    rows = table_rows(run("--only", "360"))
    assert list(rows) == ["web enterprise 360°"]
    with pytest.raises(CommandError):
        call_command("benchmark", "--repeat", "0", stdout=StringIO())


def test_ratio_is_against_the_floor_plus_the_orm_and_the_360_page_has_a_query_budget():
    from crm.management.commands.benchmark import LIST, PAGE_360, Case, Result

    row = Result(Case("x", "/x/", lambda: None, LIST), 9.0, 20.0, 1.0, 1.0, 5, 200, floor=2.0)
    assert row.ratio == 3.0 and row.verdict() == "ok"
    assert Result(Case("x", "/x/", lambda: None, LIST), 9.1, 20.0, 1.0, 1.0, 5, 200, floor=2.0).verdict() == (
        "OVER ratio>3"
    )
    page = Result(Case("p", "/enterprises/1/", lambda: None, PAGE_360), 10.0, 30.0, 1.0, 1.0, 16, 200, floor=2.0)
    assert page.verdict() == "OVER queries>15"
    assert Case("a", "/api/v1/needs/", lambda: None).floor_path == "/api/v1/me/"
    assert Case("w", "/needs/", lambda: None).floor_path == "/me/"


def test_a_county_managers_home_page_is_a_row(tiny_dataset):
    """Issue 18: a county manager's 工作台 (its own inbox and 预警企业 plans) is measured beside the city's."""
    rows = table_rows(run("--only", "county manager 工作台"))
    assert not rows["web county manager 工作台 (inbox, watch)"]["verdict"].startswith("HTTP")


def test_a_county_managers_dashboard_is_a_row(tiny_dataset):
    """Issue 18: a county manager's uncached dashboard (the county scope's plans), page and API, beside the city's."""
    rows = table_rows(run("--only", "county manager dashboard"))
    assert set(rows) == {"web county manager dashboard", "API county manager dashboard"}
    assert all(not row["verdict"].startswith("HTTP") for row in rows.values())
