"""Take back background imports whose worker died mid-way (kill -9, power loss) and let their users confirm again.

Run while no task worker runs: ``make serve`` (scripts/serve.sh) runs it before starting the worker."""

from django.core.management.base import BaseCommand

from crm.sheets.imports import import_jobs_recover


class Command(BaseCommand):
    help = "Undo background imports that broke off (their undo journal remains); run while no task worker runs."

    def handle(self, *args, **options):
        for job in import_jobs_recover():
            self.stdout.write(f"import job {job.pk} ({job.original_name}): {job.error}")
        self.stdout.write("recover_imports: done")
