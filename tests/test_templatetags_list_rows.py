"""The list rows written in Python give the bytes of the template they replaced, in every branch."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Value
from django.template import Context, Template
from django.utils import translation

from crm.models import ActionItem, Enterprise, Need, Notification, Policy, Project, ProjectMilestone, User, Visit
from crm.templatetags import list_rows
from crm.templatetags.crm_tags import badge
from crm.templatetags.list_rows import (
    action_item_row,
    action_items_table_rows,
    enterprise_row,
    need_row,
    needs_table_rows,
    policy_row,
    project_row,
    table_rows,
    visit_row,
)
from tests.factories import (
    ActionItemFactory,
    ContactFactory,
    DepartmentFactory,
    EnterpriseFactory,
    EnterpriseQualificationFactory,
    NeedFactory,
    NotificationFactory,
    OfferingFactory,
    PolicyFactory,
    ProjectFactory,
    ProjectMilestoneFactory,
    QualificationFactory,
    ReportFactory,
    UserFactory,
    VisitFactory,
    today,
)
from tests.template_helpers import rendered_alike

pytestmark = pytest.mark.django_db

# templates/crm/visits/list.html's row before it became {% visit_row v %}.
VISIT_ROW_TEMPLATE = """{% load crm_tags %}<tr data-id="{{ v.pk }}">
          <td class="text-nowrap"><a href="{% url_pk 'crm:visit-detail' v.pk %}" class="fw-semibold">{{ v.visited_on|date:"Y-m-d" }}</a>
            <div class="small text-body-secondary">{{ v.code }}</div></td>
          <td>{{ v.enterprise.name }}
            <div class="small text-body-secondary text-truncate visit-summary">{{ v.q_needs|default:v.q_difficulties|default:v.q_suggestions|truncatechars:60 }}</div></td>
          <td class="d-none d-md-table-cell text-nowrap">{{ v.get_kind_display }}</td>
          <td class="d-none d-lg-table-cell small">{% if v.lead %}{{ v.lead }}{% endif %}{% for o in v.officers.all %}{% if o != v.lead %}{% if v.lead or not forloop.first %}、{% endif %}{{ o }}{% endif %}{% endfor %}</td>
          <td class="d-none d-sm-table-cell text-end">{{ v.needs_count }}</td>
          <td>{% badge v.flag v.get_flag_display %}</td>
        </tr>"""  # noqa: E501
ENTERPRISE_ROW_TEMPLATE = """{% load i18n crm_tags number_tags %}<tr data-id="{{ e.pk }}">
          <td>
            <a href="{% url_pk 'crm:enterprise-detail' e.pk %}" class="fw-semibold">{{ e.name }}</a>
            {% if e.status != "operating" %} {% badge e.status e.get_status_display %}{% endif %}
            <div class="d-md-none small text-body-secondary">{{ e.credit_code }}</div>
          </td>
          <td class="d-none d-md-table-cell font-monospace small">{{ e.credit_code }}</td>
          <td class="d-none d-sm-table-cell text-nowrap">{{ e.region }}</td>
          <td class="d-none d-lg-table-cell">{{ e.industry_chain|default:"—" }}</td>
          <td class="d-none d-xl-table-cell small">
            {% for u in e.liaison_officers.all %}{{ u }}{% if not forloop.last %}、{% endif %}{% empty %}—{% endfor %}
          </td>
          <td class="d-none d-lg-table-cell text-end">{{ e.employees|default_if_none:"—" }}</td>
          <td class="d-none d-lg-table-cell text-end">{{ e.revenue|wan }}</td>
          <td class="text-nowrap">
            {% if e.is_linked %}<span class="badge text-bg-primary">{% translate "Linked" %}</span>{% endif %}
            {% if e.is_assisted %}<span class="badge text-bg-success">{% translate "Assisted" %}</span>{% endif %}
          </td>
        </tr>"""  # noqa: E501
NEED_ROW_TEMPLATE = """{% load crm_tags %}<tr data-id="{{ need.pk }}"{% if need.escalation %} data-escalation="{{ need.escalation }}"{% endif %}>
          <td>
            <a href="{% url_pk 'crm:need-detail' need.pk %}" class="fw-semibold">{{ need.title }}</a>
            {% if need.urgency != "normal" %}{% badge need.urgency need.get_urgency_display %}{% endif %}
            <div class="small text-body-secondary">{{ need.code }} · {% firstof need.enterprise.name need.project.name %}</div>
          </td>
          <td class="d-none d-md-table-cell text-nowrap">{{ need.get_category_display }}</td>
          <td class="d-none d-lg-table-cell">{{ need.lead_department.name|default:"—" }}</td>
          <td class="d-none d-lg-table-cell">{{ need.handler|default:"—" }}</td>
          <td class="text-nowrap">{{ need.due_on|date:"Y-m-d"|default:"—" }}
            <div>{% escalation_badge need.escalation %}</div></td>
          <td class="text-nowrap">{% badge need.status need.get_status_display %}</td>
        </tr>"""  # noqa: E501
ACTION_ITEM_ROW_TEMPLATE = """{% load i18n crm_tags %}{% with overdue=item.is_overdue %}<tr data-id="{{ item.pk }}"{% if overdue %} class="table-danger"{% endif %}>
          <td class="text-nowrap small">{% if item.user_can_edit %}<a href="{% url_pk 'crm:actionitem-update' item.pk %}">{{ item.code }}</a>{% else %}{{ item.code }}{% endif %}</td>
          <td>{{ item.title }}{% if item.offering %}<div class="small text-body-secondary"><i class="bi bi-box-seam" aria-hidden="true"></i> {{ item.offering.name }}</div>{% endif %}
            {% if item.result %}<div class="small text-body-secondary text-truncate cell-clip-24">{{ item.result }}</div>{% endif %}</td>
          <td class="d-none d-md-table-cell small">
            {% if item.need %}{% if "need" in item.opens %}<a href="{% url_pk 'crm:need-detail' item.need_id %}">{{ item.need.code }}</a>{% else %}{{ item.need.code }}{% endif %} {{ item.need.title|truncatechars:24 }}
            {% elif item.project %}{% if "project" in item.opens %}<a href="{% url_pk 'crm:project-detail' item.project_id %}">{{ item.project.name }}</a>{% else %}{{ item.project.name }}{% endif %}{% endif %}
            {% if item.enterprise %}<div>{% if "enterprise" in item.opens %}<a class="text-body-secondary" href="{% url_pk 'crm:enterprise-detail' item.enterprise_id %}">{{ item.enterprise.name }}</a>{% else %}<span class="text-body-secondary">{{ item.enterprise.name }}</span>{% endif %}</div>{% endif %}
          </td>
          <td class="d-none d-lg-table-cell small">{{ item.owner }}{% if item.department %}<div class="text-body-secondary">{{ item.department.name }}</div>{% endif %}</td>
          <td class="text-nowrap small{% if overdue %} text-danger fw-semibold{% endif %}">{{ item.due_on|date:"Y-m-d" }}{% if overdue %} <span class="badge text-bg-danger" data-mark="overdue">{% translate "Overdue" %}</span>{% endif %}</td>
          <td class="text-nowrap">{% badge item.status item.get_status_display %}{% if item.completed_on %}<div class="small text-body-secondary">{{ item.completed_on|date:"Y-m-d" }}</div>{% endif %}</td>
        </tr>{% endwith %}"""  # noqa: E501

PROJECT_ROW_TEMPLATE = """{% load i18n crm_tags number_tags %}<tr data-id="{{ p.pk }}">
          <td><a href="{% url_pk 'crm:project-detail' p.pk %}" class="fw-semibold">{{ p.name }}</a>
            {% if p.is_assisted %} <span class="badge text-bg-success">{% translate "Assisted" %}</span>{% endif %}
            {% if p.status != "active" %} {% badge p.status p.get_status_display %}{% endif %}</td>
          <td class="d-none d-md-table-cell">{% if p.enterprise %}<a href="{% url_pk 'crm:enterprise-detail' p.enterprise_id %}">{{ p.enterprise }}</a>{% else %}—{% endif %}</td>
          <td class="d-none d-sm-table-cell text-nowrap">{{ p.region }}</td>
          <td class="d-none d-lg-table-cell">{{ p.get_kind_display }}</td>
          <td class="text-nowrap">{{ p.get_stage_display }}</td>
          <td class="d-none d-lg-table-cell text-end">{{ p.planned_investment|wan }}</td>
          <td class="d-none d-xl-table-cell small">{% for u in p.liaison_officers.all %}{{ u }}{% if not forloop.last %}、{% endif %}{% empty %}—{% endfor %}</td>
        </tr>"""  # noqa: E501
POLICY_ROW_TEMPLATE = """{% load crm_tags number_tags policy_tags %}<tr data-id="{{ policy.pk }}">
          <td>
            <a href="{% url_pk 'crm:policy-detail' policy.pk %}" class="fw-semibold">{{ policy.title }}</a>
            <div class="small text-body-secondary">{{ policy.issuer }}{% if policy.doc_number %} · {{ policy.doc_number }}{% endif %}</div>
          </td>
          <td class="d-none d-md-table-cell text-nowrap">{{ policy.get_level_display }}</td>
          <td class="d-none d-lg-table-cell text-nowrap">{{ policy.get_kind_display }}</td>
          <td class="d-none d-lg-table-cell text-nowrap">{{ policy.get_delivery_display }}</td>
          <td class="small">{% policy_window policy %}</td>
          <td class="d-none d-md-table-cell text-end">{{ policy.max_amount|wan }}</td>
        </tr>"""  # noqa: E501


def test_visit_row_writes_what_the_template_wrote():
    lead, other, third = UserFactory(name="李<四>"), UserFactory(name="王五"), UserFactory(name="赵六")
    visits = [
        VisitFactory(lead=lead, q_needs="", q_difficulties="用地" * 40, flag="red"),
        VisitFactory(lead=None, q_needs="", q_difficulties="", q_suggestions="<b>建议</b>"),
        VisitFactory(lead=None, kind="phone"),  # nobody on it
        VisitFactory(lead=lead, enterprise__name="A & B 公司"),
    ]
    visits[0].officers.set([lead, other, third])
    visits[1].officers.set([other, third])
    visits[3].officers.set([lead])
    template = Template(VISIT_ROW_TEMPLATE)
    rows = Visit.objects.filter(pk__in=[v.pk for v in visits]).annotate(needs_count=Value(1234))
    for v in rows.select_related("enterprise", "lead").prefetch_related("officers"):
        assert visit_row(v) == template.render(Context({"v": v}))


def test_need_row_writes_what_the_template_wrote():
    project = ProjectFactory(name="项目 <甲>")
    handler = UserFactory(name="张三")
    needs = [
        NeedFactory(
            urgency="urgent", handler=handler, lead_department=DepartmentFactory(name="规划处"), due_on=today()
        ),
        NeedFactory(enterprise=None, project=project, title="A & B"),
        NeedFactory(enterprise__name="", project=project),
    ]
    template = Template(NEED_ROW_TEMPLATE)
    rows = Need.objects.filter(pk__in=[n.pk for n in needs]).select_related(
        "enterprise", "project", "lead_department", "handler"
    )
    for need, escalation in zip(rows.order_by("pk"), ["overdue", None, "supervision"], strict=True):
        if escalation:
            need.escalation = escalation
        assert need_row(need) == template.render(Context({"need": need}))


def test_action_item_row_writes_what_the_template_wrote(english):
    project = ProjectFactory(name="项目 <乙>")
    long_title = NeedFactory(title="诉求" * 20)
    items = [
        ActionItemFactory(
            need=long_title, enterprise=long_title.enterprise, result="已对接", due_on=today() - dt.timedelta(days=3)
        ),
        ActionItemFactory(
            need=None,
            project=project,
            offering=OfferingFactory(name="资源 & 服务"),
            department=DepartmentFactory(name="成果转化处 <二>"),
        ),
        ActionItemFactory(status="done", completed_on=today(), due_on=today() - dt.timedelta(days=3)),
    ]
    template = Template(ACTION_ITEM_ROW_TEMPLATE)
    rows = ActionItem.objects.filter(pk__in=[i.pk for i in items]).select_related(
        "need", "project", "enterprise", "owner", "department", "offering"
    )
    for opens, can_edit in ((set(), False), ({"need", "project", "enterprise"}, True)):
        for item in rows:
            item.opens, item.user_can_edit = opens, can_edit
            assert action_item_row(item) == template.render(Context({"item": item}))


def test_enterprise_row_writes_what_the_template_wrote(chains):
    first, second = UserFactory(name="钱<七>"), UserFactory(name="孙八")
    enterprises = [
        EnterpriseFactory(name="A & B", industry_chain=chains["nev"], employees=0, revenue="86500.00", is_linked=True),
        EnterpriseFactory(status="closed", employees=1234, is_assisted=True, is_linked=True),
        EnterpriseFactory(employees=None, revenue=None),
    ]
    enterprises[0].liaison_officers.set([first, second])
    enterprises[1].liaison_officers.set([second])
    template = Template(ENTERPRISE_ROW_TEMPLATE)
    rows = Enterprise.objects.filter(pk__in=[e.pk for e in enterprises]).select_related("region", "industry_chain")
    for e in rows.prefetch_related("liaison_officers"):
        assert enterprise_row(e) == template.render(Context({"e": e}))


# templates/crm/partials/_needs_table.html's loop before it became {% needs_table_rows needs %}.
NEEDS_TABLE_TEMPLATE = """{% load i18n crm_tags %}{% for need in needs %}
    {% url_pk 'crm:need-detail' need.pk as need_url %}
    <tr>
      <td class="text-nowrap d-none d-sm-table-cell">{% if need_url %}<a href="{{ need_url }}">{{ need.code }}</a>{% else %}{{ need.code }}{% endif %}</td>
      <td>{% if need_url %}<a class="d-sm-none" href="{{ need_url }}">{{ need.title }}</a><span class="d-none d-sm-inline">{{ need.title }}</span>{% else %}{{ need.title }}{% endif %}{% if need.urgency != "normal" %} {% badge need.urgency need.get_urgency_display %}{% endif %}</td>
      <td class="d-none d-md-table-cell text-nowrap">{{ need.get_category_display }}</td>
      <td class="d-none d-md-table-cell">{{ need.lead_department.name|default:"—" }}</td>
      <td class="text-nowrap{% if need|overdue %} text-danger fw-semibold{% endif %}">{{ need.due_on|date:"Y-m-d"|default:"—" }}{% if need|overdue %} <i class="bi bi-alarm" title="{% translate 'overdue' %}"></i>{% endif %}</td>
      <td class="text-nowrap">{% badge need.status need.get_status_display %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_needs_table_rows_write_what_the_template_wrote(language):
    needs = [
        NeedFactory(
            urgency="urgent",
            title="A & <B>",
            lead_department=DepartmentFactory(name="规划处 <一>"),
            due_on=today() - dt.timedelta(days=3),  # open and past due: overdue
        ),
        NeedFactory(lead_department=None, due_on=None),
        NeedFactory(status="closed", due_on=today() - dt.timedelta(days=3)),  # settled: not overdue
    ]
    rows = list(Need.objects.filter(pk__in=[n.pk for n in needs]).select_related("lead_department").order_by("pk"))
    assert [bool(need.is_overdue) for need in rows] == [True, False, False]
    with translation.override(language):
        expected = Template(NEEDS_TABLE_TEMPLATE).render(Context({"needs": rows}))
        assert needs_table_rows(rows) == expected
        assert needs_table_rows([]) == Template(NEEDS_TABLE_TEMPLATE).render(Context({"needs": []})) == ""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_project_row_writes_what_the_template_wrote(language):
    first, second = UserFactory(name="周<九>"), UserFactory(name="吴十")
    projects = [
        ProjectFactory(name="A & B", is_assisted=True, status="paused", planned_investment="86500.00"),
        ProjectFactory(enterprise=EnterpriseFactory(name="华新 <科技>"), stage="started", kind="industrial"),
        ProjectFactory(enterprise=None, planned_investment=None),
    ]
    projects[0].liaison_officers.set([first, second])
    projects[1].liaison_officers.set([second])
    template = Template(PROJECT_ROW_TEMPLATE)
    rows = Project.objects.filter(pk__in=[p.pk for p in projects]).select_related("region", "enterprise")
    with translation.override(language):
        for p in rows.prefetch_related("liaison_officers"):
            assert project_row(p) == template.render(Context({"p": p}))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_policy_row_writes_what_the_template_wrote(language):
    policies = [
        PolicyFactory(title="A & <B>", doc_number="淮科〔2026〕1号", max_amount="50.00"),
        PolicyFactory(doc_number="", max_amount=None, is_active=False, apply_until=today() + dt.timedelta(days=60)),
        PolicyFactory(apply_from=today() - dt.timedelta(days=9), apply_until=today() + dt.timedelta(days=3)),
    ]
    template = Template(POLICY_ROW_TEMPLATE)
    with translation.override(language):
        for policy in Policy.objects.filter(pk__in=[p.pk for p in policies]):
            assert policy_row(policy) == template.render(Context({"policy": policy}))


# templates/crm/partials/_action_items_table.html's loop before it became {% action_items_table_rows items %}.
ACTION_ITEMS_TABLE_TEMPLATE = """{% load crm_tags %}{% for item in items %}
    <tr>
      <td class="text-nowrap d-none d-sm-table-cell">{{ item.code }}</td>
      <td>{{ item.title }}</td>
      <td class="d-none d-md-table-cell">{{ item.owner }}</td>
      <td class="text-nowrap{% if item.is_overdue %} text-danger fw-semibold{% endif %}">{{ item.due_on|date:"Y-m-d" }}</td>
      <td class="text-nowrap">{% badge item.status item.get_status_display %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_action_items_table_rows_write_what_the_template_wrote(language):
    items = [
        ActionItemFactory(title="<script>alert('x')</script> & 对接", owner=UserFactory(name="钱<七>"),
                          due_on=today() - dt.timedelta(days=3)),  # open and past due: overdue
        ActionItemFactory(status="done", completed_on=today(), due_on=today() - dt.timedelta(days=3)),
        ActionItemFactory(due_on=today() + dt.timedelta(days=3)),
    ]  # fmt: skip
    rows = list(ActionItem.objects.filter(pk__in=[i.pk for i in items]).select_related("owner").order_by("pk"))
    assert [item.is_overdue for item in rows] == [True, False, False]
    with translation.override(language):
        expected = Template(ACTION_ITEMS_TABLE_TEMPLATE).render(Context({"items": rows}))
        assert action_items_table_rows(rows) == expected
        assert "&lt;script&gt;" in expected and "<script>" not in expected
        assert action_items_table_rows([]) == ""


def test_table_rows_make_each_badge_and_label_once(monkeypatch):
    """A table's badges and labels are made once per value (the needs table, the action items table)."""
    made = []
    monkeypatch.setattr(list_rows, "badge", lambda value, label: made.append(value) or badge(value, label))
    needs = [Need(pk=i, code=f"SQ-{i}", title="t", status="accepted", category="funding") for i in range(1, 6)]
    needs[0].urgency = "urgent"
    html = needs_table_rows(needs)
    assert sorted(made) == ["accepted", "urgent"] and html.count('data-value="accepted"') == 5
    made.clear()
    items = [ActionItem(pk=i, code=f"XD-{i}", title="t", status="planned", owner=User(name="钱")) for i in range(1, 4)]
    assert action_items_table_rows(items).count('data-value="planned"') == 3 and made == ["planned"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_table_rows_write_what_the_loops_wrote(language):
    """``{% table_rows kind object_list indent %}`` writes what a list's ``{% for %}`` loop of rows wrote (its
    ``{% endfor %}`` 8 or 6 spaces in), for several rows sharing their badges, labels and links."""
    handler = UserFactory(name="张三")
    needs = [
        NeedFactory(urgency="urgent", handler=handler, due_on=today()),
        NeedFactory(status="accepted", urgency="urgent"),
        NeedFactory(status="accepted", category="talent"),
    ]
    projects = [ProjectFactory(status="paused"), ProjectFactory(enterprise=None), ProjectFactory(status="paused")]
    need_rows = list(
        Need.objects.filter(pk__in=[n.pk for n in needs])
        .select_related("enterprise", "project", "lead_department", "handler")
        .order_by("pk")
    )
    for need, escalation in zip(need_rows, ["overdue", None, "overdue"], strict=True):
        need.escalation = escalation
    project_rows = list(
        Project.objects.filter(pk__in=[p.pk for p in projects])
        .select_related("region", "enterprise")
        .prefetch_related("liaison_officers")
        .order_by("pk")
    )
    loops = (
        ("need", need_rows, "need", NEED_ROW_TEMPLATE, "        ", '{% table_rows "need" rows %}'),
        ("project", project_rows, "p", PROJECT_ROW_TEMPLATE, "      ", '{% table_rows "project" rows 6 %}'),
    )
    with translation.override(language):
        for _kind, rows, name, row_template, endfor, tag in loops:
            loop = f"{{% for {name} in rows %}}\n        {row_template}\n{endfor}{{% endfor %}}"
            expected = Template(loop).render(Context({"rows": rows}))
            assert Template("{% load list_rows %}" + tag).render(Context({"rows": rows})) == expected
            assert expected.count("<tr ") == 3
        assert table_rows("need", []) == ""


def test_list_table_rows_make_each_badge_label_and_link_path_once(monkeypatch):
    """A list page's rows (``table_rows``) make each badge once per value and look each link path up once."""
    made, paths = [], []
    monkeypatch.setattr(list_rows, "badge", lambda value, label: made.append(value) or badge(value, label))
    monkeypatch.setattr(list_rows, "url_pk_parts", lambda name: paths.append(name) or ("/needs/", "/"))
    needs = [Need(pk=i, code=f"SQ-{i}", title="t", status="accepted", category="funding") for i in range(1, 6)]
    needs[0].urgency = "urgent"
    html = table_rows("need", needs)
    assert sorted(made) == ["accepted", "urgent"] and html.count('data-value="accepted"') == 5
    assert paths == ["crm:need-detail"] and html.count('href="/needs/3/"') == 1


# templates/crm/notifications/list.html's loop before it became {% notification_rows notifications %}.
NOTIFICATIONS_LOOP_TEMPLATE = """{% load i18n crm_tags %}
    {% for n in notifications %}
    <li class="list-group-item{% if not n.read_at %} notification-unread{% endif %}" data-id="{{ n.pk }}" data-read="{% if n.read_at %}1{% else %}0{% endif %}">
      <div class="d-flex justify-content-between gap-2 align-items-start">
        <div>
          <div>{% badge n.kind n.get_kind_display %} {{ n.text }}</div>
          <div class="small text-body-secondary">{{ n.created_at|date:"Y-m-d H:i" }}{% if n.read_at %} · {% translate "read" %}{% endif %}</div>
        </div>
        <form method="post" action="{% url_pk 'crm:notification-read' n.pk %}" class="flex-shrink-0">{% csrf_token %}
          {% if "need" in n.opens or n.export_job_id or n.report_id %}
          <button class="btn btn-sm btn-outline-primary" type="submit">{% translate "Open" %}</button>
          {% elif not n.read_at %}
          <input type="hidden" name="next" value="{{ request.get_full_path }}">
          <button class="btn btn-sm btn-outline-secondary" type="submit">{% translate "Mark read" %}</button>
          {% endif %}
        </form>
      </div>
    </li>
    {% endfor %}
  </ul>"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_notification_rows_write_what_the_loop_wrote(language, rf):
    """Each branch of a notification's form: its need opens (Open), a report (Open), unread with a need the user may
    not open (Mark read, back to this page), read with nothing to open (no button); its kind's badge, its text
    escaped, its local time and "read"."""
    recipient = UserFactory()
    read_at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 07:30 the next day in Beijing
    made = [
        NotificationFactory(recipient=recipient, kind="assigned", need=NeedFactory(), text="A & <B>"),
        NotificationFactory(recipient=recipient, kind="status", report=ReportFactory(), read_at=read_at),
        NotificationFactory(recipient=recipient, kind="assigned", need=NeedFactory()),
        NotificationFactory(recipient=recipient, kind="note", read_at=read_at),
    ]
    rows = list(Notification.objects.filter(pk__in=[n.pk for n in made]).order_by("pk"))
    Notification.objects.filter(pk=rows[0].pk).update(created_at=read_at)
    rows[0].created_at = read_at
    for row, opens in zip(rows, [{"need"}, set(), set(), set()], strict=True):
        row.opens = opens
    request = rf.get("/notifications/?unread=1&q=<x>")
    with translation.override(language):
        context = {"notifications": rows, "request": request, "csrf_token": "TOKEN"}
        expected = Template(NOTIFICATIONS_LOOP_TEMPLATE).render(Context(context))
        written = Template("{% load list_rows %}\n    {% notification_rows notifications %}\n  </ul>").render(
            Context(context)
        )
        assert written == expected
        assert expected.count("<li ") == 4 and expected.count('name="next"') == 1
        assert expected.count("notification-unread") == 2 and "A &amp; &lt;B&gt;" in expected


# templates/crm/programmes/milestones.html's loop before it became {% milestone_rows object_list %}.
MILESTONES_LOOP_TEMPLATE = """{% load crm_tags %}<tbody>
    {% for m in object_list %}
    <tr data-project="{{ m.project_id }}">
      <td><a href="{% url_pk 'crm:project-detail' m.project_id %}#schedule">{{ m.project.name }}</a>{% if m.project.enterprise %}<div class="small text-body-secondary">{{ m.project.enterprise.name }}</div>{% endif %}</td>
      <td>{{ m.project.region.name }}</td>
      <td>{{ m.get_kind_display }}</td>
      <td class="text-nowrap">{{ m.planned_on|date:"Y-m-d" }}</td>
      <td class="text-end text-danger fw-semibold">{{ m.days_late }}</td>
    </tr>
    {% endfor %}
    </tbody>"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_milestone_rows_write_what_the_loop_wrote(language):
    """A project with and without its enterprise, names to escape, two kinds sharing their labels."""
    projects = [
        ProjectFactory(name="项目 <A&B>", enterprise=EnterpriseFactory(name="企业 & <一>")),
        ProjectFactory(enterprise=None),
        ProjectFactory(enterprise=EnterpriseFactory()),
    ]
    kinds = ["started", "completed", "started"]
    for project, kind in zip(projects, kinds, strict=True):
        ProjectMilestoneFactory(project=project, kind=kind, planned_on=today() - dt.timedelta(days=1234))
    rows = list(
        ProjectMilestone.objects.filter(project__in=projects)
        .select_related("project", "project__region", "project__enterprise")
        .order_by("pk")
    )
    for days, row in enumerate(rows, start=1233):
        row.days_late = days
    with translation.override(language):
        context = {"object_list": rows}
        expected = Template(MILESTONES_LOOP_TEMPLATE).render(Context(context))
        written = Template("{% load list_rows %}<tbody>\n    {% milestone_rows object_list %}\n    </tbody>").render(
            Context(context)
        )
        assert written == expected
        assert expected.count("<tr ") == 3 and expected.count("text-body-secondary") == 2
        assert "项目 &lt;A&amp;B&gt;" in expected


# --- the 360° page's side sections: the template text each tag replaced (templates/crm/enterprises/_section_*.html) ---

PROFILE_TEMPLATE = """{% load i18n number_tags %}      <dt class="col-5">{% translate "Legal representative" %}</dt><dd class="col-7">{{ enterprise.legal_representative|default:"—" }}</dd>
      <dt class="col-5">{% translate "Established on" %}</dt><dd class="col-7">{{ enterprise.established_on|date:"Y-m-d"|default:"—" }}</dd>
      <dt class="col-5">{% translate "Address" %}</dt><dd class="col-7">{{ enterprise.address|default:"—" }}</dd>
      <dt class="col-5">{% translate "Main products" %}</dt><dd class="col-7">{{ enterprise.main_products|default:"—" }}</dd>
      <dt class="col-5">{% translate "Employees" %}</dt><dd class="col-7">{{ enterprise.employees|default_if_none:"—" }}</dd>
      <dt class="col-5">{% translate "R&D staff" %}</dt><dd class="col-7">{{ enterprise.rd_staff|default_if_none:"—" }}</dd>
      <dt class="col-5">{% translate "Revenue (10k CNY)" %}</dt><dd class="col-7">{{ enterprise.revenue|wan }}</dd>
      <dt class="col-5">{% translate "R&D expense (10k CNY)" %}</dt><dd class="col-7">{{ enterprise.rd_expense|wan }}</dd>
      <dt class="col-5">{% translate "R&D ratio" %}</dt><dd class="col-7">{{ enterprise.rd_ratio|percent }}</dd>
      <dt class="col-5">{% translate "Party organisation" %}</dt><dd class="col-7">{{ enterprise.get_party_organization_display }}{% if enterprise.party_members %} · {% blocktranslate count counter=enterprise.party_members trimmed %}{{ counter }} member{% plural %}{{ counter }} members{% endblocktranslate %}{% endif %}</dd>
      <dt class="col-5">{% translate "Bureau" %}</dt><dd class="col-7">{{ enterprise.bureau|default:"—" }}</dd>"""  # noqa: E501
QUALIFICATIONS_LOOP = """{% load i18n %}      {% for q in section.qualifications %}
      <tr class="{% if q.is_expired %}qual-expired{% elif q.expires_soon %}qual-expiring{% endif %}" data-qualification="{{ q.qualification_id }}">
        <td>{{ q.qualification }}{% if q.certificate_no %}<div class="text-body-secondary">{{ q.certificate_no }}</div>{% endif %}</td>
        <td class="text-nowrap">
          {{ q.expires_on|date:"Y-m-d"|default:"—" }}
          {% if q.is_expired %}<span class="badge text-bg-danger qual-badge">{% translate "Expired" %}</span>
          {% elif q.expires_soon %}<span class="badge text-bg-warning qual-badge">{% translate "Expires soon" %}</span>{% endif %}
        </td>
      </tr>
      {% endfor %}"""  # noqa: E501
CONTACTS_LOOP = """{% load i18n crm_tags %}    {% for c in section.contacts %}
    <li class="list-group-item d-flex justify-content-between gap-2">
      <div>
        <span class="fw-semibold">{{ c.name }}</span>{% if c.title %} · {{ c.title }}{% endif %}
        {% if c.is_primary %}<span class="badge text-bg-info text-dark">{% translate "Primary" %}</span>{% endif %}
        <div class="text-body-secondary">
          {% if c.mobile %}<a href="tel:{{ c.mobile }}"><i class="bi bi-telephone" aria-hidden="true"></i> {{ c.mobile }}</a>{% endif %}
          {% if c.email %} <a href="mailto:{{ c.email }}"><i class="bi bi-envelope" aria-hidden="true"></i> {{ c.email }}</a>{% endif %}
        </div>
      </div>
      <div class="d-flex gap-2 align-items-start">
      <a class="text-body-secondary" href="{% url_pk 'crm:contact-access-links' c.pk %}" title="{% translate 'Service links' %}" aria-label="{% translate 'Service links' %}" data-testid="contact-access-links"><i class="bi bi-qr-code" aria-hidden="true"></i></a>
      {% if c.user_can_edit %}<a class="text-body-secondary" href="{% url_pk 'crm:contact-update' c.pk %}" aria-label="{% translate 'Edit' %}"><i class="bi bi-pencil" aria-hidden="true"></i></a>{% endif %}
      </div>
    </li>
    {% endfor %}"""  # noqa: E501
PROJECTS_LOOP = """{% load i18n crm_tags %}    {% for p in section.projects %}
    <li class="list-group-item d-flex justify-content-between gap-2">
      <a href="{% url_pk 'crm:project-detail' p.pk %}">{{ p.name }}</a>
      <span class="text-nowrap">{{ p.get_stage_display }}{% if p.is_assisted %} <span class="badge text-bg-success">{% translate "Assisted" %}</span>{% endif %}</span>
    </li>
    {% endfor %}"""  # noqa: E501
LIAISON_LOOP = """{% for u in section.liaison_officers %}{{ u }}{% if u.department %}（{{ u.department.name }}）{% endif %}{% if not forloop.last %}、{% endif %}{% empty %}—{% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("filled", [True, False])
def test_enterprise_profile_writes_what_the_template_wrote(filled, city_bureau, django_assert_num_queries):
    if filled:
        enterprise = EnterpriseFactory(
            legal_representative="<张&三>",
            established_on=dt.date(2001, 2, 3),
            address='淮安市"清江浦"区',
            main_products="芯片 & 模组",
            employees=0,
            rd_staff=1234,
            revenue=Decimal("86500.50"),
            rd_expense=Decimal("4321.00"),
            party_organization="branch",
            party_members=3,
            bureau=city_bureau,
        )
    else:
        enterprise = EnterpriseFactory(employees=None, rd_staff=None, revenue=None, party_members=1)
    enterprise = Enterprise.objects.select_related("bureau").get(pk=enterprise.pk)
    for members in (enterprise.party_members, 0):
        enterprise.party_members = members
        with django_assert_num_queries(0):
            rendered = rendered_alike(
                PROFILE_TEMPLATE, "{% load list_rows %}      {% enterprise_profile enterprise %}", enterprise=enterprise
            )
    assert rendered.count("<dt ") == 11
    assert ("&lt;张&amp;三&gt;" in rendered) is filled and ("—" in rendered) is not filled


def test_qualification_rows_write_what_the_loop_wrote(enterprise):
    expiring = (today() - dt.timedelta(days=1), today() + dt.timedelta(days=30), today() + dt.timedelta(days=300), None)
    qualifications = [
        EnterpriseQualificationFactory(
            enterprise=enterprise,
            qualification=QualificationFactory(code=f"q{index}"),
            expires_on=expires_on,
            certificate_no="<No. 1>" if expires_on is None else "",
        )
        for index, expires_on in enumerate(expiring)
    ]
    section = {"qualifications": qualifications}
    rendered = rendered_alike(
        QUALIFICATIONS_LOOP,
        "{% load list_rows %}      {% qualification_rows section.qualifications %}",
        section=section,
    )
    assert 'class="qual-expired"' in rendered and 'class="qual-expiring"' in rendered and "&lt;No. 1&gt;" in rendered
    assert rendered_alike(QUALIFICATIONS_LOOP, "{% load list_rows %}      ", section={"qualifications": []}) == "      "


def test_contact_items_write_what_the_loop_wrote(enterprise):
    full = ContactFactory(
        enterprise=enterprise, title="<总>", mobile="138 0000", email="a&b@example.com", is_primary=True
    )
    bare = ContactFactory(enterprise=enterprise, title="", mobile="", email="")
    full.user_can_edit = True
    contacts = [full, bare]  # the second one without user_can_edit: as the template read it, no edit link
    rendered = rendered_alike(
        CONTACTS_LOOP, "{% load list_rows %}    {% contact_items section.contacts %}", section={"contacts": contacts}
    )
    assert rendered.count("bi-pencil") == 1 and "mailto:a&amp;b@example.com" in rendered and "&lt;总&gt;" in rendered


def test_project_items_write_what_the_loop_wrote(enterprise):
    projects = [
        ProjectFactory(enterprise=enterprise, name="<一期>", is_assisted=True, stage="signed"),
        ProjectFactory(enterprise=enterprise, is_assisted=False, stage="signed"),
        ProjectFactory(enterprise=enterprise, is_assisted=False, stage="completed"),
    ]
    rendered = rendered_alike(
        PROJECTS_LOOP, "{% load list_rows %}    {% project_items section.projects %}", section={"projects": projects}
    )
    assert rendered.count("<li ") == 3 and "&lt;一期&gt;" in rendered


def test_liaison_officers_write_what_the_loop_wrote(city_bureau):
    with_department = UserFactory(name="<王>", bureau=city_bureau)
    without = UserFactory(name="李", bureau=None)
    for officers in ([with_department, without], [without], []):
        rendered = rendered_alike(
            LIAISON_LOOP,
            "{% load list_rows %}{% liaison_officers section.liaison_officers %}",
            section={"liaison_officers": officers},
        )
    assert rendered == "—"
