"""Web pages of policies, the resource list and the action list: roles, scope, forms, sections, query budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.choices import ActionStatus, MatchStatus, NeedCategory, NeedStatus
from crm.models import ActionItem, Offering, Policy, PolicyMatch, Project
from tests.factories import make_user
from tests.policy_helpers import make_enterprise, make_need, make_offering, make_policy, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def as_user(english_client):
    def login(user):
        english_client.force_login(user)
        return english_client

    return login


# --------------------------------------------------------------------------------------------- policies


def test_policy_list_marks_and_roles(as_user, officer, manager):
    make_policy(title="快截止政策", apply_until=today() + dt.timedelta(days=3))
    make_policy(title="已过期政策", apply_until=today() - dt.timedelta(days=1))
    response = as_user(officer).get(reverse("crm:policy-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-mark="closing-soon"' in html and 'data-mark="expired"' in html
    assert html.index("快截止政策") < html.index("已过期政策")  # open windows first
    assert 'id="policy-create"' not in html
    assert as_user(officer).get(reverse("crm:policy-create")).status_code == 403
    assert 'id="policy-create"' in as_user(manager).get(reverse("crm:policy-list")).content.decode()


def test_policy_form_refuses_contradictions_and_saves(as_user, manager, regions):
    client = as_user(manager)
    base = {"title": "新政策", "issuer": "淮安市科技局", "level": "city", "kind": "funding", "delivery": "application"}
    response = client.post(
        reverse("crm:policy-create"),
        {
            **base,
            "min_employees": "100",
            "max_employees": "10",
            "apply_from": "2026-05-01",
            "apply_until": "2026-04-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "max_employees" in errors and "apply_until" in errors
    assert not Policy.objects.exists()
    response = client.post(
        reverse("crm:policy-create"),
        {**base, "regions": ["320812"], "need_categories": ["funding", "rd"], "min_rd_ratio": "3", "is_active": "on"},
    )
    policy = Policy.objects.get()
    assert response.status_code == 302 and response.url == reverse("crm:policy-detail", args=[policy.pk])
    assert policy.need_categories == ["funding", "rd"] and list(policy.regions.values_list("pk", flat=True)) == [
        "320812"
    ]
    response = client.post(reverse("crm:policy-update", args=[policy.pk]), {**base, "title": "改名", "is_active": "on"})
    policy.refresh_from_db()
    assert response.status_code == 302 and policy.title == "改名" and policy.regions.count() == 0


def test_policy_detail_lists_eligible_enterprises_linked_first(as_user, manager, officer, regions):
    unlinked = make_enterprise(region=regions["320812"], name="甲未挂钩公司", employees=100)
    linked = make_enterprise(region=regions["320812"], name="乙挂钩公司", employees=100, is_linked=True)
    make_enterprise(region=regions["320812"], name="丙太小公司", employees=5, is_linked=True)
    policy = make_policy(min_employees=50)
    response = as_user(manager).get(reverse("crm:policy-detail", args=[policy.pk]))
    html = response.content.decode()
    assert [e.pk for e in response.context["eligible_rows"]] == [linked.pk, unlinked.pk]
    assert "丙太小公司" not in html and 'id="push-selected"' in html
    filtered = as_user(manager).get(reverse("crm:policy-detail", args=[policy.pk]), {"is_linked": "true"})
    assert [e.pk for e in filtered.context["eligible_rows"]] == [linked.pk]
    officer_html = as_user(officer).get(reverse("crm:policy-detail", args=[policy.pk])).content.decode()
    assert 'id="push-selected"' not in officer_html and 'type="checkbox" name="enterprises"' not in officer_html


def test_eligible_list_says_why_each_enterprise_is_eligible(client, manager, regions, qualifications):
    policy = make_policy(regions=[regions["320812"]], qualifications=[qualifications["hnte"]], min_rd_ratio="3")
    ent = make_enterprise(
        region=regions["320812"], revenue="1000", rd_expense="42.7", qualifications={qualifications["hnte"]: None}
    )
    client.force_login(manager)  # the Chinese UI
    html = client.get(reverse("crm:policy-detail", args=[policy.pk])).content.decode()
    row = html.split(f'<tr data-id="{ent.pk}">')[1].split("</tr>")[0]
    assert 'class="list-inline small text-body-secondary mb-0 eligible-reasons"' in row
    assert "清江浦区，在政策限定的范围内（清江浦区）" in row
    assert "高新技术企业" in row and "已取得，长期有效" in row
    assert "研发投入占比</span> 4.27%，达到要求（不少于 3%）" in row


def test_push_from_the_page(as_user, manager, officer, regions):
    enterprises = [make_enterprise(region=regions["320812"]) for _ in range(3)]
    policy = make_policy()
    url = reverse("crm:policy-push", args=[policy.pk])
    ids = [e.pk for e in enterprises]
    assert as_user(officer).post(url, {"enterprises": ids}).status_code == 403
    client = as_user(manager)
    back = reverse("crm:policy-detail", args=[policy.pk]) + "?untold=1"
    response = client.post(url, {"enterprises": ids, "next": back})
    assert response.status_code == 302 and response.url == back
    assert PolicyMatch.objects.filter(policy=policy, status=MatchStatus.PUSHED).count() == 3
    client.post(url, {"enterprises": ids})
    assert PolicyMatch.objects.count() == 3
    response = client.post(url, {"enterprises": ids, "next": "https://evil.example/"})
    assert response.url == reverse("crm:policy-detail", args=[policy.pk])
    page = client.get(reverse("crm:policy-detail", args=[policy.pk]), {"untold": "1"})
    assert page.context["eligible_rows"] == []


def test_push_errors_become_messages(as_user, manager, regions):
    small = make_enterprise(region=regions["320812"], employees=1)
    policy = make_policy(min_employees=10)
    response = as_user(manager).post(
        reverse("crm:policy-push", args=[policy.pk]), {"enterprises": [small.pk]}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("not eligible" in m for m in messages)
    response = as_user(manager).post(reverse("crm:policy-push", args=[policy.pk]), {}, follow=True)
    assert any("Tick at least one" in str(m) for m in response.context["messages"])
    assert not PolicyMatch.objects.exists()


def test_push_with_out_of_range_enterprise_id_is_a_message(as_user, manager, regions):
    policy = make_policy()
    response = as_user(manager).post(
        reverse("crm:policy-push", args=[policy.pk]), {"enterprises": ["99999999999999999999"]}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert not PolicyMatch.objects.exists()


def test_match_status_view(as_user, manager, officer, enterprise):
    policy = make_policy(max_amount="10")
    match = PolicyMatch.objects.create(policy=policy, enterprise=enterprise, status=MatchStatus.APPLYING)
    url = reverse("crm:policymatch-update", args=[match.pk])
    assert as_user(officer).post(url, {f"m{match.pk}-status": "granted"}).status_code == 403
    client = as_user(manager)
    response = client.post(url, {f"m{match.pk}-status": "granted", f"m{match.pk}-granted_amount": "20"}, follow=True)
    assert any("maximum" in str(m) for m in response.context["messages"])
    client.post(url, {f"m{match.pk}-status": "granted", f"m{match.pk}-granted_amount": "8"})
    match.refresh_from_db()
    assert match.status == MatchStatus.GRANTED and match.granted_amount == 8


def test_out_of_scope_is_404(as_user, county_manager, enterprise):
    match = PolicyMatch.objects.create(policy=make_policy(), enterprise=enterprise, status=MatchStatus.PUSHED)
    client = as_user(county_manager)
    assert client.post(reverse("crm:policymatch-update", args=[match.pk]), {}).status_code == 404
    need = make_need(enterprise=enterprise, bureau=enterprise.bureau)
    assert client.get(reverse("crm:actionitem-create"), {"need": need.pk}).status_code == 404


def test_policy_detail_query_count_does_not_grow(as_user, manager, regions):
    policy = make_policy(regions=[regions["320812"]], min_employees=1)
    for _ in range(3):
        make_enterprise(region=regions["320812"], employees=10)
    client = as_user(manager)
    url = reverse("crm:policy-detail", args=[policy.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for e in [make_enterprise(region=regions["320812"], employees=10) for _ in range(40)]:
        PolicyMatch.objects.create(policy=policy, enterprise=e, status=MatchStatus.PUSHED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["eligible_rows"]) == 43
    assert len(many) <= len(few), [q["sql"][:100] for q in many.captured_queries]


def test_policy_detail_counts_eligible_enterprises_up_to_the_cap(as_user, manager, regions, monkeypatch):
    # A policy open to most enterprises is not counted to the end (the web lists' cap, printed with a plus); the
    # page's rows are still read in one query (no keys-first query added).
    monkeypatch.setattr("crm.views.policies.COUNT_CAP", 2)
    policy = make_policy(regions=[regions["320812"]], min_employees=1)
    for _ in range(3):
        make_enterprise(region=regions["320812"], employees=10)
    client = as_user(manager)
    url = reverse("crm:policy-detail", args=[policy.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert str(response.context["eligible_page"].paginator.count) == "2+"
    assert 'id="eligible-count" data-count="2+">2+</span>' in response.content.decode()
    assert len(response.context["eligible_rows"]) == 3  # the page itself is not cut at the cap
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"] and "crm_enterprise" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 3" in counts[0]
    monkeypatch.setattr("crm.views.policies.ELIGIBLE_PAGE_SIZE", 1)
    assert '<span class="page-link">1 / 2+</span>' in client.get(url).content.decode()  # at least 2 pages
    monkeypatch.setattr("crm.views.policies.COUNT_CAP", 3)
    assert str(client.get(url).context["eligible_page"].paginator.count) == "3"
    assert '<span class="page-link">1 / 3</span>' in client.get(url).content.decode()


# --------------------------------------------------------------------------------------------- sections


def test_enterprise_page_shows_suggestions_near_misses_and_history(as_user, manager, enterprise, regions, city_bureau):
    make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING, title="申请研发资金")
    fitting = make_policy(title="研发资金补助", need_categories=[NeedCategory.FUNDING])
    near = make_policy(title="金湖县专项", regions=[regions["320831"]])
    pushed = make_policy(title="已推送政策")
    PolicyMatch.objects.create(policy=pushed, enterprise=enterprise, status=MatchStatus.PUSHED)
    client = as_user(manager)
    page = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    # The suggestions load after the page (htmx), from their own fragment; the history is on the page.
    fragment = reverse("crm:enterprise-suggestions", args=[enterprise.pk])
    assert f'hx-get="{fragment}"' in page
    html = page + client.get(fragment, HTTP_HX_REQUEST="true").content.decode()
    assert f'class="list-group-item suggestion" data-policy="{fitting.pk}"' in html
    assert f'class="mb-2 near-miss" data-policy="{near.pk}"' in html
    assert f'data-match="{PolicyMatch.objects.get().pk}"' in html


def test_need_page_puts_policies_not_listing_its_category_behind_show_all(as_user, manager, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING, title="申请资金")
    fitting = make_policy(title="资金补助", need_categories=[NeedCategory.FUNDING])
    # Closing tomorrow and sharing the need's words: it scores high, yet does not name the need's category.
    other = make_policy(
        title="申请资金人才专项",
        need_categories=[NeedCategory.TALENT],
        apply_until=today() + dt.timedelta(days=1),
    )
    html = as_user(manager).get(reverse("crm:need-detail", args=[need.pk])).content.decode()
    main, _, hidden = html.partition('id="suggestions-others"')
    assert f'data-policy="{fitting.pk}"' in main and f'data-policy="{other.pk}"' not in main
    assert f'data-policy="{other.pk}"' in hidden.split("</details>")[0]
    assert "Show all" in hidden.split("</summary>")[0]


def test_need_page_without_a_fitting_policy_says_so(as_user, manager, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING)
    other = make_policy(need_categories=[NeedCategory.TALENT])
    html = as_user(manager).get(reverse("crm:need-detail", args=[need.pk])).content.decode()
    assert 'id="suggestions-none-fitting"' in html
    assert f'data-policy="{other.pk}"' in html.partition('id="suggestions-others"')[2]


@pytest.mark.parametrize("status", [NeedStatus.CLOSED, NeedStatus.REJECTED])
def test_a_settled_need_offers_no_push(as_user, manager, enterprise, city_bureau, status):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING, status=status)
    policy = make_policy(need_categories=[NeedCategory.FUNDING])
    html = as_user(manager).get(reverse("crm:need-detail", args=[need.pk])).content.decode()
    assert f'data-policy="{policy.pk}"' in html  # still suggested, for reading
    assert "push-one" not in html and 'id="push-refusal"' in html
    # The page only asks the service: a forged post is refused with the same message, nothing written.
    response = as_user(manager).post(
        reverse("crm:policy-push", args=[policy.pk]), {"enterprises": [enterprise.pk], "need": need.pk}, follow=True
    )
    assert any("no longer pushed" in str(m) for m in response.context["messages"])
    assert not PolicyMatch.objects.exists()


def test_an_open_need_offers_push(as_user, manager, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING)
    make_policy(need_categories=[NeedCategory.FUNDING])
    html = as_user(manager).get(reverse("crm:need-detail", args=[need.pk])).content.decode()
    assert "push-one" in html and 'id="push-refusal"' not in html


def test_home_radar_only_for_managers(as_user, manager, officer, enterprise):
    make_policy(title="新发布政策", published_on=today())
    assert 'id="policy-radar"' in as_user(manager).get("/").content.decode()
    assert 'id="policy-radar"' not in as_user(officer).get("/").content.decode()


def test_project_page_has_action_items_with_add_link(as_user, manager, officer, enterprise, regions):
    project = Project.objects.create(name="帮办项目", region=regions["320812"], enterprise=enterprise)
    ActionItem.objects.create(title="现场协调", project=project, owner=officer, due_on=today() - dt.timedelta(days=1))
    html = as_user(manager).get(reverse("crm:project-detail", args=[project.pk])).content.decode()
    assert "现场协调" in html and 'id="actionitem-add"' in html and "Overdue" in html
    assert (
        'id="actionitem-add"'
        not in as_user(officer).get(reverse("crm:project-detail", args=[project.pk])).content.decode()
    )


# --------------------------------------------------------------------------------------------- lists


def test_offering_pages(as_user, manager, officer, city_department):
    make_offering(department=city_department, name="苏科贷", kind="finance_product", need_categories=["finance"])
    make_offering(department=city_department, name="科技特派员", kind="commissioner", need_categories=["rd"])
    client = as_user(officer)
    response = client.get(reverse("crm:offering-list"), {"kind": "commissioner"})
    assert [o.name for o in response.context["object_list"]] == ["科技特派员"]
    response = client.get(reverse("crm:offering-list"), {"need_category": "finance"})
    assert [o.name for o in response.context["object_list"]] == ["苏科贷"]
    assert client.get(reverse("crm:offering-create")).status_code == 403
    response = as_user(manager).post(
        reverse("crm:offering-create"),
        {
            "department": city_department.pk,
            "name": "产学研对接会",
            "kind": "service_event",
            "need_categories": ["cooperation"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Offering.objects.get(name="产学研对接会").need_categories == ["cooperation"]


def test_action_item_from_a_need(as_user, manager, officer, enterprise, city_bureau, city_department):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FINANCE)
    fits = make_offering(department=city_department, name="苏科贷", need_categories=["finance"])
    make_offering(department=city_department, name="人才公寓", need_categories=["talent"])
    client = as_user(manager)
    assert client.get(reverse("crm:actionitem-create")).status_code == 404
    page = client.get(reverse("crm:actionitem-create"), {"need": need.pk})
    assert [o.pk for o in page.context["fitting_offerings"]] == [fits.pk]
    choices = [label for value, label in page.context["form"].fields["offering"].choices if value]
    assert choices[0].startswith("★ 苏科贷")
    response = client.post(
        reverse("crm:actionitem-create") + f"?need={need.pk}",
        {"offering": fits.pk, "owner": officer.pk, "due_on": str(today() + dt.timedelta(days=5))},
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert item.need == need and item.enterprise == enterprise and item.title == "苏科贷"
    response = client.post(
        reverse("crm:actionitem-create") + f"?need={need.pk}",
        {"title": "x", "owner": officer.pk, "due_on": str(today() - dt.timedelta(days=5))},
    )
    assert response.status_code == 200 and "due_on" in response.context["form"].errors
    assert as_user(officer).get(reverse("crm:actionitem-create"), {"need": need.pk}).status_code == 403


def test_action_item_owner_records_progress(as_user, manager, officer, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    item = ActionItem.objects.create(title="辅导", need=need, owner=officer, due_on=today())
    url = reverse("crm:actionitem-update", args=[item.pk])
    client = as_user(officer)
    page = client.get(url)
    assert set(page.context["form"].fields) == {"status", "result"}
    response = client.post(url, {"status": "done", "result": ""})
    assert response.status_code == 200 and "result" in response.context["form"].errors
    response = client.post(url, {"status": "done", "result": "已完成"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.completed_on == today()
    other = make_user("other", "officer", city_bureau)
    assert as_user(other).get(url).status_code == 403


def test_action_list_filters_and_overdue_marks(as_user, officer, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    ActionItem.objects.create(title="逾期事项", need=need, owner=officer, due_on=today() - dt.timedelta(days=2))
    ActionItem.objects.create(title="正常事项", need=need, owner=officer, due_on=today() + dt.timedelta(days=2))
    client = as_user(officer)
    response = client.get(reverse("crm:actionitem-list"), {"overdue": "true"})
    assert [i.title for i in response.context["object_list"]] == ["逾期事项"]
    assert 'data-mark="overdue"' in response.content.decode()
    mine = client.get(reverse("crm:actionitem-list"), {"owner": officer.pk})
    assert mine.context["mine"] and len(mine.context["object_list"]) == 2
