"""``manage.py seed_scale`` (DESIGN §9.1) at a tiny scale: sizes, determinism, codes, statuses, refusal."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crm.choices import NeedStatus, VisitKind
from crm.devdata.demo import demo_seed
from crm.devdata.scale import BULK_LOADED, ScaleSizes, row_maker
from crm.models import (
    ActionItem,
    CodeSequence,
    Cultivation,
    Enterprise,
    EnterpriseQualification,
    Need,
    NeedEvent,
    Policy,
    PolicyMatch,
    Visit,
    code_next,
)
from crm.selectors.needs import answer_workdays_mismatches

pytestmark = pytest.mark.django_db

SCALE = 0.001
SIZES = ScaleSizes().scaled(SCALE)
COUNTED = {
    "enterprises": Enterprise,
    "visits": Visit,
    "needs": Need,
    "events": NeedEvent,
    "policies": Policy,
    "matches": PolicyMatch,
    "action_items": ActionItem,
}


def seed(*extra: str, seed: int = 7) -> str:
    out = StringIO()
    call_command("seed_scale", "--scale", str(SCALE), "--seed", str(seed), "--no-analyze", *extra, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in COUNTED.items()}


def test_scale_multiplies_the_design_sizes():
    assert SIZES == ScaleSizes(
        enterprises=100,
        visits=300,
        needs=200,
        events=1000,
        policies=2,
        matches=200,
        action_items=100,
        enterprise_years=200,
        cultivations=20,
        projects=5,
        commissioners=1,
    )
    assert ScaleSizes().enterprises == 100_000 and ScaleSizes().events == 1_000_000


def test_creates_the_requested_rows_on_top_of_the_demo():
    demo_seed()
    before = counts()
    last_demo_id = Enterprise.objects.order_by("-id").values_list("id", flat=True).first()
    output = seed()
    after = counts()
    assert {name: after[name] - before[name] for name in COUNTED} == {name: getattr(SIZES, name) for name in COUNTED}
    assert "Done in" in output and "no change history" in output
    # Generated rows bypass django-simple-history: their history starts empty.
    generated = Enterprise.objects.order_by("-id").first()
    assert generated.history.count() == 0
    # About a fifth hold qualifications, with certificate dates.
    holders = EnterpriseQualification.objects.filter(enterprise_id__gt=last_demo_id).values("enterprise")
    assert 5 <= len({row["enterprise"] for row in holders}) <= 45
    assert EnterpriseQualification.objects.filter(expires_on__isnull=False).exists()


def test_same_seed_same_data_and_another_seed_other_data():
    def generated(seed_value: int) -> tuple[list, list]:
        with transaction.atomic():
            seed(seed=seed_value)
            codes = list(Enterprise.objects.order_by("id").values_list("credit_code", flat=True))
            needs = list(Need.objects.order_by("id").values_list("title", "status", "urgency"))
            transaction.set_rollback(True)
        return codes, needs

    first, again, other = generated(7), generated(7), generated(8)
    assert first == again
    assert first[0] != other[0]


def test_codes_are_unique_and_every_need_status_occurs():
    seed()
    for model, prefix in ((Visit, "ZF"), (Need, "SQ"), (ActionItem, "XD")):
        codes = list(model.objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes))
        assert all(re.fullmatch(rf"{prefix}-\d{{4}}-\d{{4,}}", code) for code in codes)
    assert set(Need.objects.values_list("status", flat=True)) == set(NeedStatus.values)
    assert answer_workdays_mismatches() == []  # the bulk-inserted needs' stored working days to answer
    # Some open needs are past their deadline; visits spread over about three years.
    assert Need.objects.overdue().exists()
    dates = Visit.objects.order_by("visited_on").values_list("visited_on", flat=True)
    assert (dates.last() - dates.first()).days > 700
    assert dates.last() <= timezone.localdate()
    # The stored region the lists' region filter reads is the enterprise's, for the bulk-inserted visits too.
    assert not Visit.objects.exclude(region=F("enterprise__region")).exists()
    assert not Visit.objects.filter(region__isnull=True).exists()
    # And the one the targets' progress counts per county reads, for the bulk-inserted cultivation cards.
    assert Cultivation.objects.exists()
    assert not Cultivation.objects.exclude(region=F("enterprise__region")).exists()
    assert not Cultivation.objects.filter(region__isnull=True).exists()


def test_normal_creation_afterwards_gets_a_fresh_code():
    seed()
    year = timezone.localdate().year
    taken = set(Visit.objects.values_list("code", flat=True))
    sequence = CodeSequence.objects.get(prefix="ZF", year=year)
    assert sequence.last_value >= sum(1 for code in taken if code.startswith(f"ZF-{year}-"))
    visit = Visit.objects.create(
        enterprise=Enterprise.objects.order_by("-id").first(),
        visited_on=timezone.localdate(),
        kind=VisitKind.PHONE,
        q_needs="需要研发资金支持",
    )
    assert visit.code not in taken
    need_codes = set(Need.objects.values_list("code", flat=True))
    assert code_next(prefix="SQ") not in need_codes
    assert code_next(prefix="XD") not in set(ActionItem.objects.values_list("code", flat=True))


def test_refuses_a_database_with_more_than_the_demo_unless_forced():
    seed()
    with pytest.raises(CommandError, match="beyond the demo data"):
        seed()
    enterprises = Enterprise.objects.count()
    seed("--force", "--scale", "0.0001", seed=9)  # the later --scale wins: 10 enterprises
    assert Enterprise.objects.count() == enterprises + 10


def test_plain_rows_carry_the_model_defaults_and_refuse_unknown_fields():
    make = row_maker(PolicyMatch)
    first, second = make(score=80, status="pushed"), make(score=70)
    assert first.pk is None and first.need_id is None and first.score == 80
    assert second.status == PolicyMatch._meta.get_field("status").get_default()
    assert first.reasons == [] and first.reasons is not second.reasons  # a callable default, called per row
    first.pk = 41
    assert first.id == 41
    with pytest.raises(TypeError, match="no field"):
        make(enterprise=1)  # rows take column names (enterprise_id), as the COPY writes them


def _same_predicate_text(definition: str) -> str:
    """A partial index ``WHERE status IN (…)`` made by Django reads back as ``= ANY ((ARRAY['a'::character
    varying, …])::text[])``; the same definition run again reads back as ``= ANY (ARRAY[('a'::character
    varying)::text, …])``. Both are the same list of constants (the planner folds either to one array): write both
    as ``= ANY (ARRAY['a', …])``."""
    definition = re.sub(r"\(?('[^']*')::character varying\)?(?:::text)?", r"\1", definition)
    return re.sub(r"\((ARRAY\[[^\]]*\])\)::text\[\]", r"\1", definition)


def pg_schema() -> tuple[list, list]:
    tables = [model._meta.db_table for model in BULK_LOADED]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1",
            [tables],
        )
        indexes = [(name, _same_predicate_text(definition)) for name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), condeferrable, condeferred FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1",
            [tables],
        )
        return indexes, cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY load exists on PostgreSQL only")
def test_postgresql_load_puts_every_index_and_foreign_key_back():
    before = pg_schema()
    assert any("ANY (ARRAY['planned', 'in_progress'])" in definition for _name, definition in before[0])
    assert len(before[0]) > 50 and len(before[1]) > 20  # trigram GIN and b-tree indexes, deferred keys
    seed()
    assert pg_schema() == before
    # The rows went in with their keys, and every reference finds its row (a join loses none).
    assert Visit.objects.filter(enterprise__name__isnull=False).count() == Visit.objects.count() >= SIZES.visits
    assert NeedEvent.objects.filter(need__code__isnull=False).count() == NeedEvent.objects.count()
