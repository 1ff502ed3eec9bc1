"""企业服务码 links in the API (DESIGN §11.5): made once with their URL, listed without tokens, revoked by DELETE."""

import pytest
from django.test import Client

from crm.models import EnterpriseAccess

pytestmark = pytest.mark.usefixtures("english")


def test_post_makes_a_link_and_returns_its_url_once(api_as, officer, portal_contact):
    client = api_as(officer)
    response = client.post(f"/api/v1/contacts/{portal_contact.pk}/access-links/", {}, format="json")
    assert response.status_code == 201
    url = response.json()["url"]
    assert url.startswith("http://testserver/e/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert Client().get(f"/e/{token}/").status_code == 200
    listing = client.get(f"/api/v1/contacts/{portal_contact.pk}/access-links/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert token not in body and "token" not in body and "url" not in listing.json()[0]
    assert client.get("/api/v1/access-links/", {"contact": portal_contact.pk}).json()["count"] == 1


def test_delete_revokes(api_as, officer, portal_link):
    access, token = portal_link
    response = api_as(officer).delete(f"/api/v1/access-links/{access.pk}/")
    assert response.status_code == 204
    access.refresh_from_db()
    assert access.revoked_at is not None
    assert Client().get(f"/e/{token}/").status_code == 404


def test_out_of_scope_is_404_and_leaders_may_not_make_links(api_as, county_officer, leader, portal_link):
    access, _ = portal_link
    client = api_as(county_officer)
    assert client.post(f"/api/v1/contacts/{access.contact_id}/access-links/", {}, format="json").status_code == 404
    assert client.delete(f"/api/v1/access-links/{access.pk}/").status_code == 404
    assert client.get("/api/v1/access-links/").json()["count"] == 0
    response = api_as(leader).post(f"/api/v1/contacts/{access.contact_id}/access-links/", {}, format="json")
    assert response.status_code == 403
    assert EnterpriseAccess.objects.count() == 1


def test_send_sms_and_bad_input(api_as, officer, portal_contact, capsys, django_capture_on_commit_callbacks):
    client = api_as(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/contacts/{portal_contact.pk}/access-links/", {"send_sms": True}, format="json")
    assert response.status_code == 201
    assert response.json()["url"] in capsys.readouterr().out
    response = client.post(
        f"/api/v1/contacts/{portal_contact.pk}/access-links/", {"expires_at": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "expires_at" in response.json().get("fields", response.json())
    assert client.get("/api/v1/access-links/", {"contact": "abc"}).status_code == 400
