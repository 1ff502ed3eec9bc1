"""Background tasks (DESIGN §11.9): a list longer than ``EXPORT_SYNC_MAX_ROWS`` is exported by a task (the
immediate backend in tests) into a stored file, announced by a notification with the download link; shorter
lists stay a direct download; the worker command exists."""

import io

import openpyxl
import pytest
from django.core.management import get_commands
from django.urls import reverse

from crm.choices import ExportStatus, NotificationKind
from crm.models import ExportJob, Notification
from crm.tasks import export_list
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

EXPORT_URL = "/enterprises/export/"


@pytest.fixture
def many_enterprises(enterprise, county_enterprise, city_bureau, regions):
    # Six city enterprises (with the fixture's one) and a county one the city manager also sees.
    return [enterprise, county_enterprise] + EnterpriseFactory.create_batch(
        5, bureau=city_bureau, region=regions["320812"], is_linked=True
    )


def _rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_a_short_list_is_still_downloaded_at_once(client, manager, many_enterprises, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 5_000
    client.force_login(manager)
    response = client.get(EXPORT_URL)
    assert response["Content-Disposition"].startswith("attachment")
    assert not ExportJob.objects.exists()


def test_a_long_list_runs_as_a_task_with_progress_file_and_notification(
    client, manager, officer, many_enterprises, settings
):
    settings.EXPORT_SYNC_MAX_ROWS = 3
    client.force_login(manager)
    # GET never starts work: it offers to prepare the file.
    offer = client.get(EXPORT_URL + "?is_linked=true")
    assert offer.status_code == 200
    assert 'id="export-start"' in offer.content.decode()
    assert not ExportJob.objects.exists()

    response = client.post(EXPORT_URL + "?is_linked=true")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:export-detail", args=[job.pk])
    assert (job.user, job.kind, job.params, job.status) == (manager, "enterprises", "is_linked=true", ExportStatus.DONE)

    page = client.get(response.url).content.decode()
    assert 'id="export-download"' in page
    status = client.get(reverse("crm:export-status", args=[job.pk])).json()
    assert status["status"] == "done" and status["total"] == job.total

    notification = Notification.objects.get(recipient=manager, kind=NotificationKind.EXPORT)
    assert notification.export_job == job
    opened = client.post(reverse("crm:notification-read", args=[notification.pk]))
    assert opened.url == reverse("crm:export-detail", args=[job.pk])

    download = client.get(reverse("crm:export-download", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    rows = _rows(b"".join(download.streaming_content))
    assert len(rows) - 1 == job.total == 7  # the header row and exactly the rows the list shows

    # Somebody else's export does not exist for them.
    client.force_login(officer)
    for name in ("crm:export-detail", "crm:export-status", "crm:export-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_the_task_exports_what_the_list_shows_for_its_user(county_officer, many_enterprises):
    job = ExportJob.objects.create(user=county_officer, kind="enterprises", path=EXPORT_URL, params="", total=1)
    export_list.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    with job.file.open("rb") as handle:
        rows = _rows(handle.read())
    assert len(rows) == 2
    assert "金湖县示例电子有限公司" in rows[1]


def test_a_failing_export_is_marked_failed(manager):
    job = ExportJob.objects.create(user=manager, kind="enterprises", path="/no-such-list/", params="", total=1)
    result = export_list.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error
    assert result.status == "FAILED"


def test_the_worker_command_exists():
    assert get_commands()["db_worker"] == "django_tasks_db"
