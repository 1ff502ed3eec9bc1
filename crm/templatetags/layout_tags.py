"""The chrome of every page (templates/base.html) written in Python: the navbar, the stylesheets and the scripts.

base.html's navbar was some 90 template nodes (a dozen ``{% translate %}``, ``{% url_fixed %}``, ``{% if %}``, the
language menu's loop), rendered on every page and walked again by ``{% extends %}`` for its blocks: about a third
of a trivial page's time. What depends only on the language and the URLconf is built once per process
(``_navbar_parts``); the user, the unread count, the CSRF token and the path are filled in per request.
tests/test_templatetags_layout_tags.py renders the replaced template text beside each tag.
"""

import functools
import html

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info, gettext, ngettext

from crm.templatetags.crm_tags import _reversed, _urlconf, main_nav, shown, static_fixed

register = template.Library()

# base.html's <head> stylesheets and the scripts before </body>, in their order.
STYLESHEETS = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "crm/app.css",
    "vendor/tom-select/css/tom-select.bootstrap5.min.css",
    "crm/pickers.css",
)
SCRIPTS = (
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "crm/app.js",
    "crm/forms.js",
    "vendor/tom-select/js/tom-select.complete.min.js",
    "crm/pickers.js",
)


@register.simple_tag
def head_links() -> str:
    """The icons and stylesheets of every page's ``<head>``."""
    return mark_safe(_head_links())  # noqa: S308 (static URLs, escaped in _head_links)


@register.simple_tag
def body_scripts() -> str:
    """The scripts at the end of every page's ``<body>``."""
    return mark_safe(_body_scripts())  # noqa: S308 (static URLs, escaped in _body_scripts)


# The static URLs are fixed per process (static_fixed caches them too); a test that moves the static files clears
# these caches (_settings_changed).
@functools.lru_cache(maxsize=4)
def _head_links() -> str:
    icons = (
        f'<link rel="icon" href="{html.escape(static_fixed("crm/favicon.svg"))}" type="image/svg+xml">',
        f'<link rel="alternate icon" href="{html.escape(static_fixed("crm/favicon.png"))}" type="image/png">',
    )
    sheets = (f'<link rel="stylesheet" href="{html.escape(static_fixed(path))}">' for path in STYLESHEETS)
    return "\n  ".join((*icons, *sheets))


@functools.lru_cache(maxsize=4)
def _body_scripts() -> str:
    return "\n".join(f'<script src="{html.escape(static_fixed(path))}"></script>' for path in SCRIPTS)


@functools.lru_cache(maxsize=64)
def _navbar_parts(urlconf, prefix: str, language: str) -> dict:
    """The navbar's text that depends only on the language and the URLs (translations are written unescaped, as
    ``{% translate %}`` writes a template's literal)."""

    def url(name: str) -> str:
        return _reversed(name, urlconf, prefix, language)

    platform = gettext("Enterprise Liaison Service Platform")
    search_url = url("crm:search")
    if search_url:
        search = (
            "\n      \n"
            f'      <link rel="stylesheet" href="{html.escape(static_fixed("crm/search.css"))}">\n'
            f'      <form class="d-flex my-2 my-xl-0 me-xl-2 nav-search" role="search" method="get"'
            f' action="{html.escape(search_url)}">\n'
            '        <div class="nav-search-box">\n'
            '          <input class="form-control form-control-sm" type="search" name="q" value="\x00"'
            ' id="nav-search-input"\n'
            f'                 placeholder="{gettext("Search names, codes, mobiles, policies")}"'
            f' aria-label="{gettext("Search")}" maxlength="100"\n'
            '                 autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false"'
            ' aria-controls="nav-search-results"\n'
            f'                 hx-get="{html.escape(url("crm:search-suggest"))}" hx-trigger="input changed delay:250ms,'
            ' search" hx-target="#nav-search-results" hx-sync="this:replace">\n'
            '          <div class="nav-search-results" id="nav-search-results" role="listbox"'
            f' aria-label="{gettext("Search suggestions")}" hidden></div>\n'
            "        </div>\n"
            f'        <button class="btn btn-sm btn-light ms-1" type="submit" aria-label="{gettext("Search")}">'
            '<i class="bi bi-search" aria-hidden="true"></i></button>\n'
            "      </form>\n"
            f'      <script src="{html.escape(static_fixed("crm/search.js"))}" defer></script>\n'
            "      "
        ).split("\x00")
    else:
        search = None
    account_url = url("crm:account")
    account = (
        f'<a class="dropdown-item" href="{html.escape(account_url)}" id="nav-account">'
        f'<i class="bi bi-person-gear" aria-hidden="true"></i> {gettext("My account")}</a>'
        if account_url
        else ""
    )
    languages = [get_language_info(code) for code, _name in settings.LANGUAGES]
    return {
        "head": (
            '\n<nav class="navbar navbar-expand-xl navbar-dark bg-primary shadow-sm sticky-top"'
            f' aria-label="{gettext("Main navigation")}">\n'
            '  <div class="container-fluid">\n'
            '    <a class="navbar-brand fw-semibold" href="\x00"\n'
            f'       aria-label="{platform}">\n'
            '      <i class="bi bi-buildings" aria-hidden="true"></i>\n'
            f'      <span class="brand-text" title="{platform}">{platform}</span>\n'
            "    </a>\n    "
        ).split("\x00"),
        "home": html.escape(url("crm:home")),
        "notifications": html.escape(url("crm:notification-list") or "#"),
        "bell": gettext("Notifications"),
        "toggle": (
            "\n      </a>\n"
            '      <button class="navbar-toggler ms-2" type="button" data-bs-toggle="collapse"'
            ' data-bs-target="#main-nav"\n'
            '              aria-controls="main-nav" aria-expanded="false"'
            f' aria-label="{gettext("Toggle navigation")}">\n'
            '        <span class="navbar-toggler-icon"></span>\n'
            "      </button>\n"
            "    </div>\n"
            '    <div class="collapse navbar-collapse" id="main-nav">\n'
            '      <ul class="navbar-nav me-auto mb-2 mb-xl-0">\n'
            "        \n        \n        "
        ),
        "search": search,
        "account": account,
        "language_form": (
            '\n            <div class="dropdown-divider"></div>\n'
            f'            <form class="px-3 py-1" method="post" action="{html.escape(url("set_language"))}">\n'
            "              "
        ),
        "language_label": (
            f'              <label class="form-label small mb-1" for="language-select">{gettext("Language")}</label>\n'
            "              \n"
            "              \n"
            '              <select class="form-select form-select-sm js-autosubmit" id="language-select"'
            ' name="language">\n'
            "                "
        ),
        "languages": [(html.escape(info["code"]), html.escape(info["name_local"])) for info in languages],
        "tail": (
            "\n              </select>\n"
            '              <noscript><button class="btn btn-sm btn-outline-secondary mt-1" type="submit">'
            f"{gettext('Switch')}</button></noscript>\n"
            "            </form>\n"
            '            <div class="dropdown-divider"></div>\n'
            f'            <a class="dropdown-item" href="{html.escape(url("password_change"))}"'
            ' id="password-change-link"><i class="bi bi-key" aria-hidden="true"></i>'
            f" {gettext('Change password')}</a>\n"
            f'            <form method="post" action="{html.escape(url("logout"))}">\n'
            "              "
        ),
        "logout": (
            '\n              <button class="dropdown-item" type="submit" id="logout-button"><i class="bi'
            f' bi-box-arrow-right" aria-hidden="true"></i> {gettext("Log out")}</button>\n'
            "            </form>\n"
            "          </div>\n"
            "        </li>\n"
            "      </ul>\n"
            "    </div>\n    "
        ),
    }


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs) -> None:
    """Tests that change where static files live, or the languages, see the new links."""
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_STORAGE", "LANGUAGES"}:
        _head_links.cache_clear()
        _body_scripts.cache_clear()
        _navbar_parts.cache_clear()


@register.simple_tag(takes_context=True)
def navbar(context) -> str:
    """base.html's ``{% block navbar %}``: the brand, and for a signed-in user the bell (with the unread count),
    the main navigation (``main_nav``), the search box, and the user's menu (account, language, password, log out).
    """
    language = get_language()
    parts = _navbar_parts(_urlconf(), get_script_prefix(), language)
    user = context.get("user")
    authenticated = bool(getattr(user, "is_authenticated", False))
    head_start, head_end = parts["head"]
    if not authenticated:
        return mark_safe(f"{head_start}/{head_end}\n  </div>\n</nav>\n")  # noqa: S308 (fixed text)
    unread = context.get("unread_notifications")
    if callable(unread):
        unread = unread()
    if unread:
        # {% blocktranslate count unread=… %}: the count written as {{ }} writes it, the translation unescaped.
        bell = ngettext("Notifications, %(unread)s unread", "Notifications, %(unread)s unread", unread) % {
            "unread": shown(unread)
        }
        badge = (
            '\n        <span class="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger"'
            f' data-testid="unread-count">{shown(unread)}</span>\n        '
        )
    else:
        bell, badge = parts["bell"], ""
    if parts["search"] is not None:
        search_start, search_end = parts["search"]
        search = f"{search_start}{shown(context.get('search_query') or '')}{search_end}"
    else:
        search = ""
    bureau = user.bureau
    if bureau:
        department = user.department
        organisation = f"{shown(bureau)} · {shown(department.name)}" if department else shown(bureau)
    else:
        organisation = ""
    request = context.get("request")
    csrf = CsrfTokenNode().render(context)
    options = "".join(
        f'\n                <option value="{code}" lang="{code}" {"selected" if code == language else ""}>{name}'
        "</option>\n                "
        for code, name in parts["languages"]
    )
    return mark_safe(  # noqa: S308 (per-request values escaped by shown; the fixed parts built escaped)
        f"{head_start}{parts['home']}{head_end}\n"
        "    \n"
        '    <div class="d-flex align-items-center order-xl-last ms-auto ms-xl-2">\n'
        "      \n      \n      \n"
        '      <a class="nav-link text-white position-relative px-2" id="nav-notifications"\n'
        f'         href="{parts["notifications"]}" title="{bell}" aria-label="{bell}">\n'
        '        <i class="bi bi-bell fs-5" aria-hidden="true"></i>\n'
        f"        {badge}"
        f"{parts['toggle']}{main_nav(context)}\n        \n"
        "      </ul>\n"
        f"      {search}\n"
        '      <ul class="navbar-nav">\n'
        '        <li class="nav-item dropdown">\n'
        '          <a class="nav-link dropdown-toggle" href="#" id="user-menu" role="button"'
        ' data-bs-toggle="dropdown" aria-expanded="false">\n'
        f'            <i class="bi bi-person-circle" aria-hidden="true"></i> {shown(user)}\n'
        "          </a>\n"
        '          <div class="dropdown-menu dropdown-menu-end" aria-labelledby="user-menu">\n'
        '            <div class="dropdown-item-text small text-body-secondary">\n'
        f"              {organisation}\n"
        "            </div>\n"
        f"            {parts['account']}"
        f"{parts['language_form']}{csrf}\n"
        f'              <input type="hidden" name="next" value="{shown(request.get_full_path()) if request else ""}">\n'
        f"{parts['language_label']}{options}"
        f"{parts['tail']}{csrf}{parts['logout']}\n"
        "  </div>\n</nav>\n"
    )
