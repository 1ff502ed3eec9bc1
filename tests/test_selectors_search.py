"""Global search selector (DESIGN §8.3): every kind, AND-ed words, one- and two-character words, credit codes
with spaces, mobiles, exact codes, scope, odd input, bounded queries — and the index (migration 0015) staying
right after every write path: services, ``save``, ``QuerySet.update``, ``bulk_create``, ``bulk_update``,
``delete``, spreadsheet imports and ``seed_scale``. The same tests run on PostgreSQL (pg_trgm, no index table)."""

import io
import types

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ActionItem, Contact, Enterprise, Need, Project, Visit
from crm.querysets import enterprise_search_q
from crm.selectors.search import (
    KIND_KEYS,
    KINDS,
    _rare_on_postgresql,
    _short_grams,
    common_grams_forget,
    enterprise_text_filter,
    fts_expression,
    search,
    search_exact,
    search_items,
    search_words,
)
from crm.services.enterprises import contact_update, enterprise_update
from tests.factories import (
    ActionItemFactory,
    ActivityFactory,
    ContactFactory,
    EnterpriseFactory,
    NeedFactory,
    PolicyFactory,
    ProjectFactory,
    VisitFactory,
    credit_code,
)
from tests.sheets_helpers import make_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions, city_bureau, enterprise, county_enterprise):
    """One record of every kind in the city (320812), named as the demo data names them."""
    chengyuan = EnterpriseFactory(
        name="淮安澄源新材料科技有限公司",
        credit_code=credit_code(11, "320812"),
        region=regions["320812"],
        legal_representative="赵德明",
    )
    need = NeedFactory(enterprise=chengyuan, title="申请苏科贷融资2000万元", bureau=city_bureau)
    return types.SimpleNamespace(
        enterprise=chengyuan,
        contact=ContactFactory(enterprise=chengyuan, name="沈立新", mobile="13851710001"),
        project=ProjectFactory(name="澄源碳纤维预浸料扩建项目", region=regions["320812"], enterprise=chengyuan),
        visit=VisitFactory(enterprise=chengyuan, interviewee="顾晓梅"),
        need=need,
        action_item=ActionItemFactory(need=need, title="对接合作银行办理苏科贷授信"),
        activity=ActivityFactory(title="高新技术企业政策宣讲会", bureau=city_bureau),
        policy=PolicyFactory(title="苏科贷科技型中小企业贷款", doc_number="苏科技规〔2023〕5号"),
        county=county_enterprise,
    )


def hits(user, query, kind=None):
    found = search(user=user, query=query)
    if kind:
        return found[kind]
    return {key: rows for key, rows in found.items() if rows}


def test_the_groups_are_those_of_the_design():
    assert KIND_KEYS == (
        "enterprises",
        "contacts",
        "projects",
        "visits",
        "needs",
        "action_items",
        "activities",
        "policies",
    )


@pytest.mark.parametrize(
    ("kind", "attribute", "words"),
    [
        ("enterprises", "enterprise", ["澄源新材料", "新材料科技", "赵德明"]),
        ("contacts", "contact", ["沈立新", "13851710001", "1385171"]),
        ("projects", "project", ["预浸料", "碳纤维预浸料扩建"]),
        ("visits", "visit", ["顾晓梅"]),
        ("needs", "need", ["苏科贷融资", "2000万元"]),
        ("action_items", "action_item", ["办理苏科贷授信"]),
        ("activities", "activity", ["政策宣讲"]),
        ("policies", "policy", ["科技型中小企业贷款", "苏科技规", "〔2023〕5号"]),
    ],
)
def test_each_kind_is_found_by_its_names_and_numbers(manager, world, kind, attribute, words):
    record = getattr(world, attribute)
    for word in words:
        assert record in hits(manager, word, kind), word


@pytest.mark.parametrize(
    ("kind", "attribute"),
    [("visits", "visit"), ("needs", "need"), ("action_items", "action_item"), ("activities", "activity")],
)
def test_each_kind_with_a_code_is_found_by_the_code_whole_in_part_and_lowercase(manager, world, kind, attribute):
    record = getattr(world, attribute)
    assert record.code[:2] in ("ZF", "SQ", "XD", "HD")
    for word in (record.code, record.code.lower(), record.code[-6:]):
        assert record in hits(manager, word, kind), word


def test_a_policy_is_found_by_its_short_name(manager, world):
    found = hits(manager, "苏科贷")
    assert found["policies"] == [world.policy]
    assert found["needs"] == [world.need]
    assert found["action_items"] == [world.action_item]


def test_several_words_must_all_match_in_any_field(manager, world):
    assert hits(manager, "澄源 新材料", "enterprises") == [world.enterprise]
    assert hits(manager, "新材料 赵德明", "enterprises") == [world.enterprise]  # name and legal representative
    assert hits(manager, "澄源　新材料", "enterprises") == [world.enterprise]  # a full-width space
    assert hits(manager, "澄源 食品", "enterprises") == []
    assert hits(manager, "苏科贷 授信") == {"action_items": [world.action_item]}


def test_one_and_two_chinese_characters_work(manager, world):
    assert world.enterprise in hits(manager, "澄", "enterprises")
    assert world.project in hits(manager, "澄", "projects")
    assert hits(manager, "澄源", "enterprises") == [world.enterprise]
    assert hits(manager, "贷", "policies") == [world.policy]
    assert hits(manager, "沈", "contacts") == [world.contact]
    assert hits(manager, "源新", "enterprises") == [world.enterprise]  # a pair inside a word
    assert hits(manager, "司", "enterprises") == sorted(Enterprise.objects.all(), key=lambda e: -e.pk)  # the last
    assert hits(manager, "叒") == {}
    assert hits(manager, "澄 料", "enterprises") == [world.enterprise]  # two one-character words


def test_credit_code_whole_in_part_with_spaces_and_lowercase(manager, world):
    code = world.enterprise.credit_code
    grouped = " ".join(code[i : i + 4] for i in range(0, 18, 4))
    for query in (code, code.lower(), grouped, grouped.lower(), code[-8:], code[-8:-4] + " " + code[-4:]):
        assert hits(manager, query, "enterprises") == [world.enterprise], query


def test_a_mobile_typed_in_groups_is_one_word(manager, world):
    assert search_words("138 5171 0001") == ["13851710001"]
    assert hits(manager, "138 5171 0001", "contacts") == [world.contact]
    assert search_words("澄源 新材料") == ["澄源", "新材料"]
    assert search_words("  澄源  澄源 ") == ["澄源"]


def test_exact_codes_and_credit_codes_name_one_record(manager, county_officer, world):
    for record in (world.visit, world.need, world.action_item, world.activity):
        assert search_exact(user=manager, query=record.code) == record
        assert search_exact(user=manager, query=f" {record.code.lower()} ") == record
    code = world.enterprise.credit_code
    assert search_exact(user=manager, query=code) == world.enterprise
    assert search_exact(user=manager, query=f"{code[:6]} {code[6:12]} {code[12:].lower()}") == world.enterprise
    assert search_exact(user=manager, query=world.need.code[:-1]) is None  # part of a code: the results page
    assert search_exact(user=manager, query="澄源") is None
    assert search_exact(user=manager, query="SQ-2099-9999") is None
    assert search_exact(user=county_officer, query=world.need.code) is None  # out of scope: no jump, no leak
    assert search_exact(user=county_officer, query=code) is None
    assert search_exact(user=county_officer, query=world.county.credit_code) == world.county


def test_a_county_officer_finds_nothing_of_the_city(county_officer, world):
    for query in (
        "澄源",
        "澄",
        "新材料",
        "苏科贷 授信",
        "沈立新",
        "1385171",
        "顾晓梅",
        "预浸料",
        "政策宣讲",
        world.enterprise.credit_code,
        world.need.code,
        world.visit.code,
        world.action_item.code,
    ):
        found = hits(county_officer, query)
        assert set(found) <= {"policies"}, (query, found)  # the policy library is shared by every bureau
    assert hits(county_officer, "苏科贷") == {"policies": [world.policy]}
    assert hits(county_officer, "金湖", "enterprises") == [world.county]
    assert hits(county_officer, "示", "enterprises") == [world.county]
    assert hits(county_officer, "有限公司", "enterprises") == [world.county]


def test_a_county_officer_gets_hits_beyond_the_newest_candidates(county_officer, regions, world, monkeypatch):
    """The newest matches are city enterprises; the county's older one is still found (the second pass)."""
    monkeypatch.setattr("crm.selectors.search.CANDIDATES", 3)
    for n in range(5):
        EnterpriseFactory(name=f"金湖路{n}号城区企业", region=regions["320812"])
    assert search(user=county_officer, query="金湖", limit=2)["enterprises"] == [world.county]


@pytest.mark.parametrize(
    "query",
    ["", "   ", "%", "_", '"', '""', "~", "~~", "*", "a\x00b", "x" * 500, "AND", "OR NOT", "(", "body:澄", "澄 -"],
)
def test_odd_input_answers_without_error(manager, world, query):
    found = search(user=manager, query=query)
    assert set(found) == set(KIND_KEYS)


def test_fts_expression_quotes_every_word():
    assert fts_expression(["澄"]) == 'grams:"澄~~"'
    assert fts_expression(["澄源"]) == 'grams:"澄源~"'
    assert fts_expression(["新材料", 'a"b']) == 'body:"新材料" AND body:"a""b"'
    assert fts_expression(["~"]) is None


def test_items_carry_id_code_title_and_url(manager, world):
    items = search_items(user=manager, query="澄源")
    assert items["enterprises"] == [
        {
            "id": world.enterprise.pk,
            "code": None,
            "title": world.enterprise.name,
            "url": f"/enterprises/{world.enterprise.pk}/",
        }
    ]
    visit = search_items(user=manager, query=world.visit.code)["visits"][0]
    assert visit["code"] == world.visit.code and visit["url"] == f"/visits/{world.visit.pk}/"
    assert world.enterprise.name in visit["title"]
    action = search_items(user=manager, query=world.action_item.code)["action_items"][0]
    assert action["url"] == f"/needs/{world.need.pk}/"
    contact = search_items(user=manager, query="沈立新")["contacts"][0]
    assert contact["url"] == f"/enterprises/{world.enterprise.pk}/#contacts"


def test_results_are_newest_first_and_limited(manager, regions):
    rows = [EnterpriseFactory(name=f"淮安批量{n:02d}科技有限公司", region=regions["320812"]) for n in range(8)]
    assert search(user=manager, query="批量", limit=3)["enterprises"] == rows[::-1][:3]


def test_queries_do_not_grow_with_the_hits(manager, county_officer, regions, world, django_assert_max_num_queries):
    for n in range(30):
        need = NeedFactory(enterprise=world.enterprise, title=f"批量诉求{n}")
        ActionItemFactory(need=need, title=f"批量行动{n}")
        ContactFactory(enterprise=world.enterprise, name=f"批量{n}")
        VisitFactory(enterprise=world.enterprise, interviewee=f"批量{n}")
    for user in (manager, county_officer):
        with django_assert_max_num_queries(2 * len(KIND_KEYS) + 1):
            found = search_items(user=user, query="批量", limit=20)
    assert len(found["needs"]) == 0  # the county officer's answer
    with django_assert_max_num_queries(len(KIND_KEYS) + 1):
        found = search_items(user=manager, query="批量", limit=20)
    assert len(found["needs"]) == len(found["contacts"]) == len(found["visits"]) == 20


# ------------------------------------------------------------------- the index after every write path


def test_index_follows_services_save_update_and_delete(manager, world):
    enterprise_update(user=manager, enterprise=world.enterprise, data={"name": "淮安澄澈光学有限公司"})
    assert hits(manager, "澄源", "enterprises") == []
    assert hits(manager, "澄澈光学", "enterprises") == [world.enterprise]
    assert hits(manager, "澈", "enterprises") == [world.enterprise]
    contact_update(user=manager, contact=world.contact, data={"mobile": "13900001111"})
    assert hits(manager, "1385171", "contacts") == []
    assert hits(manager, "139 0000 1111", "contacts") == [world.contact]
    world.need.title = "高企认定辅导"
    world.need.save()
    assert hits(manager, "苏科贷", "needs") == []
    assert hits(manager, "高企", "needs") == [world.need]
    Project.objects.filter(pk=world.project.pk).update(name="洪泽储能产业园")
    assert hits(manager, "预浸料", "projects") == []
    assert hits(manager, "储能", "projects") == [world.project]
    world.need.status = "accepted"  # a field the index does not hold: no change to it
    world.need.save(update_fields=["status"])
    assert hits(manager, "高企", "needs") == [world.need]
    world.action_item.delete()
    assert hits(manager, "授信", "action_items") == []
    Contact.objects.filter(pk=world.contact.pk).delete()
    assert hits(manager, "沈立新") == {}


def test_index_follows_bulk_create_and_bulk_update(manager, regions, world):
    created = Enterprise.objects.bulk_create(
        [
            Enterprise(name="淮安昱衡精工有限公司", credit_code=credit_code(21, "320812"), region=regions["320812"]),
            Enterprise(name="淮安昱衡电子有限公司", credit_code=credit_code(22, "320812"), region=regions["320812"]),
        ]
    )
    assert {e.name for e in hits(manager, "昱衡", "enterprises")} == {e.name for e in created}
    needs = list(Need.objects.filter(pk=world.need.pk))
    needs[0].title = "昱衡用电增容协调"
    Need.objects.bulk_update(needs, ["title"])
    assert hits(manager, "增容", "needs") == [world.need]
    assert hits(manager, "苏科贷", "needs") == []
    ActionItem.objects.filter(pk=world.action_item.pk).update(title="昱衡技术对接")
    assert hits(manager, "昱衡 对接", "action_items") == [world.action_item]


@pytest.mark.usefixtures("english_default")
def test_index_follows_a_spreadsheet_import_create_and_update(manager, tmp_path, regions):
    headers = ["企业名称", "统一社会信用代码", "所属区县"]
    path = tmp_path / "enterprises.xlsx"
    path.write_bytes(make_xlsx(headers, [["淮安钤沐科技有限公司", credit_code(31), "清江浦区"]]))
    call_command("import_sheet", "enterprises", str(path), stdout=io.StringIO())
    assert [e.name for e in hits(manager, "钤沐", "enterprises")] == ["淮安钤沐科技有限公司"]
    path.write_bytes(make_xlsx(headers, [["淮安钤沐智能装备有限公司", credit_code(31), "清江浦区"]]))
    call_command("import_sheet", "enterprises", str(path), stdout=io.StringIO())
    assert [e.name for e in hits(manager, "钤沐 智能", "enterprises")] == ["淮安钤沐智能装备有限公司"]
    assert hits(manager, "钤沐科技", "enterprises") == []


def test_index_follows_seed_scale(manager):
    call_command("seed_scale", "--scale", "0.001", "--seed", "3", "--no-analyze", stdout=io.StringIO())
    for model, kind in ((Enterprise, "enterprises"), (Need, "needs"), (ActionItem, "action_items")):
        record = model.objects.order_by("-pk").first()
        text = getattr(record, "name", None) or record.title
        assert record in hits(manager, text, kind)
        assert record in hits(manager, text[:2], kind)  # the newest comes first
    need = Need.objects.order_by("pk").first()
    assert search_exact(user=manager, query=need.code) == need


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")
def test_the_index_holds_one_row_per_record(world):
    with connection.cursor() as cursor:
        for table, model in (("crm_search_enterprise", Enterprise), ("crm_search_need", Need)):
            cursor.execute(f"SELECT count(*) FROM {table}_docsize")  # noqa: S608
            assert cursor.fetchone()[0] == model.objects.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021's generated grams are PostgreSQL's")
def test_postgresql_short_words_use_the_generated_grams_kept_on_insert_and_update(manager, regions, world):
    created = Enterprise.objects.create(
        name="淮安琰璟光电有限公司", credit_code=credit_code(41, "320812"), region=regions["320812"]
    )
    with connection.cursor() as cursor:  # raw SQL, past Django: the database keeps the grams itself
        cursor.execute("UPDATE crm_need SET title = %s WHERE id = %s", ["琰璟光电扩产用地", world.need.pk])
        cursor.execute("UPDATE crm_contact SET email = %s WHERE id = %s", ["Shen.LX@chengyuan.cn", world.contact.pk])
        cursor.execute("SELECT search_grams FROM crm_need WHERE id = %s", [world.need.pk])
        assert {"琰", "琰璟", "璟光"} <= set(cursor.fetchone()[0])
    assert hits(manager, "琰璟") == {"enterprises": [created], "needs": [world.need]}
    assert hits(manager, "璟 光", "enterprises") == [created]  # two one-character words
    assert hits(manager, "苏科") == {"action_items": [world.action_item], "policies": [world.policy]}  # old title
    assert hits(manager, "lx", "contacts") == [world.contact]  # case-insensitive, any searched field
    assert hits(manager, "x@", "contacts") == [world.contact]
    assert hits(manager, "新1", "contacts") == []  # no pair across two fields (沈立新, 13851710001)
    with CaptureQueriesContext(connection) as queries:
        hits(manager, "琰璟")
    assert all("search_grams" in q["sql"] and "LIKE" not in q["sql"] for q in queries.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        query = Enterprise.objects.filter(_short_grams(KINDS[0], ["琰璟"])).order_by("-pk")[:50]
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on crm_enterprise_search_grams" in plan
    # The plan follows the statistics: a word among the common grams keeps the walk down the primary key, a rare
    # one is sorted (``id + 0``) so that the GIN index serves it; the same records, newest first, either way.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_enterprise")
    common_grams_forget()  # read again at most every COMMON_GRAMS_FOR seconds
    assert _rare_on_postgresql(KINDS[:1], ["司"]) == set()
    assert _rare_on_postgresql(KINDS[:1], ["叒", "司"]) == {"enterprises"}  # not in the table: "rare"
    newest_first = sorted(Enterprise.objects.all(), key=lambda e: -e.pk)
    assert hits(manager, "司", "enterprises") == newest_first
    assert hits(manager, "有 司", "enterprises") == newest_first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021's generated grams are PostgreSQL's")
def test_postgresql_enterprise_list_q_of_one_or_two_characters_goes_through_the_grams(world):
    def found(text):
        with CaptureQueriesContext(connection) as queries:
            rows = set(enterprise_text_filter(Enterprise.objects.all(), text))
        assert "search_grams" in queries.captured_queries[0]["sql"]
        return rows

    code = world.enterprise.credit_code
    assert found("沈") == {world.enterprise}  # a contact's name
    assert found("德明") == {world.enterprise}  # the legal representative
    assert found(code[-2:].lower()) == {e for e in Enterprise.objects.all() if code[-2:] in e.credit_code}
    assert found("澄源") == {world.enterprise}
    assert found("叒") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021's generated grams are PostgreSQL's")
def test_postgresql_short_enterprise_q_filters_the_rows_in_place_and_stays_right_as_a_subquery(world):
    other = EnterpriseFactory(name="淮安澄江机械有限公司")
    ContactFactory(enterprise=other, name="沈琰")
    for text in ("沈", "澄", "澄源", "德明", "叒"):
        rows = enterprise_text_filter(Enterprise.objects.all(), text)
        wanted = Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact))
        assert set(rows) == set(wanted), text
        sql = str(rows.query)
        # the candidates are a condition on the row itself (contacts as one array), not ``id IN (… UNION …)``,
        # which made PostgreSQL fetch every candidate again by primary key to sort and count it
        assert "ARRAY(SELECT enterprise_id FROM crm_contact" in sql and "UNION" not in sql
        # as a subquery the enterprise table is ``U0``/``V0``: the grams are read from that alias
        visits = Visit.objects.filter(enterprise__in=rows)
        assert set(visits) == set(Visit.objects.filter(enterprise__in=wanted)), text
    assert {world.enterprise.pk, other.pk} <= {e.pk for e in enterprise_text_filter(Enterprise.objects.all(), "沈")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021's generated grams are PostgreSQL's")
def test_postgresql_enterprise_q_of_chinese_characters_is_the_grams_alone_with_the_same_rows(world):
    # What the grams hold beside the fields ``enterprise_search_q`` reads: a contact's mobile and e-mail, pairs
    # across two fields (none: joined by a space), upper-cased letters.
    other = EnterpriseFactory(name="淮安华新纤维有限公司", legal_representative="钱华")
    ContactFactory(enterprise=other, name="孙新", email="sun@华新.cn")
    by_email = EnterpriseFactory(name="淮安恒通机械有限公司")
    ContactFactory(enterprise=by_email, name="周立", email="zhou@澄源.cn", mobile="13851710002")
    for text in ("华新", "华", "新", "钱华", "孙新", "澄源", "澄", "德明", "沈", "立新", "叒", "华钱", "司淮"):
        rows = enterprise_text_filter(Enterprise.objects.all(), text)
        sql = str(rows.query)
        # no LIKE on every candidate's name, credit code and legal representative: the grams give the rows
        assert "search_grams" in sql and 'UPPER("crm_enterprise"."name"' not in sql, text
        wanted = Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact))
        assert set(rows) == set(wanted), text
        assert rows.count() == wanted.count(), text
        visits = Visit.objects.filter(enterprise__in=rows)  # as a subquery (``U0``)
        assert set(visits) == set(Visit.objects.filter(enterprise__in=wanted)), text
    assert set(enterprise_text_filter(Enterprise.objects.all(), "澄源")) == {world.enterprise}  # not by e-mail
    # other texts keep the LIKE after the grams: a credit code is matched case-sensitively, letters upper-cased
    for text in ("ab", "9", "澄a"):
        assert 'UPPER("crm_enterprise"."name"' in str(enterprise_text_filter(Enterprise.objects.all(), text).query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021's generated grams are PostgreSQL's")
def test_postgresql_enterprise_q_of_a_rare_short_text_gives_its_rows_by_key(world, monkeypatch):
    # A text ANALYZE does not count among the common grams comes as keys (no walk down the name index for a small
    # page expecting matches that are not there); a common one keeps the condition on the row.
    other = EnterpriseFactory(name="淮安华新纤维有限公司")
    ContactFactory(enterprise=EnterpriseFactory(name="淮安长江物流有限公司"), name="孙叒")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_enterprise")
    common_grams_forget()
    by_key = "= ANY(ARRAY(SELECT id FROM crm_enterprise WHERE search_grams &&"
    code = world.enterprise.credit_code[-2:].lower()
    # in so small a table every gram a row holds is common; 叒 is a contact's alone, 叕 nobody's
    cases = [("司", True), ("华新", True), ("澄源", True), ("叒", False), ("叕", False)]
    for text, common in cases:
        assert (by_key not in str(enterprise_text_filter(Enterprise.objects.all(), text).query)) is common, text
    # every text as a rare one: the same rows, in order, counted, and as a subquery (``U0``)
    monkeypatch.setattr("crm.selectors.search._common_grams", lambda tables: {table: frozenset() for table in tables})
    for text in ("司", "华新", "澄源", "德明", "沈", "叒", "叕", code):
        rows = enterprise_text_filter(Enterprise.objects.order_by("name", "id"), text)
        assert by_key in str(rows.query), text
        wanted = Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact)).order_by("name", "id")
        assert list(rows) == list(wanted) and list(rows[:1]) == list(wanted[:1]), text
        assert rows.count() == wanted.count(), text
        visits = Visit.objects.filter(enterprise__in=rows)
        assert set(visits) == set(Visit.objects.filter(enterprise__in=wanted)), text
    assert list(enterprise_text_filter(Enterprise.objects.all(), "华新")) == [other]
    assert len(enterprise_text_filter(Enterprise.objects.all(), "叒")) == 1  # by its contact 孙叒


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index of migration 0016 is SQLite's")
def test_sqlite_enterprise_q_of_chinese_characters_comes_from_the_index_with_the_same_rows(world):
    # The grams drop "~" (migration 0016): 华~新 holds the pair 华新 there, not in its name; such rows are checked.
    EnterpriseFactory(name="淮安华~新纤维有限公司")  # not 华新
    EnterpriseFactory(name="淮安恒~通有限公司", legal_representative="钱华新")  # 华新, by its legal representative
    EnterpriseFactory(name="淮安华新纤维有限公司", legal_representative="钱~华")  # 华新; not 钱华
    ContactFactory(enterprise=EnterpriseFactory(name="淮安顺达机械有限公司"), name="孙~新")  # not 孙新
    ContactFactory(enterprise=EnterpriseFactory(name="淮安孙新机械有限公司"), name="孙~新")  # 孙新, by its name
    ContactFactory(enterprise=EnterpriseFactory(name="淮安长江物流有限公司"), name="孙新")  # 孙新, by a contact
    for text in ("华新", "华", "新", "钱华", "孙新", "孙", "澄源", "德明", "沈", "立新", "叒", "~"):
        rows = enterprise_text_filter(Enterprise.objects.all(), text)
        wanted = Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact))
        assert set(rows) == set(wanted), text
        assert rows.count() == wanted.count(), text
        visits = Visit.objects.filter(enterprise__in=rows)  # as a subquery
        assert set(visits) == set(Visit.objects.filter(enterprise__in=wanted)), text
    rows = enterprise_text_filter(Enterprise.objects.all(), "华新")
    sql, params = rows.query.sql_with_params()
    # no LIKE on every candidate's fields nor a contacts' EXISTS per row: the index's rows, the few "~" rows checked
    assert '"crm_enterprise"."name" LIKE' not in sql and "EXISTS" not in sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    assert plan.count("SCAN crm_enterprise USING INDEX crm_ent_tilde_idx") == 2, plan
    # texts that could be part of a credit code, or of Latin letters, keep the LIKE of enterprise_search_q
    for text in ("ab", "9", "澄a", "新材料"):
        assert '"crm_enterprise"."name" LIKE' in str(enterprise_text_filter(Enterprise.objects.all(), text).query)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index of migration 0016 is SQLite's")
def test_sqlite_enterprise_q_of_a_common_text_walks_the_name_index_for_a_page_in_name_order(world, monkeypatch):
    monkeypatch.setattr("crm.selectors.search.WALK_FROM", 3)
    for i in range(4):
        EnterpriseFactory(name=f"淮安华新{i}号纤维有限公司")
    walked = '+"crm_enterprise"."id" IN'

    def plan(rows):
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return sql, [row[-1] for row in cursor.fetchall()]

    for text in ("华新", "号纤维"):
        wanted = Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact))
        assert wanted.count() == 4
        for ordering in (("name", "id"), ("-name", "-pk"), ()):
            rows = enterprise_text_filter(
                Enterprise.objects.order_by(*ordering) if ordering else Enterprise.objects.all(), text
            )
            sql, steps = plan(rows)
            # the page comes from the name index in its order, each entry looked up in the index's keys
            assert walked in sql and "USE TEMP B-TREE FOR ORDER BY" not in steps, (text, ordering, steps)
            assert any("crm_ent_name_idx" in step for step in steps), steps
            assert list(rows) == list(wanted.order_by(*(ordering or ("name", "id")))), (text, ordering)
        # a count, or another order, reads the matches from their keys
        counted = enterprise_text_filter(Enterprise.objects.all(), text).order_by()
        assert walked not in str(counted.query) and counted.count() == 4
        by_staff = enterprise_text_filter(Enterprise.objects.order_by("-employees", "-id"), text)
        assert walked not in str(by_staff.query) and list(by_staff) == list(wanted.order_by("-employees", "-id"))
    assert walked not in str(enterprise_text_filter(Enterprise.objects.all(), "澄源").query)  # 1 match: by key
    monkeypatch.setattr("crm.selectors.search.WALK_FROM", 5)
    assert walked not in str(enterprise_text_filter(Enterprise.objects.all(), "华新").query)  # 4: by key still


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stats is PostgreSQL's")
def test_postgresql_common_grams_are_read_once_in_a_while(world, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_enterprise")
    with CaptureQueriesContext(connection) as queries:
        assert _rare_on_postgresql(KINDS[:1], ["司"]) == set()
        assert _rare_on_postgresql(KINDS[:1], ["叕"]) == {"enterprises"}
    assert len(queries.captured_queries) == 1
    common_grams_forget()
    monkeypatch.setattr("crm.selectors.search.COMMON_GRAMS_FOR", 0.0)
    with CaptureQueriesContext(connection) as queries:
        _rare_on_postgresql(KINDS[:1], ["司"])
        _rare_on_postgresql(KINDS[:1], ["司"])
    assert len(queries.captured_queries) == 2  # past its time: read again
