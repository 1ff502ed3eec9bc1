"""登门三问 visits: rules, needs in one transaction, attachments checked by content and size."""

import datetime as dt
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from crm.choices import NeedSource, NeedStatus, VisitFlag, VisitKind
from crm.models import Need, Visit, VisitAttachment
from crm.services.visits import attachment_sniff, visit_create, visit_update

TODAY = timezone.localdate()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


pytestmark = pytest.mark.usefixtures("media_root", "english")


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def create(user, enterprise, **kwargs):
    data = {"visited_on": TODAY, "q_needs": "扩大产能需要用地"}
    data.update(kwargs)
    return visit_create(user=user, enterprise=enterprise, **data)


class TestSniff:
    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (JPEG, "image/jpeg"),
            (PNG, "image/png"),
            (PDF, "application/pdf"),
            (WEBP, "image/webp"),
            (HEIC, "image/heic"),
            (GIF, "image/gif"),
            (b"MZ\x90\x00", None),
            (b"<html><script>", None),
            (b"PK\x03\x04", None),
            (b"", None),
        ],
    )
    def test_types(self, content, content_type):
        assert attachment_sniff(content[:16]) == content_type


class TestCreate:
    def test_minimal(self, officer, enterprise):
        visit = create(officer, enterprise)
        assert visit.code.startswith("ZF-")
        assert visit.kind == VisitKind.ON_SITE
        assert visit.flag == VisitFlag.GREEN
        assert list(visit.officers.all()) == [officer]  # defaults to the creator
        assert visit.created_by == officer

    def test_with_two_needs_and_attachments(self, officer, manager, enterprise):
        visit = create(
            officer,
            enterprise,
            lead=manager,
            officers=[officer, manager],
            interviewee="王总",
            interviewee_title="总经理",
            q_difficulties="融资难",
            q_suggestions="多办政策宣讲",
            party_notes="企业党支部 12 名党员",
            policies_briefed="研发费用加计扣除",
            resolved_on_site="现场解答了高企申报问题",
            flag=VisitFlag.YELLOW,
            next_visit_on=TODAY + dt.timedelta(days=30),
            needs=[
                {"category": "land", "title": "新增厂房用地", "urgency": "urgent"},
                {"category": "finance", "title": "科技贷款", "description": "需要 500 万元流动资金"},
            ],
            attachments=[upload("现场.jpg", JPEG), upload("走访记录表.pdf", PDF, "application/pdf")],
        )
        needs = list(Need.objects.filter(visit=visit).order_by("id"))
        assert [n.title for n in needs] == ["新增厂房用地", "科技贷款"]
        assert all(n.source == NeedSource.VISIT and n.enterprise == enterprise for n in needs)
        assert all(n.status == NeedStatus.NEW and n.created_by == officer for n in needs)
        assert needs[0].urgency == "urgent"
        attachments = list(visit.attachments.order_by("id"))
        assert [(a.name, a.content_type, a.size) for a in attachments] == [
            ("现场.jpg", "image/jpeg", len(JPEG)),
            ("走访记录表.pdf", "application/pdf", len(PDF)),
        ]
        assert attachments[0].file.read() == JPEG

    def test_future_date(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, visited_on=timezone.localdate() + dt.timedelta(days=1))
        assert "visited_on" in error.value.message_dict
        assert not Visit.objects.exists()

    @pytest.mark.parametrize("blank", ["", "   \n  "])
    def test_all_three_answers_empty(self, officer, enterprise, blank):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, q_needs=blank, q_difficulties=blank, q_suggestions="")
        assert "Fill in at least one of the three questions" in str(error.value)

    def test_one_answer_is_enough(self, officer, enterprise):
        assert create(officer, enterprise, q_needs="", q_suggestions="建议简化审批").pk

    def test_nul_bytes(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, q_needs="用地\x00", interviewee="a\x01b")
        assert {"q_needs", "interviewee"} <= set(error.value.message_dict)
        assert not Visit.objects.exists()

    def test_next_visit_before_visit(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, next_visit_on=TODAY - dt.timedelta(days=1))
        assert "next_visit_on" in error.value.message_dict

    def test_wrong_attachment_type(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, attachments=[upload("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100)])
        assert "photo.jpg" in error.value.message_dict["attachments"][0]
        assert not Visit.objects.exists()
        assert not VisitAttachment.objects.exists()

    @pytest.mark.parametrize(
        ("name", "content", "accepted"),
        [
            ("扫描.jpg", PDF, False),  # a PDF posing as a photo
            ("photo.png", JPEG, False),
            ("page.html", JPEG, False),
            ("IMG_0001.JPG", JPEG, True),  # case does not matter
            ("记录.pdf", PDF, True),
            ("scan.2024", PDF, True),  # not an extension anybody knows: the content decides
            ("mmexport1700000000", JPEG, True),  # no extension (WeChat exports)
        ],
    )
    def test_name_must_agree_with_content(self, officer, enterprise, name, content, accepted):
        if accepted:
            assert create(officer, enterprise, attachments=[upload(name, content)]).attachments.get().name == name
            return
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, attachments=[upload(name, content)])
        assert "does not match its content" in error.value.message_dict["attachments"][0]
        assert not Visit.objects.exists()

    def test_empty_attachment(self, officer, enterprise):
        with pytest.raises(ValidationError):
            create(officer, enterprise, attachments=[upload("empty.pdf", b"")])

    def test_oversized_attachment(self, officer, enterprise, settings, tmp_path):
        settings.ATTACHMENT_MAX_BYTES = 1000
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, attachments=[upload("big.jpg", JPEG + b"\x00" * 1000)])
        assert "big.jpg" in error.value.message_dict["attachments"][0]
        assert not Visit.objects.exists()
        assert not any(tmp_path.rglob("*.jpg"))  # nothing written to disk either

    def test_exactly_the_limit_is_accepted(self, officer, enterprise, settings):
        settings.ATTACHMENT_MAX_BYTES = 1000
        visit = create(officer, enterprise, attachments=[upload("ok.jpg", JPEG + b"\x00" * (1000 - len(JPEG)))])
        assert visit.attachments.get().size == 1000

    def test_bad_need_rolls_everything_back(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(
                officer,
                enterprise,
                needs=[{"category": "land", "title": "ok"}, {"category": "land", "title": ""}],
                attachments=[upload("a.jpg", JPEG)],
            )
        assert "Need 2" in error.value.message_dict["needs"][0]
        assert not Visit.objects.exists()
        assert not Need.objects.exists()

    def test_need_with_invalid_category_rolls_back(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(officer, enterprise, needs=[{"category": "nonsense", "title": "x"}])
        assert "needs" in error.value.message_dict
        assert not Visit.objects.exists()

    def test_all_problems_reported_together(self, officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(
                officer,
                enterprise,
                visited_on=TODAY + dt.timedelta(days=3),
                needs=[{"title": "no category"}],
                attachments=[upload("x.exe", b"MZ")],
            )
        assert {"visited_on", "needs", "attachments"} <= set(error.value.message_dict)

    def test_enterprise_out_of_scope(self, county_officer, enterprise):
        with pytest.raises(ValidationError) as error:
            create(county_officer, enterprise)
        assert "enterprise" in error.value.message_dict

    def test_leader_may_not_log_visits(self, leader, enterprise):
        with pytest.raises(PermissionDenied):
            create(leader, enterprise)

    def test_history_is_kept(self, officer, enterprise):
        visit = create(officer, enterprise)
        assert visit.history.get().history_user == officer


class TestUpdate:
    def test_author_edits(self, officer, enterprise):
        visit = create(officer, enterprise)
        visit_update(visit=visit, user=officer, q_difficulties="招工难", attachments=[upload("p.png", PNG)])
        visit.refresh_from_db()
        assert visit.q_difficulties == "招工难"
        assert visit.attachments.count() == 1

    def test_other_officer_may_not_edit(self, officer, enterprise, city_bureau):
        from tests.factories import make_user

        visit = create(officer, enterprise)
        other = make_user("other", "officer", city_bureau)
        with pytest.raises(PermissionDenied):
            visit_update(visit=visit, user=other, q_needs="x")

    def test_update_keeps_the_rules(self, officer, enterprise):
        visit = create(officer, enterprise)
        with pytest.raises(ValidationError):
            visit_update(visit=visit, user=officer, visited_on=TODAY + dt.timedelta(days=2))

    def test_remove_attachment(self, officer, enterprise):
        visit = create(officer, enterprise, attachments=[upload("a.jpg", JPEG)])
        attachment = visit.attachments.get()
        visit_update(visit=visit, user=officer, attachments_remove=[attachment.pk])
        assert not visit.attachments.exists()

    def test_enterprise_and_project_fixed_once_needs_exist(self, officer, enterprise, county_enterprise, manager):
        visit = create(officer, enterprise, needs=[{"category": "land", "title": "用地"}])
        with pytest.raises(ValidationError) as error:
            visit_update(visit=visit, user=manager, enterprise=county_enterprise)
        assert "needs were raised" in error.value.message_dict["enterprise"][0]
        assert Visit.objects.get(pk=visit.pk).enterprise == enterprise
        plain = create(officer, enterprise)
        visit_update(visit=plain, user=manager, enterprise=county_enterprise)  # no needs: a typo may be fixed
        assert Visit.objects.get(pk=plain.pk).enterprise == county_enterprise

    def test_no_change_no_history(self, officer, enterprise):
        visit = create(officer, enterprise)
        visit_update(visit=visit, user=officer, q_needs=visit.q_needs, flag=visit.flag)
        assert visit.history.count() == 1
        visit_update(visit=visit, user=officer, flag=VisitFlag.RED)
        assert [r.history_type for r in visit.history.order_by("history_id")] == ["+", "~"]

    @pytest.mark.parametrize("bad", ["abc", 10**9])
    def test_remove_unknown_attachment(self, officer, enterprise, bad):
        visit = create(officer, enterprise, attachments=[upload("a.jpg", JPEG)])
        with pytest.raises(ValidationError) as error:
            visit_update(visit=visit, user=officer, q_needs="改", attachments_remove=[bad])
        assert "attachments_remove" in error.value.message_dict
        assert visit.attachments.count() == 1
        assert Visit.objects.get(pk=visit.pk).q_needs == "扩大产能需要用地"

    def test_removed_file_stays_on_disk_when_rolled_back(self, officer, enterprise):
        visit = create(officer, enterprise, attachments=[upload("a.jpg", JPEG)])
        attachment = visit.attachments.get()
        path = attachment.file.path
        with pytest.raises(RuntimeError), transaction.atomic():
            visit_update(visit=visit, user=officer, attachments_remove=[attachment.pk])
            raise RuntimeError("later step fails")
        assert visit.attachments.filter(pk=attachment.pk).exists()
        assert os.path.exists(path)

    def test_removed_file_is_deleted_on_commit(self, officer, enterprise, django_capture_on_commit_callbacks):
        visit = create(officer, enterprise, attachments=[upload("a.jpg", JPEG)])
        attachment = visit.attachments.get()
        path = attachment.file.path
        with django_capture_on_commit_callbacks(execute=True):
            visit_update(visit=visit, user=officer, attachments_remove=[attachment])
        assert not os.path.exists(path)


def besides_lead(visit) -> bool | None:
    return Visit.objects.values_list("officers_besides_lead", flat=True).get(pk=visit.pk)


class TestOfficersBesidesLead:
    """``officers_besides_lead`` follows the lead and the officers through create and update (the dashboard's and
    the cadence's counts as a visit's officer read the links of the visits where it is true or unknown only)."""

    def test_create(self, officer, manager, enterprise):
        assert besides_lead(create(officer, enterprise)) is True  # no lead: the recorder is another officer
        assert besides_lead(create(officer, enterprise, lead=officer)) is False
        assert besides_lead(create(officer, enterprise, lead=manager, officers=[manager])) is False
        assert besides_lead(create(officer, enterprise, lead=manager, officers=[manager, officer])) is True

    def test_update_of_the_officers_or_the_lead(self, officer, manager, enterprise):
        visit = create(officer, enterprise, lead=officer)
        visit_update(visit=visit, user=officer, officers=[officer, manager])
        assert besides_lead(visit) is True
        visit_update(visit=visit, user=officer, officers=[officer])
        assert besides_lead(visit) is False
        visit_update(visit=visit, user=manager, lead=manager)  # the officer is no longer the lead
        assert besides_lead(visit) is True
        visit_update(visit=visit, user=manager, lead=officer, officers=[officer])
        assert besides_lead(visit) is False
        visit_update(visit=visit, user=manager, lead=None)
        assert besides_lead(visit) is True
        assert visit.history.count() == 4  # created, then the three changes of the lead: the flag adds no entry


def stored_region(visit) -> str | None:
    return Visit.objects.values_list("region", flat=True).get(pk=visit.pk)


class TestStoredRegion:
    """``Visit.region`` is the enterprise's region, through create and a change of the enterprise (the lists' region
    filter reads it instead of the enterprise's)."""

    def test_create(self, officer, enterprise):
        assert stored_region(create(officer, enterprise)) == "320812"

    def test_update_of_the_enterprise(self, manager, enterprise, county_enterprise):
        visit = create(manager, enterprise)
        visit_update(visit=visit, user=manager, enterprise=county_enterprise)
        assert stored_region(visit) == "320831"
        visit_update(visit=visit, user=manager, flag=VisitFlag.RED)  # another field: the region stays
        assert stored_region(visit) == "320831"
        assert visit.history.count() == 3  # created, the two changes: the region adds no entry of its own

    def test_any_save_derives_it(self, enterprise):
        """Rows saved outside the services (the demo data, fixtures) get it too."""
        visit = Visit.objects.create(enterprise=enterprise, visited_on=TODAY, q_needs="x")
        assert stored_region(visit) == "320812"


class TestVisitProject:
    """A visit's project must be one of its enterprise's projects (DESIGN §3 Visit.project)."""

    @pytest.fixture
    def projects(self, enterprise, regions):
        from crm.models import Project

        own = Project.objects.create(name="本企业项目", region=regions["320812"], enterprise=enterprise)
        loose = Project.objects.create(name="无企业项目", region=regions["320812"], enterprise=None)
        return own, loose

    def test_check_alone(self, enterprise, county_enterprise, projects):
        from crm.services.visits import visit_project_check

        own, _ = projects
        visit_project_check(enterprise=enterprise, project=own)
        visit_project_check(enterprise=enterprise, project=None)
        with pytest.raises(ValidationError) as error:
            visit_project_check(enterprise=county_enterprise, project=own)
        assert list(error.value.message_dict) == ["project"]

    def test_create_refuses_another_enterprises_project(self, manager, enterprise, county_enterprise, projects):
        own, loose = projects
        for enterprise_, project in ((county_enterprise, own), (enterprise, loose)):
            with pytest.raises(ValidationError) as error:
                create(manager, enterprise_, project=project)
            assert "project" in error.value.message_dict
        assert not Visit.objects.exists()
        assert create(manager, enterprise, project=own).project == own

    def test_update_refuses_another_enterprises_project(self, manager, enterprise, county_enterprise, projects):
        own, loose = projects
        visit = create(manager, enterprise, project=own)
        with pytest.raises(ValidationError) as error:
            visit_update(visit=visit, user=manager, enterprise=county_enterprise)
        assert "project" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            visit_update(visit=Visit.objects.get(pk=visit.pk), user=manager, project=loose)
        assert "project" in error.value.message_dict
        stored = Visit.objects.get(pk=visit.pk)
        assert (stored.enterprise, stored.project) == (enterprise, own)
        visit_update(visit=stored, user=manager, enterprise=county_enterprise, project=None)
        assert Visit.objects.get(pk=visit.pk).project is None
