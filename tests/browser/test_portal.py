"""At phone size (375×812), without an account: the enterprise opens its service link, raises a need with a photo,
the need waits in the manager's 工作台 inbox (待受理), the manager answers it (services move it along), and the
enterprise rates the answer unsatisfied: the need is back in progress (办理中). Screenshots: /tmp/shots/."""

import base64

import pytest

from crm.choices import NeedSource, NeedStatus
from crm.models import Need
from crm.services.needs import need_accept, need_answer, need_start
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

NAV_TIMEOUT = 30_000
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_enterprise_raises_follows_and_rates_a_need_from_a_phone(
    browser, live_server, page_as, portal_link, manager, handler, lead_department, shots, media_root
):
    _, token = portal_link
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}/e/{token}/")
        assert phone.locator("#portal-title").inner_text() == "淮安清源食品科技有限公司"
        assert phone.locator("#main-nav").count() == 0  # no staff navigation
        assert no_horizontal_scroll(phone)
        phone.screenshot(path=shots("portal-375"), full_page=True)

        phone.select_option("#id_category", "funding")
        phone.fill("#id_title", "中试线设备购置资金缺口")
        phone.fill("#id_description", "新建中试线需购置检测设备，资金缺口约 200 万元。")
        phone.set_input_files("#id_attachments", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
        phone.click("#portal-need-submit")
        phone.wait_for_url(f"**/e/{token}/#needs", timeout=NAV_TIMEOUT)
        assert "已提交" in phone.locator("[data-testid=portal-message]").inner_text()
        need = Need.objects.get(title="中试线设备购置资金缺口")
        assert (need.source, need.status, need.attachments.count()) == (NeedSource.PLATFORM, NeedStatus.NEW, 1)
        card = phone.locator(f"#need-{need.pk}")
        assert card.locator("[data-testid=need-status]").inner_text() == "待受理"

        # The manager sees it in the 工作台 inbox, 待受理.
        desk = page_as(manager, viewport=DESKTOP)
        inbox = desk.locator("#inbox-accept")
        assert "中试线设备购置资金缺口" in inbox.inner_text()
        desk.screenshot(path=shots("portal-manager-inbox-1280"), full_page=True)

        # The manager accepts and assigns, the handler starts and answers (services, as the staff pages would).
        need = need_accept(
            need=need, user=manager, version=need.version, lead_department=lead_department.pk, handler=handler.pk
        )
        need = need_start(need=need, user=handler, version=need.version)
        need_answer(need=need, user=handler, version=need.version, resolution="已对接科技金融产品“苏科贷”。")

        phone.reload()
        card = phone.locator(f"#need-{need.pk}")
        assert card.locator("[data-testid=need-status]").inner_text() == "已答复"
        card.locator("summary").first.click()
        assert "苏科贷" in card.inner_text()
        assert handler.username not in phone.content()
        card.locator("input[value=unsatisfied]").check()
        card.locator("textarea").fill("贷款额度不够，仍有缺口。")
        phone.screenshot(path=shots("portal-rating-375"), full_page=True)
        card.locator("[data-testid=rate-submit]").click()
        phone.wait_for_url(f"**/e/{token}/#need-{need.pk}", timeout=NAV_TIMEOUT)
        card = phone.locator(f"#need-{need.pk}")
        assert card.locator("[data-testid=need-status]").inner_text() == "办理中"
        need.refresh_from_db()
        assert (need.status, need.satisfaction, need.rated_by_enterprise) == (
            NeedStatus.IN_PROGRESS,
            "unsatisfied",
            True,
        )
        # The staff timeline shows the rating as the contact's.
        desk.goto(f"{live_server.url}/needs/{need.pk}/")
        assert desk.locator("[data-testid=by-enterprise]").count() == 2  # raised and rated by 王经理
        desk.screenshot(path=shots("portal-need-staff-1280"), full_page=True)

        wide = browser.new_page(viewport=DESKTOP)
        wide.goto(f"{live_server.url}/e/{token}/")
        wide.screenshot(path=shots("portal-1280"), full_page=True)
        wide.close()
    finally:
        context.close()
