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
from crm.services.progress import job_progress_report, progress_percent
from crm.sheets.imports import import_job_upload
from crm.tasks import READ_SHARE, export_list, import_check
from tests.factories import EnterpriseFactory, credit_code
from tests.sheets_helpers import make_xlsx

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


# ------------------------------------------------------------------------------------------ real progress


def test_the_export_task_reports_its_rows_as_it_writes_them(manager, many_enterprises, monkeypatch):
    reports = []
    monkeypatch.setattr("crm.sheets.exports.PROGRESS_ROWS", 2)
    monkeypatch.setattr("crm.services.progress.REPORT_INTERVAL", 0)
    monkeypatch.setattr(
        "crm.services.progress.job_progress_report", lambda *, job, done, total: reports.append((done, total))
    )
    job = ExportJob.objects.create(user=manager, kind="enterprises", path=EXPORT_URL, params="", total=7)
    export_list.enqueue(job.pk)
    job.refresh_from_db()
    assert reports == [(2, 7), (4, 7), (6, 7), (7, 7)]  # every PROGRESS_ROWS rows, then the last one
    assert (job.status, job.done, job.total) == (ExportStatus.DONE, 7, 7)


def test_a_running_export_shows_its_percentage(english_client, manager):
    client = english_client
    job = ExportJob.objects.create(
        user=manager, kind="enterprises", path=EXPORT_URL, params="", total=200, status=ExportStatus.RUNNING
    )
    job_progress_report(job=job, done=50, total=200)
    client.force_login(manager)
    status = client.get(reverse("crm:export-status", args=[job.pk])).json()
    assert (status["done"], status["total"], status["percent"]) == (50, 200, 25)
    page = client.get(reverse("crm:export-detail", args=[job.pk])).content.decode()
    assert 'id="export-percent">25%<' in page and "progress-bar-striped progress-bar-animated pct-25" in page
    assert "50 of 200 rows written" in page and "crm/progress.css" in page


def test_progress_percent_is_bounded_and_never_100_before_the_end():
    assert [progress_percent(d, t) for d, t in [(0, 0), (0, 10), (5, 10), (10, 10), (12, 10)]] == [0, 0, 50, 99, 99]


def test_the_import_tasks_report_reading_then_rows(manager, regions, monkeypatch, settings):
    reports = []
    monkeypatch.setattr("crm.services.progress.REPORT_INTERVAL", 0)
    monkeypatch.setattr(
        "crm.services.progress.job_progress_report", lambda *, job, done, total: reports.append((done, total))
    )
    data = make_xlsx(
        ["企业名称", "统一社会信用代码", "所属区县"], [[f"企业{i}", credit_code(i), "清江浦区"] for i in range(1, 1201)]
    )
    settings.IMPORT_SYNC_MAX_ROWS = 1000
    job = import_job_upload(user=manager, kind="enterprises", name="big.xlsx", data=data)
    assert (job.status, job.total) == ("queued", 1200)
    import_check.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == "previewed" and job.done == job.total == 1200
    # Reading takes the first READ_SHARE of the bar, the rows the rest; the bar only moves forward.
    assert reports and all(total == 1200 for _done, total in reports)
    dones = [done for done, _total in reports]
    assert dones == sorted(dones) and dones[-1] == 1200
    assert any(int(1200 * READ_SHARE) < done < 1200 for done in dones)
