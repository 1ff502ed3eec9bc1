"""Backup archives (DESIGN §11.9) shared by ``manage.py backup`` and ``manage.py restore``.

One ``crm-backup-<YYYYmmdd-HHMMSS>.tar.gz`` holds ``manifest.json``, the database and ``media/`` (MEDIA_ROOT):

- SQLite: ``database.sqlite3``, a consistent copy taken with SQLite's online backup API while the app runs;
- PostgreSQL: ``database.pgdump``, ``pg_dump --format=custom`` (restored with ``pg_restore``).

The archive is written under a temporary name and renamed when complete, so a full disk or a killed process
never leaves a file that looks like a backup.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"


def engine_kind(alias: str = "default") -> str:
    engine = connections[alias].vendor
    if engine not in {"sqlite", "postgresql"}:
        raise CommandError(f"Backups support SQLite and PostgreSQL, not {engine}.")
    return engine


def _pg_env(db: dict) -> tuple[list[str], dict]:
    """Connection arguments and environment for pg_dump/pg_restore from the Django settings."""
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict) -> None:
    if shutil.which(command[0]) is None:
        raise CommandError(f"{command[0]} is not installed (PostgreSQL client tools are needed).")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def dump_database(target_dir: Path, alias: str = "default") -> str:
    """Write a consistent copy of the database into ``target_dir``; the file's name in the archive."""
    db = settings.DATABASES[alias]
    if engine_kind(alias) == "sqlite":
        target = target_dir / SQLITE_FILE
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)  # page by page, consistent even while the app writes
        finally:
            copy.close()
            source.close()
        return SQLITE_FILE
    args, env = _pg_env(db)
    target = target_dir / PG_FILE
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args, "--file", str(target), db["NAME"]], env)
    return PG_FILE


def load_database(source: Path, name: str, alias: str = "default") -> None:
    """Replace the database's content with the copy ``source`` (``name`` tells its kind)."""
    db = settings.DATABASES[alias]
    kind = engine_kind(alias)
    expected = SQLITE_FILE if kind == "sqlite" else PG_FILE
    if name != expected:
        raise CommandError(f"The archive holds {name}, which cannot be restored into {kind}.")
    connections[alias].close()
    if kind == "sqlite":
        backup = sqlite3.connect(str(source))
        target = sqlite3.connect(str(db["NAME"]), timeout=30)
        try:
            with target:
                backup.backup(target)
        finally:
            target.close()
            backup.close()
        return
    args, env = _pg_env(db)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            *args,
            "--dbname",
            db["NAME"],
            str(source),
        ],
        env,
    )


def archive_name() -> str:
    return f"crm-backup-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"


def backup_write(*, output_dir: Path, alias: str = "default") -> Path:
    """Write one archive (database + media) into ``output_dir``; its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / archive_name()
    partial = final.with_name(final.name + ".partial")
    media_root = Path(settings.MEDIA_ROOT)
    try:
        with tempfile.TemporaryDirectory(prefix="crm-backup-") as work:
            database = dump_database(Path(work), alias)
            manifest = {
                "created_at": timezone.now().isoformat(),
                "database": database,
                "engine": engine_kind(alias),
                "media": media_root.is_dir(),
            }
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(timezone.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                tar.add(Path(work) / database, arcname=database)
                if media_root.is_dir():
                    tar.add(media_root, arcname=MEDIA_DIR)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def database_is_empty(alias: str = "default") -> bool:
    """No users and no enterprises (a database just migrated counts as empty; its groups are recreated)."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in ("crm_user", "crm_enterprise"):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone():
                    return False
    return True


def restore_read(*, archive: Path, force: bool = False, alias: str = "default") -> dict:
    """Bring the archive's database and media back; refuse a database with data unless ``force``."""
    if not archive.is_file():
        raise CommandError(f"No such archive: {archive}")
    if not force and not database_is_empty(alias):
        raise CommandError("The database is not empty; restore into an empty database, or pass --force to replace it.")
    with tempfile.TemporaryDirectory(prefix="crm-restore-") as work, tarfile.open(archive, "r:gz") as tar:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))
        except (KeyError, ValueError) as exc:
            raise CommandError(f"{archive} is not a backup archive of this application.") from exc
        # The "data" filter refuses absolute paths, links out of the target and device files.
        tar.extractall(work, filter="data")
        load_database(Path(work) / manifest["database"], manifest["database"], alias)
        media = Path(work) / MEDIA_DIR
        if media.is_dir():
            shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    return manifest
