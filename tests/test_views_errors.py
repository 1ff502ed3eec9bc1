"""The error pages (crm/views/errors.py, templates/403_csrf.html, templates/500.html) and the shell's small
things around them: the log-out message, the language menu, the skip link, the favicon, the error summary."""

import json
import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from crm import context_processors
from crm.views import errors, home

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def csrf_client(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    return client


def test_expired_form_gets_the_chinese_page_that_keeps_the_draft_and_returns(csrf_client):
    url = reverse("crm:visit-create")
    response = csrf_client.post(url, {"q_needs": "希望对接高校"}, HTTP_REFERER=f"http://testserver{url}?enterprise=5")
    assert response.status_code == 403
    html = response.content.decode()
    assert "表单未能提交" in html and "CSRF验证失败" not in html
    assert "data-fieldsafe-keep" in html  # forms.js keeps the draft saved in the browser
    assert "data-draft-info" in html and "草稿" in html
    assert f'href="{url}?enterprise=5" id="csrf-return"' in html
    assert 'href="/accounts/login/?next=/visits/new/%3Fenterprise%3D5" id="csrf-login"' in html


def test_logged_out_user_is_sent_to_log_in_and_back():
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.get(reverse("login"))  # the CSRF cookie outlives the session; the form's token no longer matches
    url = reverse("crm:visit-create")
    response = anonymous.post(url, {"q_needs": "x"}, HTTP_REFERER=f"http://testserver{url}")
    html = response.content.decode()
    assert response.status_code == 403
    assert "登录已过期" in html and "登录并返回表单" in html and "csrf-return" not in html
    assert f'href="/accounts/login/?next={url}" id="csrf-login"' in html


def test_stale_login_form_returns_to_the_page_the_login_was_for():
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(
        reverse("login"),
        {"username": "officer", "password": "x"},
        HTTP_REFERER="http://testserver/accounts/login/?next=/needs/",
    )
    assert response.status_code == 403
    assert 'href="/accounts/login/?next=/needs/"' in response.content.decode()


@pytest.mark.parametrize("referer", ["https://evil.example/phish", "http://testserver//evil.example/x", ""])
def test_foreign_or_missing_referer_falls_back_to_the_posted_path(referer):
    anonymous = Client(enforce_csrf_checks=True)
    url = reverse("crm:need-create")
    response = anonymous.post(url, {}, HTTP_REFERER=referer)
    html = response.content.decode()
    assert "evil.example" not in html
    assert f'href="/accounts/login/?next={url}"' in html


def test_missing_cookie_is_explained():
    request = RequestFactory().post("/visits/new/")
    request.user = type("Anon", (), {"is_authenticated": False})()
    response = errors.csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403 and "Cookie" in response.content.decode()


def test_api_csrf_failure_answers_json():
    response = errors.csrf_failure(RequestFactory().post("/api/v1/anything/"), reason="x")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "安全校验失败" in json.loads(response.content)["detail"]


def test_server_error_page_is_chinese_and_needs_no_context_processor(client, officer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(home.HomeView, "get", broken)
    monkeypatch.setattr(context_processors, "navigation", broken)  # the 500 page must not need it
    client.force_login(officer)
    client.raise_request_exception = False
    response = client.get(reverse("crm:home"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "抱歉，服务器出了点问题" in html and "Server Error" not in html
    assert 'lang="zh-hans"' in html and "data-fieldsafe-keep" in html
    assert "<style" not in html and " style=" not in html and "<script>" not in html


def test_log_out_says_so(client, officer):
    client.force_login(officer)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "您已安全退出" in response.content.decode()


def test_expired_session_post_lands_on_a_login_page_that_keeps_the_draft(client):
    response = client.post(reverse("crm:visit-create"), {"q_needs": "x"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "data-fieldsafe-keep" in response.content.decode()


def test_log_out_when_already_out_adds_no_message(client):
    response = client.post(reverse("logout"), follow=True)
    assert "您已安全退出" not in response.content.decode()


def test_shell_names_languages_in_themselves_and_has_skip_link_and_favicon(client, officer):
    client.force_login(officer)
    html = client.get(reverse("crm:home")).content.decode()
    assert '<option value="en" lang="en" >English</option>' in html
    assert ">简体中文</option>" in html and "英语" not in html
    body = html[html.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'href="#main"' in first_link and "skip-link" in first_link
    assert "跳到主要内容" in body
    assert re.search(r'<link rel="icon" href="/static/crm/favicon\.svg', html)
    assert re.search(r'<a class="navbar-brand[^>]*aria-label="[^"]+"', html)
    assert 'src="/static/crm/forms.js"' in html and "axe" not in html  # axe-core only in browser tests


def test_form_with_errors_has_a_summary_linking_to_fields_and_opts_into_forms_js(client, manager):
    client.force_login(manager)
    response = client.post(reverse("crm:enterprise-create"), {"name": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-fieldsafe" in html and "丢弃草稿" in html
    summary = html[html.index('id="error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    assert "请修改以下" in summary
    assert re.search(r'<a href="#id_name">', summary)
