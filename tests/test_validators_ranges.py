"""Issue 11: date ranges and text lengths, defined once in crm/validators.py and met on every way in."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import validators
from crm.models import ActionItem, Enterprise, EnterpriseQualification, NeedEvent, Policy, PolicyMatch, Visit
from crm.validators import (
    COMMENT_MAX_LENGTH,
    EARLIEST_DATE,
    LATEST_DATE,
    TEXT_MAX_LENGTH,
    DateRangeValidator,
    validate_date,
    validate_happened_date,
)
from tests.factories import EnterpriseFactory, VisitFactory

TODAY = timezone.localdate()


@pytest.mark.parametrize("value", [dt.date(1, 1, 1), dt.date(1948, 12, 31), dt.date(9999, 12, 31), dt.date(2100, 1, 1)])
def test_date_outside_the_sane_range_is_refused(value):
    with pytest.raises(ValidationError):
        validate_date(value)


@pytest.mark.parametrize("value", [EARLIEST_DATE, LATEST_DATE, TODAY, None, "not a date"])
def test_date_inside_the_range_passes(value):
    validate_date(value)


def test_happened_date_is_not_in_the_future():
    validate_happened_date(TODAY)
    with pytest.raises(ValidationError) as caught:
        validate_happened_date(timezone.localdate() + dt.timedelta(days=1))
    assert caught.value.code == "date_in_future"
    with pytest.raises(ValidationError, match="The visit date cannot be in the future."):
        DateRangeValidator(past=True, future_message="The visit date cannot be in the future.")(
            TODAY.replace(year=2098)
        )


@pytest.mark.parametrize(
    ("model", "name", "validator"),
    [
        (Enterprise, "established_on", validate_happened_date),
        (Visit, "visited_on", validate_happened_date),
        (EnterpriseQualification, "certified_on", validate_happened_date),
        (ActionItem, "completed_on", validate_happened_date),
        (EnterpriseQualification, "expires_on", validate_date),
        (Visit, "next_visit_on", validate_date),
        (Policy, "published_on", validate_date),
        (Policy, "apply_from", validate_date),
        (Policy, "apply_until", validate_date),
    ],
)
def test_date_fields_name_a_range_validator(model, name, validator):
    validators = [v for v in model._meta.get_field(name).validators if isinstance(v, DateRangeValidator)]
    assert validators and validators[0].past == validator.past


@pytest.mark.parametrize(
    ("model", "name", "limit"),
    [
        (Visit, "q_needs", TEXT_MAX_LENGTH),
        (NeedEvent, "text", TEXT_MAX_LENGTH),
        (PolicyMatch, "note", COMMENT_MAX_LENGTH),
        (ActionItem, "result", TEXT_MAX_LENGTH),
    ],
)
def test_text_fields_are_limited_in_full_clean(model, name, limit):
    field = model._meta.get_field(name)
    assert field.max_length == limit
    field.run_validators("字" * limit)
    with pytest.raises(ValidationError):
        field.run_validators("字" * (limit + 1))


@pytest.mark.django_db
class TestEveryWayIn:
    def test_model_full_clean_refuses_0001_and_9999(self, regions):
        enterprise = EnterpriseFactory.build(region=regions["320812"], established_on=dt.date(1, 1, 1))
        with pytest.raises(ValidationError) as caught:
            enterprise.full_clean()
        assert "established_on" in caught.value.message_dict

    def test_api_refuses_an_establishment_before_1949_and_in_the_future(self, api_as, manager, enterprise):
        client = api_as(manager)
        for value in ("0001-01-01", "1948-12-31", (timezone.localdate() + dt.timedelta(days=1)).isoformat()):
            response = client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"established_on": value}, format="json")
            assert response.status_code == 400, value
            assert "established_on" in response.json()
        enterprise.refresh_from_db()
        assert enterprise.established_on == dt.date(2015, 5, 1)

    def test_api_refuses_a_visit_before_1949(self, api_as, officer, enterprise):
        body = {"enterprise": enterprise.pk, "visited_on": "1900-01-01", "q_needs": "用地"}
        response = api_as(officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        assert "visited_on" in response.json()
        assert not Visit.objects.exists()

    def test_api_refuses_a_visit_in_the_future_once(self, api_as, officer, enterprise):
        body = {"enterprise": enterprise.pk, "visited_on": (TODAY + dt.timedelta(days=3)).isoformat(), "q_needs": "x"}
        response = api_as(officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        assert len(response.json()["visited_on"]) == 1  # the field's validator, not the model's clean() as well

    def test_a_visit_with_a_2_000_000_character_answer_is_refused(self, api_as, officer, enterprise):
        body = {"enterprise": enterprise.pk, "visited_on": TODAY.isoformat(), "q_needs": "字" * 2_000_000}
        response = api_as(officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        assert "q_needs" in response.json()

    def test_a_transition_comment_is_limited(self, api_as, manager, need):
        body = {"version": need.version, "text": "字" * (COMMENT_MAX_LENGTH + 1)}
        response = api_as(manager).post(f"/api/v1/needs/{need.pk}/accept/", body, format="json")
        assert response.status_code == 400
        assert "text" in response.json()
        need.refresh_from_db()
        assert need.version == 1

    def test_a_follow_up_note_is_limited(self, api_as, manager, need):
        body = {"kind": "note", "text": "字" * (COMMENT_MAX_LENGTH + 1)}
        response = api_as(manager).post(f"/api/v1/needs/{need.pk}/events/", body, format="json")
        assert response.status_code == 400
        assert not need.events.filter(kind="note").exists()

    def test_the_visit_service_refuses_a_far_next_visit(self, officer, enterprise):
        visit = VisitFactory.build(enterprise=enterprise, next_visit_on=dt.date(9999, 12, 31))
        with pytest.raises(ValidationError) as caught:
            visit.full_clean(exclude=["code"])
        assert "next_visit_on" in caught.value.message_dict


def test_the_recent_cutoff_is_remembered_and_worked_out_again_when_stale(monkeypatch):
    """validate_happened_date compares only dates near today with the local date; the cut-off is cached."""
    monkeypatch.setattr(validators, "_RECENT", [0.0, 0.0, EARLIEST_DATE])
    validate_happened_date(TODAY)
    first = list(validators._RECENT)
    assert first[2] == dt.date.today() - dt.timedelta(days=3)  # noqa: DTZ011 - what the cut-off is made of
    for _ in range(3):
        validate_happened_date(TODAY - dt.timedelta(days=1))
        with pytest.raises(ValidationError):
            validate_happened_date(timezone.localdate() + dt.timedelta(days=1))
    assert validators._RECENT == first  # not worked out again
    monkeypatch.setattr(validators.time, "time", lambda: first[0] - 1)  # the clock went back
    with pytest.raises(ValidationError):
        validate_happened_date(timezone.localdate() + dt.timedelta(days=1))
    assert validators._RECENT[0] == first[0] - 1
