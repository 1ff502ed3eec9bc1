"""A background import writes in short transactions and stays all or nothing (issue 11, crm/sheets/resources/undo.py).

With ``IMPORT_WRITE_CHUNK_ROWS`` rows per transaction an officer's save gets SQLite's write lock between two of
them; a failure in a later transaction, or a worker killed mid-way followed by ``recover_imports``, leaves the
database as it was (records, history, many-to-many links, side effects), except what officers changed meanwhile,
which is left and reported. Runs without a test transaction (the transactions are real), on SQLite and PostgreSQL.
"""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import querysets
from crm.models import (
    Contact,
    Cultivation,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    ImportJob,
    ImportUndo,
    Visit,
)
from crm.services.enterprises import enterprise_update
from crm.services.visits import visit_create
from crm.sheets.imports import import_job_confirm, import_job_run, import_job_upload
from crm.sheets.resources import ContactResource, EnterpriseResource, EnterpriseYearResource
from crm.sheets.resources import base as resources
from tests.factories import ContactFactory, EnterpriseFactory, EnterpriseQualificationFactory, credit_code
from tests.sheets_helpers import make_xlsx
from tests.test_sheets_imports_locking import save_visit_elsewhere

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.usefixtures("english_default", "media_root"),
]

HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数", "企业资质"]
EXISTING, NEW = 12, 15  # with 10 rows per transaction: created 10 + 5, then updated 10 + 2 (four transactions)


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.IMPORT_SYNC_MAX_ROWS = 10
    settings.IMPORT_WRITE_CHUNK_ROWS = 10
    settings.IMPORT_WRITE_PAUSE = 0
    yield
    close_old_connections()


@pytest.fixture
def existing(regions, qualifications, city_bureau):
    """Enterprises the file updates, each 高新技术企业 (the file makes them 科技型中小企业 instead)."""
    found = []
    for i in range(EXISTING):
        enterprise = EnterpriseFactory(
            name=f"已有企业{i}", credit_code=credit_code(100 + i), region=regions["320812"], bureau=city_bureau
        )
        EnterpriseQualificationFactory(enterprise=enterprise, qualification=qualifications["hnte"])
        found.append(enterprise)
    return found


def enterprise_file() -> bytes:
    rows = [[f"已有企业{i}", credit_code(100 + i), "清江浦区", 50 + i, "科技型中小企业"] for i in range(EXISTING)]
    rows += [[f"新企业{i}", credit_code(500 + i), "清江浦区", i, "专精特新中小企业"] for i in range(NEW)]
    return make_xlsx(HEADERS, rows)


def confirmed(manager, data: bytes, kind: str = "enterprises") -> ImportJob:
    """An upload checked and confirmed: left ``IMPORTING`` for the worker."""
    job = import_job_upload(user=manager, kind=kind, name="big.xlsx", data=data)
    assert job.status == ImportJob.Status.QUEUED
    from crm.sheets.imports import import_job_check

    job = import_job_check(job_id=job.pk)
    assert job.status == ImportJob.Status.PREVIEWED, job.result.get("problems")
    job = import_job_confirm(user=manager, job_id=job.pk)
    assert job.status == ImportJob.Status.IMPORTING
    return job


def database_state() -> dict:
    """Every row the enterprise and contact imports may touch, history and links included."""
    models = [
        Enterprise,
        Enterprise.history.model,
        EnterpriseQualification,
        EnterpriseQualification.history.model,
        Enterprise.liaison_officers.through,
        Contact,
        Contact.history.model,
        EnterpriseYear,
        EnterpriseYear.history.model,
    ]
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in models}


def fail_on_call(number: int, real=None):
    """A side effect that breaks on its ``number``-th call (a later transaction), as a database error would;
    before that it does what ``real`` does."""
    calls = [0]

    def broken(self, objs):
        calls[0] += 1
        if calls[0] == number:
            raise IntegrityError("injected failure")
        if real is not None:
            real(self, objs)

    return broken


def test_a_background_import_writes_in_short_transactions_and_an_officer_saves_between_them(
    manager, existing, officer, enterprise, monkeypatch
):
    """The officer's save does not wait for the lock at all (busy timeout 0) between two transactions; with the
    rows written in one transaction there is no "between" and the import holds the lock throughout."""
    transactions, saves = [], []
    real_run = EnterpriseResource.rows_run

    def rows_run(self, plan):
        transactions.append(connection.in_atomic_block)
        return real_run(self, plan)

    def pause(using):
        saves.append(save_visit_elsewhere(officer, enterprise))

    monkeypatch.setattr(EnterpriseResource, "rows_run", rows_run)
    monkeypatch.setattr(resources, "write_pause", pause)
    job = import_run(confirmed(manager, enterprise_file()))
    assert job.status == ImportJob.Status.IMPORTED, job.result.get("problems")
    assert transactions == [True] * 4
    assert len(saves) == 3 and all(isinstance(visit, Visit) for visit in saves), saves
    assert Enterprise.objects.count() == EXISTING + NEW + 1
    assert not ImportUndo.objects.exists()  # the last transaction deleted the journal


def import_run(job: ImportJob) -> ImportJob:
    return import_job_run(job_id=job.pk)


def test_a_failure_in_a_later_transaction_leaves_the_database_as_it_was(manager, existing, monkeypatch):
    job = confirmed(manager, enterprise_file())
    before = database_state()
    monkeypatch.setattr(EnterpriseResource, "after_update", fail_on_call(2))  # the fourth and last transaction
    job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert "injected failure" in str(job.result["problems"])
    assert database_state() == before
    assert not ImportUndo.objects.exists()
    assert job.error == ""


def test_every_key_list_split_in_chunks_still_imports_and_undoes_whole(manager, existing, monkeypatch):
    """With three keys per ``IN`` list (``key_chunks``), the import's lookups, its link writes and its undo journal
    each run as many statements: a failing import still leaves everything as it was, and the same file then
    imports whole."""
    monkeypatch.setattr(querysets, "IN_LIST_KEYS", 3)
    with CaptureQueriesContext(connection) as queries:
        job = confirmed(manager, enterprise_file())
        before = database_state()
        with monkeypatch.context() as patched:
            patched.setattr(EnterpriseResource, "after_update", fail_on_call(2))
            job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert database_state() == before
    # The key lists of reads, updates and deletes (a write chunk's history INSERT … SELECT is bounded by its rows).
    key_lists = [
        values.split(", ")
        for statement in queries
        if not statement["sql"].startswith("INSERT")
        for values in re.findall(r" IN \(([\d, ]+)\)", statement["sql"])
    ]
    assert key_lists and max(len(keys) for keys in key_lists) <= 3, max(key_lists, key=len)
    job = import_run(confirmed(manager, enterprise_file()))
    assert job.status == ImportJob.Status.IMPORTED, job.result.get("problems")
    assert Enterprise.objects.count() == EXISTING + NEW
    assert set(
        EnterpriseQualification.objects.filter(enterprise__in=existing).values_list("qualification__name", flat=True)
    ) == {"科技型中小企业"}


def test_the_visits_follow_their_enterprises_region_back_when_undone(manager, existing, qualifications, monkeypatch):
    """The file moves the existing enterprises to 金湖县 and their visits' and cultivation cards' stored region with
    them (enterprise_regions_follow); the last transaction fails: enterprises, visits and cards are back in 清江浦区."""
    for enterprise in existing:
        Visit.objects.create(enterprise=enterprise, visited_on=dt.date(2026, 1, 5), q_needs="问需")
        Cultivation.objects.create(enterprise=enterprise, year=2026, programme=qualifications["tsme"])
    rows = [[f"已有企业{i}", credit_code(100 + i), "金湖县", 50 + i, "科技型中小企业"] for i in range(EXISTING)]
    rows += [[f"新企业{i}", credit_code(500 + i), "清江浦区", i, "专精特新中小企业"] for i in range(NEW)]
    job = confirmed(manager, make_xlsx(HEADERS, rows))
    real = EnterpriseResource.after_update
    moved = []
    monkeypatch.setattr(EnterpriseResource, "after_update", fail_on_call(2, real))  # the first update chunk moves
    monkeypatch.setattr(resources, "write_pause", lambda using: moved.append((visit_regions(), card_regions())))
    job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert moved[-1][0].count("320831") == 10  # the first ten enterprises' visits had moved with them
    assert moved[-1][1].count("320831") == 10  # and their cards
    assert visit_regions() == ["320812"] * EXISTING
    assert card_regions() == ["320812"] * EXISTING
    assert set(Enterprise.objects.filter(pk__in=[e.pk for e in existing]).values_list("region", flat=True)) == {
        "320812"
    }


def card_regions() -> list:
    return list(Cultivation.objects.order_by("pk").values_list("region", flat=True))


def visit_regions() -> list:
    return list(Visit.objects.order_by("pk").values_list("region", flat=True))


def test_the_contacts_side_effect_is_undone_too(manager, enterprise, monkeypatch):
    """A new primary contact unsets the enterprise's other primary contact (contacts_primary_apply); undone, the
    old contact is primary again."""
    old = ContactFactory(enterprise=enterprise, name="老联系人", is_primary=True)
    rows = [["淮安清源食品科技有限公司", f"联系人{i}", "是" if i == 0 else "否"] for i in range(25)]
    job = confirmed(manager, make_xlsx(["企业名称", "姓名", "是否主要联系人"], rows), kind="contacts")
    before = database_state()
    monkeypatch.setattr(ContactResource, "after_create", fail_on_call(3, ContactResource.after_create))
    job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert database_state() == before
    old.refresh_from_db()
    assert old.is_primary


def test_the_enterprise_figures_follow_the_undo(manager, enterprise, monkeypatch):
    """Imported years copy the latest figures onto the enterprise (enterprise_figures_sync); undone, it has its
    own figures back."""
    rows = [["淮安清源食品科技有限公司", 2000 + i, 500 + i, 100 + i] for i in range(25)]
    job = confirmed(
        manager, make_xlsx(["企业名称", "年度", "从业人数", "营业收入(万元)"], rows), kind="enterprise-years"
    )
    before = database_state()
    monkeypatch.setattr(EnterpriseYearResource, "after_create", fail_on_call(3, EnterpriseYearResource.after_create))
    job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert database_state() == before
    assert not EnterpriseYear.objects.exists()
    enterprise.refresh_from_db()
    assert enterprise.employees == 120


def test_an_officers_work_meanwhile_is_left_and_reported(manager, existing, officer, monkeypatch):
    """A created enterprise that got a visit, and an updated one an officer changed since, are not undone."""
    job = confirmed(manager, enterprise_file())
    changed = existing[0]
    pauses = [0]

    def pause(using):
        pauses[0] += 1
        if pauses[0] == 1:  # the first ten new enterprises are committed
            visited = Enterprise.objects.get(credit_code=credit_code(500))
            visit_create(user=officer, enterprise=visited, visited_on=dt.date.today(), q_needs="融资")
        if pauses[0] == 3:  # the first ten updates are committed
            enterprise_update(user=manager, enterprise=Enterprise.objects.get(pk=changed.pk), data={"employees": 999})

    monkeypatch.setattr(resources, "write_pause", pause)
    monkeypatch.setattr(EnterpriseResource, "after_update", fail_on_call(2))
    job = import_run(job)
    assert job.status == ImportJob.Status.INVALID
    assert "2 records" in job.error, job.error
    assert Enterprise.objects.filter(credit_code=credit_code(500)).exists()  # kept: a visit refers to it
    assert Enterprise.objects.filter(credit_code__in=[credit_code(500 + i) for i in range(1, NEW)]).count() == 0
    changed.refresh_from_db()
    assert changed.employees == 999  # the officer's value stays
    restored = Enterprise.objects.get(pk=existing[1].pk)
    assert restored.employees == existing[1].employees
    assert set(restored.qualifications.values_list("code", flat=True)) == {"hnte"}


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


KILLED_WORKER = """
import os, signal, sys
import django
django.setup()
from crm.sheets.resources import base
from crm.sheets.imports import import_job_run
pauses = [0]
def pause(using):
    pauses[0] += 1
    if pauses[0] == 2:  # two transactions committed: the worker dies as under kill -9
        os.kill(os.getpid(), signal.SIGKILL)
base.write_pause = pause
import_job_run(job_id=int(sys.argv[1]))
"""


def test_a_killed_worker_is_taken_back_by_recover_imports(manager, existing, settings, english_client):
    client = english_client
    job = confirmed(manager, enterprise_file())
    before = database_state()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_IMPORT_SYNC_MAX_ROWS": "10",
        "DJANGO_IMPORT_WRITE_CHUNK_ROWS": "10",
    }
    connection.close()  # SQLite: nothing of this process's in the way
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, str(job.pk)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]
    assert Enterprise.objects.count() == EXISTING + NEW  # both create transactions were committed
    assert ImportUndo.objects.filter(job=job).exists()
    call_command("recover_imports", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert database_state() == before
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED  # the user may confirm again
    assert not ImportUndo.objects.exists()
    client.force_login(manager)
    page = client.get(reverse("crm:import-preview", args=[job.pk])).content.decode()
    assert "The import broke off and was taken back; confirm it again." in page
    # ...and confirming again imports the file.
    again = import_run(import_job_confirm(user=manager, job_id=job.pk))
    assert again.status == ImportJob.Status.IMPORTED and again.error == ""
