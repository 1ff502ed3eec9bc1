"""Global search: enterprises by name (two Chinese characters), credit code, contact name; projects; scope."""

import pytest
from django.urls import reverse

from crm.models import Contact, Project
from crm.services.activities import activity_create
from tests.factories import today

pytestmark = pytest.mark.django_db


def search(client, q):
    response = client.get(reverse("crm:search"), {"q": q})
    assert response.status_code == 200
    return [e.name for e in response.context["enterprises"]], [p.name for p in response.context["projects"]]


def test_search_by_two_chinese_characters(client, officer, enterprise, county_enterprise):
    client.force_login(officer)
    enterprises, _ = search(client, "清源")
    assert enterprises == [enterprise.name]
    enterprises, _ = search(client, "金")  # a single character works too
    assert county_enterprise.name in enterprises


def test_search_by_credit_code_full_and_partial_lowercase(client, officer, enterprise, county_enterprise):
    client.force_login(officer)
    assert search(client, enterprise.credit_code)[0] == [enterprise.name]
    assert search(client, enterprise.credit_code[-6:].lower())[0] == [enterprise.name]


def test_search_by_contact_name(client, officer, enterprise, county_enterprise):
    Contact.objects.create(enterprise=enterprise, name="欧阳明")
    client.force_login(officer)
    response = client.get(reverse("crm:search"), {"q": "欧阳"})
    assert [e.name for e in response.context["enterprises"]] == [enterprise.name]
    assert "欧阳明" in response.content.decode()


def test_search_projects_by_name(client, officer, regions):
    Project.objects.create(name="淮安智能制造帮办项目", region=regions["320812"])
    client.force_login(officer)
    assert search(client, "智能")[1] == ["淮安智能制造帮办项目"]


def test_search_is_scoped(client, county_officer, enterprise, county_enterprise):
    client.force_login(county_officer)
    assert search(client, "有限公司")[0] == [county_enterprise.name]
    assert search(client, enterprise.credit_code)[0] == []


def test_empty_and_odd_queries(client, officer, enterprise):
    client.force_login(officer)
    assert search(client, "") == ([], [])
    assert search(client, "   ") == ([], [])
    assert search(client, "a\x00b") == ([], [])
    assert search(client, "%") == ([], [])
    assert search(client, "x" * 500) == ([], [])


def test_activities_by_code_and_title_within_scope(client, officer, county_officer, enterprise):
    activity = activity_create(
        user=officer,
        kind="symposium",
        title="高新技术企业座谈会",
        held_on=today(),
        participants=[{"enterprise": enterprise}],
    )
    client.force_login(officer)
    for q in ("座谈", activity.code, activity.code[-4:]):
        response = client.get(reverse("crm:search"), {"q": q})
        assert [a.pk for a in response.context["activities"]] == [activity.pk], q
    assert activity.code in response.content.decode()
    client.force_login(county_officer)
    assert client.get(reverse("crm:search"), {"q": "座谈"}).context["activities"] == []
