"""Issue 11, scoping: every edit form of another bureau's record answers 404 to a county manager (the shared
libraries included), a county policy names no city department, and a need transferred to a county shows no
figures of an enterprise outside it through its policy suggestions."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm import urls
from crm.choices import PolicyDelivery
from crm.models import Offering
from crm.selectors.matching import need_policy_suggestions
from crm.services.lists import action_item_create
from crm.services.needs import need_create
from crm.services.policies import policy_create
from crm.services.visits import visit_create
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    OfferingFactory,
    PolicyFactory,
    PolicyMatchFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_records(manager, officer, enterprise, city_department, city_bureau, regions):
    """One record of every kind with an edit form, kept by the city bureau."""
    project = ProjectFactory(region=regions["320812"], enterprise=enterprise)
    visit = visit_create(user=officer, enterprise=enterprise, visited_on=timezone.localdate(), q_needs="用地")
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="研发补助")
    item = action_item_create(
        user=manager,
        data={"need": need, "title": "对接", "owner": manager, "due_on": timezone.localdate() + dt.timedelta(days=5)},
    )
    return {
        "enterprise-update": enterprise,
        "contact-update": ContactFactory(enterprise=enterprise),
        "project-update": project,
        "visit-update": visit,
        "policy-update": PolicyFactory(department=city_department, created_by=manager),
        "offering-update": OfferingFactory(department=city_department),
        "actionitem-update": item,
        "policymatch-update": PolicyMatchFactory(enterprise=enterprise),  # a POST-only form
        "activity-update": ActivityFactory(bureau=city_bureau, lead=officer),
    }


def _open(client, name, obj):
    url = reverse(f"crm:{name}", args=[obj.pk])
    return (client.post(url) if name == "policymatch-update" else client.get(url)).status_code


def test_every_edit_form_of_another_bureaus_record_answers_404(client, county_manager, city_records):
    edit_names = {p.name for p in urls.urlpatterns if p.name and p.name.endswith("-update")}
    assert edit_names <= set(city_records), f"add a record for {edit_names - set(city_records)}"
    client.force_login(county_manager)
    answers = {name: _open(client, name, obj) for name, obj in city_records.items()}
    assert answers == dict.fromkeys(city_records, 404)


def test_the_city_manager_opens_the_same_forms(client, manager, city_records):
    client.force_login(manager)
    for name, obj in city_records.items():
        assert _open(client, name, obj) in (200, 302), name


def test_a_county_manager_cannot_change_or_delete_a_city_offering_through_the_api(
    api_as, county_manager, city_department
):
    offering = OfferingFactory(department=city_department, name="城市资源")
    client = api_as(county_manager)
    assert client.get(f"/api/v1/offerings/{offering.pk}/").status_code == 200  # shared for reading
    assert client.patch(f"/api/v1/offerings/{offering.pk}/", {"name": "改名"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/offerings/{offering.pk}/").status_code == 403
    assert Offering.objects.get(pk=offering.pk).name == "城市资源"


def test_a_county_policy_cannot_name_a_city_department(county_manager, city_department, county_department):
    data = {"title": "县级政策", "issuer": "金湖县科技局", "level": "county", "kind": "funding"}
    with pytest.raises(ValidationError) as caught:
        policy_create(user=county_manager, data={**data, "department": city_department})
    assert "department" in caught.value.message_dict
    assert policy_create(user=county_manager, data={**data, "department": county_department}).pk


def test_the_policy_form_offers_a_county_manager_only_its_own_departments(
    client, county_manager, city_department, county_department
):
    client.force_login(county_manager)
    form = client.get(reverse("crm:policy-create")).context["form"]
    assert list(form.fields["department"].queryset) == [county_department]


def test_a_transferred_need_suggests_nothing_about_an_enterprise_outside_the_county(
    client, api_as, county_manager, officer, enterprise, county_bureau
):
    PolicyFactory(delivery=PolicyDelivery.NO_APPLICATION, need_categories=["funding"])
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="研发补助")
    need.bureau = county_bureau  # transferred to the county: it sees the need, not the city enterprise
    need.save()
    assert need_policy_suggestions(need=need)  # the enterprise is eligible
    assert need_policy_suggestions(need=need, user=county_manager) == []
    response = api_as(county_manager).get(f"/api/v1/needs/{need.pk}/policy-suggestions/")
    assert response.status_code == 200
    assert response.json()["count"] == 0
    client.force_login(county_manager)
    page = client.get(reverse("crm:need-detail", args=[need.pk]))
    assert page.status_code == 200
    assert "8,000" not in page.content.decode() and "8000" not in page.content.decode()
