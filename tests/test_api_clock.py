"""The need clock in the API (DESIGN §11.4): extend → 202, approve/refuse, limits → 400, self-approval → 403,
the collection scoped by visible_to, and a far deadline on assign → 400 with nothing saved (issue 11)."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedStatus
from crm.models import ExtensionRequest, Need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]

TODAY = timezone.localdate()


def extend(api_as, user, need, days=7):
    body = {"version": need.version, "due_on": (need.due_on + dt.timedelta(days)).isoformat(), "reason": "等待检测"}
    return api_as(user).post(f"/api/v1/needs/{need.pk}/extend/", body, format="json")


def test_extend_approve(api_as, need_in_progress, handler, manager):
    response = extend(api_as, handler, need_in_progress)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["need"], body["requested_by"]) == ("pending", need_in_progress.pk, handler.pk)
    need_in_progress.refresh_from_db()
    assert need_in_progress.due_on == TODAY + dt.timedelta(5)

    response = api_as(manager).post(f"/api/v1/extension-requests/{body['id']}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    need = api_as(manager).get(f"/api/v1/needs/{need_in_progress.pk}/").json()
    assert need["due_on"] == body["requested_due_on"]
    assert need["original_due_on"] == need_in_progress.original_due_on.isoformat()

    again = api_as(manager).post(f"/api/v1/extension-requests/{body['id']}/refuse/", {"note": "x"}, format="json")
    assert again.status_code == 409


def test_refuse_needs_a_note(api_as, need_in_progress, handler, manager):
    pk = extend(api_as, handler, need_in_progress).json()["id"]
    response = api_as(manager).post(f"/api/v1/extension-requests/{pk}/refuse/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api_as(manager).post(f"/api/v1/extension-requests/{pk}/refuse/", {"note": "先答复"}, format="json")
    assert response.status_code == 200 and response.json()["decision_note"] == "先答复"


def test_self_approval_403(api_as, need_in_progress, manager):
    pk = extend(api_as, manager, need_in_progress).json()["id"]
    response = api_as(manager).post(f"/api/v1/extension-requests/{pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert ExtensionRequest.objects.get(pk=pk).status == ExtensionStatus.PENDING


def test_limit_400_names_it(api_as, need_in_progress, handler):
    response = extend(api_as, handler, need_in_progress, days=60)
    assert response.status_code == 400
    assert "max_extension_days" in str(response.json())


def test_list_is_scoped(api_as, need_in_progress, handler, county_manager, manager):
    extend(api_as, handler, need_in_progress)
    assert api_as(manager).get("/api/v1/extension-requests/?status=pending").json()["count"] == 1
    assert api_as(county_manager).get("/api/v1/extension-requests/").json()["count"] == 0
    pk = ExtensionRequest.objects.get().pk
    assert (
        api_as(county_manager).post(f"/api/v1/extension-requests/{pk}/approve/", {}, format="json").status_code == 404
    )
    assert api_as(manager).get("/api/v1/extension-requests/?status=bogus").status_code == 400


@pytest.mark.parametrize("far", ["9999-12-31", "2200-01-01"])
def test_assign_far_deadline_400_nothing_saved(api_as, need, manager, lead_department, far):
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
    body = {"version": 1, "lead_department": lead_department.pk, "due_on": far}
    response = api_as(manager).post(f"/api/v1/needs/{need.pk}/assign/", body, format="json")
    assert response.status_code == 400, response.content
    assert "due_on" in response.json()
    need.refresh_from_db()
    assert (need.status, need.version, need.lead_department_id) == (NeedStatus.ACCEPTED, 1, None)
    assert api_as(manager).get("/api/v1/needs/").status_code == 200


def test_assign_later_400(api_as, need, manager, lead_department):
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
    body = {"version": 1, "lead_department": lead_department.pk, "due_on": (need.due_on + dt.timedelta(1)).isoformat()}
    response = api_as(manager).post(f"/api/v1/needs/{need.pk}/assign/", body, format="json")
    assert response.status_code == 400 and "only shorten" in str(response.json())
    body["due_on"] = (need.due_on - dt.timedelta(1)).isoformat()
    assert api_as(manager).post(f"/api/v1/needs/{need.pk}/assign/", body, format="json").status_code == 200
