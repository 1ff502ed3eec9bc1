"""At phone size (375×812): a leader records a joint research activity with three enterprises and two needs in
one form, from the 工作台 shortcut; the detail page shows it as one record. Screenshots: /tmp/shots/."""

import pytest

from crm.choices import NeedSource
from crm.models import Activity, Need
from tests.browser.conftest import PHONE
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

NAV_TIMEOUT = 30_000


def test_leader_records_joint_research_with_three_enterprises_and_two_needs(
    page_as, live_server, leader, county_bureau, enterprise, county_enterprise, regions, shots
):
    third = EnterpriseFactory(name="金湖启衡仪表科技有限公司", region=regions["320831"], is_linked=True)
    page = page_as(leader, viewport=PHONE)
    page.click("#shortcut-activity")
    page.wait_for_selector("#activity-form")
    page.select_option("#id_kind", "joint_research")
    page.fill("#id_title", "金湖县产业链联合调研")
    page.fill("#id_place", "金湖县经济开发区")
    page.check(f"#activity-form input[name=bureaus][value='{county_bureau.pk}']")
    for index, (company, names) in enumerate(
        [(enterprise, "张总"), (county_enterprise, "王总、李工"), (third, "赵总")]
    ):
        page.select_option(f"#id_participants-{index}-enterprise", str(company.pk))
        page.fill(f"#id_participants-{index}-attendees", names)
    page.select_option("#id_needs-0-enterprise", str(county_enterprise.pk))
    page.select_option("#id_needs-0-category", "talent")
    page.fill("#id_needs-0-title", "引进研发人才")
    page.select_option("#id_needs-1-enterprise", str(third.pk))
    page.select_option("#id_needs-1-category", "finance")
    page.select_option("#id_needs-1-urgency", "urgent")
    page.fill("#id_needs-1-title", "技改项目融资对接")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=shots("activity-form-375"), full_page=True)
    with page.expect_navigation(timeout=NAV_TIMEOUT):
        page.click("#activity-save")
    page.wait_for_selector("#activity-participants")
    page.screenshot(path=shots("activity-detail-375"), full_page=True)

    activity = Activity.objects.get()
    assert activity.counts_as_visit and activity.lead == leader
    assert list(activity.bureaus.all()) == [county_bureau]
    assert activity.participants.count() == 3
    needs = Need.objects.filter(activity=activity).order_by("id")
    assert [n.title for n in needs] == ["引进研发人才", "技改项目融资对接"]
    assert {n.source for n in needs} == {NeedSource.MEETING}
    assert page.locator("#activity-participants li").count() == 3
    assert page.locator("#activity-needs .list-group-item").count() == 2
