"""Issue 11, deletes: records with outcomes are refused (409 with the reasons), what may go takes its files and
leaves history; the admin and the API go through the same services."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import clear_url_caches
from django.utils import timezone

from crm.choices import MatchStatus
from crm.models import ActionItem, Contact, Enterprise, EnterpriseQualification, Project, Visit, VisitAttachment
from crm.services.enterprises import enterprise_delete, project_delete
from crm.services.errors import DeleteRefused
from crm.services.visits import visit_create, visit_delete, visit_update
from tests.factories import (
    ActionItemFactory,
    ContactFactory,
    EnterpriseFactory,
    EnterpriseQualificationFactory,
    PolicyMatchFactory,
    ProjectFactory,
    QualificationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _png(name="photo.png"):
    return ContentFile(PNG, name=name)


def _visit(officer, enterprise, **extra):
    return visit_create(user=officer, enterprise=enterprise, visited_on=timezone.localdate(), q_needs="用地", **extra)


class TestEnterprise:
    def test_granted_match_refuses_the_delete_and_keeps_contacts(self, manager, enterprise, api_as):
        ContactFactory(enterprise=enterprise)
        PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.GRANTED, granted_amount=Decimal("50"))
        response = api_as(manager).delete(f"/api/v1/enterprises/{enterprise.pk}/")
        assert response.status_code == 409
        assert "50" in str(response.json())
        assert Enterprise.objects.filter(pk=enterprise.pk).exists()
        assert Contact.objects.filter(enterprise=enterprise).count() == 1

    def test_an_enterprise_with_a_visit_is_refused_with_reasons(self, manager, officer, enterprise):
        _visit(officer, enterprise)
        with pytest.raises(DeleteRefused) as caught:
            enterprise_delete(user=manager, enterprise=enterprise)
        assert "1" in caught.value.message

    def test_a_mistaken_entry_goes_with_history_of_its_contacts_and_qualifications(self, manager, regions):
        enterprise = EnterpriseFactory(region=regions["320812"])
        contact = ContactFactory(enterprise=enterprise)
        EnterpriseQualificationFactory(enterprise=enterprise, qualification=QualificationFactory())
        PolicyMatchFactory(enterprise=enterprise)  # a mere suggestion: no outcome
        enterprise_delete(user=manager, enterprise=enterprise)
        assert not Enterprise.objects.filter(pk=enterprise.pk).exists()
        assert Contact.history.filter(id=contact.pk, history_type="-").exists()
        assert EnterpriseQualification.history.filter(history_type="-").count() == 1

    def test_contact_changes_have_history(self, enterprise):
        contact = ContactFactory(enterprise=enterprise, name="张三")
        contact.name = "李四"
        contact.save()
        assert [h.name for h in contact.history.all()] == ["李四", "张三"]


class TestProject:
    def test_a_project_with_action_items_is_refused(self, manager, api_as, regions):
        project = ProjectFactory(region=regions["320812"])
        ActionItemFactory(project=project, need=None, owner=manager)
        response = api_as(manager).delete(f"/api/v1/projects/{project.pk}/")
        assert response.status_code == 409
        assert Project.objects.filter(pk=project.pk).exists()
        assert ActionItem.objects.filter(project=project).count() == 1

    def test_a_project_without_outcomes_goes(self, manager, regions):
        project = ProjectFactory(region=regions["320812"])
        project_delete(user=manager, project=project)
        assert not Project.objects.filter(pk=project.pk).exists()


class TestVisit:
    def test_a_visit_with_needs_is_refused(self, manager, officer, enterprise, api_as):
        visit = _visit(officer, enterprise, needs=[{"category": "funding", "title": "研发补助"}])
        response = api_as(manager).delete(f"/api/v1/visits/{visit.pk}/")
        assert response.status_code == 409
        assert Visit.objects.filter(pk=visit.pk).exists()

    def test_deleting_a_visit_removes_its_files(
        self, manager, officer, enterprise, media_root, django_capture_on_commit_callbacks
    ):
        visit = _visit(officer, enterprise, attachments=[_png()])
        path = media_root / VisitAttachment.objects.get().file.name
        assert path.exists()
        with django_capture_on_commit_callbacks(execute=True):
            visit_delete(user=manager, visit=visit)
        assert not path.exists()
        assert not VisitAttachment.objects.exists()

    def test_removing_an_attachment_removes_its_file(
        self, officer, enterprise, media_root, django_capture_on_commit_callbacks
    ):
        visit = _visit(officer, enterprise, attachments=[_png()])
        attachment = VisitAttachment.objects.get()
        path = media_root / attachment.file.name
        with django_capture_on_commit_callbacks(execute=True):
            attachment.delete()  # as the admin inline's delete box does
        assert not path.exists()
        assert Visit.objects.filter(pk=visit.pk).exists()

    def test_replacing_an_attachment_file_removes_the_old_one(
        self, officer, enterprise, media_root, django_capture_on_commit_callbacks
    ):
        _visit(officer, enterprise, attachments=[_png()])
        attachment = VisitAttachment.objects.get()
        old = media_root / attachment.file.name
        with django_capture_on_commit_callbacks(execute=True):
            attachment.file.save("other.png", ContentFile(PNG), save=True)
        assert not old.exists()
        assert (media_root / attachment.file.name).exists()

    @pytest.mark.parametrize("name", [".", "..", "/", "\x01"])
    def test_an_attachment_without_a_usable_name_is_refused(self, officer, enterprise, name):
        visit = _visit(officer, enterprise)
        with pytest.raises(ValidationError) as caught:
            visit_update(visit=visit, user=officer, attachments=[ContentFile(PNG, name=name)])
        assert "attachments" in caught.value.message_dict
        assert not VisitAttachment.objects.exists()

    @pytest.mark.parametrize("name", [".", "..", "/"])
    def test_the_api_refuses_a_file_named_dot_instead_of_dropping_it(self, officer, enterprise, api_as, name):
        fields = {"enterprise": enterprise.pk, "visited_on": timezone.localdate().isoformat(), "q_needs": "用地"}
        parts = [
            f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
        ]
        parts.append(
            f'--B\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'.encode()
            + b"Content-Type: image/png\r\n\r\n"
            + PNG
            + b"\r\n--B--\r\n"
        )
        response = api_as(officer).post(
            "/api/v1/visits/", data=b"".join(parts), content_type="multipart/form-data; boundary=B"
        )
        assert response.status_code == 400, response.content
        assert "cannot be attached" in str(response.json()) or "无法" in str(response.json()), response.json()
        assert not Visit.objects.exists()


def test_media_is_not_served_by_url_even_in_debug(settings, client, officer, enterprise, media_root):
    settings.DEBUG = True
    visit = _visit(officer, enterprise, attachments=[_png()])
    name = visit.attachments.get().file.name
    clear_url_caches()
    response = client.get(f"/media/{name}")
    assert response.status_code == 404


class TestAdmin:
    def test_the_admin_refuses_a_granted_enterprise_with_a_message(self, client, admin_user, enterprise):
        PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.GRANTED, granted_amount=Decimal("50"))
        client.force_login(admin_user)
        url = f"/admin/crm/enterprise/{enterprise.pk}/delete/"
        response = client.post(url, {"post": "yes"}, follow=True)
        assert response.status_code == 200
        assert any("50" in str(m) for m in response.context["messages"])
        assert Enterprise.objects.filter(pk=enterprise.pk).exists()

    def test_the_admin_bulk_delete_is_all_or_nothing(self, client, admin_user, enterprise, regions):
        spare = EnterpriseFactory(region=regions["320812"])
        PolicyMatchFactory(enterprise=enterprise, status=MatchStatus.GRANTED, granted_amount=Decimal("50"))
        client.force_login(admin_user)
        body = {"action": "delete_selected", "_selected_action": [spare.pk, enterprise.pk], "post": "yes"}
        response = client.post("/admin/crm/enterprise/", body, follow=True)
        assert response.status_code == 200
        assert Enterprise.objects.filter(pk__in=[spare.pk, enterprise.pk]).count() == 2
