"""crm.sessions: Django's database sessions, the row read by a prepared statement; expiry and unknown keys as before;
the messages' storage made when used, its cookie signer once per process and keys."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm.sessions import _SESSION_ROW, MessageStorage, SessionStore
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


def _messages_request(cookies=None):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    request.session = SessionStore()
    return request


def _written(storage) -> dict:
    response = HttpResponse()
    storage.update(response)
    return {name: morsel.value for name, morsel in response.cookies.items()}


def test_messages_backends_are_made_only_when_used_and_the_cookie_signer_once(client, manager, monkeypatch):
    signers = []
    made_by_django = signing.get_cookie_signer

    def get_cookie_signer(*args, **kwargs):
        signers.append(kwargs.get("salt"))
        return made_by_django(*args, **kwargs)

    monkeypatch.setattr(signing, "get_cookie_signer", get_cookie_signer)
    monkeypatch.setattr("crm.sessions._COOKIE_SIGNERS", {})
    storage = default_storage(_messages_request())
    assert isinstance(storage, MessageStorage)
    assert _written(storage) == {}
    assert "storages" not in vars(storage)  # nothing read, nothing added: no backend made
    client.force_login(manager)
    for _ in range(2):
        assert client.get("/api/v1/me/").status_code == 200
    assert signers == []  # Django's storage made a signer on every request
    for _ in range(2):
        assert client.get(reverse("crm:account")).status_code == 200  # base.html reads the messages
    assert signers == ["django.contrib.messages"]


def test_messages_go_through_the_cookie_as_before_and_old_keys_still_read(settings):
    old_key = settings.SECRET_KEY
    storage = MessageStorage(_messages_request())
    storage.add(messages.SUCCESS, "Saved.")
    cookies = _written(storage)
    assert list(cookies) == [CookieStorage.cookie_name]
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert [str(m) for m in MessageStorage(_messages_request(cookies))] == []  # not this site's key any more
    settings.SECRET_KEY_FALLBACKS = [old_key]
    # Read on request after request: the process's signer keeps the fallback keys (Django gives it a one-use map).
    for _ in range(3):
        assert [str(m) for m in MessageStorage(_messages_request(cookies))] == ["Saved."]
