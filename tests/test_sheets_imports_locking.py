"""A long import does not block officers (issue 11): its rows are checked holding no database lock, and only
the writes at the end take one short transaction.

SQLite's transactions take the single write lock at BEGIN (``transaction_mode=IMMEDIATE``). While a 5 000-row
upload is being checked, another thread saves a visit with a busy timeout of zero: it fails at once with
"database is locked" if the import holds the lock, and succeeds otherwise. On PostgreSQL the save simply has
to succeed. Runs without a test transaction, each thread with its own connection, like
tests/test_services_needs_concurrency.py.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection

from crm.models import Enterprise, ImportJob, Visit
from crm.services.visits import visit_create
from crm.sheets.imports import import_job_confirm, import_job_preview, import_job_upload
from crm.sheets.resources import EnterpriseResource
from crm.tasks import import_check, import_run
from tests.factories import credit_code
from tests.sheets_helpers import make_xlsx

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("concurrency")]

HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数", "挂钩联系企业"]
ROWS = 5000


def big_file() -> bytes:
    rows = [[f"并发导入企业{i}", credit_code(1000 + i, "320812"), "清江浦区", i, "否"] for i in range(ROWS)]
    return make_xlsx(HEADERS, rows)


def save_visit_elsewhere(officer, enterprise) -> object:
    """Save a visit in another thread (its own connection) that does not wait for a lock; its result or error."""
    outcome: list = []

    def work():
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 0")
            outcome.append(
                visit_create(user=officer, enterprise=enterprise, visited_on=dt.date.today(), q_needs="融资")
            )
        except Exception as error:  # noqa: BLE001 - the test inspects what the thread got
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    return outcome[0] if outcome else TimeoutError("the visit save did not finish")


@pytest.fixture
def while_checking(monkeypatch, officer, enterprise):
    """While the import checks its rows (half-way through), an officer saves a visit; the results are kept."""
    results: list = []
    checked = [0]
    real = EnterpriseResource.row_checks

    def row_checks(self, instance, row, errors):
        checked[0] += 1
        if checked[0] % ROWS == ROWS // 2:  # half-way through each pass (a check, then the import)
            results.append(save_visit_elsewhere(officer, enterprise))
        return real(self, instance, row, errors)

    monkeypatch.setattr(EnterpriseResource, "row_checks", row_checks)
    yield results
    close_old_connections()


def assert_saved(results) -> None:
    assert len(results) == 1
    assert isinstance(results[0], Visit), results[0]
    assert Visit.objects.filter(pk=results[0].pk).exists()


def test_a_preview_holds_no_lock_while_checking(manager, regions, while_checking):
    job = import_job_preview(user=manager, kind="enterprises", name="big.xlsx", data=big_file())
    assert job.status == ImportJob.Status.PREVIEWED, job.result.get("problems")
    assert_saved(while_checking)
    assert Enterprise.objects.count() == 1  # the preview wrote nothing (only the fixture's enterprise)


def test_a_confirm_holds_no_lock_while_checking(manager, regions, monkeypatch, officer, enterprise):
    job = import_job_preview(user=manager, kind="enterprises", name="big.xlsx", data=big_file())
    assert job.status == ImportJob.Status.PREVIEWED
    results: list = []
    real = EnterpriseResource.row_checks
    checked = [0]

    def row_checks(self, instance, row, errors):
        checked[0] += 1
        if checked[0] == ROWS // 2:
            results.append(save_visit_elsewhere(officer, enterprise))
            # The import has written nothing yet: the rows are written together at the end.
            assert Enterprise.objects.count() == 1
        return real(self, instance, row, errors)

    monkeypatch.setattr(EnterpriseResource, "row_checks", row_checks)
    job = import_job_confirm(user=manager, job_id=job.pk)
    assert job.status == ImportJob.Status.IMPORTED
    assert_saved(results)
    assert Enterprise.objects.count() == ROWS + 1
    close_old_connections()


def test_a_background_check_and_import_hold_no_lock_while_checking(manager, regions, settings, while_checking):
    settings.IMPORT_SYNC_MAX_ROWS = 100
    job = import_job_upload(user=manager, kind="enterprises", name="big.xlsx", data=big_file())
    assert job.status == ImportJob.Status.QUEUED
    import_check.enqueue(job.pk)
    assert_saved(while_checking)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    assert import_job_confirm(user=manager, job_id=job.pk).status == ImportJob.Status.IMPORTING
    import_run.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    assert len(while_checking) == 2 and isinstance(while_checking[1], Visit), while_checking
    assert Enterprise.objects.count() == ROWS + 1


def test_a_visit_saved_while_the_rows_are_written_waits_for_them_and_is_saved(manager, regions, officer, enterprise):
    """The rows are written in one transaction (all or nothing): an officer saving meanwhile waits for its commit on
    SQLite (the busy timeout) and is saved, never refused with "database is locked"."""
    rows = [[f"写入时走访企业{i}", credit_code(9000 + i, "320812"), "清江浦区", i, "否"] for i in range(3)]
    job = import_job_preview(user=manager, kind="enterprises", name="small.xlsx", data=make_xlsx(HEADERS, rows))
    outcome: list = []
    threads: list[threading.Thread] = []
    saving = threading.Event()

    def work():
        try:
            saving.set()
            outcome.append(visit_create(user=officer, enterprise=enterprise, visited_on=dt.date.today(), q_needs="等"))
        except Exception as error:  # noqa: BLE001 - the test inspects what the thread got
            outcome.append(error)
        finally:
            connection.close()

    real = EnterpriseResource.rows_write

    def rows_write(self, result, *, on_write=None, **kwargs):
        def started():  # inside the rows' transaction: the officer's save starts while the write lock is held
            threads.append(threading.Thread(target=work))
            threads[0].start()
            saving.wait(timeout=30)
            time.sleep(0.5)  # let the save reach its BEGIN, which waits for this transaction (no timing is asserted)
            if on_write is not None:
                on_write()

        return real(self, result, on_write=started, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EnterpriseResource, "rows_write", rows_write)
        job = import_job_confirm(user=manager, job_id=job.pk)
    threads[0].join(timeout=60)
    assert job.status == ImportJob.Status.IMPORTED
    assert_saved(outcome)
    assert Enterprise.objects.count() == 4
    close_old_connections()
