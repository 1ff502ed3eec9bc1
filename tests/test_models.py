"""Constraints, auto codes, history and the append-only timeline of the data model."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import override

from crm.choices import NeedCategory, NeedEventKind
from crm.models import (
    ActionItem,
    Enterprise,
    EnterpriseQualification,
    Need,
    NeedEvent,
    Policy,
    PolicyMatch,
    User,
    Visit,
    code_next,
)
from tests.factories import credit_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_credit_code_is_unique_with_a_clear_message(enterprise, regions):
    dup = Enterprise(name="另一家", credit_code=enterprise.credit_code.lower(), region=regions["320812"])
    with pytest.raises(ValidationError) as info:
        dup.full_clean()
    assert "credit_code" in info.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(name="另一家", credit_code=enterprise.credit_code, region=regions["320812"])


def test_credit_code_is_stored_upper_case(regions):
    code = credit_code(77)
    ent = Enterprise(name="小写企业", credit_code=f" {code.lower()} ", region=regions["320812"])
    ent.full_clean()
    ent.save()
    assert Enterprise.objects.get(pk=ent.pk).credit_code == code


def test_need_needs_an_enterprise_or_a_project(city_bureau):
    need = Need(category=NeedCategory.FUNDING, title="无主诉求", bureau=city_bureau)
    with pytest.raises(ValidationError) as info:
        need.full_clean()
    assert any("enterprise or a project" in m for m in info.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.create(category=NeedCategory.FUNDING, title="无主诉求", bureau=city_bureau)


def test_visit_needs_one_of_the_three_answers(enterprise):
    visit = Visit(enterprise=enterprise, visited_on="2026-01-05")
    with pytest.raises(ValidationError):
        visit.full_clean()
    visit.q_needs = "需要研发资金"
    visit.full_clean()


def test_policy_contradictory_criteria_are_refused():
    policy = Policy(title="p", issuer="i", level="city", kind="funding", min_employees=50, max_employees=10)
    with pytest.raises(ValidationError) as info:
        policy.full_clean()
    assert any("employees" in m for m in info.value.messages)
    policy = Policy(
        title="p", issuer="i", level="city", kind="funding", apply_from="2026-05-01", apply_until="2026-04-01"
    )
    with pytest.raises(ValidationError) as info:
        policy.full_clean()
    assert any("window" in m for m in info.value.messages)


def test_policy_match_unique_also_without_a_need(enterprise, city_bureau):
    policy = Policy.objects.create(title="创新券", issuer="市科技局", level="city", kind="funding")
    PolicyMatch.objects.create(policy=policy, enterprise=enterprise)
    with pytest.raises(ValidationError):
        PolicyMatch(policy=policy, enterprise=enterprise).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise)
    need = Need.objects.create(enterprise=enterprise, category="funding", title="资金", bureau=city_bureau)
    PolicyMatch.objects.create(policy=policy, enterprise=enterprise, need=need)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise, need=need)


def test_qualification_expiry_not_before_certification(enterprise, qualifications):
    eq = EnterpriseQualification(
        enterprise=enterprise, qualification=qualifications["hnte"], certified_on="2026-01-01", expires_on="2025-01-01"
    )
    with pytest.raises(ValidationError):
        eq.full_clean()


def test_action_item_needs_a_need_or_a_project(manager):
    item = ActionItem(title="对接", owner=manager, due_on="2026-12-01")
    with pytest.raises(ValidationError):
        item.full_clean()


def test_auto_codes_count_up_per_prefix_and_year(enterprise, city_bureau):
    v1 = Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x")
    v2 = Visit.objects.create(enterprise=enterprise, visited_on="2026-01-06", q_needs="y")
    n1 = Need.objects.create(enterprise=enterprise, category="rd", title="t", bureau=city_bureau)
    year = v1.created_at.astimezone().year
    assert v1.code == f"ZF-{year}-0001"
    assert v2.code == f"ZF-{year}-0002"
    assert n1.code == f"SQ-{year}-0001"
    assert code_next(prefix="ZF", year=2030) == "ZF-2030-0001"


@pytest.mark.django_db(transaction=True)
def test_auto_codes_stay_unique_under_concurrent_creation():
    codes: list[str] = []
    errors: list[Exception] = []

    def worker():
        try:
            for _ in range(5):
                codes.append(code_next(prefix="CC", year=2026))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == 20
    assert len(set(codes)) == 20


def test_history_is_written_on_change(enterprise, manager):
    enterprise.employees = 150
    enterprise._history_user = manager
    enterprise.save()
    records = list(enterprise.history.all())
    assert len(records) == 2
    delta = records[0].diff_against(records[1])
    assert [c.field for c in delta.changes] == ["employees"]
    assert records[0].history_user == manager


def test_need_events_are_append_only(enterprise, city_bureau, officer):
    need = Need.objects.create(enterprise=enterprise, category="rd", title="t", bureau=city_bureau)
    event = NeedEvent.objects.create(need=need, author=officer, kind=NeedEventKind.NOTE, text="已联系")
    event.text = "改写"
    with pytest.raises(ValueError):
        event.save()


def test_every_model_has_str_ordering_and_verbose_names():
    from django.apps import apps

    for model in apps.get_app_config("crm").get_models():
        if model.__name__.startswith("Historical"):
            continue
        assert model.__doc__ and not model.__doc__.startswith(model.__name__ + "("), model
        assert model._meta.ordering, model
        assert model._meta.verbose_name != model.__name__.lower() or model._meta.verbose_name, model


def test_choice_display_reads_the_label_in_the_active_language_and_keeps_unknown_values(enterprise, city_bureau):
    """``get_<field>_display()`` (its labels looked up once per field, crm/models/base.py) answers as Django's: the
    label of the value in the language active when it is called, an unknown value as it is."""
    need = Need(enterprise=enterprise, bureau=city_bureau, title="t", category=NeedCategory.FINANCE, status="new")
    english_label = "S&T finance"
    assert need.get_category_display() == english_label
    with override("zh-hans"):
        assert need.get_category_display() == "科技金融/融资"
    assert need.get_category_display() == english_label  # the cache kept the label lazy, not its translation
    need.status = "no-such-status"
    assert need.get_status_display() == "no-such-status"


def test_a_persons_name_fields_through_a_relation():
    assert User.name_fields_of("lead") == tuple(f"lead__{name}" for name in User.NAME_FIELDS)
    assert "lead__username" in User.name_fields_of("lead")
