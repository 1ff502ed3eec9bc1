# ruff: noqa: E501 - the replaced template text, byte for byte
"""layout_tags (templates/base.html's navbar, stylesheets and scripts written in Python) write the bytes of the
template text they replaced, for every kind of user and state of the navbar, in both languages."""

import pytest
from django.middleware.csrf import get_token
from django.test import RequestFactory, override_settings

from crm.choices import Role
from crm.context_processors import navigation
from crm.templatetags import layout_tags
from tests.factories import BureauFactory, NotificationFactory, UserFactory
from tests.template_helpers import rendered_alike

pytestmark = pytest.mark.django_db

# base.html's {% block navbar %} before it became {% navbar %} (LANGUAGE_CODE was set at the top of base.html).
OLD_NAVBAR = (
    "{% load i18n crm_tags %}{% get_current_language as LANGUAGE_CODE %}"
    + """
<nav class="navbar navbar-expand-xl navbar-dark bg-primary shadow-sm sticky-top" aria-label="{% translate 'Main navigation' %}">
  <div class="container-fluid">
    <a class="navbar-brand fw-semibold" href="{% if user.is_authenticated %}{% url_fixed 'crm:home' %}{% else %}/{% endif %}"
       aria-label="{% translate 'Enterprise Liaison Service Platform' %}">
      <i class="bi bi-buildings" aria-hidden="true"></i>
      <span class="brand-text" title="{% translate 'Enterprise Liaison Service Platform' %}">{% translate "Enterprise Liaison Service Platform" %}</span>
    </a>
    {% if user.is_authenticated %}
    {# The bell stays outside the collapsed menu so it is visible on a phone too. #}
    <div class="d-flex align-items-center order-xl-last ms-auto ms-xl-2">
      {% url_fixed 'crm:notification-list' as notifications_url %}
      {# The name holds the badge's number too: what is seen is what a screen reader or voice control says. #}
      {% if unread_notifications %}{% blocktranslate count unread=unread_notifications asvar bell_name %}Notifications, {{ unread }} unread{% plural %}Notifications, {{ unread }} unread{% endblocktranslate %}{% else %}{% translate "Notifications" as bell_name %}{% endif %}
      <a class="nav-link text-white position-relative px-2" id="nav-notifications"
         href="{{ notifications_url|default:'#' }}" title="{{ bell_name }}" aria-label="{{ bell_name }}">
        <i class="bi bi-bell fs-5" aria-hidden="true"></i>
        {% if unread_notifications %}
        <span class="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger" data-testid="unread-count">{{ unread_notifications }}</span>
        {% endif %}
      </a>
      <button class="navbar-toggler ms-2" type="button" data-bs-toggle="collapse" data-bs-target="#main-nav"
              aria-controls="main-nav" aria-expanded="false" aria-label="{% translate 'Toggle navigation' %}">
        <span class="navbar-toggler-icon"></span>
      </button>
    </div>
    <div class="collapse navbar-collapse" id="main-nav">
      <ul class="navbar-nav me-auto mb-2 mb-xl-0">
        {% block nav_items %}
        {# The items and the 更多 dropdown: crm_tags.NAV_ITEMS / NAV_MORE, reversed and translated once per process. #}
        {% main_nav %}
        {% endblock %}
      </ul>
      {% url_fixed 'crm:search' as search_url %}{% if search_url %}
      {# Type-ahead (crm/static/crm/search.js): htmx fetches the grouped hits; arrows, Enter and Escape work. #}
      <link rel="stylesheet" href="{% static_fixed 'crm/search.css' %}">
      <form class="d-flex my-2 my-xl-0 me-xl-2 nav-search" role="search" method="get" action="{{ search_url }}">
        <div class="nav-search-box">
          <input class="form-control form-control-sm" type="search" name="q" value="{{ search_query|default:'' }}" id="nav-search-input"
                 placeholder="{% translate 'Search names, codes, mobiles, policies' %}" aria-label="{% translate 'Search' %}" maxlength="100"
                 autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="nav-search-results"
                 hx-get="{% url_fixed 'crm:search-suggest' %}" hx-trigger="input changed delay:250ms, search" hx-target="#nav-search-results" hx-sync="this:replace">
          <div class="nav-search-results" id="nav-search-results" role="listbox" aria-label="{% translate 'Search suggestions' %}" hidden></div>
        </div>
        <button class="btn btn-sm btn-light ms-1" type="submit" aria-label="{% translate 'Search' %}"><i class="bi bi-search" aria-hidden="true"></i></button>
      </form>
      <script src="{% static_fixed 'crm/search.js' %}" defer></script>
      {% endif %}
      <ul class="navbar-nav">
        <li class="nav-item dropdown">
          <a class="nav-link dropdown-toggle" href="#" id="user-menu" role="button" data-bs-toggle="dropdown" aria-expanded="false">
            <i class="bi bi-person-circle" aria-hidden="true"></i> {{ user }}
          </a>
          <div class="dropdown-menu dropdown-menu-end" aria-labelledby="user-menu">
            <div class="dropdown-item-text small text-body-secondary">
              {% if user.bureau %}{{ user.bureau }}{% if user.department %} · {{ user.department.name }}{% endif %}{% endif %}
            </div>
            {% url_fixed 'crm:account' as account_url %}{% if account_url %}<a class="dropdown-item" href="{{ account_url }}" id="nav-account"><i class="bi bi-person-gear" aria-hidden="true"></i> {% translate "My account" %}</a>{% endif %}
            <div class="dropdown-divider"></div>
            <form class="px-3 py-1" method="post" action="{% url_fixed 'set_language' %}">
              {% csrf_token %}
              <input type="hidden" name="next" value="{{ request.get_full_path }}">
              <label class="form-label small mb-1" for="language-select">{% translate "Language" %}</label>
              {# Each language named in itself (English, 简体中文), as a reader of that language looks for it. #}
              {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
              <select class="form-select form-select-sm js-autosubmit" id="language-select" name="language">
                {% for language in languages %}
                <option value="{{ language.code }}" lang="{{ language.code }}" {% if language.code == LANGUAGE_CODE %}selected{% endif %}>{{ language.name_local }}</option>
                {% endfor %}
              </select>
              <noscript><button class="btn btn-sm btn-outline-secondary mt-1" type="submit">{% translate "Switch" %}</button></noscript>
            </form>
            <div class="dropdown-divider"></div>
            <a class="dropdown-item" href="{% url_fixed 'password_change' %}" id="password-change-link"><i class="bi bi-key" aria-hidden="true"></i> {% translate "Change password" %}</a>
            <form method="post" action="{% url_fixed 'logout' %}">
              {% csrf_token %}
              <button class="dropdown-item" type="submit" id="logout-button"><i class="bi bi-box-arrow-right" aria-hidden="true"></i> {% translate "Log out" %}</button>
            </form>
          </div>
        </li>
      </ul>
    </div>
    {% endif %}
  </div>
</nav>
"""
)
NEW_NAVBAR = "{% load layout_tags %}{% navbar %}"
OLD_HEAD = """{% load crm_tags %}<link rel="icon" href="{% static_fixed 'crm/favicon.svg' %}" type="image/svg+xml">
  <link rel="alternate icon" href="{% static_fixed 'crm/favicon.png' %}" type="image/png">
  <link rel="stylesheet" href="{% static_fixed 'vendor/bootstrap/css/bootstrap.min.css' %}">
  <link rel="stylesheet" href="{% static_fixed 'vendor/bootstrap-icons/bootstrap-icons.min.css' %}">
  <link rel="stylesheet" href="{% static_fixed 'crm/app.css' %}">
  <link rel="stylesheet" href="{% static_fixed 'vendor/tom-select/css/tom-select.bootstrap5.min.css' %}">
  <link rel="stylesheet" href="{% static_fixed 'crm/pickers.css' %}">"""
OLD_SCRIPTS = """{% load crm_tags %}<script src="{% static_fixed 'vendor/bootstrap/js/bootstrap.bundle.min.js' %}"></script>
<script src="{% static_fixed 'vendor/htmx/htmx.min.js' %}"></script>
<script src="{% static_fixed 'crm/app.js' %}"></script>
<script src="{% static_fixed 'crm/forms.js' %}"></script>
<script src="{% static_fixed 'vendor/tom-select/js/tom-select.complete.min.js' %}"></script>
<script src="{% static_fixed 'crm/pickers.js' %}"></script>"""


def _context(user, path="/needs/?open=true&q=<x>", **extra):
    """What a page's context processors give the navbar: the user, the request, the CSRF token, the unread count."""
    request = RequestFactory().get(path)
    request.user = user
    context = {"user": user, "request": request, "csrf_token": get_token(request), **navigation(request)}
    return {**context, **extra}


@pytest.mark.parametrize("roles", [[Role.OFFICER], [Role.MANAGER], [Role.LEADER], [Role.ADMIN]])
def test_the_navbar_of_each_kind_of_user(roles):
    user = UserFactory(roles=roles, is_staff=Role.ADMIN in roles)
    rendered = rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(user))
    assert 'id="nav-search-input"' in rendered and 'name="csrfmiddlewaretoken"' in rendered


def test_unread_notifications_search_query_and_a_user_without_department():
    user = UserFactory(roles=[Role.OFFICER], department=None, name="A & <B>")
    NotificationFactory.create_batch(3, recipient=user)
    rendered = rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(user, search_query='"quoted" & <b>'))
    assert 'data-testid="unread-count">3</span>' in rendered and "A &amp; &lt;B&gt;" in rendered
    # A count given as a number (a view's own context), with the thousands separator on.
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        rendered = rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(user, unread_notifications=1234))
    assert "234</span>" in rendered


def test_a_user_without_bureau_and_no_user():
    user = UserFactory(roles=[Role.OFFICER], bureau=None)
    rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(user, path="/me/"))
    request = RequestFactory().get("/accounts/login/")
    assert 'href="/"' in rendered_alike(OLD_NAVBAR, NEW_NAVBAR, request=request)
    assert "main-nav" not in rendered_alike(OLD_NAVBAR, NEW_NAVBAR)


def test_a_county_user():
    county = BureauFactory(county=True)
    user = UserFactory(roles=[Role.MANAGER], bureau=county)
    rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(user))


def test_stylesheets_and_scripts():
    assert "bootstrap.min.css" in rendered_alike(OLD_HEAD, "{% load layout_tags %}{% head_links %}")
    assert "pickers.js" in rendered_alike(OLD_SCRIPTS, "{% load layout_tags %}{% body_scripts %}")
    with override_settings(STATIC_URL="/assets/"):
        assert 'href="/assets/crm/app.css"' in rendered_alike(OLD_HEAD, "{% load layout_tags %}{% head_links %}")
        assert "/assets/crm/search.js" in rendered_alike(OLD_NAVBAR, NEW_NAVBAR, **_context(UserFactory()))


def test_the_fixed_parts_are_built_once_per_language(client):
    """The translations and URLs of the navbar are not looked up again on every page."""
    user = UserFactory(roles=[Role.OFFICER])
    client.force_login(user)
    client.get("/me/")
    before = layout_tags._navbar_parts.cache_info()
    client.get("/me/")
    after = layout_tags._navbar_parts.cache_info()
    assert (after.misses, after.hits) == (before.misses, before.hits + 1)
