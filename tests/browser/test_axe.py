"""WCAG 2.1 AA in a real browser (issue 17 item 7): axe-core 4.14.1 on every main page for every role.

axe-core is vendored from npm (crm/static/vendor/axe-core) and injected by the test with ``add_script_tag``: no
page of the application loads it (the audit's browser context bypasses the Content-Security-Policy, which refuses
the injected inline script; tests/test_middleware.py checks the policy itself). The demo programme
(``crm.devdata.demo.demo_seed``) is loaded once; then each demo login (officer, manager, leader, admin,
county_officer) opens the lists, forms, dashboard, calendar, reports, imports and search, and one detail page of
each kind, found by following the first link of its list. Every serious or critical violation of the WCAG 2.0/2.1
A and AA rules fails the test, listed with its page.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from crm.devdata.demo import demo_seed

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
    ("enterprises", "/enterprises/"),
    ("enterprise-new", "/enterprises/new/"),
    ("projects", "/projects/"),
    ("project-new", "/projects/new/"),
    ("visits", "/visits/"),
    ("visit-new", "/visits/new/"),
    ("plans", "/visits/plans/"),
    ("plans-calendar", "/visits/plans/?view=calendar"),
    ("plan-new", "/visits/plans/new/"),
    ("activities", "/activities/"),
    ("activity-new", "/activities/new/"),
    ("needs", "/needs/"),
    ("need-new", "/needs/new/"),
    ("policies", "/policies/"),
    ("offerings", "/offerings/"),
    ("action-items", "/action-items/"),
    ("dashboard", "/dashboard/"),
    ("cultivation", "/cultivation/"),
    ("commissioners", "/commissioners/"),
    ("reports", "/reports/"),
    ("imports", "/imports/"),
    ("notifications", "/notifications/"),
    ("account", "/me/"),
]
# (name, list path, pattern of a detail link on it): one detail page of each kind.
DETAILS = [
    ("enterprise", "/enterprises/", r"^/enterprises/\d+/$"),
    ("project", "/projects/", r"^/projects/\d+/$"),
    ("visit", "/visits/", r"^/visits/\d+/$"),
    ("activity", "/activities/", r"^/activities/\d+/$"),
    ("need", "/needs/", r"^/needs/\d+/$"),
    ("policy", "/policies/", r"^/policies/\d+/$"),
    ("report", "/reports/", r"^/reports/\d+/$"),
]

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1])}));
}"""


def audit(page, url: str) -> list[str]:
    """Serious and critical WCAG A/AA violations on ``url`` (empty if the page cannot be opened by this user)."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return []
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, WCAG_AA)
    return [f"{v['impact']} {v['id']}: {v['help']} — {'; '.join(v['nodes'])}" for v in found if v["impact"] in BLOCKING]


def detail_url(page, base: str, list_path: str, pattern: str) -> str | None:
    if page.goto(base + list_path).status != 200:
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


def audit_site(browser, base: str, roles=ROLES) -> dict[str, list[str]]:
    """``{"role page": [violations]}`` for the log-in page and every page × role; only pages with violations."""
    report = {}
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    report["anonymous login"] = audit(page, f"{base}/accounts/login/")
    context.close()
    for role in roles:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
        context.set_default_timeout(20_000)
        page = log_in(context, base, role)
        for name, path in PAGES:
            report[f"{role} {name}"] = audit(page, base + path)
        for name, list_path, pattern in DETAILS:
            url = detail_url(page, base, list_path, pattern)
            if url:
                report[f"{role} {name} ({url.removeprefix(base)})"] = audit(page, url)
        context.close()
    return {key: found for key, found in report.items() if found}


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo users' password
    demo_seed()


def test_axe_finds_no_serious_or_critical_violation_on_any_page_for_any_role(demo, browser, live_server):
    violations = audit_site(browser, live_server.url)
    assert not violations, "\n".join(f"{key}:\n  " + "\n  ".join(found) for key, found in violations.items())


def test_axe_is_not_loaded_by_the_pages_themselves(demo, browser, live_server):
    context = browser.new_context()
    page = log_in(context, live_server.url, "manager")
    for path in ("/", "/visits/new/", "/dashboard/"):
        page.goto(live_server.url + path)
        assert page.evaluate("typeof window.axe") == "undefined"
    context.close()
