"""Project pages: list, detail with help requests, create/edit permissions and scope."""

import pytest
from django.urls import reverse

from crm.models import Need, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(regions, enterprise):
    return Project.objects.create(
        name="清江浦智能装备帮办项目", region=regions["320812"], enterprise=enterprise, is_assisted=True
    )


@pytest.fixture
def county_project(regions):
    return Project.objects.create(name="金湖县示例项目", region=regions["320831"])


@pytest.mark.parametrize("role", ["officer", "manager", "leader", "admin_user", "county_officer"])
def test_list_renders_for_each_role_and_is_scoped(client, request, role, project, county_project):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("crm:project-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert county_project.name in html
    assert (project.name in html) is (role != "county_officer")


def test_list_filters(client, manager, project, county_project):
    client.force_login(manager)
    url = reverse("crm:project-list")
    assert client.get(url, {"is_assisted": "true"}).context["total_count"] == 1
    assert client.get(url, {"q": "金湖"}).context["total_count"] == 1
    assert client.get(url, {"region": "320831"}).context["total_count"] == 1


def test_list_query_count_does_not_grow_with_page_size(
    client, manager, regions, officer, django_assert_max_num_queries
):
    projects = Project.objects.bulk_create([Project(name=f"项目{i:03d}", region=regions["320812"]) for i in range(55)])
    for p in projects:
        p.liaison_officers.add(officer)
    client.force_login(manager)
    url = reverse("crm:project-list")
    client.get(url)
    with django_assert_max_num_queries(15) as small:
        assert len(client.get(url, {"page_size": 1}).context["object_list"]) == 1
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url, {"page_size": 50}).context["object_list"]) == 50


def test_detail_lists_help_requests(client, officer, project, city_bureau):
    Need.objects.create(
        project=project, category="approval", title="环评审批加速", bureau=city_bureau, status="assigned"
    )
    client.force_login(officer)
    response = client.get(reverse("crm:project-detail", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "环评审批加速" in html
    assert 'data-value="assigned"' in html  # status badge


def test_detail_out_of_scope_is_404(client, county_officer, project):
    client.force_login(county_officer)
    assert client.get(reverse("crm:project-detail", args=[project.pk])).status_code == 404
    assert client.get(reverse("crm:project-update", args=[project.pk])).status_code == 404


def test_manager_creates_project_and_officer_cannot(client, manager, officer, regions, enterprise):
    client.force_login(officer)
    assert client.get(reverse("crm:project-create")).status_code == 403
    client.force_login(manager)
    response = client.get(reverse("crm:project-create"), {"enterprise": enterprise.pk})
    assert response.context["form"].initial["enterprise"] == enterprise.pk
    data = {
        "name": "新项目",
        "region": "320812",
        "kind": "tech",
        "stage": "signed",
        "status": "active",
        "enterprise": enterprise.pk,
        "planned_investment": "-5",
    }
    response = client.post(reverse("crm:project-create"), data)
    assert response.status_code == 200
    assert 'id="id_planned_investment_error"' in response.content.decode()
    data["planned_investment"] = "1200.50"
    response = client.post(reverse("crm:project-create"), data)
    assert response.status_code == 302
    project = Project.objects.get(name="新项目")
    assert project.created_by == manager and project.bureau == manager.bureau and project.enterprise == enterprise


def test_officer_edits_only_projects_they_liaise_with(client, officer, project):
    client.force_login(officer)
    url = reverse("crm:project-update", args=[project.pk])
    assert client.get(url).status_code == 403
    project.liaison_officers.add(officer)
    assert client.get(url).status_code == 200
    data = {
        "name": "改名项目",
        "region": "320812",
        "kind": "tech",
        "stage": "signed",
        "status": "active",
        "liaison_officers": [officer.pk],
    }
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.name == "改名项目"
