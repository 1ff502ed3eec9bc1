"""``manage.py backup [--output-dir DIR]``: the database and the media files into one timestamped archive.

Daily from cron (docs/operator-guide.md), e.g. ``30 2 * * * cd /srv/crm && .venv/bin/python manage.py backup``.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.management.backups import backup_write


class Command(BaseCommand):
    help = "Write crm-backup-<timestamp>.tar.gz (database + media) into BACKUP_DIR or --output-dir."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=None, help=f"Directory of the archives (default {settings.BACKUP_DIR})."
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, output_dir=None, database="default", **options):
        path = backup_write(output_dir=Path(output_dir or settings.BACKUP_DIR), alias=database)
        size = path.stat().st_size
        self.stdout.write(f"Backup written: {path} ({size / 1024 / 1024:.1f} MB)")
