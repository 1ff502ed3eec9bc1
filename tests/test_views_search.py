"""Global search page and type-ahead: grouped results, exact codes jump (in scope only), scope, odd input."""

import pytest
from django.urls import reverse

from crm.models import Contact, Project
from crm.services.activities import activity_create
from tests.factories import NeedFactory, today

pytestmark = pytest.mark.django_db


def groups(client, q, url_name="crm:search"):
    response = client.get(reverse(url_name), {"q": q})
    assert response.status_code == 200
    return {group["key"]: [item["title"] for item in group["items"]] for group in response.context["groups"]}


def test_search_by_one_and_two_chinese_characters(client, officer, enterprise, county_enterprise):
    client.force_login(officer)
    assert groups(client, "清源")["enterprises"] == [enterprise.name]
    assert county_enterprise.name in groups(client, "金")["enterprises"]


def test_search_by_credit_code_part_lowercase(client, officer, enterprise, county_enterprise):
    client.force_login(officer)
    assert groups(client, enterprise.credit_code[-6:].lower())["enterprises"] == [enterprise.name]


def test_contacts_and_projects_have_their_groups(client, officer, enterprise, regions):
    Contact.objects.create(enterprise=enterprise, name="欧阳明", mobile="13851710009")
    Project.objects.create(name="淮安智能制造帮办项目", region=regions["320812"])
    client.force_login(officer)
    assert groups(client, "欧阳")["contacts"] == [f"欧阳明 · {enterprise.name}"]
    assert groups(client, "1385171 欧阳")["contacts"] == [f"欧阳明 · {enterprise.name}"]
    assert groups(client, "智能")["projects"] == ["淮安智能制造帮办项目"]
    page = client.get(reverse("crm:search"), {"q": "欧阳"}).content.decode()
    assert f'href="/enterprises/{enterprise.pk}/#contacts"' in page and 'id="search-contacts"' in page


def test_an_exact_code_or_credit_code_jumps_to_the_record(client, officer, enterprise, city_bureau):
    need = NeedFactory(enterprise=enterprise, title="研发补助申报", bureau=city_bureau)
    client.force_login(officer)
    response = client.get(reverse("crm:search"), {"q": need.code.lower()})
    assert response.status_code == 302 and response.url == f"/needs/{need.pk}/"
    code = enterprise.credit_code
    response = client.get(reverse("crm:search"), {"q": f"{code[:9]} {code[9:]}"})
    assert response.status_code == 302 and response.url == f"/enterprises/{enterprise.pk}/"
    assert client.get(reverse("crm:search"), {"q": need.code[:-1]}).status_code == 200  # a part: the results


def test_out_of_scope_codes_neither_jump_nor_show(client, county_officer, enterprise, county_enterprise, city_bureau):
    need = NeedFactory(enterprise=enterprise, title="研发补助申报", bureau=city_bureau)
    client.force_login(county_officer)
    for q in (need.code, enterprise.credit_code, "清源", "研发补助"):
        response = client.get(reverse("crm:search"), {"q": q})
        assert response.status_code == 200, q
        assert response.context["groups"] == [], q
        assert enterprise.name not in response.content.decode()
    response = client.get(reverse("crm:search"), {"q": county_enterprise.credit_code})
    assert response.status_code == 302 and response.url == f"/enterprises/{county_enterprise.pk}/"


def test_empty_and_odd_queries(client, officer, enterprise):
    client.force_login(officer)
    for q in ("", "   ", "a\x00b", "%", '"', "x" * 500):
        assert groups(client, q) == {}, q
        assert groups(client, q, "crm:search-suggest") == {}, q


def test_activities_by_code_and_title_within_scope(client, officer, county_officer, enterprise):
    activity = activity_create(
        user=officer,
        kind="symposium",
        title="高新技术企业座谈会",
        held_on=today(),
        participants=[{"enterprise": enterprise}],
    )
    client.force_login(officer)
    assert groups(client, "座谈")["activities"] == [activity.title]
    assert groups(client, activity.code[-4:])["activities"] == [activity.title]
    response = client.get(reverse("crm:search"), {"q": activity.code})
    assert response.status_code == 302 and response.url == f"/activities/{activity.pk}/"
    client.force_login(county_officer)
    assert groups(client, "座谈") == {}


def test_type_ahead_partial_is_grouped_limited_and_links_every_result(client, officer, enterprise, city_bureau):
    for n in range(7):
        NeedFactory(enterprise=enterprise, title=f"清源批量诉求{n}", bureau=city_bureau)
    client.force_login(officer)
    response = client.get(reverse("crm:search-suggest"), {"q": "清源"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    found = {group["key"]: group["items"] for group in response.context["groups"]}
    assert len(found["needs"]) == 5 and len(found["enterprises"]) == 1
    assert 'role="option"' in html and 'href="/search/?q=%E6%B8%85%E6%BA%90"' in html
    assert client.get(reverse("crm:search-suggest"), {"q": "叒"}).context["groups"] == []


def test_navbar_has_the_type_ahead_combobox(client, officer):
    client.force_login(officer)
    html = client.get(reverse("crm:home")).content.decode()
    assert 'role="combobox"' in html and 'aria-controls="nav-search-results"' in html
    assert f'hx-get="{reverse("crm:search-suggest")}"' in html and "delay:250ms" in html
    assert "crm/search.js" in html


def test_signed_out_goes_to_the_login(client):
    for name in ("crm:search", "crm:search-suggest"):
        response = client.get(reverse(name), {"q": "清源"})
        assert response.status_code == 302 and "/accounts/login/" in response.url
