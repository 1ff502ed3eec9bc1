"""Template helpers for the web UI: navigation items, sortable column headers, badges, query strings."""

import datetime as dt
import functools
import html
import unicodedata
from urllib.parse import quote_plus

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Model
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import dateformat
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, slugify
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

register = template.Library()


def shown(value) -> str:
    """What ``{{ value }}`` writes, for the row tags that build their HTML in Python (list_rows, home_rows,
    timeline_tags, policy_tags): localized, then escaped unless already safe. A plain string goes straight to
    ``html.escape``, which is what Django's ``escape`` calls (its lazy-aware wrapper was most of a row's cost)."""
    if type(value) is str:
        return html.escape(value)
    if type(value) is int and not _grouped():
        # Django's localize prints such an int as str(int), after three format look-ups (the dashboard's tables
        # show some 2,000 numbers); digits need no escaping.
        return str(value)
    if isinstance(value, Model):
        # A record (a region, a chain, a person: some 70 on an enterprises list): localize and template_localtime
        # give it back as it is, after a dozen type tests.
        return conditional_escape(value)
    return conditional_escape(localize(template_localtime(value)))


@functools.cache
def _grouped() -> bool:
    """``USE_THOUSAND_SEPARATOR``, read once (two calls through the lazy settings object per number otherwise)."""
    return settings.USE_THOUSAND_SEPARATOR


def related_rows(obj, name: str):
    """``obj.<name>.all()`` for the row tags: the rows the page prefetched (reading the relation builds a related
    manager and a queryset each time, for every row), else the query."""
    prefetched = getattr(obj, "_prefetched_objects_cache", {}).get(name)
    return prefetched if prefetched is not None else getattr(obj, name).all()


def clipped(text, length: int) -> str:
    """What ``{{ text|truncatechars:length }}`` gives before escaping, without ``Truncator``'s set-up for a text
    that fits: one not longer than ``length`` comes back whole (NFC-normalized, as ``Truncator`` returns it; it
    counts no more characters than the text holds)."""
    text = text if type(text) is str else str(text)
    if len(text) <= length:
        return unicodedata.normalize("NFC", text)
    return Truncator(text).chars(length)


def ymd(value) -> str:
    """What ``{{ value|date:"Y-m-d" }}`` writes (an empty string for no date): a date's ISO form, a datetime in
    the current time zone."""
    if not value:
        return ""
    if type(value) is dt.date:
        return value.isoformat()
    return dateformat.format(template_localtime(value), "Y-m-d")


# Bootstrap colour per enumeration value (status, urgency, flag …); unknown values are grey.
BADGE_COLOURS = {
    # Need.status
    "new": "secondary",
    "accepted": "info",
    "assigned": "primary",
    "in_progress": "warning",
    "answered": "success",
    "closed": "dark",
    "rejected": "danger",
    # Need.urgency
    "normal": "secondary",
    "urgent": "warning",
    "critical": "danger",
    # Need.satisfaction and the escalation levels of a need (DESIGN §4.1)
    "satisfied": "success",
    "basically_satisfied": "primary",
    "unsatisfied": "danger",
    "warning": "warning",
    "overdue": "danger",
    "supervision": "dark",
    # Visit.flag
    "green": "success",
    "yellow": "warning",
    "red": "danger",
    # ActionItem.status
    "planned": "secondary",
    "done": "success",
    "cancelled": "light",
    # PolicyMatch.status
    "suggested": "light",
    "pushed": "info",
    "applying": "primary",
    "granted": "success",
    "not_granted": "danger",
    "declined": "secondary",
    # Report.status (draft grey, accepted as a need's "accepted")
    "submitted": "primary",
    "returned": "warning",
    # Enterprise.status / Project.status
    "operating": "success",
    "relocated": "warning",
    "active": "success",
    "paused": "warning",
    "finished": "dark",
}

MESSAGE_CLASSES = {"debug": "secondary", "info": "info", "success": "success", "warning": "warning", "error": "danger"}


@register.filter
def message_class(level_tag: str) -> str:
    """Bootstrap alert colour of a Django message level tag."""
    return MESSAGE_CLASSES.get(level_tag, "info")


@register.filter
def badge_colour(value) -> str:
    return BADGE_COLOURS.get(str(value), "secondary")


@register.simple_tag
def badge(value, label=None, extra_class=""):
    """A coloured badge for an enumeration value: ``{% badge need.status need.get_status_display %}``."""
    if value in (None, ""):
        return ""
    colour = BADGE_COLOURS.get(str(value), "secondary")
    text_class = " text-dark" if colour in {"warning", "light", "info"} else ""
    return format_html(
        '<span class="badge text-bg-{}{} {}" data-value="{}">{}</span>',
        colour,
        text_class,
        extra_class,
        value,
        label if label is not None else value,
    )


@register.simple_tag
def bool_badge(value, yes_label=None, no_label=None):
    """是/否 as a badge; ``None`` renders a dash."""
    if value is None:
        return "—"
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', yes_label or _("Yes"))
    return format_html('<span class="badge text-bg-light text-dark border">{}</span>', no_label or _("No"))


def _nav_active(path: str, url: str, exact: bool, exclude: str) -> bool:
    """Whether the navbar item at ``url`` is the current page: the path is ``url`` (or below it unless ``exact``),
    except below ``exclude`` (a nested item's path, e.g. 走访计划 under 走访记录)."""
    active = path == url if exact else (path == url or (url != "/" and path.startswith(url)))
    return active and not (exclude and path.startswith(exclude))


def _nav_li(url: str, label, icon: str, active: bool) -> str:
    return format_html(
        '<li class="nav-item"><a class="nav-link{}" href="{}"{}>{}{}</a></li>',
        " active" if active else "",
        url,
        mark_safe(' aria-current="page"') if active else "",
        format_html('<i class="bi bi-{} me-1 nav-icon" aria-hidden="true"></i>', icon) if icon else "",
        label,
    )


@functools.lru_cache(maxsize=512)
def _reversed(viewname: str, urlconf, prefix: str, language: str) -> str:
    """``reverse(viewname)``, or "" when there is no such page; once per process per key (prefix and language
    in the key, so a deployment under a sub-path or translated URLs stay right)."""
    try:
        return reverse(viewname, urlconf=urlconf)
    except NoReverseMatch:
        return ""


def url_fixed(viewname: str) -> str:
    """The path of a page without arguments, reversed once per process: "" when there is no such page."""
    return _reversed(viewname, _urlconf(), get_script_prefix(), get_language())


def _urlconf():
    return get_urlconf() or settings.ROOT_URLCONF


@functools.lru_cache(maxsize=256)
def static_fixed(path: str) -> str:
    """``{% static path %}``, looked up once per process (a manifest lookup each time otherwise; base.html has 15)."""
    return static(path)


@register.simple_tag(name="static_fixed")
def static_fixed_tag(path: str) -> str:
    return static_fixed(path)


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs) -> None:
    """Tests that change where static files live see the new URLs (URL caches are keyed on the URLconf), or
    thousands separators, shown's numbers with them."""
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_STORAGE"}:
        static_fixed.cache_clear()
    if setting == "USE_THOUSAND_SEPARATOR":
        _grouped.cache_clear()


@register.simple_tag(name="url_fixed")
def url_fixed_tag(viewname: str) -> str:
    """``{% url_fixed 'crm:need-list' %}`` / ``{% url_fixed 'crm:search' as search_url %}``: ``{% url %}`` for a
    page without arguments, reversed once per process (every page shows the navbar: dozens of reversals each)."""
    return url_fixed(viewname)


# The escalation badge of a need (DESIGN §4.1): level → (colour, icon, label).
ESCALATION_BADGES = {
    "warning": ("warning", "hourglass-split", _("Due soon")),
    "overdue": ("danger", "alarm", _("Overdue")),
    "supervision": ("dark", "exclamation-octagon", _("Under supervision")),
}


@register.simple_tag
def escalation_badge(level) -> str:
    """``{% escalation_badge need.escalation %}``: the badge of an escalation level, "" for none. A tag rather than
    an include, as lists show it on every row (the one form of the badge)."""
    if level not in ESCALATION_BADGES:
        return ""
    colour, icon, label = ESCALATION_BADGES[level]
    return format_html(
        '<span class="badge text-bg-{} escalation" data-escalation="{}"><i class="bi bi-{}" aria-hidden="true"></i> '
        "{}</span>",
        colour,
        level,
        icon,
        label,
    )


_PK_PLACEHOLDER = 918273645


@functools.lru_cache(maxsize=256)
def _pk_pattern(viewname: str, urlconf, prefix: str, language: str) -> tuple[str, str]:
    """The path of ``viewname`` around its one integer argument: ("/needs/", "/") for ``needs/<int:pk>/``."""
    head, _placeholder, tail = reverse(viewname, args=[_PK_PLACEHOLDER], urlconf=urlconf).partition(
        str(_PK_PLACEHOLDER)
    )
    return head, tail


@register.simple_tag(name="url_pk")
def url_pk(viewname: str, pk) -> str:
    """``{% url_pk 'crm:need-detail' need.pk %}``: ``{% url %}`` for a page whose one argument is an ``<int:pk>``,
    without a reversal per row (a list of 20 rows paid 20 reversals). Anything but an int is reversed as usual."""
    if isinstance(pk, int) and not isinstance(pk, bool):
        head, tail = _pk_pattern(viewname, _urlconf(), get_script_prefix(), get_language())
        return f"{head}{pk}{tail}"
    return reverse(viewname, args=[pk])


def url_pk_parts(viewname: str) -> tuple[str, str]:
    """The path of ``viewname`` around its one ``<int:pk>``, as ``url_pk`` writes it: for a tag writing many rows
    of one page (look it up once, then ``f"{head}{pk}{tail}"`` per row)."""
    return _pk_pattern(viewname, _urlconf(), get_script_prefix(), get_language())


# The main navigation (templates/base.html): (URL name, label, Bootstrap icon, exact, URL name of a nested item
# that must not light this one up). 走访计划 lives below 走访记录's path.
NAV_ITEMS = (
    ("crm:home", _("Workbench"), "speedometer2", True, ""),
    ("crm:enterprise-list", _("Enterprises"), "building", False, ""),
    ("crm:project-list", _("Projects"), "kanban", False, ""),
    ("crm:visit-list", _("Visits"), "door-open", False, "crm:visitplan-list"),
    ("crm:visitplan-list", _("Visit plans"), "calendar-week", False, ""),
    ("crm:activity-list", _("Activities"), "people", False, ""),
    ("crm:need-list", _("Needs"), "chat-square-text", False, ""),
    ("crm:policy-list", _("Policies"), "file-earmark-text", False, ""),
    ("crm:actionitem-list", _("Action list"), "list-check", False, ""),
    ("crm:dashboard", _("Dashboard"), "bar-chart", False, ""),
)
# The pages used weekly rather than daily, under 更多 (so the bar fits one line on a 1280 px screen): (URL name,
# label, icon, who sees it: "" everyone, "manager" managers and admins, "staff" admins who are staff).
NAV_MORE = (
    ("crm:offering-list", _("Resource list"), "box-seam", ""),
    ("crm:cultivation-board", _("Cultivation"), "award", ""),
    ("crm:commissioner-list", _("Commissioners"), "person-workspace", ""),
    ("crm:report-list", _("Reports"), "file-earmark-spreadsheet", ""),
    ("crm:import", _("Import / export"), "arrow-down-up", "manager"),
    ("admin:index", _("Administration"), "gear", "staff"),
)


@functools.lru_cache(maxsize=256)
def _main_nav(urlconf, prefix: str, language: str, manager: bool, staff: bool):
    """The navbar's items for one kind of user in one language, built once per process: ``((url, exact, exclude,
    html, active html), ...)`` and the 更多 dropdown's HTML. Only the active item is chosen per request."""
    items = []
    for name, label, icon, exact, exclude in NAV_ITEMS:
        url = _reversed(name, urlconf, prefix, language)
        if url:
            excluded = _reversed(exclude, urlconf, prefix, language) if exclude else ""
            items.append((url, exact, excluded, _nav_li(url, label, icon, False), _nav_li(url, label, icon, True)))
    allowed = {"": True, "manager": manager, "staff": staff}
    more = [
        (url, icon, label)
        for name, label, icon, who in NAV_MORE
        if allowed[who] and (url := _reversed(name, urlconf, prefix, language))
    ]
    dropdown = format_html(
        '<li class="nav-item dropdown">\n'
        '<a class="nav-link dropdown-toggle" href="#" id="nav-more" role="button" data-bs-toggle="dropdown" '
        'aria-expanded="false"><i class="bi bi-grid me-1 nav-icon" aria-hidden="true"></i>{}</a>\n'
        '<div class="dropdown-menu" aria-labelledby="nav-more">\n{}\n</div>\n</li>',
        _("More"),
        format_html_join(
            "\n", '<a class="dropdown-item" href="{}"><i class="bi bi-{} me-1" aria-hidden="true"></i>{}</a>', more
        ),
    )
    return tuple(items), dropdown


@register.simple_tag(takes_context=True)
def page_sections(context, sections) -> str:
    """A column of a composite page's sections (``build_sections``), as ``{% for section in sections %}<section
    id="{{ section.name|slugify }}" class="mb-3 section-{{ section.name }}">{% include section.template with
    section=section %}</section>{% endfor %}`` wrote it: each template found once per rendering (the include's
    own cache), without a loop and an include node per section."""
    templates = context.render_context.dicts[0].setdefault(page_sections, {})
    parts = []
    for section in sections:
        name = section["template"]
        found = templates.get(name)
        if found is None:
            found = templates[name] = context.template.engine.get_template(name)
        with context.push(section=section):
            body = found.render(context)
        parts.append(f'<section id="{shown(slugify(section["name"]))}" class="mb-3 section-{shown(section["name"])}">')
        parts.append(body)
        parts.append("</section>")
    return mark_safe("".join(parts))  # noqa: S308 (the names escaped by shown; each template escapes its own)


@register.simple_tag(takes_context=True)
def main_nav(context) -> str:
    """The ``<li>``s of the main navigation (base.html) for the signed-in user, the current page's item active.

    The URLs and labels are reversed and translated once per process per (language, kind of user): the navbar is on
    every page, and its dozens of ``{% url %}`` and ``{% translate %}`` were a good part of each page's render."""
    roles = context.get("user_roles") or ()
    user = context.get("user")
    manager = "manager" in roles or "admin" in roles
    staff = "admin" in roles and bool(getattr(user, "is_staff", False))
    items, dropdown = _main_nav(_urlconf(), get_script_prefix(), get_language(), manager, staff)
    request = context.get("request")
    path = request.path if request else ""
    lis = [active if _nav_active(path, url, exact, exclude) else html for url, exact, exclude, html, active in items]
    return mark_safe("\n".join([*lis, dropdown]))  # noqa: S308 (each part built by format_html)


def _query_pair(key: str, value: str) -> str:
    """``key=value`` as ``QueryDict.urlencode`` writes it (``urllib.parse.urlencode`` of the UTF-8 bytes)."""
    return f"{quote_plus(key)}={quote_plus(value)}"


def _query_parts(request) -> dict[str, str]:
    """The request's query string as ``{key: "key=v1&key=v2"}``, encoded once per request: a list page asks for a
    dozen variants of it (each sortable header, each page link), which copied and re-encoded the whole QueryDict."""
    query = request.GET
    cached = getattr(request, "_crm_query_parts", None)
    if cached is not None and cached[0] is query:
        return cached[1]
    parts = {key: "&".join(_query_pair(key, str(value)) for value in values) for key, values in query.lists()}
    request._crm_query_parts = (query, parts)
    return parts


@register.simple_tag(takes_context=True)
def url_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (``None`` removes one); starts with ``?``.

    Django 5.2's built-in ``{% querystring %}`` does the same; this variant also drops ``page`` whenever
    another parameter changes, so sorting or a new page size starts again at page 1.
    """
    params = dict(_query_parts(context["request"]))
    if any(k != "page" for k in kwargs):
        params.pop("page", None)
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = _query_pair(key, str(value))
    encoded = "&".join(part for part in params.values() if part)
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def pagination(context) -> str:
    """The footer of a FilteredListView's page (needs ``page_obj``, ``paginator``, ``page_size``,
    ``page_size_choices``): the record count, the page links and the page-size select. The bytes of the
    crm/partials/_pagination.html include it replaced (some 60 node renders a list page;
    tests/test_templatetags_crm_tags.py renders both)."""
    request, paginator, page = context["request"], context["paginator"], context["page_obj"]
    records = ngettext("%(counter)s record", "%(counter)s records", paginator.count) % {
        "counter": shown(paginator.count)
    }
    if paginator.num_pages > 1:
        numbers = {"number": shown(page.number), "total": shown(paginator.num_pages)}
        records += "\n     · " + gettext("page %(number)s of %(total)s") % numbers
    else:
        records += "\n    "
    nav = ""
    if page.has_other_pages():
        if page.has_previous():
            previous = (
                f'\n      <li class="page-item"><a class="page-link"'
                f' href="{shown(url_replace(context, page=page.previous_page_number()))}"'
                f' aria-label="{shown(gettext("Previous page"))}">&laquo;</a></li>\n      '
            )
        else:
            previous = '<li class="page-item disabled"><span class="page-link">&laquo;</span></li>'
        items = []
        for number in elided_pages(paginator, page.number):
            if number == paginator.ELLIPSIS:
                item = '<li class="page-item disabled"><span class="page-link">…</span></li>\n        '
            elif number == page.number:
                item = (
                    f'<li class="page-item active" aria-current="page"><span class="page-link">{shown(number)}'
                    "</span></li>\n        "
                )
            else:
                url = shown(url_replace(context, page=number))
                item = f'<li class="page-item"><a class="page-link" href="{url}">{shown(number)}</a></li>'
            items.append(f"\n        {item}\n      ")
        if page.has_next():
            following = (
                f'\n      <li class="page-item"><a class="page-link"'
                f' href="{shown(url_replace(context, page=page.next_page_number()))}"'
                f' aria-label="{shown(gettext("Next page"))}">&raquo;</a></li>\n      '
            )
        else:
            following = '<li class="page-item disabled"><span class="page-link">&raquo;</span></li>'
        nav = (
            f'\n  <nav aria-label="{shown(gettext("Pages"))}">'
            '\n    <ul class="pagination pagination-sm mb-0 flex-wrap">'
            f"\n      {previous}\n      \n      {''.join(items)}\n      \n      {following}\n    </ul>\n  </nav>\n  "
        )
    hidden = "".join(
        f'\n    <input type="hidden" name="{shown(key)}" value="{shown(value)}">'
        for key, values in request.GET.lists()
        if key != "page_size" and key != "page"
        for value in values
    )
    page_size = context["page_size"]
    options = "".join(
        f'<option value="{shown(size)}" {"selected" if size == page_size else ""}>{shown(size)}</option>'
        for size in context["page_size_choices"]
    )
    return mark_safe(  # noqa: S308 (every value escaped by shown; the translations are written as blocktranslate does)
        '\n\n<div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-2 list-footer">\n'
        '  <div class="small text-body-secondary">\n'
        f"    {records}\n"
        "  </div>\n"
        f"  {nav}\n"
        '  <form method="get" class="d-flex align-items-center gap-1 small">\n'
        f"    {hidden}\n"
        f'    <label for="page-size" class="text-nowrap text-body-secondary">{shown(gettext("Per page"))}</label>\n'
        '    <select id="page-size" name="page_size" class="form-select form-select-sm js-autosubmit w-auto">\n'
        f"      {options}\n"
        "    </select>\n"
        '    <noscript><button class="btn btn-sm btn-outline-secondary" type="submit">'
        f"{shown(gettext('Apply'))}</button></noscript>\n"
        "  </form>\n"
        "</div>\n"
    )


@register.simple_tag(takes_context=True)
def export_buttons(context, viewname: str) -> str:
    """The download buttons of a list page (the rows the list shows, same filters and scope, as .xlsx or .csv):
    the bytes of the crm/imports/_export_button.html include it replaced, with the export page reversed once per
    process (url_fixed); nothing when there is no such page. tests/test_templatetags_crm_tags.py renders both."""
    url = url_fixed(viewname)
    if not url:
        return "\n"
    query = context["request"].GET
    encoded = shown(query.urlencode()) if query else ""
    xlsx = f"{shown(url)}?{encoded}" if query else shown(url)
    csv = f"{shown(url)}?{encoded}&amp;format=csv" if query else f"{shown(url)}?format=csv"
    return mark_safe(  # noqa: S308 (every value escaped by shown)
        f'\n<div class="btn-group" role="group" aria-label="{shown(gettext("Download"))}">\n'
        f'  <a class="btn btn-outline-secondary" id="export-xlsx" href="{xlsx}"\n'
        f'     title="{shown(gettext("Download the rows of this list (all pages) as an Excel workbook"))}">\n'
        f'    <i class="bi bi-file-earmark-spreadsheet" aria-hidden="true"></i> {shown(gettext("Export"))}\n'
        "  </a>\n"
        f'  <a class="btn btn-outline-secondary" id="export-csv" href="{csv}"\n'
        f'     title="{shown(gettext("Download as CSV"))}">CSV</a>\n'
        "</div>\n\n"
    )


def _sort_state(context, field: str, param: str) -> tuple[str, str, str]:
    """(the ordering the header's link asks for, the arrow icon, the ``aria-sort`` value)."""
    request = context["request"]
    current = request.GET.get(param, "") or context.get("default_ordering", "") or ""
    if current == field:
        return f"-{field}", "bi-arrow-up", "ascending"
    if current == f"-{field}":
        return field, "bi-arrow-down", "descending"
    return field, "bi-arrow-down-up", "none"


def _sort_link(context, field: str, label, param: str, state=None) -> str:
    target, icon, aria = state or _sort_state(context, field, param)
    href = url_replace(context, **{param: target})
    # What format_html wrote (each value through conditional_escape), without its str.format and lazy wrappers.
    return (
        f'<a class="sort-link text-reset text-decoration-none{" sort-active" if aria != "none" else ""}"'
        f' href="{conditional_escape(href)}" data-sort="{conditional_escape(field)}">{conditional_escape(label)}'
        f' <i class="bi {icon} sort-arrow" aria-hidden="true"></i></a>'
    )


@register.simple_tag(takes_context=True)
def sort_th(context, field: str, label, css: str = "", param: str = "ordering"):
    """A whole sortable ``<th scope="col">``: ``aria-sort`` (ascending/descending) sits on the ``<th>`` of the
    column the list is sorted by, as WAI-ARIA wants, and the link inside shows the arrow.
    ``{% sort_th "due_on" _("Due on") "d-none d-md-table-cell" %}``. The view's ``default_ordering`` in the
    context (e.g. ``"-visited_on"``) marks the column of the default sort."""
    state = _sort_state(context, field, param)
    css_attr = f' class="{conditional_escape(css)}"' if css else ""
    link = _sort_link(context, field, label, param, state)
    return mark_safe(f'<th scope="col"{css_attr} aria-sort="{state[2]}">{link}</th>')  # noqa: S308 (escaped above)


@register.filter
def chips_in_panel(chips, panel_fields) -> bool:
    """``{% if filterset.chips|chips_in_panel:panel_fields %}``: one of the active filters is a field of the panel
    (so the panel opens); filters set by a drill-down link that the panel does not show only appear as chips."""
    names = {bound_field.name for bound_field in panel_fields or ()}
    return any(chip.name in names for chip in chips or ())


@register.filter
def get_item(mapping, key):
    """``{{ mydict|get_item:key }}``."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def elided_pages(paginator, number):
    """``paginator|elided_pages:page_obj.number`` → page numbers with ``paginator.ELLIPSIS`` gaps."""
    return list(paginator.get_elided_page_range(number, on_each_side=2, on_ends=1))


@register.filter
def overdue(obj) -> bool:
    """``{% if need|overdue %}``: an open need or action item whose due date has passed (its ``is_overdue``)."""
    return bool(getattr(obj, "is_overdue", False))
