"""The need clock on the web (DESIGN §11.4): the extend form makes a request, deciders see approve/refuse on
the need page and the pending list on their 工作台, the requester does not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedStatus
from crm.models import ExtensionRequest, Need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]

TODAY = timezone.localdate()


def test_request_and_approve_on_the_web(english_client, need_in_progress, handler, manager):
    english_client.force_login(handler)
    new_due = (need_in_progress.due_on + dt.timedelta(7)).isoformat()
    response = english_client.post(
        reverse("crm:need-transition", args=[need_in_progress.pk, "extend"]),
        {"extend-version": 1, "extend-due_on": new_due, "extend-reason": "等待检测报告"},
    )
    assert response.status_code == 302
    request = ExtensionRequest.objects.get()
    page = english_client.get(reverse("crm:need-detail", args=[need_in_progress.pk])).content.decode()
    assert f'id="approve-{request.pk}"' not in page  # the requester does not decide

    english_client.force_login(manager)
    assert f'data-extension="{request.pk}"' in english_client.get(reverse("crm:home")).content.decode()
    page = english_client.get(reverse("crm:need-detail", args=[need_in_progress.pk])).content.decode()
    assert f'id="approve-{request.pk}"' in page and f'id="refuse-{request.pk}"' in page
    response = english_client.post(reverse("crm:extension-request-decide", args=[request.pk, "approve"]), {"note": ""})
    assert response.status_code == 302
    need_in_progress.refresh_from_db()
    assert need_in_progress.due_on.isoformat() == new_due
    assert ExtensionRequest.objects.get().status == ExtensionStatus.APPROVED
    assert f'data-extension="{request.pk}"' not in english_client.get(reverse("crm:home")).content.decode()


def test_requester_cannot_approve_on_the_web(english_client, need_in_progress, manager):
    request = ExtensionRequest.objects.create(
        need=need_in_progress,
        requested_due_on=need_in_progress.due_on + dt.timedelta(3),
        reason="x",
        requested_by=manager,
    )
    english_client.force_login(manager)
    response = english_client.post(reverse("crm:extension-request-decide", args=[request.pk, "approve"]))
    assert response.status_code == 403
    assert ExtensionRequest.objects.get().status == ExtensionStatus.PENDING


def test_assign_later_shows_the_rule(english_client, need, manager, lead_department):
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
    english_client.force_login(manager)
    response = english_client.post(
        reverse("crm:need-transition", args=[need.pk, "assign"]),
        {
            "assign-version": 1,
            "assign-lead_department": lead_department.pk,
            "assign-due_on": (need.due_on + dt.timedelta(1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "only shorten" in response.content.decode()
