"""Enterprise pages: list (filters, sorting, pagination, scope, query count), 360° page, forms, contacts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.choices import MatchStatus
from crm.models import Contact, Enterprise, EnterpriseQualification, Need, Visit
from crm.validators import credit_code_check_char
from tests.factories import (
    ActionItemFactory,
    CommissionerAssignmentFactory,
    ContactFactory,
    EnterpriseQualificationFactory,
    EnterpriseYearFactory,
    NeedFactory,
    PolicyMatchFactory,
    ProjectFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db


def make_enterprises(n, region, *, start=100, **extra):
    return Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"批量企业{i:03d}", credit_code=credit_code(start + i, region.code), region=region, **extra)
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("role", ["officer", "manager", "leader", "admin_user", "county_officer"])
def test_list_renders_for_each_role(client, request, role, enterprise, county_enterprise):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("crm:enterprise-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert county_enterprise.name in html
    assert (enterprise.name in html) is (role != "county_officer")  # scoped


def test_list_filters_by_region_linked_and_q(client, officer, enterprise, county_enterprise, regions):
    make_enterprises(3, regions["320812"], is_linked=False)
    client.force_login(officer)
    url = reverse("crm:enterprise-list")
    assert client.get(url).context["total_count"] == 5
    assert client.get(url, {"region": "320831"}).context["total_count"] == 1
    response = client.get(url, {"region": "320812", "is_linked": "true"})
    assert [e.name for e in response.context["object_list"]] == [enterprise.name]
    assert 'data-count="1"' in response.content.decode()
    assert client.get(url, {"q": "清源"}).context["total_count"] == 1
    assert client.get(url, {"q": "批量"}).context["total_count"] == 3


def test_list_invalid_filter_is_shown_not_500(client, officer, enterprise):
    client.force_login(officer)
    response = client.get(reverse("crm:enterprise-list"), {"region": "999999", "page": "abc", "page_size": "x"})
    assert response.status_code == 200
    assert response.context["filter_form"].errors


def test_list_sorting_and_page_size(client, manager, regions):
    make_enterprises(30, regions["320812"])
    client.force_login(manager)
    url = reverse("crm:enterprise-list")
    response = client.get(url, {"ordering": "-name", "page_size": "50"})
    names = [e.name for e in response.context["object_list"]]
    assert len(names) == 30
    assert names == sorted(names, reverse=True)
    response = client.get(url, {"page_size": "20", "page": "2"})
    assert len(response.context["object_list"]) == 10
    assert 'aria-sort="none"' in response.content.decode()


def test_list_query_count_does_not_grow_with_page_size(
    client, manager, regions, officer, django_assert_max_num_queries
):
    enterprises = make_enterprises(60, regions["320812"], is_linked=True)
    for e in enterprises:
        e.liaison_officers.add(officer)
    client.force_login(manager)
    url = reverse("crm:enterprise-list")
    client.get(url)  # warm up session/user caches
    with django_assert_max_num_queries(15) as small:
        assert len(client.get(url, {"page_size": 1}).context["object_list"]) == 1
    with django_assert_max_num_queries(len(small.captured_queries)) as big:
        assert len(client.get(url, {"page_size": 50}).context["object_list"]) == 50
    assert len(big.captured_queries) == len(small.captured_queries)


def test_list_rows_read_only_what_the_row_shows(client, manager, officer, enterprise):
    officer.name = "李联络"
    officer.save()
    enterprise.liaison_officers.add(officer, manager)
    enterprise.liaison_leader = manager
    enterprise.save()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("crm:enterprise-list")).content.decode()
    assert "\n            manager、李联络\n" in html  # ordered by username, as prefetch_related orders them
    statements = [query["sql"] for query in ctx.captured_queries]
    # The row's columns only (EnterpriseListView.page_rows), and no user built whole (its password, its dates) for
    # a name: the liaison leader is not shown, the officers come from people_prefetch.
    assert not [sql for sql in statements if '"crm_enterprise"."address"' in sql]
    assert not [sql for sql in statements if '"crm_user"."password"' in sql and "crm_enterprise" in sql]


def test_list_rows_statement_is_compiled_once(client, manager, regions, compiled_sql):
    """The page's rows by key, as the list reshapes them (``page_rows``), through the statement prepared on the first
    page (crm/paginator.py ``PreparedRowsPaginator``): no later page compiles it (fails when each one does)."""
    make_enterprises(30, regions["320812"], is_linked=True)
    client.force_login(manager)
    url = reverse("crm:enterprise-list")
    client.get(url, {"is_linked": "true", "page_size": 10})
    with compiled_sql() as compiled:
        assert len(client.get(url, {"is_linked": "true", "page_size": 10, "page": 2}).context["object_list"]) == 10
    assert compiled  # the count, the keys
    assert not [sql for sql in compiled if 'WHERE "crm_enterprise"."id" IN' in sql]


def test_detail_shows_360_sections(client, officer, enterprise, qualifications, city_bureau):
    today = timezone.localdate()
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=today - dt.timedelta(days=1)
    )
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["tsme"], expires_on=today + dt.timedelta(days=30)
    )
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["srdi"], expires_on=today + dt.timedelta(days=400)
    )
    Contact.objects.create(enterprise=enterprise, name="王经理", mobile="13800000000", is_primary=True)
    Visit.objects.create(enterprise=enterprise, visited_on=today, q_needs="需要研发资金", lead=officer)
    Need.objects.create(enterprise=enterprise, category="funding", title="申请研发补助", bureau=city_bureau)
    enterprise.liaison_officers.add(officer)
    client.force_login(officer)
    response = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for section in [
        "profile",
        "qualifications",
        "contacts",
        "liaison",
        "visits",
        "needs",
        "policy_matches",
        "action_items",
        "suggested_policies",
    ]:
        assert f'class="mb-3 section-{section}"' in html, section
    assert html.count("qual-expired") == 1
    assert html.count("qual-expiring") == 1
    assert "王经理" in html
    assert "需要研发资金" in html
    assert "申请研发补助" in html
    assert reverse("crm:enterprise-update", args=[enterprise.pk]) in html  # officer liaises → may edit


def test_detail_out_of_scope_is_404(client, county_officer, enterprise):
    client.force_login(county_officer)
    assert client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).status_code == 404
    assert client.get(reverse("crm:enterprise-update", args=[enterprise.pk])).status_code == 404
    assert client.get(reverse("crm:contact-create", args=[enterprise.pk])).status_code == 404


def fill_sections(enterprise, *, officer, qualifications, city_bureau):
    """Rows in every section of the enterprise's 360° page (more needs than the section shows); its project and
    needs for the caller's checks."""
    today = timezone.localdate()
    enterprise.liaison_officers.add(officer)
    EnterpriseQualificationFactory(enterprise=enterprise, qualification=qualifications["hnte"])
    ContactFactory.create_batch(3, enterprise=enterprise)
    project = ProjectFactory(enterprise=enterprise, region=enterprise.region, bureau=city_bureau)
    Visit.objects.bulk_create(
        [
            Visit(enterprise=enterprise, visited_on=today, q_needs=f"问需{i}", code=f"ZF-T-{enterprise.pk}-{i}")
            for i in range(15)
        ]
    )
    needs = NeedFactory.create_batch(25, enterprise=enterprise, bureau=city_bureau)
    ActionItemFactory(need=needs[0], enterprise=enterprise, project=project, owner=officer)
    PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.PUSHED)
    EnterpriseYearFactory(enterprise=enterprise, year=today.year - 1, revenue=100)
    CommissionerAssignmentFactory(enterprise=enterprise)
    return project, needs


def test_detail_query_count_is_bounded(
    client, manager, enterprise, officer, qualifications, city_bureau, django_assert_max_num_queries
):
    """DESIGN §9.2: the 360° page in at most 15 queries, with every section holding rows (more needs than the
    section shows, so the needs count is needed too)."""
    project, needs = fill_sections(enterprise, officer=officer, qualifications=qualifications, city_bureau=city_bureau)
    client.force_login(manager)
    url = reverse("crm:enterprise-detail", args=[enterprise.pk])
    client.get(url)  # the first request after signing in writes the session's idle clock (3 more queries)
    # The session, the user (with bureau and department: crm.security.UserBackend), the groups and the
    # navbar's unread count take 4; the timeline and the needs section share one read of the needs.
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["columns"]
    sections = {s["name"]: s for column in response.context["columns"].values() for s in column}
    assert sections["needs"]["needs_count"] == 25 and len(sections["needs"]["needs"]) == 20
    newest_first = sorted(needs, key=lambda n: (n.created_at, n.pk), reverse=True)
    assert sections["needs"]["needs"] == newest_first[:20]
    in_timeline = [e["object"] for e in sections["visits"]["entries"] if e["kind"] == "need"]
    assert in_timeline == newest_first[: len(in_timeline)] and len(in_timeline) > 20
    assert sections["contacts"]["contacts"] and sections["liaison"]["liaison_officers"] == [officer]
    assert sections["qualifications"]["qualifications"] and sections["projects"]["projects"] == [project]
    assert sections["action_items"]["action_items"] and sections["policy_matches"]["policy_matches"]
    assert sections["figures"]["years"] and sections["commissioners"]["assignments"]
    # The policy suggestions come after the page, in their own request, sharing one read of the enterprise's
    # qualifications and open needs between the suggestions and the near misses.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("crm:enterprise-suggestions", args=[enterprise.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["manager", "officer", "leader"])
def test_detail_statements_are_compiled_once(
    client, request, role, enterprise, officer, qualifications, city_bureau, county_enterprise, compiled_sql
):
    """For a user who sees everything, the enterprise, its liaison officers and every section come from statements
    compiled on the first 360° page (``rows_of``): another enterprise's page compiles none (fails when the page
    builds its querysets), and shows that enterprise's rows."""
    fill_sections(enterprise, officer=officer, qualifications=qualifications, city_bureau=city_bureau)
    fill_sections(county_enterprise, officer=officer, qualifications=qualifications, city_bureau=city_bureau)
    client.force_login(request.getfixturevalue(role))
    client.get(reverse("crm:enterprise-detail", args=[county_enterprise.pk]))
    with compiled_sql() as compiled:
        response = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk]))
    assert response.status_code == 200 and compiled == []
    assert response.context["object"] == enterprise
    sections = {s["name"]: s for column in response.context["columns"].values() for s in column}
    assert {need.enterprise_id for need in sections["needs"]["needs"]} == {enterprise.pk}
    assert [c.enterprise_id for c in sections["contacts"]["contacts"]] == [enterprise.pk] * 3
    assert sections["liaison"]["liaison_officers"] == [officer]


def test_detail_skips_the_queries_of_empty_sections(client, manager, enterprise, django_assert_max_num_queries):
    """Whether each often-empty section has rows is read with the enterprise: an enterprise without contacts,
    qualifications, projects, years, commissioners, action items or pushed policies costs none of their queries
    (the session, user, groups, enterprise, its liaison officers, visits, needs and the navbar's count remain)."""
    PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.SUGGESTED)  # not told yet: not in the section
    client.force_login(manager)
    url = reverse("crm:enterprise-detail", args=[enterprise.pk])
    client.get(url)  # the session's idle clock
    with django_assert_max_num_queries(8):
        response = client.get(url)
    sections = {s["name"]: s for column in response.context["columns"].values() for s in column}
    assert sections["contacts"]["contacts"] == [] and sections["qualifications"]["qualifications"] == []
    assert sections["projects"]["projects"] == [] and sections["figures"]["years"] == []
    assert sections["commissioners"]["assignments"] == [] and sections["action_items"]["action_items_count"] == 0
    assert (
        sections["policy_matches"]["policy_matches"] == [] and sections["policy_matches"]["policy_matches_count"] == 0
    )


@pytest.mark.parametrize("liaises", [True, False])
def test_detail_for_an_officer_checks_liaison_once(client, officer, enterprise, liaises, django_assert_max_num_queries):
    """The officer's edit rights (the enterprise and each contact) come from the liaison officers read with the
    enterprise, not from a query per check: the officer's page stays within the 360° page's 15 queries."""
    if liaises:
        enterprise.liaison_officers.add(officer)
    contacts = ContactFactory.create_batch(3, enterprise=enterprise)
    client.force_login(officer)
    url = reverse("crm:enterprise-detail", args=[enterprise.pk])
    client.get(url)  # the session's idle clock
    with django_assert_max_num_queries(15):
        response = client.get(url)
    html = response.content.decode()
    assert response.context["can_edit"] is liaises and ('id="enterprise-edit"' in html) is liaises
    for contact in contacts:
        assert (reverse("crm:contact-update", args=[contact.pk]) in html) is liaises


def test_suggestions_fragment_and_page(client, manager, county_officer, enterprise):
    url = reverse("crm:enterprise-suggestions", args=[enterprise.pk])
    client.force_login(manager)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "bi-lightbulb" in fragment
    page = client.get(url).content.decode()  # the link for browsers without JavaScript: a whole page
    assert "<html" in page and "bi-lightbulb" in page
    client.force_login(county_officer)
    assert client.get(url).status_code == 404


def test_officer_cannot_edit_enterprise_they_do_not_liaise_with(client, officer, enterprise):
    client.force_login(officer)
    url = reverse("crm:enterprise-update", args=[enterprise.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "改名"}).status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.name != "改名"
    html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert url not in html  # no edit button


def test_officer_cannot_create_enterprise(client, officer):
    client.force_login(officer)
    assert client.get(reverse("crm:enterprise-create")).status_code == 403


def form_data(**overrides):
    data = {
        "name": "淮安新创科技有限公司",
        "credit_code": credit_code(77, "320812"),
        "region": "320812",
        "party_organization": "none",
        "status": "operating",
        "quals-TOTAL_FORMS": "0",
        "quals-INITIAL_FORMS": "0",
        "quals-MIN_NUM_FORMS": "0",
        "quals-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_create_with_wrong_credit_code_shows_error_next_to_field(client, manager, regions):
    client.force_login(manager)
    good = credit_code(77, "320812")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(reverse("crm:enterprise-create"), form_data(credit_code=wrong))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_credit_code_error"' in html
    assert credit_code_check_char(good[:17]) in response.context["form"].errors["credit_code"][0]
    assert not Enterprise.objects.filter(name="淮安新创科技有限公司").exists()


def test_create_with_qualifications(client, manager, regions, qualifications, officer):
    client.force_login(manager)
    data = form_data(
        **{
            "credit_code": credit_code(78, "320812").lower(),
            "liaison_officers": [officer.pk],
            "is_linked": "on",
            "quals-TOTAL_FORMS": "1",
            "quals-0-qualification": "hnte",
            "quals-0-certified_on": "2024-01-01",
            "quals-0-expires_on": "2026-12-31",
        }
    )
    response = client.post(reverse("crm:enterprise-create"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    enterprise = Enterprise.objects.get(name="淮安新创科技有限公司")
    assert response["Location"] == reverse("crm:enterprise-detail", args=[enterprise.pk])
    assert enterprise.credit_code == credit_code(78, "320812")  # upper-cased
    assert enterprise.created_by == manager
    assert enterprise.bureau == manager.bureau
    assert list(enterprise.liaison_officers.all()) == [officer]
    assert enterprise.enterprise_qualifications.get().qualification_id == "hnte"


def test_qualification_expiry_before_certification_is_refused(client, manager, regions, qualifications):
    client.force_login(manager)
    data = form_data(
        **{
            "quals-TOTAL_FORMS": "1",
            "quals-0-qualification": "hnte",
            "quals-0-certified_on": "2025-01-01",
            "quals-0-expires_on": "2024-01-01",
        }
    )
    response = client.post(reverse("crm:enterprise-create"), data)
    assert response.status_code == 200
    assert not Enterprise.objects.exists()


def test_county_manager_cannot_file_enterprise_in_another_region(client, county_manager, regions):
    client.force_login(county_manager)
    response = client.post(reverse("crm:enterprise-create"), form_data())  # region 320812, not 金湖县
    assert response.status_code == 200
    assert "region" in response.context["form"].errors


def test_officer_edits_enterprise_they_liaise_with(client, officer, enterprise):
    enterprise.liaison_officers.add(officer)
    client.force_login(officer)
    url = reverse("crm:enterprise-update", args=[enterprise.pk])
    assert client.get(url).status_code == 200
    data = form_data(
        name="淮安清源食品科技股份有限公司", credit_code=enterprise.credit_code, liaison_officers=[officer.pk]
    )
    response = client.post(url, data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name == "淮安清源食品科技股份有限公司"


def test_contact_create_and_edit(client, officer, enterprise):
    client.force_login(officer)
    url = reverse("crm:contact-create", args=[enterprise.pk])
    response = client.post(url, {"name": "李主任", "mobile": "123"})
    assert response.status_code == 200
    assert 'id="id_mobile_error"' in response.content.decode()
    response = client.post(url, {"name": "李主任", "mobile": "13912345678"})
    assert response.status_code == 302
    contact = Contact.objects.get(name="李主任")
    assert contact.enterprise == enterprise and contact.created_by == officer
    response = client.post(reverse("crm:contact-update", args=[contact.pk]), {"name": "李总", "mobile": "13912345678"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "李总"


def test_leader_cannot_add_contact(client, leader, enterprise):
    client.force_login(leader)
    assert client.get(reverse("crm:contact-create", args=[enterprise.pk])).status_code == 403


@pytest.mark.parametrize(("role", "shown"), [("officer", True), ("leader", False)])
def test_log_visit_button_on_360_page_by_role(client, request, enterprise, role, shown):
    client.force_login(request.getfixturevalue(role))
    html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert (f'{reverse("crm:visit-create")}?enterprise={enterprise.pk}"' in html) is shown


@pytest.mark.parametrize("bad_id", ["99999999999999999999", "-99999999999999999999"])
def test_out_of_range_liaison_officer_id_is_a_form_error(client, manager, regions, officer, bad_id):
    client.force_login(manager)
    data = form_data(credit_code=credit_code(79, "320812"), liaison_officers=[officer.pk, bad_id])
    response = client.post(reverse("crm:enterprise-create"), data)
    assert response.status_code == 200
    assert "liaison_officers" in response.context["form"].errors
    assert not Enterprise.objects.filter(name="淮安新创科技有限公司").exists()
