"""crm_tags' once-per-process helpers: the navbar (``main_nav``), ``url_fixed``, ``url_pk``, ``static_fixed`` and
``escalation_badge`` answer exactly what the ``{% url %}``/``{% translate %}``/``{% include %}`` they replace did."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.template import engines
from django.template.defaultfilters import truncatechars
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.text import Truncator

from crm.choices import Role
from crm.models import Enterprise
from crm.paginator import COUNT_CAP, CappedCount
from crm.templatetags.crm_tags import clipped, related_rows, shown
from tests.factories import EnterpriseFactory, UserFactory, make_user
from tests.template_helpers import rendered_alike

pytestmark = pytest.mark.django_db

# The navbar's links (href, label) before it was cached, per kind of user, in both languages: every page shows it.
EVERYONE_EN = [
    ("/", "Workbench"),
    ("/enterprises/", "Enterprises"),
    ("/projects/", "Projects"),
    ("/visits/", "Visits"),
    ("/visits/plans/", "Visit plans"),
    ("/activities/", "Activities"),
    ("/needs/", "Needs"),
    ("/policies/", "Policies"),
    ("/action-items/", "Action list"),
    ("/dashboard/", "Dashboard"),
    ("#", "More"),
    ("/offerings/", "Resource list"),
    ("/cultivation/", "Cultivation"),
    ("/commissioners/", "Commissioners"),
    ("/reports/", "Reports"),
]
EVERYONE_ZH = [
    ("/", "工作台"),
    ("/enterprises/", "企业"),
    ("/projects/", "项目"),
    ("/visits/", "走访记录"),
    ("/visits/plans/", "走访计划"),
    ("/activities/", "活动"),
    ("/needs/", "诉求"),
    ("/policies/", "惠企政策"),
    ("/action-items/", "行动清单"),
    ("/dashboard/", "数据看板"),
    ("#", "更多"),
    ("/offerings/", "资源清单"),
    ("/cultivation/", "培育库"),
    ("/commissioners/", "科技特派员"),
    ("/reports/", "工作台账"),
]
IMPORT = {"en": [("/imports/", "Import / export")], "zh-hans": [("/imports/", "导入导出")]}
ADMIN = {"en": [("/admin/", "Administration")], "zh-hans": [("/admin/", "系统管理")]}
EXPECTED = {
    ("officer", "en"): EVERYONE_EN,
    ("leader", "en"): EVERYONE_EN,
    ("county_officer", "en"): EVERYONE_EN,
    ("manager", "en"): EVERYONE_EN + IMPORT["en"],
    ("county_manager", "en"): EVERYONE_EN + IMPORT["en"],
    ("admin_user", "en"): EVERYONE_EN + IMPORT["en"] + ADMIN["en"],
    ("officer", "zh-hans"): EVERYONE_ZH,
    ("leader", "zh-hans"): EVERYONE_ZH,
    ("county_officer", "zh-hans"): EVERYONE_ZH,
    ("manager", "zh-hans"): EVERYONE_ZH + IMPORT["zh-hans"],
    ("county_manager", "zh-hans"): EVERYONE_ZH + IMPORT["zh-hans"],
    ("admin_user", "zh-hans"): EVERYONE_ZH + IMPORT["zh-hans"] + ADMIN["zh-hans"],
}
NAV_LINK = re.compile(r'<a class="(?:nav-link|dropdown-item)[^"]*" href="([^"]+)"[^>]*>(?:<i[^>]*></i>)?\s*([^<]+)</a>')


def _main_nav(html: str) -> str:
    start = html.index('<ul class="navbar-nav me-auto')
    return html[start : html.index('<form class="d-flex my-2', start)]


def _links(html: str) -> list[tuple[str, str]]:
    return [(href, label.strip()) for href, label in NAV_LINK.findall(_main_nav(html))]


def _active(html: str) -> list[str]:
    return re.findall(r'class="nav-link active" href="([^"]+)" aria-current="page"', _main_nav(html))


def _get(client, user, path: str, language: str = "zh-hans") -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("role", "language"), list(EXPECTED))
def test_the_navbar_of_each_role_lists_the_same_links_as_before(client, request, role, language):
    html = _get(client, request.getfixturevalue(role), "/", language)
    assert _links(html) == EXPECTED[role, language]


def test_the_navbar_follows_the_language_switch_within_one_process(client, manager):
    """The cache is keyed on the language: Chinese after English, English after Chinese."""
    assert _links(_get(client, manager, "/", "en")) == EXPECTED["manager", "en"]
    assert _links(_get(client, manager, "/", "zh-hans")) == EXPECTED["manager", "zh-hans"]
    assert _links(_get(client, manager, "/", "en")) == EXPECTED["manager", "en"]


def test_an_admin_who_is_not_staff_sees_no_administration_link(client, city_bureau, city_department):
    user = make_user("admin_not_staff", Role.ADMIN, city_bureau, city_department, is_staff=False)
    assert _links(_get(client, user, "/", "en")) == EVERYONE_EN + IMPORT["en"]


@pytest.mark.parametrize(
    ("path", "active"),
    [
        ("/", ["/"]),
        ("/enterprises/", ["/enterprises/"]),
        ("/visits/", ["/visits/"]),
        ("/visits/plans/", ["/visits/plans/"]),  # nested below 走访记录's path, yet only 走访计划 is lit
        ("/needs/", ["/needs/"]),
        ("/me/", []),
    ],
)
def test_exactly_the_current_item_is_active(client, officer, path, active):
    assert _active(_get(client, officer, path)) == active


def test_a_detail_page_lights_its_list(client, officer, enterprise):
    assert _active(_get(client, officer, reverse("crm:enterprise-detail", args=[enterprise.pk]))) == ["/enterprises/"]


def _render(source: str, context: dict | None = None) -> str:
    return engines["django"].from_string("{% load crm_tags %}" + source).render(context or {})


@pytest.mark.parametrize("name", ["crm:home", "crm:need-list", "crm:search-suggest", "set_language", "logout"])
def test_url_fixed_is_the_reversed_url(name):
    assert _render(f"{{% url_fixed '{name}' %}}") == reverse(name)
    assert _render(f"{{% url_fixed '{name}' as u %}}[{{{{ u }}}}]") == f"[{reverse(name)}]"


def test_url_fixed_of_a_page_that_does_not_exist_is_empty():
    assert _render("{% url_fixed 'crm:no-such-page' as u %}{% if u %}link{% else %}none{% endif %}") == "none"


@pytest.mark.parametrize("name", ["crm:need-detail", "crm:enterprise-detail", "crm:policy-detail"])
@pytest.mark.parametrize("pk", [1, 7, 1234567])
def test_url_pk_is_the_reversed_url(name, pk):
    assert _render(f"{{% url_pk '{name}' pk %}}", {"pk": pk}) == reverse(name, args=[pk])


def test_url_pk_reverses_anything_but_an_int_as_url_does():
    assert _render("{% url_pk 'crm:need-detail' pk %}", {"pk": "12"}) == reverse("crm:need-detail", args=[12])
    with pytest.raises(NoReverseMatch):
        _render("{% url_pk 'crm:need-detail' pk %}", {"pk": None})


def test_static_fixed_is_static_and_follows_a_changed_static_url(settings):
    assert _render("{% static_fixed 'crm/app.css' %}") == static("crm/app.css")
    settings.STATIC_URL = "/assets/"
    assert _render("{% static_fixed 'crm/app.css' %}") == "/assets/crm/app.css"


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (
            "warning",
            '<span class="badge text-bg-warning escalation" data-escalation="warning">'
            '<i class="bi bi-hourglass-split" aria-hidden="true"></i> Due soon</span>',
        ),
        (
            "overdue",
            '<span class="badge text-bg-danger escalation" data-escalation="overdue">'
            '<i class="bi bi-alarm" aria-hidden="true"></i> Overdue</span>',
        ),
        (
            "supervision",
            '<span class="badge text-bg-dark escalation" data-escalation="supervision">'
            '<i class="bi bi-exclamation-octagon" aria-hidden="true"></i> Under supervision</span>',
        ),
        ("", ""),
        (None, ""),
    ],
)
def test_escalation_badge_renders_the_badge(level, expected):
    assert _render("{% escalation_badge level %}", {"level": level}) == expected


def test_related_rows_reads_the_prefetched_rows_else_queries(django_assert_num_queries):
    enterprise = EnterpriseFactory()
    officers = [UserFactory(name="甲"), UserFactory(name="乙")]
    enterprise.liaison_officers.set(officers)
    expected = list(Enterprise.objects.get(pk=enterprise.pk).liaison_officers.all())
    assert {o.pk for o in expected} == {o.pk for o in officers}
    prefetched = Enterprise.objects.prefetch_related("liaison_officers").get(pk=enterprise.pk)
    with django_assert_num_queries(0):
        assert list(related_rows(prefetched, "liaison_officers")) == expected
    plain = Enterprise.objects.get(pk=enterprise.pk)
    with django_assert_num_queries(1):
        assert list(related_rows(plain, "liaison_officers")) == expected


@pytest.mark.parametrize(
    "value",
    [0, 7, -42, 1234567, 10**20, None, True, 0.2, 97.0, -1.5, 1e-07, Decimal("134537246.850000"), "1 < 2", 2**63],
)
@pytest.mark.parametrize("separator", [False, True])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_shown_writes_what_the_template_writes(settings, value, separator, language):
    """The shortcut for ints (str without the format look-ups) holds only without thousands separators."""
    settings.USE_THOUSAND_SEPARATOR = separator
    with translation.override(language):
        assert shown(value) == engines["django"].from_string("{{ value }}").render({"value": value})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_shown_writes_a_record_as_the_template_does_without_localizing_it(monkeypatch, language):
    """A record (a region, a person) is written as ``{{ value }}`` writes it, without the localize and local
    time steps that give it back unchanged."""
    person = UserFactory(name="钱<七> & 孙")
    region = person.bureau.region if person.bureau_id else EnterpriseFactory().region
    with translation.override(language):
        expected = [engines["django"].from_string("{{ v }}").render({"v": v}) for v in (person, region)]
        monkeypatch.setattr("crm.templatetags.crm_tags.localize", lambda value: pytest.fail("localized"))
        assert [shown(person), shown(region)] == expected
    assert expected[0] == "钱&lt;七&gt; &amp; 孙"


# templates/crm/partials/_pagination.html, included by every list page before it became {% pagination %}.
PAGINATION_TEMPLATE = """{% load i18n crm_tags %}
{# Pagination and page size for a FilteredListView: needs page_obj, paginator, page_size, page_size_choices. #}
<div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-2 list-footer">
  <div class="small text-body-secondary">
    {% blocktranslate count counter=paginator.count trimmed %}
      {{ counter }} record
    {% plural %}
      {{ counter }} records
    {% endblocktranslate %}
    {% if paginator.num_pages > 1 %} · {% blocktranslate with number=page_obj.number total=paginator.num_pages trimmed %}page {{ number }} of {{ total }}{% endblocktranslate %}{% endif %}
  </div>
  {% if page_obj.has_other_pages %}
  <nav aria-label="{% translate 'Pages' %}">
    <ul class="pagination pagination-sm mb-0 flex-wrap">
      {% if page_obj.has_previous %}
      <li class="page-item"><a class="page-link" href="{% url_replace page=page_obj.previous_page_number %}" aria-label="{% translate 'Previous page' %}">&laquo;</a></li>
      {% else %}<li class="page-item disabled"><span class="page-link">&laquo;</span></li>{% endif %}
      {% with elided=paginator|elided_pages:page_obj.number %}
      {% for number in elided %}
        {% if number == paginator.ELLIPSIS %}<li class="page-item disabled"><span class="page-link">…</span></li>
        {% elif number == page_obj.number %}<li class="page-item active" aria-current="page"><span class="page-link">{{ number }}</span></li>
        {% else %}<li class="page-item"><a class="page-link" href="{% url_replace page=number %}">{{ number }}</a></li>{% endif %}
      {% endfor %}
      {% endwith %}
      {% if page_obj.has_next %}
      <li class="page-item"><a class="page-link" href="{% url_replace page=page_obj.next_page_number %}" aria-label="{% translate 'Next page' %}">&raquo;</a></li>
      {% else %}<li class="page-item disabled"><span class="page-link">&raquo;</span></li>{% endif %}
    </ul>
  </nav>
  {% endif %}
  <form method="get" class="d-flex align-items-center gap-1 small">
    {% for key, values in request.GET.lists %}{% if key != "page_size" and key != "page" %}{% for value in values %}
    <input type="hidden" name="{{ key }}" value="{{ value }}">{% endfor %}{% endif %}{% endfor %}
    <label for="page-size" class="text-nowrap text-body-secondary">{% translate "Per page" %}</label>
    <select id="page-size" name="page_size" class="form-select form-select-sm js-autosubmit w-auto">
      {% for size in page_size_choices %}<option value="{{ size }}" {% if size == page_size %}selected{% endif %}>{{ size }}</option>{% endfor %}
    </select>
    <noscript><button class="btn btn-sm btn-outline-secondary" type="submit">{% translate "Apply" %}</button></noscript>
  </form>
</div>
"""  # noqa: E501


class _Capped(Paginator):
    """A list past the web lists' count cap (crm.paginator.CappedCount prints ``10000+``)."""

    count = CappedCount(COUNT_CAP)


@pytest.mark.parametrize(
    ("rows", "per_page", "number", "query"),
    [
        (0, 20, 1, ""),
        (5, 20, 1, "q=%E5%8D%8E&ordering=-name"),
        (100, 20, 1, "page_size=20"),
        (100, 20, 3, "page=3&status=open&status=a%26b%3C%22&page_size=20"),
        (100, 20, 5, "page=5"),
        (2_000, 50, 20, "region=320800&page=20&page_size=50"),
        (1_234, 7, 2, "page=2&page_size=7"),
        (None, 20, 4, "page=4"),
    ],
)
def test_pagination_writes_what_the_include_wrote(rows, per_page, number, query):
    paginator = _Capped(range(COUNT_CAP + 1), per_page) if rows is None else Paginator(range(rows), per_page)
    page = paginator.get_page(number)
    rendered = rendered_alike(
        PAGINATION_TEMPLATE,
        "{% load crm_tags %}{% pagination %}",
        request=RequestFactory().get(f"/needs/?{query}"),
        paginator=paginator,
        page_obj=page,
        page_size=per_page,
        page_size_choices=sorted({20, 50, 100, per_page}),
    )
    assert ("<nav" in rendered) is page.has_other_pages()


# templates/crm/imports/_export_button.html, included by the list pages before it became {% export_buttons %}.
EXPORT_BUTTON_TEMPLATE = """{% load i18n %}{% comment %}
Download buttons for a list page: the rows the list shows (same filters and scope), as .xlsx or .csv.
Usage inside the list's page actions: {% include "crm/imports/_export_button.html" with export_url_name="crm:enterprise-export" %}
{% endcomment %}{% url export_url_name as export_url %}{% if export_url %}
<div class="btn-group" role="group" aria-label="{% translate 'Download' %}">
  <a class="btn btn-outline-secondary" id="export-xlsx" href="{{ export_url }}{% if request.GET %}?{{ request.GET.urlencode }}{% endif %}"
     title="{% translate 'Download the rows of this list (all pages) as an Excel workbook' %}">
    <i class="bi bi-file-earmark-spreadsheet" aria-hidden="true"></i> {% translate "Export" %}
  </a>
  <a class="btn btn-outline-secondary" id="export-csv" href="{{ export_url }}?{% if request.GET %}{{ request.GET.urlencode }}&amp;{% endif %}format=csv"
     title="{% translate 'Download as CSV' %}">CSV</a>
</div>
{% endif %}
"""  # noqa: E501


@pytest.mark.parametrize("query", ["", "region=320800&is_linked=true", "q=%E5%8D%8E%3C%26&status=a&status=b&page=2"])
@pytest.mark.parametrize("viewname", ["crm:enterprise-export", "crm:need-export", "crm:no-such-export"])
def test_export_buttons_write_what_the_include_wrote(viewname, query):
    rendered = rendered_alike(
        "{% include partial with export_url_name=name %}",
        "{% load crm_tags %}{% export_buttons name %}",
        partial=engines["django"].from_string(EXPORT_BUTTON_TEMPLATE),
        name=viewname,
        request=RequestFactory().get(f"/x/?{query}"),
    )
    assert ('id="export-csv"' in rendered) is (viewname != "crm:no-such-export")


def _old_url_replace(request, **kwargs) -> str:
    """What url_replace wrote before it encoded the query once per request: a copy of the QueryDict per call, with
    ``page`` dropped when another parameter changes, then each parameter removed (None, "") or replaced."""
    params = request.GET.copy()
    steps = [("page", None)] if any(k != "page" for k in kwargs) else []
    for key, value in [*steps, *kwargs.items()]:
        if value is None or value == "":
            params.pop(key, None)
        else:
            params.setlist(key, [str(value)])
    return "?" + params.urlencode()


@pytest.mark.parametrize(
    "query",
    ["", "page=3", "q=%E4%B8%AD+a%26b&x=1&x=2&page=2", "ordering=&page=1&a%20b=c%3Dd", "x&y=", "ordering=-name"],
)
def test_url_replace_writes_what_a_copy_of_the_querydict_wrote(query):
    from crm.templatetags.crm_tags import url_replace

    request = RequestFactory().get(f"/needs/?{query}")
    for kwargs in ({"page": 4}, {"ordering": "name"}, {"x": None}, {"q": ""}, {"page_size": 50, "page": 2}, {}):
        assert url_replace({"request": request}, **kwargs) == _old_url_replace(request, **kwargs)


def test_url_replace_encodes_the_query_once_per_request(monkeypatch):
    from crm.templatetags import crm_tags

    encoded = []
    pair = crm_tags._query_pair
    monkeypatch.setattr(crm_tags, "_query_pair", lambda key, value: encoded.append(key) or pair(key, value))
    context = {"request": RequestFactory().get("/needs/?q=a&status=new&page=2")}
    for page in range(1, 6):
        crm_tags.url_replace(context, page=page)
    assert encoded.count("q") == 1 and encoded.count("status") == 1


def test_sort_th_writes_what_format_html_wrote():
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from crm.templatetags.crm_tags import _sort_state, sort_th, url_replace

    def old_sort_th(context, field, label, css="", param="ordering"):
        target, icon, aria = _sort_state(context, field, param)
        link = format_html(
            '<a class="sort-link text-reset text-decoration-none{}" href="{}" data-sort="{}">{}'
            ' <i class="bi {} sort-arrow" aria-hidden="true"></i></a>',
            " sort-active" if aria != "none" else "",
            url_replace(context, **{param: target}),
            field,
            label,
            icon,
        )
        return format_html(
            '<th scope="col"{}{}>{}</th>',
            format_html(' class="{}"', css) if css else "",
            format_html(' aria-sort="{}"', aria),
            link,
        )

    for query in ("", "ordering=due_on&q=%3Cx%3E", "ordering=-due_on&page=2", "sort=name"):
        context = {"request": RequestFactory().get(f"/needs/?{query}"), "default_ordering": "-name"}
        for field, label, css, param in (
            ("due_on", gettext_lazy("Due on"), "d-none d-md-table-cell", "ordering"),
            ("name", mark_safe("<b>Name</b>"), "", "ordering"),
            ("name", "A & B", mark_safe("x"), "sort"),
        ):
            with translation.override("zh-hans"):
                assert sort_th(context, field, label, css, param) == old_sort_th(context, field, label, css, param)


@pytest.mark.parametrize(
    "text",
    ["", "问需", "字" * 24, "字" * 25, "字" * 120, "字" * 121, "e\u0301" * 10, "e\u0301" * 70, "a" * 119 + "e\u0301"],
)
@pytest.mark.parametrize("length", [24, 60, 120])
def test_clipped_cuts_as_truncatechars(text, length):
    assert clipped(text, length) == Truncator(text).chars(length)
    assert clipped("<b>" * 50, length) == truncatechars("<b>" * 50, length)  # not escaped: the caller escapes


# templates/crm/enterprises/detail.html's column of sections before {% page_sections %}.
SECTIONS_LOOP = (
    "{% load crm_tags %}{% for section in sections %}"
    '<section id="{{ section.name|slugify }}" class="mb-3 section-{{ section.name }}">'
    "{% include section.template with section=section %}</section>{% endfor %}"
)


def test_page_sections_write_what_the_include_loop_wrote(enterprise, officer, django_assert_num_queries):
    sections = [
        {"name": "liaison", "template": "crm/enterprises/_section_liaison.html", "liaison_officers": [officer]},
        {"name": "suggested_policies", "template": "crm/enterprises/_section_suggestions_deferred.html"},
        {"name": "liaison", "template": "crm/enterprises/_section_liaison.html", "liaison_officers": []},
    ]
    enterprise.name = "<甲&乙>"
    with django_assert_num_queries(0):
        rendered = rendered_alike(
            SECTIONS_LOOP,
            "{% load crm_tags %}{% page_sections sections %}",
            sections=sections,
            enterprise=enterprise,
        )
    assert rendered.count('<section id="liaison" class="mb-3 section-liaison">') == 2
    assert rendered.count("</section>") == 3 and str(officer) in rendered
    assert "suggested_policies" in rendered  # the section's own context is what the template reads
