"""timeline_tags.timeline_entries and policy_tags.eligible_rows: the rows they write are what the template loops they
replaced wrote, byte for byte (the loops kept here as the reference), in English and in Chinese."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from crm.models import Department, Enterprise, IndustryChain, Need, PolicyMatch, Region, User, Visit
from crm.templatetags import list_rows
from crm.templatetags.crm_tags import badge

# templates/crm/visits/_timeline_section.html's loop before the tag.
TIMELINE_LOOP = """{% load i18n crm_tags %}
      {% for entry in entries %}{% with o=entry.object %}
      {% if entry.kind == "visit" %}
      <li class="timeline-visit" data-kind="visit">
        <div class="d-flex flex-wrap justify-content-between gap-1">
          <span><span class="fw-semibold">{{ o.visited_on|date:"Y-m-d" }}</span> <i class="bi bi-door-open" aria-hidden="true"></i> {{ o.get_kind_display }}
            <a href="{% url_pk 'crm:visit-detail' o.pk %}" class="small text-nowrap">{{ o.code }}</a></span>
          {% if o.flag != "green" %}{% badge o.flag o.get_flag_display %}{% endif %}
        </div>
        <div class="small text-body-secondary">{{ o.lead|default:"" }}{% if o.interviewee %} → {{ o.interviewee }}{% if o.interviewee_title %}（{{ o.interviewee_title }}）{% endif %}{% endif %}</div>
        {% if o.q_needs %}<div class="small"><span class="badge text-bg-light border">问需</span> {{ o.q_needs|truncatechars:120 }}</div>{% endif %}
        {% if o.q_difficulties %}<div class="small"><span class="badge text-bg-light border">问难</span> {{ o.q_difficulties|truncatechars:120 }}</div>{% endif %}
        {% if o.q_suggestions %}<div class="small"><span class="badge text-bg-light border">问计</span> {{ o.q_suggestions|truncatechars:120 }}</div>{% endif %}
      </li>
      {% else %}
      <li class="timeline-need" data-kind="need">
        <div class="d-flex flex-wrap justify-content-between gap-1">
          <span><span class="fw-semibold">{{ entry.date|date:"Y-m-d" }}</span> <i class="bi bi-chat-square-text" aria-hidden="true"></i>
            <a href="{% url_pk 'crm:need-detail' o.pk %}">{{ o.title }}</a> <span class="small text-body-secondary text-nowrap">{{ o.code }}</span></span>
          <span class="text-nowrap">{% escalation_badge o.escalation %} {% badge o.status o.get_status_display %}</span>
        </div>
        <div class="small text-body-secondary">{{ o.get_category_display }}{% if o.lead_department %} · {{ o.lead_department.name }}{% endif %}{% if o.due_on %} · {% translate "due" %} {{ o.due_on|date:"Y-m-d" }}{% endif %}</div>
      </li>
      {% endif %}
      {% endwith %}{% endfor %}"""  # noqa: E501

# templates/crm/policies/detail.html's loop of the eligible enterprises before the tag.
ELIGIBLE_LOOP = """{% load i18n crm_tags policy_tags number_tags %}{% for e in eligible_rows %}
              <tr data-id="{{ e.pk }}">
                {% if can_push %}<td>{% if e.told %}<i class="bi bi-check2 text-success" title="{% translate 'Told already' %}" aria-hidden="true"></i>{% else %}<input class="form-check-input" type="checkbox" name="enterprises" value="{{ e.pk }}" id="push-{{ e.pk }}" aria-label="{{ e.name }}">{% endif %}</td>{% endif %}
                <td>
                  <a href="{% url 'crm:enterprise-detail' e.pk %}">{{ e.name }}</a>
                  {% if e.is_linked %}<span class="badge text-bg-primary">{% translate "Linked" %}</span>{% endif %}
                  {% if e.is_assisted %}<span class="badge text-bg-success">{% translate "Assisted" %}</span>{% endif %}
                  {% if e.eligibility_reasons %}<ul class="list-inline small text-body-secondary mb-0 eligible-reasons" aria-label="{% translate 'Why it is eligible' %}">
                    {% for r in e.eligibility_reasons %}<li class="list-inline-item reason" data-criterion="{{ r.criterion }}">{% reason_mark r %} <span class="reason-name">{{ r.name }}</span> {{ r.detail }}</li>{% endfor %}
                  </ul>{% endif %}
                </td>
                <td class="d-none d-md-table-cell text-nowrap">{{ e.region }}</td>
                <td class="d-none d-lg-table-cell">{{ e.industry_chain|default:"—" }}</td>
                <td class="d-none d-sm-table-cell text-end">{{ e.employees|default_if_none:"—" }}</td>
                <td class="d-none d-lg-table-cell text-end">{{ e.rd_ratio|percent }}</td>
                <td class="text-nowrap">{% if e.policy_match %}{% badge e.policy_match.status e.policy_match.get_status_display %}{% else %}<span class="text-body-secondary small">{% translate "Not yet" %}</span>{% endif %}</td>
              </tr>
            {% endfor %}"""  # noqa: E501

ODD = "华新 <科技> & \"Co\" 'x'"
DAY = dt.date(2026, 3, 4)


def _timeline() -> list[dict]:
    kind = Visit._meta.get_field("kind").choices[0][0]
    visits = [
        Visit(pk=7, code="ZF-7", visited_on=DAY, kind=kind, flag="red", lead=User(username="u1", first_name=ODD),
              interviewee=ODD, interviewee_title="总经理 <CEO>", q_needs="长" * 130, q_difficulties=ODD,
              q_suggestions=""),
        Visit(pk=8, code="ZF-8", visited_on=DAY, kind=kind, flag="green", lead=None, interviewee="", q_needs=""),
        Visit(pk=9, code="ZF-9", visited_on=DAY, kind=kind, flag="yellow", interviewee="王", interviewee_title=""),
    ]  # fmt: skip
    needs = [
        Need(pk=11, code="SQ-1", title=ODD, status="accepted", category="funding", due_on=DAY,
             lead_department=Department(name="科技 & 服务")),
        Need(pk=12, code="SQ-2", title="t", status="closed", category="funding", due_on=None, lead_department=None),
    ]  # fmt: skip
    needs[0].escalation, needs[1].escalation = "overdue", None
    return [{"date": DAY, "kind": "visit", "object": v} for v in visits] + [
        {"date": DAY, "kind": "need", "object": n} for n in needs
    ]


def _eligible() -> list[Enterprise]:
    region, chain = Region(name="高新区 <x>"), IndustryChain(name="新能源 & 汽车")
    rows = [
        Enterprise(pk=21, name=ODD, region=region, industry_chain=chain, employees=1234, revenue=Decimal("200"),
                   rd_expense=Decimal("9"),
                   is_linked=True, is_assisted=True),
        Enterprise(pk=22, name="乙", region=region, industry_chain=None, employees=None),
        Enterprise(pk=23, name="丙", region=region, employees=0, revenue=Decimal("3"), rd_expense=Decimal("1")),
    ]  # fmt: skip
    reasons = [
        {"criterion": "region", "name": "地区 <r>", "detail": ODD, "passed": True},
        {"criterion": "employees", "name": "Employees", "detail": "≥ 10", "passed": False},
    ]
    rows[0].eligibility_reasons, rows[1].eligibility_reasons, rows[2].eligibility_reasons = reasons, [], reasons[:1]
    rows[0].policy_match, rows[0].told = PolicyMatch(status="pushed"), True
    rows[1].policy_match, rows[1].told = PolicyMatch(status="suggested"), False
    rows[2].policy_match, rows[2].told = None, False
    return rows


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_timeline_entries_write_what_the_loop_wrote(language):
    entries = _timeline()
    with translation.override(language):
        loop = Template(TIMELINE_LOOP).render(Context({"entries": entries}))
        tag = Template("{% load timeline_tags %}\n      {% timeline_entries entries %}").render(
            Context({"entries": entries})
        )
    assert "timeline-need" in tag and "长" * 100 in tag and "长" * 130 not in tag and "&lt;科技&gt;" in tag
    assert tag == loop


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("can_push", [True, False])
def test_eligible_rows_write_what_the_loop_wrote(language, can_push):
    context = {"eligible_rows": _eligible(), "can_push": can_push}
    with translation.override(language):
        loop = Template(ELIGIBLE_LOOP).render(Context(context))
        tag = Template("{% load policy_tags %}{% eligible_rows eligible_rows can_push %}").render(Context(context))
    assert 'data-criterion="region"' in tag and "&lt;科技&gt;" in tag
    assert tag == loop


def test_timeline_makes_each_badge_once(monkeypatch):
    """The timeline's badges are made once per value (thirty entries show a handful of statuses and flags)."""
    made = []
    monkeypatch.setattr(list_rows, "badge", lambda value, label: made.append(value) or badge(value, label))
    entries = _timeline() * 3
    html = Template("{% load timeline_tags %}{% timeline_entries entries %}").render(Context({"entries": entries}))
    assert sorted(made) == ["accepted", "closed", "red", "yellow"] and html.count('data-value="red"') == 3
