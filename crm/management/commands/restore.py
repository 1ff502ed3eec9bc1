"""``manage.py restore ARCHIVE [--force]``: bring a ``backup`` archive back (database and media).

Into an empty database (a new one, or one just migrated); a database with users or enterprises is refused
unless ``--force``, which replaces its content. Stop the app and the task worker first.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from crm import reference
from crm.management.backups import restore_read


class Command(BaseCommand):
    help = "Restore a backup archive into an empty database (--force replaces a database that has data)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true", help="Replace a database that already has data.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, archive, force=False, database="default", **options):
        manifest = restore_read(archive=Path(archive), force=force, alias=database)
        reference.bump()  # every table replaced, without signals
        self.stdout.write(f"Restored {archive} (taken {manifest['created_at']}, {manifest['engine']}).")
