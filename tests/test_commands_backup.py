"""``manage.py backup`` and ``restore`` (DESIGN §11.9): one archive with the database and the media files; a
restore into an empty database finds the same records and files; a database with data is refused unless
``--force``. Runs on SQLite and, when DATABASE_URL says so (CI), on PostgreSQL with pg_dump/pg_restore."""

import os
import shutil
import tarfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from crm.models import Enterprise, User

# Committed data (the dump is taken by another connection or process), one worker (the database file is
# replaced under the connection).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("backup")]


@pytest.fixture(autouse=True)
def _pg_tools():
    if connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI"):
            pytest.fail("pg_dump/pg_restore are required in CI")
        pytest.skip("pg_dump/pg_restore are not installed")


def _backup(tmp_path) -> str:
    out = StringIO()
    call_command("backup", "--output-dir", str(tmp_path / "backups"), stdout=out)
    archives = list((tmp_path / "backups").glob("crm-backup-*.tar.gz"))
    assert len(archives) == 1, out.getvalue()
    return str(archives[0])


def test_backup_then_restore_into_an_empty_database(tmp_path, media_root, enterprise, manager, county_enterprise):
    (media_root / "visits").mkdir()
    (media_root / "visits" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    expected = sorted(Enterprise.objects.values_list("credit_code", "name"))
    archive = _backup(tmp_path)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "media/visits/photo.jpg" in names
    assert {"database.sqlite3", "database.pgdump"} & set(names)

    # An empty database: everything flushed, the media gone.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media_root / "visits")
    assert not Enterprise.objects.exists()

    call_command("restore", archive, stdout=StringIO())
    assert sorted(Enterprise.objects.values_list("credit_code", "name")) == expected
    assert User.objects.get(username="manager").check_password("pw-123456")
    assert (media_root / "visits" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    # The restored database takes new rows (sequences came back too).
    Enterprise.objects.create(
        name="恢复后新建企业", credit_code=enterprise.credit_code[:-2] + "0X", region=enterprise.region
    )


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path, media_root, enterprise, manager):
    archive = _backup(tmp_path)
    Enterprise.objects.filter(pk=enterprise.pk).update(name="改过的名字")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", archive, stdout=StringIO())
    call_command("restore", archive, "--force", stdout=StringIO())
    assert Enterprise.objects.get(pk=enterprise.pk).name == enterprise.name


def test_restore_refuses_something_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "x.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, arcname="something.py")
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(bogus), stdout=StringIO())
    with pytest.raises(CommandError, match="No such archive"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), stdout=StringIO())
