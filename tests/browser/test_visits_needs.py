"""At phone size (375×812): log a 登门三问 visit with two needs, then walk one need to closed with an
unsatisfied return visit on the way; the printed visit record fits one A4 page. Screenshots: /tmp/shots/."""

import base64
import re

import pytest

from crm.choices import NeedStatus
from crm.models import Need, Visit
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

NAV_TIMEOUT = 30_000  # a busy CI machine: saving runs several queries and renders a full page
# A real 1×1 PNG: the detail page shows it as a thumbnail.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def team(lead_department, handler, enterprise, officer, manager):
    enterprise.liaison_officers.add(officer)
    return {"department": lead_department, "handler": handler}


def screenshot(page, path: str) -> None:
    """A full-page screenshot, plus one per screen height (``<name>-1.png`` …) to look at without scaling."""
    page.screenshot(path=path, full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    step = page.viewport_size["height"]
    for index, top in enumerate(range(0, height, step), start=1):
        clip = {"x": 0, "y": top, "width": width, "height": min(step, height - top)}
        page.screenshot(path=path.replace(".png", f"-{index}.png"), full_page=True, clip=clip)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def transition(page, verb: str, fill=None, shot=None):
    """Open the verb's small form under its button, fill it, confirm; wait for the page to reload."""
    page.click(f"#btn-{verb}")
    page.wait_for_selector(f"#action-{verb}.collapse.show")  # opened (not still animating)
    if fill:
        fill(page)
    if shot:
        screenshot(page, shot)
    with page.expect_navigation(timeout=NAV_TIMEOUT):
        page.click(f"#submit-{verb}")


def status_of(page) -> str:
    return page.get_attribute("#need-status", "data-status")


def test_visit_with_two_needs_then_close_one(page_as, live_server, enterprise, officer, manager, team, shots):
    # --- the officer logs the visit on a phone -------------------------------------------------------------
    page = page_as(officer, viewport=PHONE)
    page.goto(f"{live_server.url}/visits/new/?enterprise={enterprise.pk}")
    assert page.locator("#id_enterprise").input_value() == str(enterprise.pk)
    page.click("label[for=id_kind_0]")
    page.fill("#id_q_needs", "计划扩建二期厂房，需要新增用地 30 亩")
    page.fill("#id_q_difficulties", "流动资金紧张")
    page.fill("#id_interviewee", "王建国")
    page.fill("#id_interviewee_title", "总经理")
    page.fill("#id_needs-0-title", "新增工业用地 30 亩")
    page.select_option("#id_needs-0-category", "land")
    page.click("label[for=id_needs-0-urgency_1]")  # urgent
    page.click("#add-need")
    page.wait_for_selector("#id_needs-1-title")
    page.fill("#id_needs-1-title", "科技贷款 500 万元")
    page.select_option("#id_needs-1-category", "finance")
    page.set_input_files("#id_attachments", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("label[for=id_flag_1]")  # yellow
    assert no_horizontal_scroll(page)
    # Touch targets: the main buttons are at least 44 px high.
    for selector in ("#add-need", "#visit-save", "label[for=id_kind_0]"):
        assert page.locator(selector).bounding_box()["height"] >= 43, selector
    screenshot(page, shots("visit-form-phone"))
    with page.expect_navigation(timeout=NAV_TIMEOUT):
        page.click("#visit-save")

    visit = Visit.objects.get()
    assert page.url.endswith(f"/visits/{visit.pk}/")
    assert visit.needs.count() == 2
    assert visit.attachments.count() == 1
    assert page.locator("#visit-needs tbody tr").count() == 2
    page.screenshot(path=shots("visit-detail-phone"), full_page=True)

    # The printed record (走访记录表) fits one A4 page.
    page.goto(f"{live_server.url}/visits/{visit.pk}/print/")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.screenshot(path=shots("visit-print-phone"), full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=shots("visit-print-a4"), full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size(PHONE)

    need = visit.needs.get(category="land")
    need_url = f"{live_server.url}/needs/{need.pk}/"
    handler = team["handler"]

    # --- the manager accepts and assigns --------------------------------------------------------------------
    boss = page_as(manager, viewport=PHONE)
    boss.goto(need_url)
    assert status_of(boss) == NeedStatus.NEW
    transition(boss, "accept")
    assert status_of(boss) == NeedStatus.ACCEPTED

    def assign(p):
        p.select_option("#id_assign-lead_department", str(team["department"].pk))
        p.select_option("#id_assign-handler", str(handler.pk))

    transition(boss, "assign", assign, shot=shots("need-assign-phone"))
    assert status_of(boss) == NeedStatus.ASSIGNED
    assert boss.locator("#need-due-on").inner_text().strip() != "—"

    # --- the handler starts and answers ---------------------------------------------------------------------
    worker = page_as(handler, viewport=PHONE)
    worker.goto(need_url)
    buttons = worker.locator("#need-actions button[data-verb]")
    assert sorted(buttons.evaluate_all("els => els.map(e => e.dataset.verb)")) == ["extend", "start"]
    transition(worker, "start")
    transition(worker, "answer", lambda p: p.fill("#id_answer-resolution", "已协调自然资源部门，列入年度供地计划"))
    assert status_of(worker) == NeedStatus.ANSWERED

    # --- the officer goes back: not satisfied ---------------------------------------------------------------
    page.goto(need_url)
    assert page.locator("#need-actions button[data-verb]").evaluate_all("els => els.map(e => e.dataset.verb)") == [
        "return-visit"
    ]

    def unsatisfied(p):
        p.click("label[for=id_return-visit-satisfaction_2]")
        p.fill("#id_return-visit-text", "用地指标尚未落实")

    page.click("#btn-return-visit")
    page.wait_for_selector("#action-return-visit.collapse.show")
    unsatisfied(page)
    screenshot(page, shots("need-detail-phone"))
    with page.expect_navigation(timeout=NAV_TIMEOUT):
        page.click("#submit-return-visit")
    assert status_of(page) == NeedStatus.IN_PROGRESS
    assert no_horizontal_scroll(page)

    # --- answered again, then satisfied: closed -------------------------------------------------------------
    worker.goto(need_url)
    transition(worker, "answer", lambda p: p.fill("#id_answer-resolution", "已完成供地，企业签订出让合同"))
    page.goto(need_url)
    transition(page, "return-visit", lambda p: p.click("label[for=id_return-visit-satisfaction_0]"))
    assert status_of(page) == NeedStatus.CLOSED
    kinds = page.locator("#event-list > li").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds.count("return_visit") == 2
    page.screenshot(path=shots("need-closed-phone"), full_page=True)

    need.refresh_from_db()
    assert need.status == NeedStatus.CLOSED
    assert need.satisfaction == "satisfied"
    assert Need.objects.get(category="finance").status == NeedStatus.NEW

    # The officer's bell shows the notice about the answer; the need list at phone size.
    page.goto(f"{live_server.url}/needs/?status=closed")
    assert page.locator("#result-count").get_attribute("data-count") == "1"
    page.screenshot(path=shots("need-list-phone"), full_page=True)

    # The 360° page shows the visit and both needs in one timeline.
    page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
    kinds = page.locator(".engagement-timeline li[data-kind]").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert sorted(kinds) == ["need", "need", "visit"]
    page.locator(".engagement-timeline").screenshot(path=shots("enterprise-timeline-phone"))
