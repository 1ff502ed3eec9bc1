"""Every model's admin changelist, add form and history render for an administrator."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def crm_models():
    return [m for m in admin.site._registry if m._meta.app_label == "crm"]


@pytest.mark.parametrize("model", crm_models(), ids=lambda m: m._meta.model_name)
def test_changelist_and_add_form_render(client, admin_user, enterprise, model):
    client.force_login(admin_user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "淮安"})
    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(rf_request(admin_user)):
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert response.status_code == 200


def rf_request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_enterprise_history_and_export_pages(client, admin_user, enterprise):
    client.force_login(admin_user)
    response = client.get(reverse("admin:crm_enterprise_history", args=[enterprise.pk]))
    assert response.status_code == 200
    response = client.get(reverse("admin:crm_enterprise_export"))
    assert response.status_code == 200


def test_need_events_cannot_be_changed_in_the_admin(client, admin_user, enterprise, city_bureau):
    from crm.models import Need, NeedEvent

    need = Need.objects.create(enterprise=enterprise, category="rd", title="t", bureau=city_bureau)
    event = NeedEvent.objects.create(need=need, kind="note", text="x")
    client.force_login(admin_user)
    response = client.post(reverse("admin:crm_needevent_change", args=[event.pk]), {"text": "changed"})
    assert response.status_code in (302, 403) or "changed" not in response.content.decode()
    event.refresh_from_db()
    assert event.text == "x"
