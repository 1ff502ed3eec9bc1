"""policy_tags.policy_window: the application window of a policy with its mark, as the include it replaced wrote it."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from tests.factories import PolicyFactory

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
