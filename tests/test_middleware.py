import re
from pathlib import Path

import pytest
from csp.constants import NONCE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

import crm.middleware
from crm.middleware import ContentSecurityPolicyMiddleware

pytestmark = pytest.mark.django_db


def test_chinese_by_default_whatever_the_browser_asks(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert 'lang="zh-hans"' in response.content.decode()


def test_the_language_switch_still_wins(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.headers["Content-Language"] == "en"


def test_api_clients_keep_their_accept_language(api_client):
    response = api_client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.headers["Content-Language"] == "en"
    response = api_client.get("/api/v1/me/")
    assert response.headers["Content-Language"] == "zh-hans"


# ------------------------------------------------------------------ login lockout, sessions, headers (§9.3)


def _login(client, password, url="/accounts/login/", username="manager"):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_web_and_admin_logins_lock_out_after_five_failures(client, admin_user, url):
    for _ in range(5):
        _login(client, "wrong", url, username="sysadmin")
    response = _login(client, "pw-123456", url, username="sysadmin")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert 'id="locked-out"' in response.content.decode()


def test_a_right_password_before_the_limit_resets_the_count(client, manager):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-123456").status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-123456").status_code == 302


def test_no_password_reset_by_email(client):
    # Accounts are bureau staff's: the system administrator resets passwords (docs/operator guide).
    assert client.get("/accounts/password_reset/").status_code == 404


def test_password_change_page_is_branded(client, manager):
    client.force_login(manager)
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    assert 'id="password-change-form"' in response.content.decode()


def test_sessions_end_after_idle_time(client, manager, settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    client.force_login(manager)
    assert client.get(reverse("crm:home")).status_code == 200
    session = client.session
    session.set_expiry(-1)  # idle longer than the limit: the stored session has expired
    session.save()
    response = client.get(reverse("crm:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_renews_the_session_at_most_once_a_minute(client, manager):
    client.force_login(manager)
    client.get(reverse("crm:home"))
    renewed = client.session["_renewed_at"]
    client.get(reverse("crm:home"))
    assert client.session["_renewed_at"] == renewed
    session = client.session
    session["_renewed_at"] = renewed - 120
    session.save()
    client.get(reverse("crm:home"))
    assert client.session["_renewed_at"] >= renewed


def test_signed_in_answers_are_not_stored(client, api_client, manager):
    client.force_login(manager)
    assert "no-store" in client.get(reverse("crm:home"))["Cache-Control"]
    key = api_client.post("/api/v1/auth/token/", {"username": "manager", "password": "pw-123456"}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert "no-store" in api_client.get("/api/v1/me/")["Cache-Control"]


def test_every_page_has_a_content_security_policy_without_inline_code(client, manager):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    client.force_login(manager)
    for url in (reverse("crm:home"), reverse("crm:policy-list"), "/admin/", "/api/docs/"):
        assert "default-src 'self'" in client.get(url)["Content-Security-Policy"], url


def test_templates_carry_no_inline_script_or_style():
    # The policy refuses inline code; a template that brings some back would silently break in the browser.
    inline = re.compile(r"<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=\"|\son[a-z]+=\"")
    offenders = []
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
        offenders += [f"{path.name}: {m.group(0)}" for m in inline.finditer(text)]
    assert offenders == []


def test_schema_and_docs_only_for_signed_in_users(client, api_client, manager):
    assert api_client.get("/api/schema/").status_code == 401
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(manager)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def _library_headers(request, response) -> dict:
    # What django-csp's own middleware writes on the same request and answer.
    fresh = type(response)()
    for name in ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt", "_csp_exempt_ro"):
        if hasattr(response, name):
            setattr(fresh, name, getattr(response, name))
    CSPMiddleware(lambda request: fresh).process_response(request, fresh)
    return {
        name: fresh[name]
        for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
        if name in fresh
    }


def _ours(request, response) -> dict:
    ContentSecurityPolicyMiddleware(lambda request: response).process_response(request, response)
    return {
        name: response[name]
        for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
        if name in response
    }


def test_the_policy_header_is_the_library_s_built_once(rf, monkeypatch, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}
    }
    built = []
    real = crm.middleware.build_policy
    monkeypatch.setattr(crm.middleware, "build_policy", lambda **kw: built.append(kw) or real(**kw))
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    for _ in range(3):
        request = rf.get("/api/v1/me/")
        middleware.process_request(request)
        response = HttpResponse()
        assert _ours(request, response) == _library_headers(request, HttpResponse())
    # A page that used its nonce: the same nonce in the header as the library writes it.
    for _ in range(2):
        request = rf.get("/")
        middleware.process_request(request)
        nonce = str(request.csp_nonce)
        headers = _ours(request, HttpResponse())
        assert headers == _library_headers(request, HttpResponse())
        assert f"'nonce-{nonce}'" in headers["Content-Security-Policy-Report-Only"]
    assert len(built) == 4  # (policy, report-only) x (without, with a nonce): once each


def test_a_view_s_own_policy_and_exemptions_as_the_library(rf, settings):
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    cases = [
        {"_csp_update": {"img-src": ["https://maps.example"]}},
        {"_csp_replace": {"script-src": ["'self'", "https://cdn.example"]}},
        {"_csp_config": {"default-src": ["'none'"]}},
        {"_csp_exempt": True},
    ]
    for attributes in cases:
        request = rf.get("/enterprises/")
        middleware.process_request(request)
        response, reference = HttpResponse(), HttpResponse()
        for name, value in attributes.items():
            setattr(response, name, value)
            setattr(reference, name, value)
        assert _ours(request, response) == _library_headers(request, reference), attributes
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}, "EXCLUDE_URL_PREFIXES": ["/static/"]}
    request = rf.get("/enterprises/")
    assert _ours(request, HttpResponse()) == {"Content-Security-Policy": "default-src 'none'"}  # settings changed
    assert _ours(rf.get("/static/x.css"), HttpResponse()) == {}
