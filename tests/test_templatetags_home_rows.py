"""home_rows' tags answer exactly the markup of the template rows they replace (the 工作台's cards), in both
languages, for the edge cases: a need of a project, without a deadline, overdue; an action item without an
enterprise; a leader's missed cadence row; names that need escaping."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.choices import ActionStatus, NeedStatus, Urgency, VisitFlag
from crm.models import ActionItem, Enterprise, Need, Policy, Project, Visit
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
NEW_NEED_ROW = "{% load home_rows %}    {% need_row need %}\n"
NEW_DEADLINE_ROWS = (
    '{% load home_rows %}    {% deadline_row need "overdue" %}\n    {% deadline_row need "due-soon" %}\n'
)
NEW_ACTION_ROW = "{% load home_rows %}    {% action_row item %}\n"
NEW_CADENCE_ROW = "{% load home_rows %}    {% cadence_row row %}\n"
NEW_INBOX_ROW = "{% load home_rows %}      {% inbox_row need block.key section.today %}\n"
NEW_RED_FLAG_ROW = "{% load home_rows %}    {% red_flag_row visit %}\n"
NEW_RADAR_ROW = "{% load home_rows %}    {% radar_row entry %}\n"


def _need(escalation=None, **fields) -> Need:
    today = timezone.localdate()
    values = {"pk": 7, "code": "XQ-1", "title": "Land <&> water", "status": NeedStatus.ASSIGNED, "due_on": today}
    need = Need(**(values | fields))
    need.escalation = escalation
    return need


@pytest.mark.parametrize(
    "fields",
    [
        {"enterprise": Enterprise(name="A&B 科技")},
        {"enterprise": Enterprise(name="A"), "due_on": dt.date(2020, 1, 2)},  # overdue
        {"project": Project(name="<Project>"), "due_on": None},
        {"status": NeedStatus.NEW, "due_on": dt.date(2020, 1, 2)},  # neither enterprise nor project
    ],
)
def test_need_rows_are_the_old_markup(fields):
    assert "XQ-1" in _same(OLD_NEED_ROW, NEW_NEED_ROW, need=_need(**fields))
    if fields.get("due_on", True) is not None:
        for escalation in (None, "warning", "overdue", "supervision"):
            _same(OLD_DEADLINE_ROWS, NEW_DEADLINE_ROWS, need=_need(escalation=escalation, **fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"enterprise": Enterprise(name="A&B"), "due_on": dt.date(2020, 1, 2)},  # overdue
        {"status": ActionStatus.DONE, "due_on": dt.date(2020, 1, 2)},  # done: not overdue, no enterprise
        {"due_on": dt.date(2999, 1, 2), "status": ActionStatus.IN_PROGRESS},
    ],
)
def test_action_rows_are_the_old_markup(fields):
    item = ActionItem(**({"pk": 3, "code": "DB-1", "title": "Call <back>", "status": ActionStatus.PLANNED} | fields))
    assert "DB-1" in _same(OLD_ACTION_ROW, NEW_ACTION_ROW, item=item)


@pytest.mark.parametrize(
    ("status", "urgent", "role", "days_left"),
    [
        ("missed", True, "leader", 20),
        ("due", True, "officer", 3),
        ("due", False, "officer", 40),
        ("due", False, "officer", -1),
    ],
)
def test_cadence_rows_are_the_old_markup(status, urgent, role, days_left):
    row = {
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
    assert "&lt;Acme&gt;" in _same(OLD_CADENCE_ROW, NEW_CADENCE_ROW, row=row)


@pytest.mark.parametrize("key", ["accept", "assign", "overdue", "supervised"])
@pytest.mark.parametrize(
    "fields",
    [
        {"enterprise": Enterprise(name="A&B 科技"), "accept_due_on": dt.date(2020, 1, 2)},  # sign-by date passed
        {"enterprise": Enterprise(name="A"), "accept_due_on": dt.date(2999, 1, 2), "urgency": Urgency.URGENT},
        {"project": Project(name="<Project>"), "accept_due_on": None, "urgency": Urgency.CRITICAL},
    ],
)
def test_inbox_rows_are_the_old_markup(key, fields):
    need = _need(created_at=timezone.now(), due_on=dt.date(2020, 3, 4), **fields)
    context = {"need": need, "block": {"key": key}, "section": {"today": timezone.localdate()}}
    assert "XQ-1" in _same(OLD_INBOX_ROW, NEW_INBOX_ROW, **context)


def _red_flag_visit(q_difficulties="", needs=(), actions=()) -> Visit:
    visit = Visit(pk=5, code="ZF-1", enterprise_id=9, flag=VisitFlag.RED, visited_on=dt.date(2026, 1, 2))
    visit.q_difficulties, visit.q_needs, visit.q_suggestions = q_difficulties, "用地 <紧张>", "x" * 90
    visit.enterprise = Enterprise(pk=9, name="<Acme> & 子公司")
    visit.enterprise.open_needs = list(needs)
    visit.enterprise.open_actions = list(actions)
    return visit


@pytest.mark.parametrize(
    "visit",
    [
        _red_flag_visit(),  # nothing answers it; the needs' answer shown
        _red_flag_visit(
            q_difficulties="融资" * 50,  # cut to 80 characters
            needs=[
                Need(pk=1, code="XQ-1", title="一个很长很长很长很长很长很长很长的诉求标题 <b>", status=NeedStatus.NEW)
            ],
        ),
        _red_flag_visit(
            needs=[Need(pk=1, code="XQ-1", title="短", status=NeedStatus.ASSIGNED)] * 2,
            actions=[ActionItem(pk=2, code="DB-1", title="Call <back> " * 3, status=ActionStatus.PLANNED)],
        ),
        _red_flag_visit(actions=[ActionItem(pk=2, code="DB-1", title="跟进", status=ActionStatus.IN_PROGRESS)]),
    ],
)
def test_red_flag_rows_are_the_old_markup(visit):
    visit.flag = VisitFlag.YELLOW if visit.enterprise.open_actions else VisitFlag.RED
    assert "&lt;Acme&gt;" in _same(OLD_RED_FLAG_ROW, NEW_RED_FLAG_ROW, visit=visit)


@pytest.mark.parametrize("untold", [0, 1, 1234])
@pytest.mark.parametrize(
    ("is_new", "closes_soon", "published_on"),
    [(True, False, dt.date(2026, 1, 5)), (True, False, None), (False, True, None), (True, True, dt.date(2026, 1, 5))],
)
def test_radar_rows_are_the_old_markup(untold, is_new, closes_soon, published_on):
    policy = Policy(pk=4, title="<科技> & 创新券", published_on=published_on, apply_until=dt.date(2026, 2, 1))
    entry = RadarEntry(policy=policy, is_new=is_new, closes_soon=closes_soon, untold=untold)
    assert "&lt;科技&gt;" in _same(OLD_RADAR_ROW, NEW_RADAR_ROW, entry=entry)
