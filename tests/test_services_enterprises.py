"""Writes of enterprises, contacts and projects (crm/services/enterprises.py)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, Cultivation, Enterprise, EnterpriseQualification, Visit
from crm.services.enterprises import (
    contact_create,
    contact_update,
    enterprise_create,
    enterprise_set_qualifications,
    enterprise_update,
    project_create,
    project_update,
)
from tests.factories import CultivationFactory, VisitFactory, credit_code

pytestmark = pytest.mark.django_db


def test_enterprise_create_sets_bureau_creator_and_qualifications(manager, regions, qualifications, officer):
    enterprise = enterprise_create(
        user=manager,
        data={
            "name": "淮安新材料有限公司",
            "credit_code": credit_code(10).lower(),
            "region": regions["320812"],
            "qualifications": [qualifications["hnte"]],
            "liaison_officers": [officer],
        },
    )
    assert enterprise.bureau == manager.bureau
    assert enterprise.created_by == manager
    assert enterprise.credit_code == credit_code(10)
    record = EnterpriseQualification.objects.get(enterprise=enterprise)
    assert (record.qualification_id, record.expires_on) == ("hnte", None)
    assert list(enterprise.liaison_officers.all()) == [officer]


def test_enterprise_create_refuses_bad_credit_code_and_writes_nothing(manager, regions):
    bad = credit_code(11)[:17] + ("0" if credit_code(11)[17] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        enterprise_create(user=manager, data={"name": "x", "credit_code": bad, "region": regions["320812"]})
    assert "credit_code" in error.value.message_dict
    assert not Enterprise.objects.exists()


def test_county_user_creates_only_in_its_region(county_manager, regions):
    with pytest.raises(ValidationError) as error:
        enterprise_create(
            user=county_manager, data={"name": "x", "credit_code": credit_code(12), "region": regions["320812"]}
        )
    assert "region" in error.value.message_dict
    ok = enterprise_create(
        user=county_manager,
        data={"name": "金湖企业", "credit_code": credit_code(13, "320831"), "region": regions["320831"]},
    )
    assert ok.bureau == county_manager.bureau
    with pytest.raises(ValidationError):
        enterprise_update(user=county_manager, enterprise=ok, data={"region": regions["320812"]})
    with pytest.raises(ValidationError):
        project_create(user=county_manager, data={"name": "p", "region": regions["320803"]})


def test_set_qualifications_keeps_dates_of_kept_ones(enterprise, qualifications):
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2027, 11, 30)
    )
    enterprise_update(
        user=None, enterprise=enterprise, data={"qualifications": [qualifications["hnte"], qualifications["tsme"]]}
    )
    rows = {eq.qualification_id: eq.expires_on for eq in enterprise.enterprise_qualifications.all()}
    assert rows == {"hnte": dt.date(2027, 11, 30), "tsme": None}
    enterprise_set_qualifications(enterprise=enterprise, qualifications=["tsme"])
    assert list(enterprise.enterprise_qualifications.values_list("qualification_id", flat=True)) == ["tsme"]


def test_set_qualifications_with_dates_and_checks(enterprise, qualifications):
    enterprise_set_qualifications(
        enterprise=enterprise,
        qualifications=[
            {"qualification": "hnte", "certified_on": dt.date(2024, 1, 1), "expires_on": dt.date(2026, 12, 31)}
        ],
    )
    assert enterprise.enterprise_qualifications.get().certified_on == dt.date(2024, 1, 1)
    with pytest.raises(ValidationError) as error:
        enterprise_set_qualifications(enterprise=enterprise, qualifications=["nope"])
    assert "qualifications" in error.value.message_dict
    with pytest.raises(ValidationError):
        enterprise_set_qualifications(
            enterprise=enterprise,
            qualifications=[
                {"qualification": "tsme", "certified_on": dt.date(2025, 1, 1), "expires_on": dt.date(2024, 1, 1)}
            ],
        )


def test_contact_single_primary_and_mobile_check(officer, enterprise):
    first = contact_create(user=officer, data={"enterprise": enterprise, "name": "张三", "is_primary": True})
    second = contact_create(user=officer, data={"enterprise": enterprise, "name": "李四", "is_primary": True})
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    assert second.created_by == officer
    with pytest.raises(ValidationError) as error:
        contact_update(user=officer, contact=first, data={"mobile": "12345"})
    assert "mobile" in error.value.message_dict
    assert Contact.objects.get(pk=first.pk).mobile == ""


def test_the_visits_of_an_enterprise_follow_it_to_another_region(manager, regions, enterprise, county_enterprise):
    """``Visit.region`` (the lists' region filter) stays the enterprise's: one UPDATE when the region changes, none
    otherwise."""
    VisitFactory.create_batch(2, enterprise=enterprise)
    VisitFactory(enterprise=county_enterprise)

    def regions_of_visits():
        return sorted(Visit.objects.values_list("enterprise__name", "region"))

    with CaptureQueriesContext(connection) as queries:
        enterprise_update(user=manager, enterprise=enterprise, data={"address": "淮安市新地址1号"})
    assert not [q for q in queries if q["sql"].startswith('UPDATE "crm_visit"')]
    with CaptureQueriesContext(connection) as queries:
        enterprise_update(user=manager, enterprise=enterprise, data={"region": regions["320831"]})
    assert len([q for q in queries if q["sql"].startswith('UPDATE "crm_visit"')]) == 1
    assert regions_of_visits() == [
        ("淮安清源食品科技有限公司", "320831"),
        ("淮安清源食品科技有限公司", "320831"),
        ("金湖县示例电子有限公司", "320831"),
    ]
    enterprise_update(user=manager, enterprise=enterprise, data={"region": regions["320812"]})
    assert [region for _name, region in regions_of_visits()] == ["320812", "320812", "320831"]


def test_the_cultivation_cards_of_an_enterprise_follow_it_to_another_region(
    manager, regions, qualifications, enterprise, county_enterprise
):
    """``Cultivation.region`` (the targets' progress per county) is the enterprise's from the card's first save and
    follows the enterprise to another region (one UPDATE), as the visits do."""
    for code in ("hnte", "srdi"):
        CultivationFactory(enterprise=enterprise, programme=qualifications[code])
    CultivationFactory(enterprise=county_enterprise, programme=qualifications["hnte"])

    def regions_of_cards():
        return sorted(Cultivation.objects.values_list("enterprise__name", "region"))

    assert [region for _name, region in regions_of_cards()] == ["320812", "320812", "320831"]
    with CaptureQueriesContext(connection) as queries:
        enterprise_update(user=manager, enterprise=enterprise, data={"region": regions["320831"]})
    assert len([q for q in queries if q["sql"].startswith('UPDATE "crm_cultivation"')]) == 1
    assert [region for _name, region in regions_of_cards()] == ["320831", "320831", "320831"]
    enterprise_update(user=manager, enterprise=enterprise, data={"region": regions["320812"]})
    assert [region for _name, region in regions_of_cards()] == ["320812", "320812", "320831"]


def test_project_create_and_update(manager, regions, enterprise, officer):
    project = project_create(
        user=manager,
        data={
            "name": "绿色食品产业园",
            "region": regions["320812"],
            "enterprise": enterprise,
            "liaison_officers": [officer],
        },
    )
    assert project.bureau == manager.bureau and project.created_by == manager
    project_update(user=manager, project=project, data={"stage": "signed", "liaison_officers": []})
    project.refresh_from_db()
    assert project.stage == "signed"
    assert not project.liaison_officers.exists()
    with pytest.raises(ValidationError) as error:
        project_update(user=manager, project=project, data={"name": "x" * 300})
    assert "name" in error.value.message_dict
