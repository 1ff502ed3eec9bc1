"""The web UI shell in a real browser: login, list filters, the create form's errors, the 360° page and
the phone navigation. Screenshots go to /tmp/shots/."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from crm.models import Contact, Enterprise, EnterpriseQualification, Need, Visit
from crm.validators import credit_code_check_char
from tests.browser.conftest import PHONE
from tests.factories import credit_code

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh_hans_compiled() -> bool:
    return any((Path(p) / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists() for p in settings.LOCALE_PATHS)


@pytest.fixture
def data(regions, chains, qualifications, city_bureau, officer, enterprise, county_enterprise):
    """Two regions' enterprises, one unlinked, and a rich 360° profile for ``enterprise``."""
    Enterprise.objects.create(name="淮安未挂钩测试企业有限公司", credit_code=credit_code(3), region=regions["320812"])
    today = timezone.localdate()
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=today + dt.timedelta(days=40)
    )
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["tsme"], expires_on=today - dt.timedelta(days=3)
    )
    Contact.objects.create(enterprise=enterprise, name="王经理", title="总经理", mobile="13800000000", is_primary=True)
    Visit.objects.create(
        enterprise=enterprise, visited_on=today, lead=officer, q_needs="希望对接高校研发团队", flag="yellow"
    )
    Need.objects.create(enterprise=enterprise, category="rd", title="对接高校研发团队", bureau=city_bureau)
    enterprise.liaison_officers.add(officer)
    return enterprise


def test_login_redirects_and_lands_on_workbench(page_as, live_server, officer, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/enterprises/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "officer")
    page.fill("#id_password", "wrong-password")
    page.click("#login-submit")
    # The click does not wait for the answer page: wait for the error before asking whether it shows.
    error = page.locator("#login-error")
    error.wait_for()
    assert error.is_visible()
    page.fill("#id_password", "pw-123456")
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/enterprises/$"))
    assert page.locator("#result-count").is_visible()
    context.close()


def test_filter_enterprise_list(page_as, live_server, manager, data, shots):
    page = page_as(manager)
    page.click("nav a[href='/enterprises/']")
    page.wait_for_url(re.compile(r"/enterprises/$"))
    assert page.locator("#result-count").get_attribute("data-count") == "3"
    page.screenshot(path=shots("enterprise-list-desktop"), full_page=True)

    page.click("#filter-toggle")
    page.select_option("#id_region", "320812")
    page.select_option("#id_is_linked", "true")
    page.click("#filter-submit")
    page.wait_for_url(re.compile(r"region=320812"))
    assert page.locator("#result-count").get_attribute("data-count") == "1"
    assert page.locator("#enterprise-table tbody tr").count() == 1
    assert data.name in page.locator("#enterprise-table").inner_text()
    # The panel stays open and keeps the chosen values.
    assert page.locator("#id_region").input_value() == "320812"

    page.goto(f"{live_server.url}/enterprises/")
    page.fill("#id_q", "金湖")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"q="))
    assert page.locator("#result-count").get_attribute("data-count") == "1"

    # Sorting by name descending, then the page-size select keeps the ordering.
    page.goto(f"{live_server.url}/enterprises/?ordering=-name")
    names = page.locator("#enterprise-table tbody tr td:first-child a").all_inner_texts()
    assert names == sorted(names, reverse=True)
    page.select_option("#page-size", "50")
    page.wait_for_url(re.compile(r"page_size=50"))
    assert "ordering=-name" in page.url


def test_create_enterprise_with_wrong_credit_code_shows_the_error(
    page_as, live_server, manager, regions, qualifications
):
    page = page_as(manager)
    page.goto(f"{live_server.url}/enterprises/new/")
    good = credit_code(55, "320812")
    expected = credit_code_check_char(good[:17])
    wrong = good[:17] + ("A" if expected != "A" else "B")
    page.fill("#id_name", "淮安错误代码测试有限公司")
    page.fill("#id_credit_code", wrong)
    page.select_option("#id_region", "320812")
    page.click("#enterprise-save")
    error = page.locator("#id_credit_code_error")
    error.wait_for()
    assert error.is_visible()
    text = error.inner_text()
    assert expected in text
    assert "is-invalid" in (page.locator("#id_credit_code").get_attribute("class") or "")
    if zh_hans_compiled():
        assert CJK.search(text), f"credit-code error not translated: {text!r}"
    assert not Enterprise.objects.filter(name="淮安错误代码测试有限公司").exists()

    # The qualifications formset grows a row without a round trip.
    rows = page.locator("#quals-rows .formset-row")
    before = rows.count()
    page.click("[data-formset-add=quals]")
    assert rows.count() == before + 1
    assert page.locator("#id_quals-TOTAL_FORMS").input_value() == str(before + 1)
    page.select_option(f"#id_quals-{before}-qualification", "hnte")
    page.fill(f"#id_quals-{before}-expires_on", "2027-12-31")

    page.fill("#id_credit_code", good)
    page.click("#enterprise-save")
    page.wait_for_url(re.compile(r"/enterprises/\d+/$"))
    assert page.locator("#enterprise-name").inner_text() == "淮安错误代码测试有限公司"
    assert page.locator(".alert-success").is_visible()
    assert "2027-12-31" in page.locator(".section-qualifications").inner_text()


def test_enterprise_360_page(page_as, live_server, officer, data, shots):
    page = page_as(officer)
    page.goto(f"{live_server.url}/enterprises/{data.pk}/")
    assert page.locator("#enterprise-name").inner_text() == data.name
    for section in [
        "profile",
        "qualifications",
        "contacts",
        "liaison",
        "visits",
        "needs",
        "policy_matches",
        "action_items",
        "suggested_policies",
        "projects",
    ]:
        assert page.locator(f"section.section-{section}").count() == 1, section
    assert page.locator(".section-qualifications tr.qual-expired").count() == 1
    assert page.locator(".section-qualifications tr.qual-expiring").count() == 1
    assert "王经理" in page.locator(".section-contacts").inner_text()
    assert "对接高校研发团队" in page.locator(".section-needs").inner_text()
    assert page.locator("#enterprise-edit").is_visible()  # the officer liaises with it
    page.screenshot(path=shots("enterprise-360-desktop"), full_page=True)

    phone = page_as(officer, viewport=PHONE)
    phone.goto(f"{live_server.url}/enterprises/{data.pk}/")
    assert phone.locator("#enterprise-name").is_visible()
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=shots("enterprise-360-phone"), full_page=True)


def test_phone_navigation(page_as, live_server, officer, data, shots):
    page = page_as(officer, viewport=PHONE)
    menu_link = page.locator("#main-nav a[href='/enterprises/']")
    assert not menu_link.is_visible()  # collapsed behind the hamburger
    assert page.locator("#nav-notifications").is_visible()
    page.click("button.navbar-toggler")
    menu_link.wait_for(state="visible")
    page.wait_for_selector("#main-nav.collapse.show")  # the opening animation has finished
    page.screenshot(path=shots("nav-phone-open"))
    menu_link.click()
    page.wait_for_url(re.compile(r"/enterprises/$"))
    assert page.locator("#result-count").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=shots("enterprise-list-phone"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["375", "1280"])
def test_a_link_to_a_part_of_a_page_shows_it_below_the_sticky_navbar(page_as, live_server, officer, data, viewport):
    page = page_as(officer, viewport=viewport)
    page.emulate_media(reduced_motion="reduce")  # Bootstrap's smooth scrolling off: the jump is immediate
    enterprise = Enterprise.objects.get(name="淮安清源食品科技有限公司")
    page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
    page.locator("#liaison").wait_for()
    # Room below, so the section can reach the top of the window; then follow a link to it.
    page.evaluate(
        "document.querySelector('footer').append(...Array.from({length: 150}, () => document.createElement('br')))"
    )
    page.evaluate("location.hash = 'liaison'")
    navbar_bottom = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().bottom")
    section_top = page.evaluate("document.getElementById('liaison').getBoundingClientRect().top")
    assert page.evaluate("window.scrollY") > 0 and navbar_bottom <= section_top
