"""Navbar type-ahead (DESIGN §8.3): typing shows grouped hits after a short pause, the keyboard moves through them
(ArrowDown/Up, Enter opens, Escape closes), and at 375 px the list fits the screen. Screenshots: /tmp/shots/."""

import re

import pytest

from tests.browser.conftest import PHONE
from tests.factories import NeedFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]


def test_type_ahead_with_the_keyboard_on_a_desktop(page_as, live_server, officer, enterprise, city_bureau, shots):
    need = NeedFactory(enterprise=enterprise, title="清源冷库扩建用电增容协调", bureau=city_bureau)
    page = page_as(officer)
    box = page.locator("#nav-search-input")
    box.click()
    box.press_sequentially("清源", delay=50)
    page.wait_for_selector("#nav-search-results:not([hidden]) .nav-search-option")
    assert box.get_attribute("aria-expanded") == "true"
    headings = page.locator("#nav-search-results .nav-search-heading").all_inner_texts()
    assert headings == ["企业", "诉求"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # opens leftwards
    page.screenshot(path=shots("search-typeahead-1280"))

    box.press("ArrowDown")
    first = page.locator("#nav-search-results .nav-search-option").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert "active" in first.get_attribute("class")
    box.press("ArrowDown")
    second = page.locator("#nav-search-results .nav-search-option").nth(1)
    assert box.get_attribute("aria-activedescendant") == second.get_attribute("id")
    box.press("Escape")
    assert page.locator("#nav-search-results").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"

    box.press("ArrowDown")  # opens again on the first hit
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(f"/needs/{need.pk}/")


def test_type_ahead_at_phone_size_and_enter_on_a_code_jumps(
    page_as, live_server, officer, enterprise, city_bureau, shots
):
    need = NeedFactory(enterprise=enterprise, title="申请苏科贷融资", bureau=city_bureau)
    page = page_as(officer, viewport=PHONE)
    page.click(".navbar-toggler")
    box = page.locator("#nav-search-input")
    box.wait_for(state="visible")
    box.press_sequentially("苏科", delay=50)
    option = page.locator("#nav-search-results .nav-search-option").first
    option.wait_for(state="visible")
    listing = page.locator("#nav-search-results").bounding_box()
    assert listing["x"] >= 0 and listing["x"] + listing["width"] <= PHONE["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=shots("search-typeahead-375"))
    box.fill("")
    box.press_sequentially(need.code.lower(), delay=20)
    with page.expect_navigation():
        box.press("Enter")  # no hit chosen: the form goes to /search/, which jumps to the exact code
    assert re.search(rf"/needs/{need.pk}/$", page.url)
