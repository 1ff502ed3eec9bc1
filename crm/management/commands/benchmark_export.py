"""Measure a ledger export (issue 18, DESIGN §9.2: 100 000 rows ≤ 15 s as a background task).

Runs ``ledger_export`` — the service the background task ``export_list`` calls, with a progress callback as the
task gives — over the first N rows (by primary key) of one kind's ledger in the current database, and prints
the wall time and the CPU time (user + system) of each run. Without ``--rows`` both 10 000 and 100 000 rows
are measured. ``--profile FILE`` writes a cProfile of the last run (read it with ``python -m pstats FILE``).
"""

import cProfile
import os
import time

from django.core.management.base import BaseCommand, CommandError

from crm.sheets.exports import ledger_export
from crm.sheets.resources import RESOURCES, resource_for

SIZES = (10_000, 100_000)
TARGET_SECONDS = 15.0  # 100 000 rows (DESIGN §9.2)


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


class Command(BaseCommand):
    help = "Benchmark a ledger export (xlsx or CSV) of the first N rows of one kind; prints wall and CPU seconds."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=list(RESOURCES), default="enterprises")
        parser.add_argument("--rows", type=int, help="One size only; by default 10 000 and then 100 000 rows.")
        parser.add_argument("--format", dest="file_format", choices=("xlsx", "csv"), default="xlsx")
        parser.add_argument("--repeat", type=int, default=1)
        parser.add_argument("--profile", help="Write a cProfile of the last run to this file.")
        parser.add_argument("--keep-file", help="Write the last run's file here.")

    def handle(self, *args, kind, rows, file_format, repeat, profile, keep_file, **options):
        sizes = [rows] if rows is not None else list(SIZES)
        if any(size < 1 for size in sizes) or repeat < 1:
            raise CommandError("--rows and --repeat must be positive.")
        resource = resource_for(kind)
        everything = resource.scoped_queryset()
        for size in sizes:
            last = everything.order_by("pk").values_list("pk", flat=True)[size - 1 : size].first()
            queryset = everything.filter(pk__lte=last) if last is not None else everything
            count = queryset.count()
            for run in range(repeat):
                written = []
                profiler = cProfile.Profile(time.process_time) if profile and run == repeat - 1 else None
                started, cpu = time.perf_counter(), _cpu()
                if profiler:
                    profiler.enable()
                data = ledger_export(kind=kind, queryset=queryset, file_format=file_format, progress=written.append)
                if profiler:
                    profiler.disable()
                seconds, cpu = time.perf_counter() - started, _cpu() - cpu
                if written[-1] != count:
                    raise CommandError(f"Wrote {written[-1]} rows of {count}.")
                self.stdout.write(
                    f"{kind} {file_format} {count} rows: wall {seconds:.2f} s, CPU {cpu:.2f} s, "
                    f"{len(data) / 1024 / 1024:.1f} MB"
                    + (f" (target ≤ {TARGET_SECONDS:.0f} s)" if count >= 100_000 else "")
                )
                if profiler:
                    profiler.dump_stats(profile)
                if keep_file and run == repeat - 1:
                    with open(keep_file, "wb") as out:
                        out.write(data)
