"""crm/selectors/enterprises.py: the reads of the 360° page."""

import datetime as dt

import pytest

from crm.choices import MatchStatus
from crm.models import Enterprise
from crm.selectors import enterprises as selectors
from crm.templatetags.list_rows import action_items_table_rows, needs_table_rows
from crm.templatetags.timeline_tags import timeline_entries
from tests.factories import (
    ActionItemFactory,
    ContactFactory,
    EnterpriseFactory,
    NeedFactory,
    PolicyMatchFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def test_section_presence_reads_each_section(regions):
    full, empty = EnterpriseFactory(), EnterpriseFactory()
    ContactFactory(enterprise=full)
    PolicyMatchFactory(enterprise=full, status=MatchStatus.PUSHED)
    PolicyMatchFactory(enterprise=empty, status=MatchStatus.SUGGESTED)  # not told yet: not in the section
    rows = {e.pk: e for e in selectors.with_section_presence(Enterprise.objects.filter(pk__in=[full.pk, empty.pk]))}
    assert rows[full.pk].has_contacts is True and rows[full.pk].has_policy_matches is True
    assert rows[full.pk].has_projects is False
    assert all(getattr(rows[empty.pk], f"has_{name}") is False for name in selectors.SECTION_ROWS)
    assert selectors.section_absent(rows[empty.pk], "contacts")
    assert not selectors.section_absent(rows[full.pk], "contacts")


def test_section_presence_is_compiled_once(regions, monkeypatch):
    """The seven EXISTS subqueries are built and compiled by the ORM once, not on every 360° page."""
    enterprise = EnterpriseFactory()
    list(selectors.with_section_presence(Enterprise.objects.filter(pk=enterprise.pk)))
    built = []
    monkeypatch.setattr(selectors, "Exists", lambda *args, **kwargs: built.append(args) or pytest.fail("rebuilt"))
    (row,) = selectors.with_section_presence(Enterprise.objects.filter(pk=enterprise.pk))
    assert built == [] and row.has_contacts is False


def test_section_presence_through_the_scope(county_officer, county_enterprise, enterprise):
    """The EXISTS refer to the enterprise table of the scoped query (the scope's own joins and subqueries aside)."""
    ContactFactory(enterprise=county_enterprise)
    scoped = selectors.with_section_presence(Enterprise.objects.visible_to(county_officer))
    assert [(e.pk, e.has_contacts) for e in scoped.filter(pk__in=[county_enterprise.pk, enterprise.pk])] == [
        (county_enterprise.pk, True)
    ]


def test_engagement_reads_only_what_the_page_shows(officer, enterprise, city_bureau, django_assert_num_queries):
    """The timeline's visits and needs come without their long texts and time stamps, and the page's timeline,
    needs table and escalation badges need nothing more from the database."""
    VisitFactory(enterprise=enterprise, lead=officer, q_needs="<script>x</script>", party_notes="长" * 500)
    NeedFactory(enterprise=enterprise, bureau=city_bureau, description="长" * 500, due_on=dt.date(2026, 1, 5))
    engagement = selectors.enterprise_engagement(user=officer, enterprise=enterprise)
    (visit,) = [entry["object"] for entry in engagement.timeline if entry["kind"] == "visit"]
    assert {"party_notes", "updated_at"} <= visit.get_deferred_fields()
    assert {"password", "last_login"} <= visit.lead.get_deferred_fields()
    assert {"description", "resolution"} <= engagement.needs.rows[0].get_deferred_fields()
    with django_assert_num_queries(0):
        html = timeline_entries(engagement.timeline) + needs_table_rows(engagement.needs.rows)
    assert "&lt;script&gt;x" in html and str(officer) in html


def test_action_items_read_only_what_the_table_shows(officer, enterprise, django_assert_num_queries):
    ActionItemFactory(enterprise=enterprise, owner=officer, result="长" * 500, title="<b>对接</b>")
    rows = selectors.enterprise_action_items(user=officer, enterprise=enterprise)
    assert rows.count == 1 and {"result", "need_id"} <= rows.rows[0].get_deferred_fields()
    assert "password" in rows.rows[0].owner.get_deferred_fields()
    with django_assert_num_queries(0):
        html = action_items_table_rows(rows.rows)
    assert "&lt;b&gt;对接" in html and str(officer) in html
