"""The list rows written in Python give the bytes of the template they replaced, in every branch."""

import pytest
from django.db.models import Value
from django.template import Context, Template

from crm.models import Visit
from crm.templatetags.list_rows import visit_row
from tests.factories import UserFactory, VisitFactory

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
