"""Need lifecycle services (DESIGN §4.1): every status × verb, every role × verb, fields, events, notices."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedEventKind, NeedStatus, NotificationKind, Satisfaction, Urgency
from crm.models import Holiday, Need, NeedEvent, Notification
from crm.selectors.needs import answer_workdays_mismatches
from crm.services.needs import (
    TRANSITIONS,
    VERBS,
    TransitionConflict,
    TransitionForbidden,
    need_accept,
    need_answer,
    need_assign,
    need_create,
    need_event_add,
    need_extend,
    need_may,
    need_reject,
    need_reopen,
    need_return_visit,
    need_start,
    need_transfer,
    need_transition,
    need_update,
    need_verbs_available,
    need_verbs_reader,
)
from crm.workdays import default_due_on, workdays_between
from tests.factories import EnterpriseFactory, ProjectFactory, make_user

TODAY = timezone.localdate()
ALL_STATUSES = list(NeedStatus.values)


@pytest.fixture
def colleague(city_bureau, lead_department):
    """A member of the lead department without any role."""
    return make_user("colleague", None, city_bureau, lead_department)


def put(need: Need, status: str, **extra) -> Need:
    """Put a need into a status directly (test set-up), keeping its version."""
    Need.objects.filter(pk=need.pk).update(status=status, **extra)
    need.refresh_from_db()
    return need


@pytest.fixture
def fields(lead_department, county_bureau):
    """Valid fields for each verb."""
    return {
        "accept": {},
        "reject": {"reason": "不属于科技部门职能"},
        "assign": {"lead_department": lead_department.pk},
        "start": {},
        "answer": {"resolution": "已协调办理"},
        "return-visit": {"satisfaction": Satisfaction.SATISFIED},
        "reopen": {"reason": "企业补充材料"},
        "transfer": {"bureau": county_bureau.pk},
        "extend": {"due_on": TODAY + dt.timedelta(days=20), "reason": "需省厅会商"},
    }


EXPECTED_TARGET = {
    "accept": NeedStatus.ACCEPTED,
    "reject": NeedStatus.REJECTED,
    "assign": NeedStatus.ASSIGNED,
    "start": NeedStatus.IN_PROGRESS,
    "answer": NeedStatus.ANSWERED,
    "return-visit": NeedStatus.CLOSED,
    "reopen": NeedStatus.ACCEPTED,
    "transfer": NeedStatus.NEW,
    "extend": None,  # unchanged
}


class TestCreate:
    def test_defaults(self, need, officer, city_bureau):
        assert need.code.startswith("SQ-")
        assert need.status == NeedStatus.NEW
        assert need.bureau == city_bureau
        assert need.urgency == Urgency.NORMAL
        assert need.source == "phone"
        assert need.version == 1
        event = need.events.get()
        assert (event.kind, event.to_status, event.author) == (NeedEventKind.STATUS, NeedStatus.NEW, officer)

    def test_enterprise_out_of_scope(self, county_officer, enterprise):
        with pytest.raises(ValidationError) as error:
            need_create(user=county_officer, enterprise=enterprise, category="funding", title="x")
        assert "enterprise" in error.value.message_dict

    def test_needs_enterprise_or_project(self, officer):
        with pytest.raises(ValidationError):
            need_create(user=officer, category="funding", title="x")

    def test_leader_may_not_create(self, leader, enterprise):
        with pytest.raises(PermissionDenied):
            need_create(user=leader, enterprise=enterprise, category="funding", title="x")

    def test_nul_byte_refused(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            need_create(user=officer, enterprise=enterprise, category="funding", title="a\x00b")
        assert "title" in error.value.message_dict
        assert not Need.objects.exists()

    def test_unknown_category(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            need_create(user=officer, enterprise=enterprise, category="bogus", title="x")
        assert "category" in error.value.message_dict


class TestProjectOfEnterprise:
    """A need's project must be one of its enterprise's projects (need_project_check), in Chinese."""

    MESSAGE = "该项目不属于所选企业，请选择该企业的项目，或不选项目。"

    @pytest.fixture
    def projects(self, enterprise, regions, city_bureau):
        other = EnterpriseFactory(name="淮安澄源新材料有限公司", region=regions["320812"], bureau=city_bureau)
        return {
            "own": ProjectFactory(name="本企业项目", enterprise=enterprise, region=regions["320812"]),
            "other": ProjectFactory(name="他企业项目", enterprise=other, region=regions["320812"]),
            "loose": ProjectFactory(name="无企业项目", enterprise=None, region=regions["320812"]),
        }

    def test_create_refuses_another_enterprises_project(self, officer, enterprise, projects):
        for project in (projects["other"], projects["loose"]):
            with pytest.raises(ValidationError) as error:
                need_create(user=officer, enterprise=enterprise, project=project, category="funding", title="x")
            assert error.value.message_dict == {"project": [self.MESSAGE]}
        assert not Need.objects.exists()

    def test_create_accepts_the_enterprises_project_or_a_project_alone(self, officer, enterprise, projects):
        need = need_create(user=officer, enterprise=enterprise, project=projects["own"], category="funding", title="x")
        assert need.project == projects["own"]
        alone = need_create(user=officer, project=projects["other"], category="funding", title="y")
        assert alone.enterprise == projects["other"].enterprise  # taken from the project

    def test_update_refuses_a_pair_that_no_longer_fits(self, officer, need, projects):
        need_update(need=need, user=officer, project=projects["own"])
        with pytest.raises(ValidationError) as error:
            need_update(need=need, user=officer, enterprise=projects["other"].enterprise)  # the project stays
        assert error.value.message_dict == {"project": [self.MESSAGE]}
        with pytest.raises(ValidationError):
            need_update(need=need, user=officer, project=projects["other"])
        need.refresh_from_db()
        assert (need.enterprise_id, need.project) == (projects["own"].enterprise_id, projects["own"])
        need_update(need=need, user=officer, enterprise=projects["other"].enterprise, project=projects["other"])


class TestUpdate:
    def test_author_edits_new_need(self, need, officer):
        need_update(need=need, user=officer, version=1, title="新标题")
        need.refresh_from_db()
        assert (need.title, need.version) == ("新标题", 2)

    def test_author_may_not_edit_after_assignment(self, need, officer):
        put(need, NeedStatus.ASSIGNED)
        with pytest.raises(PermissionDenied):
            need_update(need=need, user=officer, title="x")

    def test_status_is_not_editable(self, need, manager):
        with pytest.raises(ValidationError):
            need_update(need=need, user=manager, status=NeedStatus.CLOSED)

    def test_stale_version(self, need, manager):
        with pytest.raises(TransitionConflict):
            need_update(need=need, user=manager, version=7, title="x")


class TestStatusVerbMatrix:
    """A manager may use every verb; each verb works from its source statuses and is a 409 from any other."""

    @pytest.mark.parametrize("verb", VERBS)
    @pytest.mark.parametrize("status", ALL_STATUSES)
    def test_status_verb(self, need, manager, fields, verb, status):
        put(need, status, due_on=TODAY + dt.timedelta(days=10))
        allowed = status in TRANSITIONS[verb].sources
        events_before = NeedEvent.objects.filter(need=need).count()
        if allowed and verb == "extend":
            # A request that a manager decides (DESIGN §11.4): the need itself is unchanged.
            result = need_transition(need=need, user=manager, verb=verb, version=need.version, **fields[verb])
            assert result.status == ExtensionStatus.PENDING
            need.refresh_from_db()
            assert (need.status, need.version) == (status, 1)
            assert NeedEvent.objects.filter(need=need).count() == events_before + 1
        elif allowed:
            result = need_transition(need=need, user=manager, verb=verb, version=need.version, **fields[verb])
            assert result.status == (EXPECTED_TARGET[verb] or status)
            assert result.version == 2
            assert NeedEvent.objects.filter(need=need).count() == events_before + 1
        else:
            with pytest.raises(TransitionConflict):
                need_transition(need=need, user=manager, verb=verb, version=need.version, **fields[verb])
            need.refresh_from_db()
            assert (need.status, need.version) == (status, 1)
            assert NeedEvent.objects.filter(need=need).count() == events_before


ROLE_VERBS = {
    "manager": set(VERBS),
    "officer": {"return-visit"},
    "handler": {"start", "answer", "extend", "return-visit"},  # the handler here is also an officer
    "colleague": {"start", "answer", "extend"},
    "leader": set(),
}


class TestRoleVerbMatrix:
    @pytest.fixture
    def users(self, manager, officer, handler, colleague, leader):
        return {"manager": manager, "officer": officer, "handler": handler, "colleague": colleague, "leader": leader}

    @pytest.mark.parametrize("verb", VERBS)
    @pytest.mark.parametrize("role", list(ROLE_VERBS))
    def test_role_verb(self, need, users, fields, lead_department, handler, role, verb):
        status = sorted(TRANSITIONS[verb].sources)[0]
        put(need, status, lead_department=lead_department, handler=handler, due_on=TODAY + dt.timedelta(days=10))
        user = users[role]
        if verb in ROLE_VERBS[role]:
            need_transition(need=need, user=user, verb=verb, version=need.version, **fields[verb])
            need.refresh_from_db()
            if verb == "extend":
                assert need.extension_requests.get().requested_by == user
            else:
                assert need.version == 2
        else:
            with pytest.raises(TransitionForbidden):
                need_transition(need=need, user=user, verb=verb, version=need.version, **fields[verb])

    @pytest.mark.parametrize("verb", VERBS)
    def test_forbidden_comes_before_conflict(self, need, leader, fields, verb):
        """A leader gets 403, not 409, even with a stale version on a need in a wrong status."""
        wrong = next(s for s in ALL_STATUSES if s not in TRANSITIONS[verb].sources)
        put(need, wrong)
        with pytest.raises(TransitionForbidden):
            need_transition(need=need, user=leader, verb=verb, version=99, **fields[verb])

    def test_conflict_comes_before_fields(self, need, manager):
        put(need, NeedStatus.CLOSED)
        with pytest.raises(TransitionConflict):
            need_reject(need=need, user=manager, version=1, reason="")

    def test_buttons(self, need, manager, officer, handler, lead_department):
        assert need_verbs_available(user=manager, need=need) == ["accept", "reject", "transfer"]
        assert need_verbs_available(user=officer, need=need) == []
        put(need, NeedStatus.ASSIGNED, lead_department=lead_department, handler=handler)
        assert need_verbs_available(user=handler, need=need) == ["start", "extend"]
        put(need, NeedStatus.ANSWERED)
        assert need_verbs_available(user=officer, need=need) == ["return-visit"]

    def test_a_reader_answers_as_the_rule_for_every_user_and_status(
        self, need, manager, county_manager, officer, handler, leader, county_bureau, lead_department
    ):
        """One reader per user (a list's rows): the same verbs as ``need_may`` and the status say, need by need."""
        users = (manager, county_manager, officer, handler, leader, AnonymousUser())
        readers = {user: need_verbs_reader(user=user) for user in users}
        for bureau in (need.bureau, county_bureau):
            for status in ALL_STATUSES:
                put(need, status, bureau=bureau, lead_department=lead_department, handler=handler)
                for user in users:
                    expected = [
                        verb
                        for verb in VERBS
                        if status in TRANSITIONS[verb].sources
                        and user.is_authenticated
                        and need_may(user=user, need=need, verb=verb)
                    ]
                    assert readers[user](need) == need_verbs_available(user=user, need=need) == expected
        put(need, NeedStatus.NEW, bureau=county_bureau)
        assert readers[county_manager](need) == ["accept", "reject", "transfer"] and readers[manager](need)


class TestVersion:
    def test_stale_version_is_a_conflict(self, need, manager):
        need_accept(need=need, user=manager, version=1)
        with pytest.raises(TransitionConflict):
            need_reject(need=need, user=manager, version=1, reason="x")

    def test_missing_version(self, need, manager):
        with pytest.raises(ValidationError) as error:
            need_accept(need=need, user=manager, version=None)
        assert "version" in error.value.message_dict

    def test_garbage_version(self, need, manager):
        with pytest.raises(ValidationError):
            need_accept(need=need, user=manager, version="abc")


class TestFields:
    @pytest.fixture
    def accepted(self, need):
        return put(need, NeedStatus.ACCEPTED)

    def test_reject_needs_reason(self, need, manager):
        with pytest.raises(ValidationError) as error:
            need_reject(need=need, user=manager, version=1, reason="  ")
        assert "reason" in error.value.message_dict
        need.refresh_from_db()
        assert (need.status, need.version) == (NeedStatus.NEW, 1)

    def test_assign_needs_lead_department(self, accepted, manager):
        with pytest.raises(ValidationError) as error:
            need_assign(need=accepted, user=manager, version=1, lead_department=None)
        assert "lead_department" in error.value.message_dict

    def test_assign_department_of_another_bureau(self, accepted, manager, county_department):
        with pytest.raises(ValidationError) as error:
            need_assign(need=accepted, user=manager, version=1, lead_department=county_department.pk)
        assert "lead_department" in error.value.message_dict

    def test_assign_unknown_department_id(self, accepted, manager):
        with pytest.raises(ValidationError):
            need_assign(need=accepted, user=manager, version=1, lead_department="abc")

    def test_assign_handler_of_another_bureau(self, accepted, manager, lead_department, county_officer):
        with pytest.raises(ValidationError) as error:
            need_assign(
                need=accepted, user=manager, version=1, lead_department=lead_department, handler=county_officer.pk
            )
        assert "handler" in error.value.message_dict

    def test_assign_due_in_the_past(self, accepted, manager, lead_department):
        with pytest.raises(ValidationError) as error:
            need_assign(need=accepted, user=manager, version=1, lead_department=lead_department, due_on="2001-01-01")
        assert "due_on" in error.value.message_dict

    def test_assign_bad_date(self, accepted, manager, lead_department):
        with pytest.raises(ValidationError) as error:
            need_assign(need=accepted, user=manager, version=1, lead_department=lead_department, due_on="2026-02-31")
        assert "due_on" in error.value.message_dict

    def test_answer_needs_resolution(self, need, manager):
        put(need, NeedStatus.IN_PROGRESS)
        with pytest.raises(ValidationError) as error:
            need_answer(need=need, user=manager, version=1, resolution="")
        assert "resolution" in error.value.message_dict

    @pytest.mark.parametrize("rating", ["", "great"])
    def test_return_visit_needs_rating(self, need, manager, rating):
        put(need, NeedStatus.ANSWERED)
        with pytest.raises(ValidationError) as error:
            need_return_visit(need=need, user=manager, version=1, satisfaction=rating)
        assert "satisfaction" in error.value.message_dict

    def test_reopen_needs_reason(self, need, manager):
        put(need, NeedStatus.CLOSED)
        with pytest.raises(ValidationError):
            need_reopen(need=need, user=manager, version=1, reason="")

    def test_transfer_to_own_bureau(self, need, manager, city_bureau):
        with pytest.raises(ValidationError) as error:
            need_transfer(need=need, user=manager, version=1, bureau=city_bureau.pk)
        assert "bureau" in error.value.message_dict

    def test_transfer_needs_bureau(self, need, manager):
        with pytest.raises(ValidationError):
            need_transfer(need=need, user=manager, version=1, bureau=None)

    def test_extend_must_be_later(self, need, manager):
        put(need, NeedStatus.IN_PROGRESS, due_on=TODAY + dt.timedelta(days=5))
        with pytest.raises(ValidationError) as error:
            need_extend(need=need, user=manager, version=1, due_on=TODAY + dt.timedelta(days=5), reason="x")
        assert "due_on" in error.value.message_dict

    def test_extend_needs_reason(self, need, manager):
        put(need, NeedStatus.IN_PROGRESS, due_on=TODAY)
        with pytest.raises(ValidationError) as error:
            need_extend(need=need, user=manager, version=1, due_on=TODAY + dt.timedelta(days=9), reason="")
        assert "reason" in error.value.message_dict

    def test_control_characters_refused(self, need, manager):
        with pytest.raises(ValidationError):
            need_reject(need=need, user=manager, version=1, reason="bad\x00")


class TestTransitionInputs:
    """One typed input per verb (``TRANSITIONS[verb].input``): the service parses it after 403 and 409."""

    def test_every_verb_has_its_input(self):
        assert {verb: set(t.input.base_fields) for verb, t in TRANSITIONS.items()} == {
            "accept": {"text", "lead_department", "assisting_departments", "handler", "due_on"},
            "reject": {"reason"},
            "assign": {"lead_department", "assisting_departments", "handler", "due_on", "text"},
            "start": {"text"},
            "answer": {"resolution"},
            "return-visit": {"satisfaction", "text"},
            "reopen": {"reason"},
            "transfer": {"bureau", "text"},
            "extend": {"due_on", "reason"},
        }

    def test_fields_outside_the_input_are_ignored(self, need, manager):
        need = need_transition(need=need, user=manager, verb="accept", version=1, reason="x", bureau=5)
        assert need.status == NeedStatus.ACCEPTED

    def test_every_field_error_at_once(self, need, manager):
        put(need, NeedStatus.IN_PROGRESS)
        with pytest.raises(ValidationError) as error:
            need_extend(need=need, user=manager, version=1)
        assert set(error.value.message_dict) == {"due_on", "reason"}

    def test_input_comes_after_the_status_check(self, need, manager):
        put(need, NeedStatus.CLOSED)
        with pytest.raises(TransitionConflict):
            need_extend(need=need, user=manager, version=1, due_on="garbage", reason=7)

    @pytest.mark.parametrize("value", [7, ["a"], {"x": 1}])
    def test_text_must_be_text(self, need, manager, value):
        with pytest.raises(ValidationError) as error:
            need_reject(need=need, user=manager, version=1, reason=value)
        assert error.value.error_dict["reason"][0].code == "invalid"  # "Enter text.", in whatever language

    @pytest.mark.parametrize("value", [20260101, True, "2026/01/01", "  "])
    def test_date_must_be_iso(self, need, manager, lead_department, value):
        put(need, NeedStatus.ACCEPTED)
        with pytest.raises(ValidationError) as error:
            need_assign(need=need, user=manager, version=1, lead_department=lead_department, due_on=value)
        assert "due_on" in error.value.message_dict

    @pytest.mark.parametrize("value", [2**70, -3, 0, True, 1.5, "1 OR 1=1"])
    def test_ids_out_of_range_or_not_ids(self, need, manager, value):
        put(need, NeedStatus.ACCEPTED)
        with pytest.raises(ValidationError) as error:
            need_assign(need=need, user=manager, version=1, lead_department=value, assisting_departments=[value])
        assert set(error.value.message_dict) == {"lead_department", "assisting_departments"}

    def test_records_ids_and_one_id_alone(self, need, manager, lead_department, city_department):
        put(need, NeedStatus.ACCEPTED)
        need = need_assign(
            need=need,
            user=manager,
            version=1,
            lead_department=str(lead_department.pk),
            assisting_departments=city_department,
        )
        assert (need.lead_department, list(need.assisting_departments.all())) == (lead_department, [city_department])

    def test_assisting_of_another_county_named(self, need, manager, lead_department, county_department):
        put(need, NeedStatus.ACCEPTED)
        with pytest.raises(ValidationError) as error:
            need_assign(
                need=need,
                user=manager,
                version=1,
                lead_department=lead_department,
                assisting_departments=[county_department.pk],
            )
        assert str(county_department.pk) in error.value.message_dict["assisting_departments"][0]

    def test_transfer_offers_only_other_bureaus(self, need, manager, city_bureau, county_bureau):
        form = TRANSITIONS["transfer"].input(need=need, user=manager)
        assert list(form.fields["bureau"].queryset) == [county_bureau]


class TestEffects:
    def test_full_loop(self, need, manager, handler, officer, lead_department, city_department):
        need = need_accept(need=need, user=manager, version=1)
        need = need_assign(
            need=need,
            user=manager,
            version=need.version,
            lead_department=lead_department.pk,
            assisting_departments=[city_department.pk],
            handler=handler.pk,
        )
        assert need.status == NeedStatus.ASSIGNED
        assert need.assigned_at is not None
        assert need.due_on == default_due_on(category=need.category, urgency=need.urgency, start=TODAY)
        assert list(need.assisting_departments.all()) == [city_department]
        assert Notification.objects.filter(recipient=handler, need=need, kind=NotificationKind.ASSIGNED).count() == 1

        need = need_start(need=need, user=handler, version=need.version)
        need = need_answer(need=need, user=handler, version=need.version, resolution="已对接省科技厅")
        assert need.answered_at is not None
        assert need.resolution == "已对接省科技厅"
        assert Notification.objects.filter(recipient=officer, need=need).exists()  # the author does the return visit

        need = need_return_visit(
            need=need, user=officer, version=need.version, satisfaction=Satisfaction.UNSATISFIED, text="资金未到位"
        )
        assert need.status == NeedStatus.IN_PROGRESS
        assert need.closed_at is None
        assert Notification.objects.filter(recipient=handler, need=need, kind=NotificationKind.STATUS).exists()

        need = need_answer(need=need, user=handler, version=need.version, resolution="资金已拨付")
        need = need_return_visit(
            need=need, user=officer, version=need.version, satisfaction=Satisfaction.BASICALLY_SATISFIED
        )
        assert need.status == NeedStatus.CLOSED
        assert need.closed_at is not None
        assert need.satisfaction == Satisfaction.BASICALLY_SATISFIED
        kinds = list(need.events.values_list("kind", flat=True))
        assert kinds == [
            NeedEventKind.STATUS,  # recorded
            NeedEventKind.STATUS,  # accepted
            NeedEventKind.ASSIGNMENT,
            NeedEventKind.STATUS,  # started
            NeedEventKind.STATUS,  # answered
            NeedEventKind.RETURN_VISIT,
            NeedEventKind.STATUS,  # answered again
            NeedEventKind.RETURN_VISIT,
        ]
        assert need.version == 8
        assert need.history.count() >= 8

        need = need_reopen(need=need, user=manager, version=need.version, reason="企业再次反映")
        assert (need.status, need.closed_at, need.satisfaction, need.due_on) == (NeedStatus.ACCEPTED, None, "", None)

    def test_the_working_days_to_answer_follow_the_transitions_and_the_calendar(
        self, need, manager, handler, officer, lead_department, county_bureau
    ):
        """``answer_workdays`` (since receipt) and ``answer_workdays_assigned`` are set when the need is answered, kept
        through the return visits, cleared with the assignment (reopen, transfer), moved by a Holiday row inside the
        interval, and always equal to the calendar (the oracle ``answer_workdays_mismatches``)."""
        received = timezone.now() - dt.timedelta(days=21)
        Need.objects.filter(pk=need.pk).update(created_at=received)  # not answered yet: nothing stored to redo
        need.refresh_from_db()
        need = need_accept(need=need, user=manager, version=1)
        need = need_assign(need=need, user=manager, version=need.version, lead_department=lead_department)
        assert (need.answer_workdays, need.answer_workdays_assigned) == (None, None)
        need = need_start(need=need, user=manager, version=need.version)
        need = need_answer(need=need, user=handler, version=need.version, resolution="已办理")
        days = workdays_between(start=timezone.localdate(received), end=TODAY)
        assert (need.answer_workdays, need.answer_workdays_assigned) == (days, 0)
        assert answer_workdays_mismatches() == []
        # A weekday off inside the interval: one working day fewer, the assigned interval (today only) unchanged.
        monday = timezone.localdate(received) + dt.timedelta(days=7 - timezone.localdate(received).weekday())
        holiday = Holiday.objects.create(date=monday, name="假日")
        need.refresh_from_db()
        assert (need.answer_workdays, need.answer_workdays_assigned) == (days - 1, 0)
        need = need_return_visit(need=need, user=officer, version=need.version, satisfaction=Satisfaction.SATISFIED)
        assert need.answer_workdays == days - 1
        need = need_reopen(need=need, user=manager, version=need.version, reason="企业再次反映")
        assert (need.answer_workdays, need.answer_workdays_assigned) == (days - 1, None)
        need = need_assign(need=need, user=manager, version=need.version, lead_department=lead_department)
        assert need.answer_workdays_assigned == 0  # assigned after its (first) answer
        assert answer_workdays_mismatches() == []
        need = need_start(need=need, user=manager, version=need.version)
        need = need_answer(need=need, user=handler, version=need.version, resolution="再次办理")
        assert (need.answer_workdays, need.answer_workdays_assigned) == (days - 1, 0)
        need = need_return_visit(need=need, user=officer, version=need.version, satisfaction=Satisfaction.SATISFIED)
        need = need_reopen(need=need, user=manager, version=need.version, reason="企业再次反映")
        need = need_transfer(need=need, user=manager, version=need.version, bureau=county_bureau.pk)
        assert (need.answer_workdays, need.answer_workdays_assigned) == (days - 1, None)
        holiday.delete()
        need.refresh_from_db()
        assert need.answer_workdays == days
        assert answer_workdays_mismatches() == []

    def test_start_makes_colleague_the_handler(self, need, colleague, lead_department):
        put(need, NeedStatus.ASSIGNED, lead_department=lead_department)
        need = need_start(need=need, user=colleague, version=1)
        assert need.handler == colleague

    def test_reassign_keeps_deadline_unless_given(self, need, manager, lead_department):
        put(
            need,
            NeedStatus.IN_PROGRESS,
            lead_department=lead_department,
            due_on=TODAY + dt.timedelta(days=3),
            assigned_at=timezone.now(),
        )
        need = need_assign(need=need, user=manager, version=1, lead_department=lead_department)
        assert need.due_on == TODAY + dt.timedelta(days=3)
        assert need.status == NeedStatus.ASSIGNED

    def test_assign_explicit_due_on(self, need, manager, lead_department):
        put(need, NeedStatus.ACCEPTED)
        due = TODAY + dt.timedelta(days=4)  # earlier than the clock's deadline (later: tests/test_services_clock.py)
        need = need_assign(need=need, user=manager, version=1, lead_department=lead_department, due_on=due.isoformat())
        assert need.due_on == due

    def test_extend(self, need, handler, lead_department):
        put(need, NeedStatus.IN_PROGRESS, lead_department=lead_department, handler=handler, due_on=TODAY)
        new_due = TODAY + dt.timedelta(days=20)
        request = need_extend(need=need, user=handler, version=1, due_on=new_due, reason="等待检测报告")
        need.refresh_from_db()
        assert (request.status, request.requested_due_on) == (ExtensionStatus.PENDING, new_due)
        assert need.due_on == TODAY  # unchanged until a manager approves (tests/test_services_clock.py)
        assert need.status == NeedStatus.IN_PROGRESS
        event = need.events.last()
        assert event.kind == NeedEventKind.NOTE
        assert "等待检测报告" in event.text

    def test_reject_tells_the_author(self, need, manager, officer):
        need_reject(need=need, user=manager, version=1, reason="不属于受理范围")
        notice = Notification.objects.get(recipient=officer)
        assert "不属于受理范围" in notice.text


class TestTransfer:
    def test_transfer_to_county(self, need, manager, county_bureau, county_manager, county_officer, lead_department):
        put(need, NeedStatus.ACCEPTED, lead_department=lead_department)
        assert not Need.objects.visible_to(county_officer).filter(pk=need.pk).exists()
        need = need_transfer(need=need, user=manager, version=1, bureau=county_bureau.pk, text="属地办理")
        assert (need.status, need.bureau, need.lead_department) == (NeedStatus.NEW, county_bureau, None)
        # Both bureaus see it: the county by the transfer, the city as always.
        assert Need.objects.visible_to(county_officer).filter(pk=need.pk).exists()
        assert Need.objects.visible_to(manager).filter(pk=need.pk).exists()
        assert Notification.objects.filter(recipient=county_manager, kind=NotificationKind.TRANSFER).exists()
        event = need.events.last()
        assert event.kind == NeedEventKind.TRANSFER
        assert "金湖县科技局" in event.text

    def test_county_assigns_to_its_department(self, need, manager, county_bureau, county_manager, county_department):
        need = need_transfer(need=need, user=manager, version=1, bureau=county_bureau)
        need = need_accept(need=need, user=county_manager, version=need.version)
        need = need_assign(need=need, user=county_manager, version=need.version, lead_department=county_department)
        assert need.lead_department == county_department


class TestFollowUps:
    def test_note_by_anyone_notifies_handler(self, need, officer, handler):
        put(need, NeedStatus.IN_PROGRESS, handler=handler)
        event = need_event_add(need=need, user=officer, kind=NeedEventKind.NOTE, text="企业来电催问")
        assert event.kind == NeedEventKind.NOTE
        assert Notification.objects.get(recipient=handler).kind == NotificationKind.NOTE
        need.refresh_from_db()
        assert need.version == 1  # a follow-up changes no status

    def test_instruction_by_leader(self, need, leader, handler):
        put(need, NeedStatus.IN_PROGRESS, handler=handler)
        need_event_add(need=need, user=leader, kind=NeedEventKind.INSTRUCTION, text="请加快办理")
        assert Notification.objects.get(recipient=handler).kind == NotificationKind.INSTRUCTION

    def test_instruction_by_officer_forbidden(self, need, officer):
        with pytest.raises(PermissionDenied):
            need_event_add(need=need, user=officer, kind=NeedEventKind.INSTRUCTION, text="x")

    def test_other_kinds_refused(self, need, manager):
        with pytest.raises(ValidationError):
            need_event_add(need=need, user=manager, kind=NeedEventKind.STATUS, text="x")

    def test_empty_text_refused(self, need, manager):
        with pytest.raises(ValidationError):
            need_event_add(need=need, user=manager, kind=NeedEventKind.NOTE, text=" ")

    def test_events_are_append_only(self, need):
        event = need.events.first()
        event.text = "changed"
        with pytest.raises(ValueError):
            event.save()

    def test_handler_writing_a_note_gets_no_notice(self, need, handler):
        put(need, NeedStatus.IN_PROGRESS, handler=handler)
        need_event_add(need=need, user=handler, kind=NeedEventKind.NOTE, text="已联系企业")
        assert not Notification.objects.exists()
