"""home_rows' card tags answer exactly the markup of the template loops they replace (the 工作台's cards), in both
languages, for the edge cases: a need of a project, without a deadline, overdue; an action item without an
enterprise; a leader's missed cadence row; names that need escaping; an empty list."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from crm.choices import ActionStatus, NeedStatus, NotificationKind, PlanStatus, ProjectStage, Urgency, VisitFlag
from crm.models import ActionItem, Enterprise, Need, Notification, Policy, Project, Region, Visit, VisitPlan
from crm.selectors.matching import RadarEntry
from tests.template_helpers import rendered_alike as _same

# The rows as the cards' templates had them before the tags (templates/crm/home/*.html, crm/needs/_home_deadlines).
OLD_NEED_ROW = """{% load i18n crm_tags %}    {% url_pk 'crm:need-detail' need.pk as need_url %}
    <a class="list-group-item list-group-item-action" href="{{ need_url|default:'#' }}">
      <div class="d-flex justify-content-between gap-2">
        <span class="text-truncate"><span class="text-body-secondary small">{{ need.code }}</span> {{ need.title }}</span>
        {% badge need.status need.get_status_display %}
      </div>
      <div class="small text-body-secondary">
        {{ need.enterprise|default:need.project }}{% if need.due_on %} · <span class="{% if need|overdue %}text-danger fw-semibold{% endif %}">{% translate "due" %} {{ need.due_on|date:"Y-m-d" }}{% if need|overdue %} · {% translate "overdue" %}{% endif %}</span>{% endif %}
      </div>
    </a>
"""  # noqa: E501
OLD_DEADLINE_ROWS = """{% load i18n crm_tags %}    <a class="list-group-item list-group-item-action" href="{% url_pk 'crm:need-detail' need.pk %}" data-deadline="overdue">
      <div class="d-flex justify-content-between gap-2"><span class="text-truncate">{{ need.title }}</span>{% escalation_badge need.escalation %}</div>
      <div class="small text-body-secondary">{{ need.code }} · {% firstof need.enterprise.name need.project.name %} · {% translate "due" %} {{ need.due_on|date:"Y-m-d" }}</div>
    </a>
    <a class="list-group-item list-group-item-action" href="{% url_pk 'crm:need-detail' need.pk %}" data-deadline="due-soon">
      <div class="d-flex justify-content-between gap-2"><span class="text-truncate">{{ need.title }}</span>{% escalation_badge need.escalation|default:"warning" %}</div>
      <div class="small text-body-secondary">{{ need.code }} · {% firstof need.enterprise.name need.project.name %} · {% translate "due" %} {{ need.due_on|date:"Y-m-d" }}</div>
    </a>
"""  # noqa: E501
OLD_ACTION_ROW = """{% load i18n crm_tags %}    <li class="list-group-item">
      <div class="d-flex justify-content-between gap-2">
        <span class="text-truncate"><span class="text-body-secondary small">{{ item.code }}</span> {{ item.title }}</span>
        {% badge item.status item.get_status_display %}
      </div>
      <div class="small {% if item.is_overdue %}text-danger{% else %}text-body-secondary{% endif %}">
        {% translate "due" %} {{ item.due_on|date:"Y-m-d" }}{% if item.is_overdue %} · {% translate "overdue" %}{% endif %}
        {% if item.enterprise %} · {{ item.enterprise }}{% endif %}
      </div>
    </li>
"""  # noqa: E501
OLD_CADENCE_ROW = """{% load i18n crm_tags %}    <a class="list-group-item list-group-item-action cadence-row{% if row.urgent %} list-group-item-danger{% endif %}" href="{% url_pk 'crm:enterprise-detail' row.enterprise_id %}" data-status="{{ row.status }}">
      <div class="d-flex justify-content-between gap-2">
        <span class="text-truncate fw-semibold">{{ row.enterprise_name }}</span>
        <span class="badge {% if row.status == 'missed' %}text-bg-danger{% elif row.urgent %}text-bg-warning{% else %}text-bg-light border{% endif %} text-nowrap">{% if row.status == 'missed' %}{% translate "Missed" %}{% else %}{% translate "Due" %}{% endif %}</span>
      </div>
      <div class="small {% if row.urgent %}text-danger-emphasis{% else %}text-body-secondary{% endif %}">
        {% if row.role == 'leader' %}{% translate "as liaison leader" %}{% else %}{% translate "as liaison officer" %}{% endif %} ·
        {% blocktranslate with done=row.done required=row.required period=row.period_label trimmed %}{{ done }} of {{ required }} visits in {{ period }}{% endblocktranslate %} ·
        {% blocktranslate with date=row.due_by|date:"Y-m-d" days=row.days_left trimmed %}by {{ date }} ({{ days }} days left){% endblocktranslate %}
      </div>
    </a>
"""  # noqa: E501
OLD_INBOX_ROW = """{% load i18n crm_tags %}      <a class="list-group-item list-group-item-action py-1" href="{% url_pk 'crm:need-detail' need.pk %}">
        <div class="d-flex justify-content-between gap-2"><span class="text-truncate"><span class="small text-body-secondary">{{ need.code }}</span> {{ need.title }}</span>
          {% if need.urgency != 'normal' %}{% badge need.urgency need.get_urgency_display %}{% endif %}</div>
        <div class="small text-body-secondary">{{ need.enterprise|default:need.project }} · {% if block.key == 'accept' %}{{ need.created_at|date:"Y-m-d" }}{% if need.accept_due_on %} · <span{% if need.accept_due_on < section.today %} class="text-danger"{% endif %}>{% translate "sign by" %} {{ need.accept_due_on|date:"Y-m-d" }}</span>{% endif %}{% elif block.key == 'assign' %}{{ need.created_at|date:"Y-m-d" }}{% else %}<span class="text-danger">{% translate "due" %} {{ need.due_on|date:"Y-m-d" }}</span>{% endif %}</div>
      </a>
"""  # noqa: E501
OLD_RED_FLAG_ROW = """{% load i18n crm_tags %}{% translate "What answers it" as answers_label %}{% translate "nothing yet" as nothing_label %}    <div class="list-group-item red-flag-row" data-flag="{{ visit.flag }}">
      <div class="d-flex justify-content-between gap-2">
        <a class="fw-semibold text-truncate" href="{% url_pk 'crm:enterprise-detail' visit.enterprise_id %}">{{ visit.enterprise.name }}</a>
        {% badge visit.flag visit.get_flag_display %}
      </div>
      <div class="small"><a href="{% url_pk 'crm:visit-detail' visit.pk %}">{{ visit.visited_on|date:"Y-m-d" }} {{ visit.code }}</a>: {{ visit.q_difficulties|default:visit.q_needs|default:visit.q_suggestions|truncatechars:80 }}</div>
      <div class="small text-body-secondary mt-1">{{ answers_label }}:
        {% for need in visit.enterprise.open_needs %}<a href="{% url_pk 'crm:need-detail' need.pk %}" class="me-1">{{ need.code }} {{ need.title|truncatechars:20 }} ({{ need.get_status_display }})</a>{% endfor %}
        {% for item in visit.enterprise.open_actions %}<span class="me-1">{{ item.code }} {{ item.title|truncatechars:20 }} ({{ item.get_status_display }})</span>{% endfor %}
        {% if not visit.enterprise.open_needs and not visit.enterprise.open_actions %}<span class="text-danger">{{ nothing_label }}</span>{% endif %}
      </div>
    </div>
"""  # noqa: E501
OLD_RADAR_ROW = """{% load i18n crm_tags %}    <li class="list-group-item radar-entry" data-policy="{{ entry.policy.pk }}" data-untold="{{ entry.untold }}">
      <div class="d-flex justify-content-between gap-2">
        <a class="text-truncate" href="{% url_pk 'crm:policy-detail' entry.policy.pk %}">{{ entry.policy.title }}</a>
        {% if entry.untold %}
        <a class="badge rounded-pill text-bg-danger text-decoration-none text-nowrap" href="{% url_pk 'crm:policy-detail' entry.policy.pk %}?untold=1&amp;targets=1#eligible"
           title="{% translate 'Eligible linked or assisted enterprises not told yet' %}">{% blocktranslate count counter=entry.untold trimmed %}{{ counter }} not told{% plural %}{{ counter }} not told{% endblocktranslate %}</a>
        {% else %}<span class="badge rounded-pill text-bg-light text-dark border text-nowrap">{% translate "All told" %}</span>{% endif %}
      </div>
      <div class="small text-body-secondary">
        {% if entry.is_new %}<span class="badge text-bg-info text-dark">{% translate "Newly published" %}</span>{% endif %}
        {% if entry.closes_soon %}<span class="badge text-bg-warning text-dark">{% translate "Closing soon" %}</span> {% blocktranslate with date=entry.policy.apply_until|date:"Y-m-d" trimmed %}closes {{ date }}{% endblocktranslate %}{% endif %}
        {% if entry.is_new and not entry.closes_soon %}{% if entry.policy.published_on %}{% blocktranslate with date=entry.policy.published_on|date:"Y-m-d" trimmed %}published {{ date }}{% endblocktranslate %}{% endif %}{% endif %}
      </div>
    </li>
"""  # noqa: E501
# The loops of the cards whose rows were written by the template itself.
OLD_ENTERPRISE_ROWS = """{% load i18n crm_tags %}{% for e in rows %}
    <li class="list-group-item d-flex justify-content-between align-items-center gap-2">
      <a href="{% url_pk 'crm:enterprise-detail' e.pk %}" class="text-truncate">{{ e.name }}</a>
      <span class="small text-body-secondary text-nowrap">{{ e.region }}</span>
    </li>
    {% endfor %}"""
OLD_PROJECT_ROWS = """{% load i18n crm_tags %}{% for p in rows %}
    <li class="list-group-item d-flex justify-content-between align-items-center gap-2">
      <a href="{% url_pk 'crm:project-detail' p.pk %}" class="text-truncate">{{ p.name }}</a>
      <span class="small text-body-secondary text-nowrap">{{ p.get_stage_display }}</span>
    </li>
    {% endfor %}"""
OLD_PLAN_ROWS = """{% load i18n crm_tags %}{% translate "overdue" as overdue_label %}{% for plan in rows %}
    <li class="list-group-item plan-row{% if plan.is_overdue %} list-group-item-danger{% endif %}">
      <span class="fw-semibold">{{ plan.planned_on|date:"m-d" }}</span> <a href="{% url_pk 'crm:enterprise-detail' plan.enterprise_id %}">{{ plan.enterprise.name }}</a>
      {% if plan.is_overdue %}<span class="badge text-bg-danger">{{ overdue_label }}</span>{% endif %}
      {% if plan.purpose %}<div class="small text-body-secondary text-truncate">{{ plan.purpose }}</div>{% endif %}
    </li>
    {% endfor %}"""  # noqa: E501
OLD_NOTIFICATION_ROWS = """{% load i18n crm_tags %}{% for n in rows %}
    <li class="list-group-item small">
      <div>{{ n.text }}</div>
      <div class="text-body-secondary">{{ n.get_kind_display }} · {{ n.created_at|date:"Y-m-d H:i" }}</div>
    </li>
    {% endfor %}"""


def _loop(old_row: str, item: str) -> str:
    """The card's ``{% for <item> in rows %}`` loop around one of the rows above, as the card's template had it: the
    row's words (``{% translate … as … %}``) before the loop, its indent before ``{% endfor %}``."""
    setup, indent, body = re.fullmatch(r"((?:\{%[^}]*%\})*)( +)(.*)", old_row, flags=re.DOTALL).groups()
    return f"{setup}{{% for {item} in rows %}}\n{indent}{body}{indent}{{% endfor %}}"


def _need(escalation=None, **fields) -> Need:
    today = timezone.localdate()
    values = {"pk": 7, "code": "XQ-1", "title": "Land <&> water", "status": NeedStatus.ASSIGNED, "due_on": today}
    need = Need(**(values | fields))
    need.escalation = escalation
    return need


NEED_FIELDS = [
    {"enterprise": Enterprise(name="A&B 科技")},
    {"enterprise": Enterprise(name="A"), "due_on": dt.date(2020, 1, 2)},  # overdue
    {"project": Project(name="<Project>"), "due_on": None},
    {"status": NeedStatus.NEW, "due_on": dt.date(2020, 1, 2)},  # neither enterprise nor project
]


@pytest.mark.parametrize("count", [0, 1, 4])
def test_need_rows_are_the_old_loop(count):
    needs = [_need(pk=index, **fields) for index, fields in enumerate(NEED_FIELDS[:count])]
    rendered = _same(_loop(OLD_NEED_ROW, "need"), "{% load home_rows %}{% need_rows rows %}", rows=needs)
    assert rendered.count("list-group-item-action") == count


@pytest.mark.parametrize("count", [0, 1, 3])
def test_deadline_rows_are_the_old_loops(count):
    overdue_row, soon_row, _ = OLD_DEADLINE_ROWS.split("    </a>\n")
    old = (
        _loop(f"{overdue_row}    </a>\n", "need").replace(" rows ", " overdue ")
        + "\n    "
        + _loop(f"{{% load i18n crm_tags %}}{soon_row}    </a>\n", "need").replace(" rows ", " due_soon ")
    )
    dated = [fields for fields in NEED_FIELDS if fields.get("due_on", True) is not None]
    levels = (None, "warning", "overdue", "supervision")
    overdue = [_need(pk=i, escalation=levels[i % 4], **fields) for i, fields in enumerate(dated[:count])]
    due_soon = [_need(pk=i, escalation=levels[(i + 1) % 4], **fields) for i, fields in enumerate(dated[:count])]
    new = "{% load home_rows %}{% deadline_rows overdue due_soon %}"
    rendered = _same(old, new, overdue=overdue, due_soon=due_soon)
    assert rendered.count("data-deadline") == 2 * count


def test_action_rows_are_the_old_loop():
    items = [
        ActionItem(**({"pk": 3, "code": "DB-1", "title": "Call <back>", "status": ActionStatus.PLANNED} | fields))
        for fields in (
            {"enterprise": Enterprise(name="A&B"), "due_on": dt.date(2020, 1, 2)},  # overdue
            {"status": ActionStatus.DONE, "due_on": dt.date(2020, 1, 2)},  # done: not overdue, no enterprise
            {"due_on": dt.date(2999, 1, 2), "status": ActionStatus.IN_PROGRESS},
        )
    ]
    rendered = _same(_loop(OLD_ACTION_ROW, "item"), "{% load home_rows %}{% action_rows rows %}", rows=items)
    assert rendered.count("DB-1") == 3 and "A&amp;B" in rendered


def test_cadence_rows_are_the_old_loop():
    rows = [
        {
            "enterprise_id": 11,
            "enterprise_name": "<Acme> & 子公司",
            "status": status,
            "urgent": urgent,
            "role": role,
            "done": 1,
            "required": 2,
            "period_label": "2026年12月",
            "due_by": dt.date(2026, 12, 31),
            "days_left": days_left,
        }
        for status, urgent, role, days_left in (
            ("missed", True, "leader", 20),
            ("due", True, "officer", 3),
            ("due", False, "officer", 40),
            ("due", False, "officer", -1),
        )
    ]
    rendered = _same(_loop(OLD_CADENCE_ROW, "row"), "{% load home_rows %}{% cadence_rows rows %}", rows=rows)
    assert rendered.count("&lt;Acme&gt;") == 4


@pytest.mark.parametrize("key", ["accept", "assign", "overdue", "supervised"])
def test_inbox_rows_are_the_old_loop(key):
    needs = [
        _need(pk=index, created_at=timezone.now(), due_on=dt.date(2020, 3, 4), **fields)
        for index, fields in enumerate(
            (
                {"enterprise": Enterprise(name="A&B 科技"), "accept_due_on": dt.date(2020, 1, 2)},  # sign-by passed
                {"enterprise": Enterprise(name="A"), "accept_due_on": dt.date(2999, 1, 2), "urgency": Urgency.URGENT},
                {"project": Project(name="<Project>"), "accept_due_on": None, "urgency": Urgency.CRITICAL},
            )
        )
    ]
    context = {"rows": needs, "block": {"key": key}, "section": {"today": timezone.localdate()}}
    new = "{% load home_rows %}{% inbox_rows rows block.key section.today %}"
    assert _same(_loop(OLD_INBOX_ROW, "need"), new, **context).count("XQ-1") == 3


def _red_flag_visit(q_difficulties="", needs=(), actions=()) -> Visit:
    visit = Visit(pk=5, code="ZF-1", enterprise_id=9, flag=VisitFlag.RED, visited_on=dt.date(2026, 1, 2))
    visit.q_difficulties, visit.q_needs, visit.q_suggestions = q_difficulties, "用地 <紧张>", "x" * 90
    visit.enterprise = Enterprise(pk=9, name="<Acme> & 子公司")
    visit.enterprise.open_needs = list(needs)
    visit.enterprise.open_actions = list(actions)
    visit.flag = VisitFlag.YELLOW if actions else VisitFlag.RED
    return visit


def test_red_flag_rows_are_the_old_loop():
    visits = [
        _red_flag_visit(),  # nothing answers it; the needs' answer shown
        _red_flag_visit(
            q_difficulties="融资" * 50,  # cut to 80 characters
            needs=[
                Need(pk=1, code="XQ-1", title="一个很长很长很长很长很长很长很长的诉求标题 <b>", status=NeedStatus.NEW)
            ],
        ),
        _red_flag_visit(
            needs=[Need(pk=1, code="XQ-1", title="短", status=NeedStatus.IN_PROGRESS)] * 2,
            # an action's in_progress reads otherwise than a need's: each keeps its own label
            actions=[ActionItem(pk=2, code="DB-1", title="Call <back> " * 3, status=ActionStatus.IN_PROGRESS)],
        ),
        _red_flag_visit(actions=[ActionItem(pk=2, code="DB-1", title="跟进", status=ActionStatus.PLANNED)]),
    ]
    rendered = _same(_loop(OLD_RED_FLAG_ROW, "visit"), "{% load home_rows %}{% red_flag_rows rows %}", rows=visits)
    assert rendered.count("&lt;Acme&gt;") == 4


def test_radar_rows_are_the_old_loop():
    entries = [
        RadarEntry(
            policy=Policy(pk=4, title="<科技> & 创新券", published_on=published_on, apply_until=dt.date(2026, 2, 1)),
            is_new=is_new,
            closes_soon=closes_soon,
            untold=untold,
        )
        for untold in (0, 1, 1234)
        for is_new, closes_soon, published_on in (
            (True, False, dt.date(2026, 1, 5)),
            (True, False, None),
            (False, True, None),
            (True, True, dt.date(2026, 1, 5)),
        )
    ]
    rendered = _same(_loop(OLD_RADAR_ROW, "entry"), "{% load home_rows %}{% radar_rows rows %}", rows=entries)
    assert rendered.count("&lt;科技&gt;") == 12


def test_enterprise_and_project_rows_are_the_old_loops():
    region = Region(name="<高新区>")
    enterprises = [
        Enterprise(pk=1, name="A&B 科技", region=region),
        Enterprise(pk=2, name="乙", region=Region(name="县")),
    ]
    rendered = _same(OLD_ENTERPRISE_ROWS, "{% load home_rows %}{% enterprise_rows rows %}", rows=enterprises)
    assert "&lt;高新区&gt;" in rendered and "A&amp;B" in rendered
    projects = [Project(pk=1, name="<P>", stage=ProjectStage.SIGNED), Project(pk=2, name="Q", stage="")]
    assert "&lt;P&gt;" in _same(OLD_PROJECT_ROWS, "{% load home_rows %}{% project_rows rows %}", rows=projects)


def test_plan_rows_are_the_old_loop():
    enterprise = Enterprise(pk=3, name="<Acme>")
    plans = [
        VisitPlan(pk=1, enterprise=enterprise, planned_on=dt.date(2020, 1, 2), status=PlanStatus.PLANNED),  # overdue
        VisitPlan(pk=2, enterprise=enterprise, planned_on=dt.date(2999, 3, 4), purpose="谈 <用地>"),
        VisitPlan(pk=3, enterprise=enterprise, planned_on=dt.date(2020, 1, 2), status=PlanStatus.DONE),
    ]
    rendered = _same(OLD_PLAN_ROWS, "{% load home_rows %}{% plan_rows rows %}", rows=plans)
    assert rendered.count("list-group-item-danger") == 1 and "&lt;用地&gt;" in rendered


def test_notification_card_rows_are_the_old_loop():
    notifications = [
        Notification(pk=1, kind=NotificationKind.OVERDUE, text="<XQ-1> 逾期", created_at=timezone.now()),
        Notification(
            pk=2, kind=NotificationKind.NOTE, text="A & B", created_at=dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
        ),
    ]
    rendered = _same(OLD_NOTIFICATION_ROWS, "{% load home_rows %}{% notification_card_rows rows %}", rows=notifications)
    assert "2026-01-02 07:30" in rendered and "&lt;XQ-1&gt;" in rendered
