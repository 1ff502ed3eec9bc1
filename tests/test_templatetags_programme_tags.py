"""The cultivation board's cards written in Python give the bytes of the templates they replaced, in every branch."""

import datetime as dt
from decimal import Decimal

import pytest
from django import template
from django.middleware.csrf import get_token
from django.template import Context, Engine, Template
from django.test import RequestFactory
from django.utils import translation

from crm.choices import CultivationStage
from crm.forms.programmes import EnterpriseYearForm
from crm.models import Commissioner, Cultivation, ServiceLog
from crm.prepared import Statements
from crm.selectors.programmes import (
    commissioner_assignments_prefetch,
    commissioner_rows,
    cultivation_board,
    trend_chart,
)
from crm.templatetags import programme_tags
from crm.templatetags.programme_tags import commissioner_row, cultivation_card, cultivation_cards
from tests.factories import (
    CommissionerAssignmentFactory,
    CommissionerFactory,
    CultivationFactory,
    EnterpriseFactory,
    EnterpriseYearFactory,
    UserFactory,
)
from tests.template_helpers import rendered_alike

pytestmark = pytest.mark.django_db

# templates/crm/programmes/board.html's card before it became {% cultivation_card card column.stage next_url %}.
CARD_TEMPLATE = """{% load i18n %}<div class="list-group-item board-card" data-id="{{ card.pk }}">
        <a class="fw-semibold d-block" href="{% url 'crm:enterprise-detail' card.enterprise_id %}">{{ card.enterprise.name }}</a>
        <div class="small text-body-secondary">
          {{ card.programme.name }} · {{ card.enterprise.region.name }}{% if card.officer %} · {{ card.officer }}{% endif %}
          {% if card.next_step_on %}<div>{% translate "Next step" %} {{ card.next_step_on|date:"Y-m-d" }}</div>{% endif %}
        </div>
        <form method="post" action="{% url 'crm:cultivation-move' card.pk %}" class="d-flex gap-1 mt-1 board-move">
          {% csrf_token %}
          <input type="hidden" name="next" value="{{ next_url }}">
          <label class="visually-hidden" for="move-{{ card.pk }}">{% translate "Move to" %}</label>
          <select name="stage" id="move-{{ card.pk }}" class="form-select form-select-sm">
            {% for value, label in stages %}<option value="{{ value }}"{% if value == column.stage %} selected{% endif %}>{{ label }}</option>{% endfor %}
          </select>
          <button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">{% translate "Move" %}</button>
        </form>
      </div>"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cultivation_card_writes_what_the_template_wrote(language, django_assert_num_queries):
    cards = [
        CultivationFactory(
            enterprise=EnterpriseFactory(name="A & <B> 公司"),
            officer=UserFactory(name="李<四>"),
            next_step_on=dt.date(2026, 3, 9),
            stage=CultivationStage.APPLIED,
        ),
        CultivationFactory(officer=None, next_step_on=None),
        CultivationFactory(
            officer=UserFactory(name="", first_name="三", last_name="张"), stage=CultivationStage.FAILED
        ),
    ]
    template = Template(CARD_TEMPLATE)
    request = RequestFactory().get("/cultivation/")
    token = get_token(request)
    stages = CultivationStage.choices
    # The template read a cultivation with its relations; the tag reads the board's plain cards (BoardCard).
    models = Cultivation.objects.filter(pk__in=[c.pk for c in cards]).select_related(
        "enterprise", "enterprise__region", "programme", "officer"
    )
    columns = cultivation_board(queryset=Cultivation.objects.filter(pk__in=[c.pk for c in cards]))
    board = {card.pk: card for column in columns for card in column["cards"]}
    assert len(board) == 3
    with translation.override(language):
        for card in models:
            for stage in (card.stage, CultivationStage.FAILED):
                for csrf in (token, "NOTPROVIDED"):
                    values = {"card": card, "column": {"stage": stage}, "stages": stages, "next_url": "/c/?a=1&b=<2>"}
                    expected = template.render(Context({**values, "csrf_token": csrf}))
                    with django_assert_num_queries(0):
                        got = cultivation_card(Context({"csrf_token": csrf}), board[card.pk], stage, values["next_url"])
                    assert got == expected
                    assert ("selected" in got) and ("&amp;" in got)


def test_cards_of_one_page_share_one_frame_but_keep_their_own_column(rf):
    """Cards of a page written with one context (as the board does): each keeps its own column's selected stage."""
    cards = [CultivationFactory(stage=CultivationStage.APPLIED), CultivationFactory(stage=CultivationStage.FAILED)]
    columns = cultivation_board(queryset=Cultivation.objects.filter(pk__in=[c.pk for c in cards]))
    context = Context({"csrf_token": get_token(rf.get("/"))})
    written = {
        column["stage"]: cultivation_card(context, card, column["stage"], "/cultivation/")
        for column in columns
        for card in column["cards"]
    }
    assert '<option value="applied" selected>' in written["applied"]
    assert '<option value="failed" selected>' in written["failed"]
    assert '<option value="applied" selected>' not in written["failed"]
    assert all('name="csrfmiddlewaretoken"' in html for html in written.values())


# templates/crm/programmes/commissioners.html's row before it became {% commissioner_row c %}.
COMMISSIONER_ROW_TEMPLATE = """{% load i18n crm_tags %}<div class="list-group-item" data-id="{{ c.pk }}">
      <div class="d-flex justify-content-between flex-wrap gap-2">
        <span class="fw-semibold">{{ c.name }}{% if not c.is_active %} <span class="badge text-bg-secondary">{% translate "inactive" %}</span>{% endif %}</span>
        <span class="small text-body-secondary">{% blocktranslate with days=c.service_days|default:0 %}{{ days }} service days{% endblocktranslate %}</span>
      </div>
      <div class="small text-body-secondary">{{ c.institution }}{% if c.expertise %} · {{ c.expertise }}{% endif %}{% if c.industry_chain %} · {{ c.industry_chain.name }}{% endif %}</div>
      {% if c.visible_assignments %}
      <div class="small mt-1">{% for a in c.visible_assignments %}<a href="{% url_pk 'crm:enterprise-detail' a.enterprise_id %}">{{ a.enterprise.name }}</a>{% if not forloop.last %}、{% endif %}{% endfor %}</div>
      {% endif %}
    </div>"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_commissioner_row_writes_what_the_template_wrote(language, chains, manager):
    serving = CommissionerFactory(name="周<明远>", institution="淮阴工学院", expertise="新材料 & 化工")
    serving.industry_chain = chains["nev"]
    serving.save()
    first = CommissionerAssignmentFactory(commissioner=serving, enterprise=EnterpriseFactory(name="A & B"))
    CommissionerAssignmentFactory(commissioner=serving)
    ServiceLog.objects.create(assignment=first, served_on=dt.date(2025, 3, 1), days="12.5", content="走访")
    CommissionerFactory(name="闲置", is_active=False, expertise="")
    template = Template(COMMISSIONER_ROW_TEMPLATE)
    rows = commissioner_rows(queryset=Commissioner.objects.all()).prefetch_related(
        commissioner_assignments_prefetch(user=manager)
    )
    with translation.override(language):
        for c in rows.order_by("pk"):
            assert commissioner_row(c) == template.render(Context({"c": c}))


# templates/crm/programmes/board.html's column body before it became {% cultivation_cards column next_url %}.
COLUMN_TEMPLATE = """{% load i18n card_tag %}
      {% for card in column.cards %}
      {% cultivation_card card column.stage next_url %}
      {% empty %}
      <div class="list-group-item small text-body-secondary">{% translate "None" %}</div>
      {% endfor %}
"""
# The one-card tag the loop called (``cultivation_card`` is a plain function now), for COLUMN_TEMPLATE alone.
register = template.Library()
register.simple_tag(takes_context=True)(cultivation_card)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cultivation_cards_writes_what_the_loop_over_the_cards_wrote(language, rf, django_assert_num_queries):
    """Every column, one with two cards, one with one and four without (the "None" item), line breaks included."""
    cards = [CultivationFactory(stage=CultivationStage.APPLIED) for _ in range(2)]
    cards.append(CultivationFactory(stage=CultivationStage.FAILED, officer=UserFactory(name="王<五>")))
    columns = cultivation_board(queryset=Cultivation.objects.filter(pk__in=[c.pk for c in cards]))
    assert sorted(len(column["cards"]) for column in columns) == [0, 0, 0, 0, 1, 2]
    engine = Engine(libraries={"i18n": "django.templatetags.i18n", "card_tag": __name__})
    loop = engine.from_string(COLUMN_TEMPLATE)
    with translation.override(language):
        token = get_token(rf.get("/"))
        for column in columns:
            values = {"column": column, "next_url": "/c/?a=1&b=<2>", "csrf_token": token}
            expected = loop.render(Context(values))
            with django_assert_num_queries(0):
                got = cultivation_cards(Context(values), column, values["next_url"])
            assert f"\n      {got}\n" == expected


# templates/crm/programmes/_enterprise_figures.html's loops before {% trend_chart_body %} and {% year_rows %}.
TREND_CHART_LOOPS = """{% load number_tags %}      {% for series in section.chart.series %}
      <polyline class="trend-line trend-{{ series.css }}" points="{{ series.points }}" fill="none"></polyline>
      {% for x, y, value in series.dots %}<circle class="trend-dot trend-{{ series.css }}" cx="{{ x }}" cy="{{ y }}" r="2.5"><title>{{ value|wan }}</title></circle>{% endfor %}
      {% endfor %}
      {% for label in section.chart.labels %}<text class="trend-label" x="{{ label.x }}" y="{{ section.chart.label_y }}" text-anchor="middle">{{ label.text }}</text>{% endfor %}"""  # noqa: E501
YEAR_LOOP = """{% load i18n number_tags %}    {% for y in section.years %}
    <tr data-year="{{ y.year }}"><td>{{ y.year }}{% if forloop.first %} <span class="badge text-bg-light">{% translate "current" %}</span>{% endif %}</td><td class="text-end">{{ y.revenue|wan }}</td><td class="text-end">{{ y.rd_expense|wan }}</td><td class="text-end">{{ y.employees|default:"—" }}</td></tr>
    {% endfor %}"""  # noqa: E501


def _years(enterprise) -> list:
    figures = [
        (2021, Decimal("1200.50"), Decimal("80"), 120),
        (2022, None, Decimal("95.25"), None),
        (2023, Decimal("123456.00"), None, 0),
        (2024, Decimal("0"), Decimal("0.5"), 1500),
    ]
    return [
        EnterpriseYearFactory(enterprise=enterprise, year=year, revenue=revenue, rd_expense=rd, employees=employees)
        for year, revenue, rd, employees in figures
    ]


def test_trend_chart_body_writes_what_the_loops_wrote(enterprise):
    years = _years(enterprise)
    for shown_years in (years, years[:2], [years[0], years[2]]):
        section = {"chart": trend_chart(shown_years)}
        rendered = rendered_alike(
            TREND_CHART_LOOPS, "{% load programme_tags %}      {% trend_chart_body section.chart %}", section=section
        )
    assert rendered.count("<polyline") == 2 and rendered.count('class="trend-label"') == 2


def test_year_rows_write_what_the_loop_wrote(enterprise):
    years = list(reversed(_years(enterprise)))
    for shown_years in (years, years[:1], []):
        rendered = rendered_alike(
            YEAR_LOOP, "{% load programme_tags %}    {% year_rows section.years %}", section={"years": shown_years}
        )
    assert rendered == "    "


YEAR_FORM_LOOP = """        {% for field in form %}
        <div class="col-6"><label class="form-label small mb-0" for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}</div>
        {% endfor %}"""  # noqa: E501
YEAR_FORM_TAG = "{% load programme_tags %}        {% year_form_fields form %}"


def test_year_form_fields_write_what_the_loop_wrote_once_per_language(monkeypatch):
    monkeypatch.setattr(programme_tags, "_YEAR_FORM_FIELDS", Statements())
    for _page in range(2):  # the second page's fields come from the first's writing
        rendered = rendered_alike(YEAR_FORM_LOOP, YEAR_FORM_TAG, form=EnterpriseYearForm(prefix="year"))
    assert rendered.count('<div class="col-6">') == len(EnterpriseYearForm.base_fields)
    assert 'name="year-year"' in rendered and len(programme_tags._YEAR_FORM_FIELDS) == 2  # English and Chinese
    other = rendered_alike(YEAR_FORM_LOOP, YEAR_FORM_TAG, form=EnterpriseYearForm(prefix="y", initial={"year": 2024}))
    assert 'name="y-year" value="2024"' in other and len(programme_tags._YEAR_FORM_FIELDS) == 4


def test_year_form_fields_of_a_bound_form_are_written_each_time(monkeypatch):
    monkeypatch.setattr(programme_tags, "_YEAR_FORM_FIELDS", Statements())
    form = EnterpriseYearForm({"year-year": "x<y", "year-revenue": "12"}, prefix="year")
    form.is_valid()
    rendered = rendered_alike(YEAR_FORM_LOOP, YEAR_FORM_TAG, form=form)
    assert 'value="x&lt;y"' in rendered and "is-invalid" in rendered and programme_tags._YEAR_FORM_FIELDS == {}
