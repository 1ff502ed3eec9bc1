"""crm.sessions: Django's database sessions, the row read by a prepared statement; expiry and unknown keys as before."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from crm.sessions import SessionStore
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_engine_is_in_use():
    assert settings.SESSION_ENGINE == "crm.sessions"


def test_a_saved_session_loads_in_one_query(django_assert_num_queries):
    store = SessionStore()
    store["answer"] = 42
    store.save()
    loaded = SessionStore(store.session_key)
    with django_assert_num_queries(1):
        assert loaded["answer"] == 42
    assert loaded.session_key == store.session_key


def test_an_expired_session_starts_empty_and_drops_its_key():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    loaded = SessionStore(store.session_key)
    assert loaded.get("answer") is None
    assert loaded.session_key is None


def test_an_unknown_key_starts_empty():
    loaded = SessionStore("x" * 32)
    assert loaded.load() == {}
    assert loaded.session_key is None


def test_sign_in_and_sign_out_go_through_the_store(client, manager):
    assert client.login(username="manager", password=PASSWORD)
    assert client.get(reverse("crm:account")).status_code == 200
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    # The old cookie's key no longer signs anybody in.
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get(reverse("crm:account")).status_code == 302
