"""The layout, the 工作台 and login protection of the web pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Notification, Project

pytestmark = pytest.mark.django_db

ROLE_FIXTURES = ["officer", "manager", "leader", "admin_user", "county_officer", "county_manager"]


@pytest.mark.parametrize("url_name", ["crm:home", "crm:enterprise-list", "crm:project-list", "crm:search"])
def test_pages_require_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_home_renders_for_each_role(client, request, role, enterprise):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(reverse("crm:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="home-counts"' in html
    assert reverse("crm:enterprise-list") in html  # navigation
    assert "vendor/bootstrap/css/bootstrap.min.css" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from a CDN


@pytest.mark.parametrize("role", ["officer", "manager", "leader"])
def test_home_reads_the_holiday_table_once(client, request, role, enterprise):
    """The deadline, inbox and supervision cards each build a working-day calendar: one holiday read for all."""
    client.force_login(request.getfixturevalue(role))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("crm:home")).status_code == 200
    assert len([q for q in queries.captured_queries if "crm_holiday" in q["sql"]]) == 1


def test_home_lists_my_enterprises_and_projects_and_counts(client, officer, enterprise, county_enterprise, regions):
    enterprise.liaison_officers.add(officer)
    enterprise.is_assisted = True
    enterprise.save()
    project = Project.objects.create(name="清江浦示例帮办项目", region=regions["320812"], is_assisted=True)
    project.liaison_officers.add(officer)
    Project.objects.create(name="别人的项目", region=regions["320812"])
    client.force_login(officer)
    response = client.get(reverse("crm:home"))
    html = response.content.decode()
    assert enterprise.name in html
    assert county_enterprise.name not in html  # not mine
    assert project.name in html
    assert "别人的项目" not in html
    counts = response.context["columns"]["top"][0]["counts"]
    assert counts == {"linked": 2, "assisted": 1, "assisted_projects": 1, "liaised": 1, "led": 0}


def test_home_counts_are_scoped_for_county_user(client, county_officer, enterprise, county_enterprise):
    client.force_login(county_officer)
    response = client.get(reverse("crm:home"))
    counts = response.context["columns"]["top"][0]["counts"]
    assert counts["linked"] == 1  # only the county's enterprise


def test_navigation_by_role(client, officer, manager, admin_user):
    client.force_login(officer)
    html = client.get(reverse("crm:home")).content.decode()
    assert reverse("admin:index") not in html
    client.force_login(admin_user)
    html = client.get(reverse("crm:home")).content.decode()
    assert reverse("admin:index") in html


def test_logout_is_a_post_form_and_language_switch_present(client, officer):
    client.force_login(officer)
    html = client.get(reverse("crm:home")).content.decode()
    assert f'action="{reverse("logout")}"' in html
    assert f'action="{reverse("set_language")}"' in html
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("crm:home")).status_code == 302


def test_login_page_renders_and_logs_in(client, officer):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    response = client.post(reverse("login"), {"username": "officer", "password": "pw-123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:home")


def test_wrong_password_shows_error(client, officer):
    response = client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()


def test_unread_notification_count_in_navbar(client, officer):

    Notification.objects.create(recipient=officer, kind="note", text="请跟进")
    client.force_login(officer)
    html = client.get(reverse("crm:home")).content.decode()
    assert 'data-testid="unread-count">1<' in html
    assert "请跟进" in html  # the unread-notifications section


def test_messages_render_as_alerts(client, manager, regions):
    client.force_login(manager)
    response = client.post(
        reverse("crm:enterprise-create"),
        {"name": "", "credit_code": "", "region": "", "quals-TOTAL_FORMS": "0", "quals-INITIAL_FORMS": "0"},
    )
    assert 'class="alert alert-danger' in response.content.decode()


@pytest.mark.parametrize(("role", "shown"), [("officer", True), ("manager", True), ("leader", False)])
def test_log_visit_button_only_for_who_may_log_visits(client, request, role, shown):
    """A leader reads and writes instructions: no 登记走访 button that would answer 403."""
    client.force_login(request.getfixturevalue(role))
    html = client.get(reverse("crm:home")).content.decode()
    assert (reverse("crm:visit-create") in html) is shown
