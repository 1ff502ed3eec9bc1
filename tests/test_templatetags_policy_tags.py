"""policy_tags.policy_window: the application window of a policy with its mark, as the include it replaced wrote it;
enterprise_match_items: the 360° page's policy matches, as the loop it replaced wrote them."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from crm.choices import MatchStatus
from crm.forms.policies import MatchFollowUp, MatchStatusForm
from crm.models import Enterprise
from crm.selectors.matching import enterprise_match_history
from tests.factories import EnterpriseFactory, NeedFactory, PolicyFactory, PolicyMatchFactory, UserFactory

# The include the tag replaced (templates/crm/policies/_window.html), byte for byte.
INCLUDE = (
    "{% load i18n %}{# The application window of ``policy`` with its closing-soon / expired / not-yet-open mark. #}\n"
    '<span class="text-nowrap policy-window">{% if policy.apply_from or policy.apply_until %}'
    '{{ policy.apply_from|date:"Y-m-d"|default:"…" }} ~ {{ policy.apply_until|date:"Y-m-d"|default:"…" }}'
    '{% else %}{% translate "Open all year" %}{% endif %}</span>\n'
    '{% if not policy.is_active %}<span class="badge text-bg-secondary" data-mark="inactive">'
    '{% translate "Inactive" %}</span>\n'
    '{% elif policy.is_expired %}<span class="badge text-bg-light text-dark border" data-mark="expired">'
    '{% translate "Expired" %}</span>\n'
    '{% elif policy.closes_soon %}<span class="badge text-bg-warning text-dark" data-mark="closing-soon">'
    '{% translate "Closing soon" %}</span>\n'
    '{% elif not policy.window_open %}<span class="badge text-bg-info text-dark" data-mark="not-open">'
    '{% translate "Not open yet" %}</span>{% endif %}\n'
)
TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "mark"),
    [
        ({}, None),
        ({"is_active": False, "apply_until": TODAY + 60 * DAY}, "inactive"),
        ({"apply_from": TODAY - 90 * DAY, "apply_until": TODAY - DAY}, "expired"),
        ({"apply_until": TODAY + 3 * DAY}, "closing-soon"),
        ({"apply_from": TODAY + 10 * DAY, "apply_until": TODAY + 90 * DAY}, "not-open"),
        ({"apply_from": TODAY - 10 * DAY}, None),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_policy_window_writes_what_the_include_wrote(fields, mark, language):
    policy = PolicyFactory.build(**fields)
    with timezone.override("Asia/Shanghai"), translation.override(language):
        tag = Template("{% load policy_tags %}{% policy_window policy %}").render(Context({"policy": policy}))
        include = Template(INCLUDE).render(Context({"policy": policy}))
    assert tag == include
    assert (f'data-mark="{mark}"' in tag) if mark else ("data-mark" not in tag)


# templates/crm/policies/_match_status_form.html, the include {% match_status_form m %} replaced.
STATUS_FORM = """{% load i18n crm_tags %}{# Inline follow-up of one match: {% include "crm/policies/_match_status_form.html" with match=m %} #}
{% if match.status_form.can_change %}
<form method="post" action="{% url_pk 'crm:policymatch-update' match.pk %}" class="d-flex flex-nowrap gap-1 align-items-center match-status-form" data-match="{{ match.pk }}">
  {% csrf_token %}
  <input type="hidden" name="next" value="{{ request.get_full_path }}">
  {% with form=match.status_form %}
  <label class="visually-hidden" for="{{ form.status.id_for_label }}">{% translate "status" %}</label>
  <select name="{{ form.status.html_name }}" id="{{ form.status.id_for_label }}" class="form-select form-select-sm w-auto">
    {% for value, label in form.fields.status.choices %}<option value="{{ value }}" {% if value == match.status %}selected{% endif %}>{{ label }}</option>{% endfor %}
  </select>
  {% if form.allows_amount %}
  <label class="visually-hidden" for="{{ form.granted_amount.id_for_label }}">{% translate "granted amount (10k CNY)" %}</label>
  <input type="number" step="0.01" min="0" name="{{ form.granted_amount.html_name }}" id="{{ form.granted_amount.id_for_label }}" class="form-control form-control-sm amount-input" placeholder="{% translate 'Amount' %}" title="{% translate 'granted amount (10k CNY)' %}" value="{{ match.granted_amount|default_if_none:''|stringformat:'s' }}">
  {% endif %}
  <input type="hidden" name="{{ form.note.html_name }}" value="{{ match.note }}">
  {% endwith %}
  <button type="submit" class="btn btn-sm btn-outline-primary text-nowrap">{% translate "Save" %}</button>
</form>
{% endif %}
"""  # noqa: E501

# templates/crm/policies/_enterprise_matches.html's loop before it became {% enterprise_match_items … %}.
MATCHES_LOOP_HEAD = """{% load i18n crm_tags humanize number_tags %}{% for m in section.policy_matches %}
    <li class="list-group-item" data-match="{{ m.pk }}">
      <div class="d-flex justify-content-between gap-2">
        <div>
          <a href="{% url_pk 'crm:policy-detail' m.policy_id %}">{{ m.policy.title }}</a>
          <div class="text-body-secondary">
            {% if m.pushed_at %}{% translate "pushed" %} {{ m.pushed_at|date:"Y-m-d" }}{% if m.pushed_by %} · {{ m.pushed_by }}{% endif %}{% endif %}
            {% if m.need %} · {% translate "for need" %} {% url_pk 'crm:need-detail' m.need_id as need_url %}{% if need_url %}<a href="{{ need_url }}">{{ m.need.code }}</a>{% else %}{{ m.need.code }}{% endif %}{% endif %}
            {% if m.granted_amount is not None %} · {% translate "granted" %} {{ m.granted_amount|wan }} {% translate "10k CNY" %}{% endif %}
          </div>
        </div>
        <div class="text-nowrap">{% badge m.status m.get_status_display %}</div>
      </div>
      {% if m.status_form %}<div class="mt-1">{% with match=m %}"""  # noqa: E501
MATCHES_LOOP = (
    MATCHES_LOOP_HEAD
    + STATUS_FORM
    + """{% endwith %}</div>{% endif %}
    </li>
    {% endfor %}"""
)
SCRIPT = "<script>alert('x')</script> & 政策"


def give_follow_ups(matches):
    """Each match's follow-up as the views give it (``follow_up``, which the tags read) and the form it stands for
    (``status_form``, which the includes the tags replaced read)."""
    for match in matches:
        match.follow_up = MatchFollowUp.of(match, prefix=f"m{match.pk}")
        match.status_form = MatchStatusForm(match=match, prefix=f"m{match.pk}")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("with_forms", [True, False])
def test_enterprise_match_items_write_what_the_loop_wrote(language, with_forms, regions, manager):
    enterprise = EnterpriseFactory(name=SCRIPT)
    need = NeedFactory(enterprise=enterprise, code="SQ-<1>")
    PolicyMatchFactory(
        enterprise=enterprise,
        policy=PolicyFactory(title=SCRIPT),
        status=MatchStatus.GRANTED,
        pushed_at=timezone.now(),
        pushed_by=UserFactory(name="钱<七>"),
        need=need,
        granted_amount=Decimal("86500.50"),
        note='说明 "<b>"',
    )
    PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.PUSHED, pushed_at=timezone.now(), pushed_by=None)
    PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.DECLINED, granted_amount=Decimal("0"))
    matches = list(enterprise_match_history(enterprise=Enterprise.objects.get(pk=enterprise.pk), user=manager))
    if with_forms:
        give_follow_ups(matches)
    request = RequestFactory().get("/enterprises/1/?x=<y>")
    request.user = manager
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    with translation.override(language):
        loop = Template(MATCHES_LOOP).render(RequestContext(request, {"section": {"policy_matches": matches}}))
        tag = Template("{% load policy_tags %}{% enterprise_match_items matches %}").render(
            RequestContext(request, {"matches": matches})
        )
    assert tag.count("<li") == 3 and "&lt;script&gt;" in tag and "<script>" not in tag
    assert ("match-status-form" in tag) is with_forms
    assert csrf.sub("", tag) == csrf.sub("", loop)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_match_status_form_writes_what_the_include_wrote(language, regions, manager):
    """Every branch: a status that may still change (with and without the granted amount), a granted match (its
    amount may be corrected), a settled one (no form), a match without a form (not a manager)."""
    no_application = PolicyFactory(title=SCRIPT, delivery="no_application")
    matches = [
        PolicyMatchFactory(status=MatchStatus.PUSHED, note='说明 "<b>" & x'),
        PolicyMatchFactory(status=MatchStatus.PUSHED, policy=no_application),
        PolicyMatchFactory(status=MatchStatus.GRANTED, granted_amount=Decimal("86500.50")),
        PolicyMatchFactory(status=MatchStatus.DECLINED),
        PolicyMatchFactory(status=MatchStatus.PUSHED),
    ]
    give_follow_ups(matches[:-1])
    assert [m.follow_up.allows_amount for m in matches[:3]] == [False, True, True]
    assert not matches[3].follow_up.can_change
    request = RequestFactory().get('/policies/1/?q="<x>"&page=2')
    request.user = manager
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    with translation.override(language):
        for match in matches:
            context = {"match": match}
            include = Template(STATUS_FORM).render(RequestContext(request, context))
            tag = Template("{% load policy_tags %}{% match_status_form match %}").render(
                RequestContext(request, context)
            )
            assert csrf.sub("", tag) == csrf.sub("", include)
            assert ("<form" in tag) is (match in matches[:3])
        without_request = Template("{% load policy_tags %}{% match_status_form match %}").render(
            Context({"match": matches[0]})
        )
        assert without_request == Template(STATUS_FORM).render(Context({"match": matches[0]}))


@pytest.mark.django_db
def test_the_matches_of_one_page_share_their_csrf_field_words_and_options(regions, manager, django_assert_num_queries):
    """The follow-up forms' CSRF field, path, words, options and badges are made once per page: a page of matches of
    the same status and of statuses allowing other choices writes what the loop of includes wrote."""
    enterprise = EnterpriseFactory()
    no_application = PolicyFactory(delivery="no_application")
    for status, policy in [
        (MatchStatus.PUSHED, None),
        (MatchStatus.PUSHED, None),
        (MatchStatus.PUSHED, no_application),
        (MatchStatus.GRANTED, None),
        (MatchStatus.PUSHED, None),
    ]:
        PolicyMatchFactory(enterprise=enterprise, status=status, **({"policy": policy} if policy else {}))
    matches = list(enterprise_match_history(enterprise=Enterprise.objects.get(pk=enterprise.pk), user=manager))
    give_follow_ups(matches)
    request = RequestFactory().get("/enterprises/1/")
    request.user = manager
    with translation.override("zh-hans"):
        loop = Template(MATCHES_LOOP).render(RequestContext(request, {"section": {"policy_matches": matches}}))
        with django_assert_num_queries(0):
            tag = Template("{% load policy_tags %}{% enterprise_match_items matches %}").render(
                RequestContext(request, {"matches": matches})
            )
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert tag.count("match-status-form") == 5 and tag.count("amount-input") == 2
    assert len(set(csrf.findall(tag))) == 1 and csrf.sub("", tag) == csrf.sub("", loop)
