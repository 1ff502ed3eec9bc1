"""WCAG 2.1 AA in a real browser (issue 17 item 7): axe-core 4.14.1 on every page for every role.

axe-core is vendored from npm (crm/static/vendor/axe-core) and injected by the test with ``add_script_tag``: no
page of the application loads it (the audit's browser context bypasses the Content-Security-Policy, which refuses
the injected inline script; tests/test_middleware.py checks the policy itself). The demo programme
(``crm.devdata.demo.demo_seed``) is loaded once; then each demo login (officer, manager, leader, admin,
county_officer) opens the lists (one as a dashboard drill-down, with its filter chips), forms, dashboard,
calendar, reports, imports, search and account pages, and the detail, edit and sub-pages reached by following
links (an enterprise's contacts and service links, a visit's print form, a need's new action item …). A second
test audits the pages met on the way rather than from the menu: the enterprise's own page (企业服务码), an
import preview with errors, a background export, and the 404, 403, session-expired (CSRF) and 500 pages. Every
serious or critical violation of the WCAG 2.0/2.1 A and AA rules fails the test, listed with its page.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils.timezone import localdate
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from crm.devdata.demo import demo_seed
from crm.models import Contact, User
from crm.services.portal import access_link_create
from crm.services.reports import report_generate
from crm.tasks import report_render
from crm.views import home
from tests.factories import credit_code
from tests.sheets_helpers import make_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "crm" / "static" / "vendor" / "axe-core" / "axe.min.js"
ROLES = ["officer", "manager", "leader", "admin", "county_officer"]
DEMO_PASSWORD = "demo12345"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# (name, path): the main pages of §8.2 and §11. Pages a role may not open (403/404) are skipped for it.
PAGES = [
    ("home", "/"),
    ("search", "/search/?q=淮安"),
    ("search-nothing", "/search/?q=查无此项"),
    ("enterprises", "/enterprises/"),
    ("enterprise-new", "/enterprises/new/"),
    ("projects", "/projects/"),
    ("project-new", "/projects/new/"),
    ("milestones", "/projects/milestones/"),
    ("visits", "/visits/"),
    ("visit-new", "/visits/new/"),
    ("plans", "/visits/plans/"),
    ("plans-calendar", "/visits/plans/?view=calendar"),
    ("plan-new", "/visits/plans/new/"),
    ("activities", "/activities/"),
    ("activity-new", "/activities/new/"),
    ("needs", "/needs/"),
    ("needs-drill-down", "/needs/?region=320812&open=true&ordering=-due_on"),
    ("need-new", "/needs/new/"),
    ("policies", "/policies/"),
    ("policy-new", "/policies/new/"),
    ("offerings", "/offerings/"),
    ("offering-new", "/offerings/new/"),
    ("action-items", "/action-items/"),
    ("dashboard", "/dashboard/"),
    ("cultivation", "/cultivation/"),
    ("cultivation-new", "/cultivation/new/"),
    ("commissioners", "/commissioners/"),
    ("reports", "/reports/"),
    ("imports", "/imports/"),
    ("notifications", "/notifications/"),
    ("account", "/me/"),
    ("password-change", "/accounts/password_change/"),
    ("password-changed", "/accounts/password_change/done/"),
]
# (name, where, pattern): the page reached by the first link matching ``pattern`` in the <main> of ``where``, a
# path or "@name" of a page found before (its detail, edit and sub-pages); a pattern "+suffix" is that page's
# address with the suffix (a page linked only for browsers without JavaScript).
LINKED = [
    ("enterprise", "/enterprises/", r"^/enterprises/\d+/$"),
    ("enterprise-edit", "@enterprise", r"^/enterprises/\d+/edit/$"),
    ("enterprise-suggestions", "@enterprise", "+suggestions/"),
    ("contact-new", "@enterprise", r"^/enterprises/\d+/contacts/new/$"),
    ("contact-edit", "@enterprise", r"^/contacts/\d+/edit/$"),
    ("access-links", "@enterprise", r"^/contacts/\d+/access-links/$"),
    ("project", "/projects/", r"^/projects/\d+/$"),
    ("project-edit", "@project", r"^/projects/\d+/edit/$"),
    ("visit", "/visits/", r"^/visits/\d+/$"),
    ("visit-edit", "@visit", r"^/visits/\d+/edit/$"),
    ("visit-print", "@visit", r"^/visits/\d+/print/$"),
    ("activity", "/activities/", r"^/activities/\d+/$"),
    ("activity-edit", "@activity", r"^/activities/\d+/edit/$"),
    ("need", "/needs/", r"^/needs/\d+/$"),
    ("action-item-new", "@need", r"^/action-items/new/\?"),
    ("policy", "/policies/", r"^/policies/\d+/$"),
    ("policy-edit", "@policy", r"^/policies/\d+/edit/$"),
    ("offering-edit", "/offerings/", r"^/offerings/\d+/edit/$"),
    ("action-item-edit", "/action-items/", r"^/action-items/\d+/edit/$"),
    ("report", "/reports/", r"^/reports/\d+/$"),
]

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1])}));
}"""


def violations(page) -> list[str]:
    """Serious and critical WCAG A/AA violations on the page once its deferred parts (htmx, hx-trigger="load")
    have loaded."""
    try:
        page.wait_for_function("() => !document.querySelector('[hx-trigger~=\"load\"]')", timeout=10_000)
    except PlaywrightTimeoutError:
        pass  # audit what is there
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, WCAG_AA)
    return [f"{v['impact']} {v['id']}: {v['help']} — {'; '.join(v['nodes'])}" for v in found if v["impact"] in BLOCKING]


def audit(page, url: str) -> list[str] | None:
    """Serious and critical WCAG A/AA violations on ``url`` (None if it does not open: a page this user may not
    open)."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return None
    return violations(page)


def opened(page, url: str, status: int = 200) -> list[str]:
    """``audit`` of a page that must open with ``status``."""
    response = page.goto(url)
    assert response is not None and response.status == status, f"{url}: {response and response.status}"
    return violations(page)


def linked_url(page, base: str, where: str, pattern: str) -> str | None:
    if pattern.startswith("+"):
        return base + where + pattern[1:]
    if page.goto(base + where).status != 200:
        return None
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return next((base + href for href in hrefs if re.match(pattern, href)), None)


def log_in(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    return page


def audit_context(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    context.set_default_timeout(20_000)
    return context


def audit_site(browser, base: str, roles=ROLES) -> tuple[dict[str, list[str]], set[str]]:
    """``{"role page": [violations]}`` for the log-in page and every page × role (only pages with violations), and
    the names of the pages audited for at least one role."""
    report: dict[str, list[str] | None] = {}
    audited: set[str] = set()
    context = audit_context(browser)
    page = context.new_page()
    report["anonymous login"] = audit(page, f"{base}/accounts/login/")
    context.close()
    for role in roles:
        context = audit_context(browser)
        page = log_in(context, base, role)
        for name, path in PAGES:
            report[f"{role} {name}"] = found = audit(page, base + path)
            if found is not None:
                audited.add(name)
        reached: dict[str, str] = {}
        for name, where, pattern in LINKED:
            if where.startswith("@") and where[1:] not in reached:
                continue
            url = linked_url(page, base, reached[where[1:]] if where.startswith("@") else where, pattern)
            if url:
                reached[name] = url.removeprefix(base)
                report[f"{role} {name} ({reached[name]})"] = found = audit(page, url)
                if found is not None:
                    audited.add(name)
        context.close()
    return {key: found for key, found in report.items() if found}, audited


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo users' password
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_seed()
    # A report with its file, as a manager makes one on /reports/ (the demo programme has none).
    report = report_generate(user=User.objects.get(username="manager"), kind="needs_ledger", period=f"{localdate():%Y}")
    report_render.enqueue(report.pk)


def test_axe_finds_no_serious_or_critical_violation_on_any_page_for_any_role(demo, browser, live_server):
    violations, audited = audit_site(browser, live_server.url)
    assert not violations, "\n".join(f"{key}:\n  " + "\n  ".join(found) for key, found in violations.items())
    # Every page was opened by some role: a link pattern that stopped matching would skip its page silently.
    assert {name for name, *_ in PAGES + LINKED} - audited == set()


def test_axe_finds_no_serious_or_critical_violation_on_the_pages_met_on_the_way(
    demo, browser, live_server, settings, tmp_path, monkeypatch
):
    base = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_SYNC_MAX_ROWS = 1  # any list is "long": the export is prepared in the background
    manager = User.objects.get(username="manager")
    contact = Contact.objects.annotate(n=Count("enterprise__needs")).order_by("-n", "-is_primary", "pk").first()
    _, token = access_link_create(user=manager, contact=contact)
    report = {}

    context = audit_context(browser)
    page = context.new_page()
    report["enterprise's own page"] = opened(page, f"{base}/e/{token}/")
    report["unknown service link (404)"] = opened(page, f"{base}/e/{'x' * 43}/", status=404)
    context.close()

    context = audit_context(browser)
    page = log_in(context, base, "manager")
    report["not found (404)"] = opened(page, f"{base}/enterprises/999999/", status=404)
    page.goto(f"{base}/imports/")  # an import preview with errors: a region that does not exist
    page.select_option("#id_kind", "enterprises")
    rows = [["淮安无此区县科技有限公司", credit_code(901), "无此区县", "", 10]]
    (tmp_path / "台账.xlsx").write_bytes(
        make_xlsx(["企业名称", "统一社会信用代码", "所属区县", "所属产业链", "从业人数"], rows)
    )
    page.set_input_files("#id_file", str(tmp_path / "台账.xlsx"))
    page.click("#import-check")
    page.wait_for_selector("#import-problems")
    report["import preview with errors"] = violations(page)
    report["export confirm"] = opened(page, f"{base}/needs/export/")
    with page.expect_navigation():
        page.click("#export-start")
    report["export progress"] = violations(page)
    page.goto(f"{base}/needs/new/")  # the session-expired page: a form posted with a stale token
    context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": base}])
    with page.expect_navigation():
        page.click("#need-save")
    assert page.locator("#csrf-failure").count() == 1
    report["session expired (CSRF)"] = violations(page)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(home.HomeView, "get", broken)
    report["server error (500)"] = opened(page, f"{base}/", status=500)
    context.close()

    context = audit_context(browser)
    page = log_in(context, base, "leader")
    report["forbidden (403)"] = opened(page, f"{base}/policies/new/", status=403)
    context.close()

    violations_found = {key: found for key, found in report.items() if found}
    assert not violations_found, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in violations_found.items())


def test_axe_is_not_loaded_by_the_pages_themselves(demo, browser, live_server):
    context = browser.new_context()
    page = log_in(context, live_server.url, "manager")
    for path in ("/", "/visits/new/", "/dashboard/"):
        page.goto(live_server.url + path)
        assert page.evaluate("typeof window.axe") == "undefined"
    context.close()
