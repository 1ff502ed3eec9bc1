"""API accounts (DESIGN §8.3, §9.3): token login lockout on the real client address, the throttle's key, token
expiry, revoke and rotation on a password change, and the JSON parser's depth limit."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.services.accounts import token_issue

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"
RIGHT = {"username": "manager", "password": "pw-123456"}
WRONG = {"username": "manager", "password": "wrong"}


def _post(client, body, **extra):
    return client.post(TOKEN_URL, body, format="json", **extra)


def test_token_login_locks_out_after_five_failures_even_with_the_right_password(manager, settings):
    client = APIClient()
    assert [_post(client, WRONG).status_code for _ in range(settings.AXES_FAILURE_LIMIT)] == [400] * 4 + [429]
    response = _post(client, RIGHT)
    assert response.status_code == 429
    assert "detail" in response.json()
    assert not Token.objects.filter(user=manager).exists()


def test_lockout_keys_on_address_and_username(manager, officer):
    client = APIClient()
    for _ in range(5):
        _post(client, WRONG, REMOTE_ADDR="10.0.0.1")
    assert _post(client, RIGHT, REMOTE_ADDR="10.0.0.1").status_code == 429
    # Another address, or another user from the same address, still logs in.
    assert _post(client, RIGHT, REMOTE_ADDR="10.0.0.2").status_code == 200
    assert _post(client, {"username": "officer", "password": "pw-123456"}, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_a_client_chosen_forwarded_for_does_not_escape_the_lockout(manager):
    client = APIClient()
    for i in range(5):
        _post(client, WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert _post(client, RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(manager, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    for _ in range(5):
        _post(client, WRONG, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.7")
    assert _post(client, RIGHT, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _post(client, RIGHT, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_the_login_throttle_ignores_a_client_chosen_forwarded_for(db):
    client = APIClient()
    statuses = [
        _post(client, {"username": f"u{i}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code
        for i in range(11)
    ]
    assert statuses[-1] == 429


def test_authenticate_without_a_request_still_works(manager):
    # Commands and Client.login call authenticate() without a request; the lockout backend steps aside.
    assert authenticate(username="manager", password="pw-123456") == manager
    assert authenticate(username="manager", password="wrong") is None


def test_an_expired_token_is_refused_and_a_new_login_issues_a_fresh_one(manager, settings):
    key = _post(APIClient(), RIGHT).json()["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - settings.API_TOKEN_TTL - dt.timedelta(minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    fresh = _post(APIClient(), RIGHT).json()["token"]
    assert fresh != key
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get("/api/v1/me/").status_code == 200


def test_token_issue_keeps_a_valid_token(manager):
    assert token_issue(user=manager).key == token_issue(user=manager).key


def test_revoke_ends_the_token(manager):
    key = _post(APIClient(), RIGHT).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post(REVOKE_URL).status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert APIClient().post(REVOKE_URL).status_code == 401


def test_a_password_change_ends_the_token(manager):
    key = _post(APIClient(), RIGHT).json()["token"]
    manager.set_password("a-new-password-42")
    manager.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 401


def test_other_saves_keep_the_token(manager):
    key = _post(APIClient(), RIGHT).json()["token"]
    manager.name = "王经理"
    manager.save()
    assert Token.objects.filter(key=key).exists()


@pytest.mark.parametrize("depth", [100_000, 40])
def test_deeply_nested_json_is_a_400_also_anonymously(db, depth):
    body = "[" * depth + "]" * depth
    response = APIClient().post(TOKEN_URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_ordinary_nesting_still_parses(db):
    response = APIClient().post(TOKEN_URL, {"username": "x", "password": "y", "extra": [[{"a": [1]}]]}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
