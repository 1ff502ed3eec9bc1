"""Policy matching in a real browser: a manager pushes a policy to three eligible enterprises from the policy
page, follows one push to money granted, and answers a need with an action item. Screenshots go to /tmp/shots/.
"""

import datetime as dt

import pytest
from django.utils import timezone

from crm.choices import MatchStatus, NeedCategory
from crm.models import ActionItem, Need, PolicyMatch
from tests.policy_helpers import make_enterprise, make_offering, make_policy

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def policy_data(regions, chains, qualifications, city_bureau):
    today = timezone.localdate()
    hnte = qualifications["hnte"]
    eligible = [
        make_enterprise(
            region=regions["320812"],
            name=f"淮安政策测试{i}号科技有限公司",
            employees=80 + i,
            revenue=5000,
            rd_expense=250,
            is_linked=i < 2,
            is_assisted=i == 2,
            qualifications={hnte: today + dt.timedelta(days=200)},
            bureau=city_bureau,
        )
        for i in range(3)
    ]
    # Ineligible: its qualification expired yesterday, and one with too few employees.
    make_enterprise(
        region=regions["320812"],
        name="淮安资质过期科技有限公司",
        employees=90,
        revenue=5000,
        rd_expense=250,
        is_linked=True,
        qualifications={hnte: today - dt.timedelta(days=1)},
    )
    make_enterprise(
        region=regions["320812"],
        name="淮安微型科技有限公司",
        employees=5,
        revenue=5000,
        rd_expense=250,
        qualifications={hnte: None},
    )
    policy = make_policy(
        title="淮安市高新技术企业研发奖补",
        regions=[regions["320812"]],
        qualifications=[hnte],
        min_employees=50,
        min_rd_ratio="5",
        max_amount="100",
        need_categories=[NeedCategory.FUNDING, NeedCategory.RD],
        apply_until=today + dt.timedelta(days=10),
        conditions_text="在本市注册的高新技术企业，从业人员50人以上，研发投入占比不低于5%。",
    )
    return {"policy": policy, "eligible": eligible}


def test_manager_pushes_a_policy_to_three_eligible_enterprises(page_as, live_server, manager, policy_data, shots):
    policy, eligible = policy_data["policy"], policy_data["eligible"]
    page = page_as(manager)
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    rows = page.locator("#eligible-table tbody tr")
    assert rows.count() == 3
    assert page.locator("#eligible-count").get_attribute("data-count") == "3"
    # Linked enterprises first, the expired qualification and the small one are not listed.
    names = rows.locator("td:nth-child(2) a").all_inner_texts()
    assert set(names) == {e.name for e in eligible}
    assert "淮安资质过期科技有限公司" not in page.content()
    assert page.locator("[data-mark=closing-soon]").count() >= 1
    page.check("#select-all")
    assert page.locator("#push-selected-count").inner_text().endswith("3")
    page.screenshot(path=shots("policy-detail-before-push"), full_page=True)
    page.click("#push-selected")
    page.wait_for_selector(".alert-success")
    assert set(
        PolicyMatch.objects.filter(policy=policy, status=MatchStatus.PUSHED).values_list("enterprise_id", flat=True)
    ) == {e.pk for e in eligible}
    # Everyone is told: no more checkboxes, three rows in the pushes table.
    assert page.locator('#push-form input[name="enterprises"]').count() == 0
    assert page.locator("#match-table tbody tr").count() == 3
    page.screenshot(path=shots("policy-detail-after-push"), full_page=True)

    # Pushing again from the filtered "not told yet" view lists nobody.
    page.check("#eligible-untold")
    page.click("#eligible-filter-submit")
    assert page.locator("#eligible-table").count() == 0

    # Follow one push: applying, then granted with an amount.
    match = PolicyMatch.objects.get(policy=policy, enterprise=eligible[0])
    page.goto(f"{live_server.url}/policies/{policy.pk}/#matches")
    form = page.locator(f'form.match-status-form[data-match="{match.pk}"]')
    form.locator("select").select_option("applying")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    form = page.locator(f'form.match-status-form[data-match="{match.pk}"]')
    form.locator("select").select_option("granted")
    form.locator("input[type=number]").fill("60")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    match.refresh_from_db()
    assert match.status == MatchStatus.GRANTED and match.granted_amount == 60


def test_manager_goes_from_a_need_to_a_pushed_policy_and_an_action_item(
    page_as, live_server, manager, officer, policy_data, city_bureau, city_department, shots
):
    enterprise, policy = policy_data["eligible"][0], policy_data["policy"]
    need = Need.objects.create(
        enterprise=enterprise,
        bureau=city_bureau,
        category=NeedCategory.RD,
        title="研发投入奖补政策咨询",
        description="高新技术企业研发奖补怎么申请",
    )
    offering = make_offering(
        department=city_department, name="高企认定辅导", kind="policy_coaching", need_categories=["rd"]
    )
    page = page_as(manager)
    page.goto(f"{live_server.url}/needs/{need.pk}/")
    suggestion = page.locator(f'.suggestion[data-policy="{policy.pk}"]')
    assert suggestion.count() == 1
    # The first suggestions show their reasons unfolded: ✓ per criterion with the enterprise's value.
    ratio = suggestion.locator('.reason[data-criterion="min_rd_ratio"]')
    assert ratio.is_visible() and ratio.get_attribute("data-passed") == "true"
    assert "5%，达到要求（不少于 5%）" in ratio.inner_text()
    page.screenshot(path=shots("need-suggestions"), full_page=True)
    suggestion.locator("button.push-one").click()
    page.wait_for_selector(".alert-success")
    match = PolicyMatch.objects.get(policy=policy, enterprise=enterprise)
    assert match.need == need and match.status == MatchStatus.PUSHED
    assert page.locator(f'.suggestion[data-policy="{policy.pk}"] button.push-one').count() == 0

    page.click("#actionitem-add")
    # The "use" buttons work once the form's script has run (it comes after them in the page): CI once clicked
    # before that, nothing was filled, and the form came back with an error instead of saving.
    page.wait_for_selector("#actionitem-form")
    page.wait_for_load_state("load")
    page.click(f'[data-use-offering="{offering.pk}"]')
    assert page.input_value("#id_offering") == str(offering.pk)
    page.select_option("#id_owner", str(officer.pk))
    page.click("#actionitem-save")
    page.wait_for_selector(".alert-success")
    item = ActionItem.objects.get(need=need)
    assert item.offering == offering and item.title == "高企认定辅导" and item.enterprise == enterprise
    assert page.url.startswith(f"{live_server.url}/needs/{need.pk}/")
    assert page.locator(f'#action-items tr[data-id="{item.pk}"]').count() == 1
    page.screenshot(path=shots("need-after-push-and-action"), full_page=True)
