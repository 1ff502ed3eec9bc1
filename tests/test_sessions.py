"""crm.sessions: Django's database sessions, the row read by a prepared statement; expiry and unknown keys as before."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from crm.sessions import _SESSION_ROW, SessionStore
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


def test_a_data_s_signature_is_checked_once_and_each_load_gets_its_own_dict(monkeypatch):
    from django.contrib.sessions.backends.base import SessionBase
    from django.core import signing

    store = SessionStore()
    store["drafts"] = {"visit": [1, 2]}
    store.save()
    data = Session.objects.get(session_key=store.session_key).session_data
    checks = []
    real = signing.TimestampSigner.unsign
    monkeypatch.setattr(signing.TimestampSigner, "unsign", lambda *a, **kw: checks.append(1) or real(*a, **kw))
    first, second = SessionStore(store.session_key), SessionStore(store.session_key)
    assert first["drafts"] == {"visit": [1, 2]} == SessionBase.decode(first, data)["drafts"]
    first["drafts"]["visit"].append(3)  # a request changing its session's values in place
    assert second["drafts"] == {"visit": [1, 2]}
    assert len(checks) == 1 + 1  # once for the store, once for Django's decode above


@pytest.mark.parametrize(
    "data",
    ["", "garbage", "e30:1v5V5W:badsignature", None],
    ids=["empty", "unsigned", "bad-signature", "other-key"],
)
def test_bad_data_decodes_as_django_decodes_it(data, settings, caplog):
    from django.contrib.sessions.backends.base import SessionBase
    from django.core import signing

    if data is None:  # signed with a key this site does not hold
        data = signing.dumps({"a": 1}, key="another-key", salt=SessionStore().key_salt, compress=True)
    store = SessionStore()
    assert store.decode(data) == SessionBase.decode(store, data) == {}
    assert store.decode(data) == {}


def test_a_new_signing_key_checks_again(settings):
    store = SessionStore()
    data = store.encode({"a": 1})
    assert store.decode(data) == {"a": 1}
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert store.decode(data) == {}  # checked again: not this site's key any more
    settings.SECRET_KEY_FALLBACKS = [old]
    assert store.decode(data) == {"a": 1}


def test_the_sessions_row_is_read_by_a_statement_prepared_on_the_server(prepared_on_server):
    store = SessionStore()
    store["answer"] = 42
    store.save()
    assert SessionStore(store.session_key)["answer"] == 42
    assert _SESSION_ROW.sql("key")[0].replace("%s", "$1") in prepared_on_server()
