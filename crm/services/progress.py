"""Live progress of a background job (DESIGN §11.9): rows done of the total, for the progress bar.

The numbers go to the ``progress`` cache (settings.CACHES), not to the job's row: an import runs inside one
transaction — on SQLite holding the write lock — so a progress row written to the database would be invisible
to the page (and, for a dry run, rolled back) until the import ended. The job row keeps ``done`` for good when
the job ends.
"""

import time

from django.core.cache import caches

PROGRESS_CACHE = "progress"
PROGRESS_SECONDS = 24 * 3600  # a job's live progress outlives any job
REPORT_INTERVAL = 0.5  # seconds between two writes of one job's progress


def _key(job) -> str:
    return f"crm:progress:{job._meta.model_name}:{job.pk}"


def job_progress_report(*, job, done: int, total: int) -> None:
    """Store ``done`` of ``total`` rows as the live progress of ``job`` (an ExportJob or an ImportJob)."""
    caches[PROGRESS_CACHE].set(_key(job), (int(done), int(total)), PROGRESS_SECONDS)


def job_progress(*, job) -> tuple[int, int]:
    """(done, total) of ``job``: the live value while it runs, else what the job row kept."""
    value = caches[PROGRESS_CACHE].get(_key(job))
    if value and not getattr(job, "is_finished", False):
        return value
    return job.done, job.total


def job_progress_clear(*, job) -> None:
    caches[PROGRESS_CACHE].delete(_key(job))


def progress_percent(done: int, total: int) -> int:
    """0 … 100, never 100 before the end (the job's status says when it is done)."""
    if total <= 0:
        return 0
    return max(0, min(99, done * 100 // total))


class ProgressReporter:
    """A callback that reports ``done`` rows of ``job`` at most every ``REPORT_INTERVAL`` seconds."""

    def __init__(self, *, job, total: int, interval: float | None = None):
        self.job = job
        self.total = total
        self.interval = REPORT_INTERVAL if interval is None else interval
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            job_progress_report(job=self.job, done=min(done, self.total), total=self.total)
