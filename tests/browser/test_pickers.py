"""The type-ahead pickers in a real browser (issue 17): on the visit form the officer types part of an
enterprise's name into the enterprise picker, sees its own enterprises first, picks one (the project picker
then offers that enterprise's projects; on the need form too, dropping a project that no longer fits) and adds
an officer from the phone-friendly multi-select; at 375 px and 1280 px. Also a list opened with filters shows
them as chips; the cultivation board's "add" panel loads its form (and its picker) when opened. Screenshots:
/tmp/shots/pickers-*.png, /tmp/shots/cultivation-add-*.png."""

from urllib.parse import quote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from crm.models import Need
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import EnterpriseFactory, ProjectFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def picker_data(officer, enterprise, regions, city_bureau, city_department):
    enterprise.liaison_officers.add(officer)
    other = EnterpriseFactory(name="淮安澄源新材料有限公司", region=regions["320812"], bureau=city_bureau)
    project = ProjectFactory(name="澄源二期扩产项目", enterprise=other, region=regions["320812"])
    colleague = make_user("colleague", "officer", city_bureau, city_department)
    colleague.name = "周晓梅"
    colleague.save()
    return {"other": other, "project": project, "colleague": colleague}


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    return errors


def picker_state(text_box) -> dict:
    """What the Tom Select behind ``text_box`` believes, for the failure message."""
    return text_box.evaluate(
        """input => { const ts = input.closest('.ts-wrapper').previousElementSibling.tomselect;
        return {isOpen: ts.isOpen, isFocused: ts.isFocused, hasOptions: ts.hasOptions, loading: ts.loading,
                query: input.value, active: document.activeElement && document.activeElement.id,
                options: Object.keys(ts.options).length, hasFocus: document.hasFocus()}; }"""
    )


def pick_when_shown(option, text_box, query: str, attempts: int = 12) -> None:
    """Click an option of a remote-loading Tom Select once it is shown, pressing ↓ as an officer would while
    the list stays shut. When the staff list's answer arrives after Tom Select has drawn "no options", or
    the list closes between looking and clicking (both seen in CI under load), one check-then-click races;
    a few tries do not. Every fourth try types the query again, as an officer would, which makes Tom Select
    filter and open afresh. A failure says what Tom Select believed."""
    for attempt in range(attempts):
        if option.is_visible():
            try:
                option.click(timeout=3000)
                return
            except PlaywrightTimeoutError:
                pass
        if attempt % 4 == 3:
            text_box.fill("")
            text_box.fill(query)
        else:
            text_box.press("ArrowDown")
        text_box.page.wait_for_timeout(400)
    raise AssertionError(f"the option {option} never became clickable: {picker_state(text_box)}")


def wait_until(page, script: str, attempts: int = 50):
    """Poll ``script`` until it is truthy (wait_for_function would need 'unsafe-eval' under the CSP)."""
    for _ in range(attempts):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def type_into(page, select_id: str, text: str) -> None:
    """Type ``text`` into the remote picker of ``select_id`` and wait until its list shows it and its search has
    come back: Tom Select filters 0.3 s after the last keystroke and asks the server later still (each time taking
    the focus back to its box), so a pick or a move to the next field made sooner would race it."""
    kind = page.get_attribute(f"#{select_id}", "data-picker")
    with page.expect_response(lambda answer: f"/pickers/{kind}/" in answer.url and f"q={quote(text)}" in answer.url):
        page.locator(f"#{select_id}-ts-control").fill(text)
    wait_until(page, f"document.getElementById('{select_id}').tomselect.lastQuery === {text!r}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_type_into_the_enterprise_picker_and_pick_one(
    page_as, live_server, officer, enterprise, picker_data, shots, viewport
):
    page = page_as(officer, viewport=viewport)
    errors = csp_errors(page)
    page.goto(f"{live_server.url}/visits/new/")
    control = page.locator(".field-enterprise .ts-control")
    assert control.is_visible()  # Tom Select replaced the plain <select>
    control.click()
    dropdown = page.locator(".field-enterprise .ts-dropdown")
    # Before typing: the officer's own enterprise first, under its heading.
    headers = dropdown.locator(".optgroup-header")
    assert headers.first.inner_text() == "我挂钩的企业"
    assert dropdown.locator(".option").first.inner_text() == enterprise.name
    # Wait for Tom Select's own search to come back before picking: the pick raced its redraw once in CI (the
    # option was clicked, nothing was chosen).
    type_into(page, "id_enterprise", "澄源")
    option = dropdown.locator(".option", has_text="淮安澄源新材料有限公司")
    option.wait_for()
    page.screenshot(path=shots(f"pickers-visit-typing-{viewport['width']}"), full_page=False)
    option.click()
    other = picker_data["other"]
    assert page.locator("#id_enterprise").input_value() == str(other.pk)
    # The project picker now offers the chosen enterprise's projects (data-picker-narrow, crm/static/crm/pickers.js).
    wait_until(page, f"'{picker_data['project'].pk}' in document.getElementById('id_project').tomselect.options")

    # Staff: a multi-select with chips, no Ctrl-click list box.
    # Type into Tom Select's own text box: fill() focuses it and fires one input event, as an IME
    # commits the word. (Clicking the control and waiting for its focus class raced the enterprise
    # drop-down closing over it and failed once in CI.)
    officers_input = page.locator("#id_officers-ts-control")
    officers_input.scroll_into_view_if_needed()
    officers_input.fill("周晓")
    colleague = page.locator(".field-officers .ts-dropdown .option", has_text="周晓梅")
    colleague.wait_for(state="attached")
    pick_when_shown(colleague, officers_input, "周晓")
    page.keyboard.press("Escape")
    chip = page.locator(".field-officers .ts-control .item", has_text="周晓梅")
    assert chip.is_visible()
    assert page.locator("#id_officers").evaluate("s => Array.from(s.selectedOptions).map(o => o.value)") == [
        str(picker_data["colleague"].pk)
    ]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.locator(".field-enterprise").scroll_into_view_if_needed()
    page.screenshot(path=shots(f"pickers-visit-form-{viewport['width']}"), full_page=False)
    page.locator(".field-officers").scroll_into_view_if_needed()
    page.screenshot(path=shots(f"pickers-visit-officers-{viewport['width']}"), full_page=False)
    assert errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_need_form_project_picker_follows_the_enterprise(
    page_as, live_server, officer, enterprise, picker_data, shots, viewport
):
    own = ProjectFactory(name="清源冷链物流项目", enterprise=enterprise, region=enterprise.region)
    theirs = picker_data["project"]  # 澄源二期扩产项目, of 淮安澄源新材料有限公司
    page = page_as(officer, viewport=viewport)
    errors = csp_errors(page)
    page.goto(f"{live_server.url}/needs/new/")
    project = page.locator(".field-project .ts-control")
    projects = page.locator(".field-project .ts-dropdown")
    project.click()  # no enterprise yet: any project in scope (a need may name a project alone)
    projects.locator(".option", has_text=own.name).wait_for()
    projects.locator(".option", has_text=theirs.name).wait_for()
    page.keyboard.press("Escape")

    enterprises = page.locator(".field-enterprise .ts-dropdown")
    type_into(page, "id_enterprise", "澄源")
    enterprises.locator(".option", has_text=picker_data["other"].name).click()
    wait_until(page, f"!('{own.pk}' in document.getElementById('id_project').tomselect.options)")
    project_input = page.locator("#id_project-ts-control")
    pick_when_shown(projects.locator(".option", has_text=theirs.name), project_input, "澄源")  # its projects only
    assert page.input_value("#id_project") == str(theirs.pk)
    page.screenshot(path=shots(f"pickers-need-project-{viewport['width']}"), full_page=False)

    type_into(page, "id_enterprise", "清源")  # another enterprise: the picked project no longer fits
    enterprises.locator(".option", has_text=enterprise.name).click()
    wait_until(page, "document.getElementById('id_project').value === ''")
    assert page.inner_text(".field-project .ts-control").strip() == ""
    with page.expect_response(lambda answer: "/pickers/project/" in answer.url and "q=%E6" in answer.url) as typed:
        project_input.fill("澄源")  # typing searches within the enterprise's projects too
    assert f"enterprise={enterprise.pk}" in typed.value.url and typed.value.json()["results"] == []
    project_input.fill("")
    pick_when_shown(projects.locator(".option", has_text=own.name), project_input, "清源")
    page.fill("#id_title", "冷链仓库用地")
    page.select_option("#id_category", "land")
    with page.expect_navigation():
        page.click("#need-save")
    need = Need.objects.get()
    assert (need.enterprise, need.project) == (enterprise, own)
    assert errors == []


def test_a_restored_draft_shows_in_the_pickers(page_as, live_server, officer, enterprise, picker_data):
    own = ProjectFactory(name="清源冷链物流项目", enterprise=enterprise, region=enterprise.region)
    page = page_as(officer)
    page.goto(f"{live_server.url}/needs/new/")
    type_into(page, "id_enterprise", "清源")
    page.locator(".field-enterprise .ts-dropdown .option", has_text=enterprise.name).click()
    page.locator(".field-project .ts-control").click()
    page.locator(".field-project .ts-dropdown .option", has_text=own.name).click()
    page.fill("#id_title", "冷链仓库用地")
    wait_until(page, "Object.keys(localStorage).some(k => k.startsWith('crm:draft:'))")

    page.goto(f"{live_server.url}/needs/new/")  # back on the form: the draft is restored (crm/static/crm/forms.js)
    assert page.locator("[data-draft-notice]").is_visible()
    assert page.input_value("#id_enterprise") == str(enterprise.pk) and page.input_value("#id_project") == str(own.pk)
    # … and Tom Select shows it (it read the <select> once, at start, and stayed blank).
    assert page.inner_text(".field-enterprise .ts-control").strip() == enterprise.name
    assert page.inner_text(".field-project .ts-control").strip() == own.name


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_a_drill_down_list_shows_its_filters_as_chips(page_as, live_server, manager, need, shots, viewport):
    page = page_as(manager, viewport=viewport)
    page.goto(f"{live_server.url}/needs/?region=320812&open=true&ordering=-due_on")
    chips = page.locator("#filter-chips .filter-chip")
    assert chips.count() == 2
    assert page.locator("th[aria-sort='descending']").count() == 1
    page.screenshot(path=shots(f"pickers-needs-chips-{viewport['width']}"), full_page=False)
    with page.expect_navigation():
        page.locator("#filter-chips .filter-chip[data-filter='region']").click()
    assert "region=" not in page.url and "open=true" in page.url
    assert page.locator("#filter-chips .filter-chip").count() == 1


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_board_add_panel_loads_its_form_and_adds_a_card(
    page_as, live_server, manager, enterprise, qualifications, shots, viewport
):
    """The cultivation board's "add" panel loads its form when opened (htmx), its enterprise picker working as on
    a page of its own; the card added shows on the board."""
    page = page_as(manager, viewport=viewport)
    errors = csp_errors(page)
    page.goto(f"{live_server.url}/cultivation/?programme=hnte")
    assert page.locator("#cultivation-create form").count() == 0
    with page.expect_response(lambda answer: "/cultivation/new/" in answer.url):
        page.locator("#cultivation-create summary").click()
    picker = page.locator("#cultivation-create #id_new-enterprise + .ts-wrapper")
    picker.locator(".ts-control").wait_for()  # Tom Select set up the loaded <select> (pickers.js on htmx:load)
    type_into(page, "id_new-enterprise", enterprise.name[:4])
    option = picker.locator(".ts-dropdown .option", has_text=enterprise.name)
    option.wait_for()
    option.click()
    # On to the next field, as an officer does: the picker's box shrinks when it loses the focus, and a tap on the
    # button that took the focus from it would land where the button was.
    page.locator("#id_new-year").click()
    page.select_option("#id_new-programme", "hnte")
    page.locator("#cultivation-create").scroll_into_view_if_needed()
    page.screenshot(path=shots(f"cultivation-add-{viewport['width']}"), full_page=False)
    # Back on the same URL: wait for the redirect's page, not for the URL (it is the board's already).
    with page.expect_response(lambda answer: answer.request.method == "POST" and "/cultivation/new/" in answer.url):
        page.locator("#cultivation-create button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("#cultivation-board .badge[data-count='1']").wait_for()
    assert page.locator("#cultivation-board", has_text=enterprise.name).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert errors == []
