"""The need clock on the web (DESIGN §11.4): the extend form makes a request, deciders see approve/refuse on
the need page and the pending list on their 工作台, the requester does not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedStatus
from crm.models import ExtensionRequest, Need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate()


@pytest.fixture
def working(need, handler, lead_department):
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS, handler=handler, lead_department=lead_department, due_on=TODAY + dt.timedelta(5)
    )
    need.refresh_from_db()
    return need


def test_request_and_approve_on_the_web(client, working, handler, manager):
    client.force_login(handler)
    new_due = (working.due_on + dt.timedelta(7)).isoformat()
    response = client.post(
        reverse("crm:need-transition", args=[working.pk, "extend"]),
        {"extend-version": 1, "extend-due_on": new_due, "extend-reason": "等待检测报告"},
    )
    assert response.status_code == 302
    request = ExtensionRequest.objects.get()
    page = client.get(reverse("crm:need-detail", args=[working.pk])).content.decode()
    assert f'id="approve-{request.pk}"' not in page  # the requester does not decide

    client.force_login(manager)
    assert f'data-extension="{request.pk}"' in client.get(reverse("crm:home")).content.decode()
    page = client.get(reverse("crm:need-detail", args=[working.pk])).content.decode()
    assert f'id="approve-{request.pk}"' in page and f'id="refuse-{request.pk}"' in page
    response = client.post(reverse("crm:extension-request-decide", args=[request.pk, "approve"]), {"note": ""})
    assert response.status_code == 302
    working.refresh_from_db()
    assert working.due_on.isoformat() == new_due
    assert ExtensionRequest.objects.get().status == ExtensionStatus.APPROVED
    assert f'data-extension="{request.pk}"' not in client.get(reverse("crm:home")).content.decode()


def test_requester_cannot_approve_on_the_web(client, working, manager):
    request = ExtensionRequest.objects.create(
        need=working, requested_due_on=working.due_on + dt.timedelta(3), reason="x", requested_by=manager
    )
    client.force_login(manager)
    response = client.post(reverse("crm:extension-request-decide", args=[request.pk, "approve"]))
    assert response.status_code == 403
    assert ExtensionRequest.objects.get().status == ExtensionStatus.PENDING


def test_assign_later_shows_the_rule(client, need, manager, lead_department):
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
    client.force_login(manager)
    response = client.post(
        reverse("crm:need-transition", args=[need.pk, "assign"]),
        {
            "assign-version": 1,
            "assign-lead_department": lead_department.pk,
            "assign-due_on": (need.due_on + dt.timedelta(1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "only shorten" in response.content.decode()
