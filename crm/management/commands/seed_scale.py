"""``manage.py seed_scale``: a province-scale dataset for the benchmark (DESIGN §9.1).

Bulk inserts on top of the demo programme, deterministic with ``--seed``. The generated rows have no change
history (bulk inserts bypass django-simple-history). See ``crm.devdata.scale``.
"""

from dataclasses import asdict, fields

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from crm import reference
from crm.devdata.scale import BATCH_SIZE, ScaleSizes, database_analyze, demo_only_database, scale_seed
from crm.services.search import search_index_optimize

FLAGS = {
    "enterprises": "enterprises",
    "visits": "visits",
    "needs": "needs",
    "events": "need events (timeline entries)",
    "policies": "policies",
    "matches": "policy matches",
    "action_items": "action items",
    "enterprise_years": "yearly figures of enterprises (年度数据)",
    "cultivations": "cultivation cards",
    "projects": "projects with their milestones",
    "commissioners": "S&T commissioners (two assignments each)",
}


class Command(BaseCommand):
    help = (
        "Generate a province-scale dataset (DESIGN §9.1) with bulk inserts, on top of the demo data. "
        "Deterministic with --seed. Refuses a database holding more than the demo data unless --force."
    )

    def add_arguments(self, parser):
        defaults = ScaleSizes()
        for field in fields(ScaleSizes):
            parser.add_argument(
                f"--{field.name.replace('_', '-')}",
                type=int,
                default=getattr(defaults, field.name),
                help=f"Number of {FLAGS[field.name]} (default %(default)s).",
            )
        parser.add_argument("--scale", type=float, default=1.0, help="Multiply every size (e.g. 0.01 for a quick run).")
        parser.add_argument("--seed", type=int, default=20260301, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--force", action="store_true", help="Run even if the database holds more than the demo.")
        parser.add_argument(
            "--no-analyze", action="store_true", help="Skip ANALYZE (VACUUM ANALYZE on PostgreSQL) after loading."
        )

    def handle(self, *args, **options):
        sizes = ScaleSizes(**{f.name: options[f.name] for f in fields(ScaleSizes)})
        if options["scale"] <= 0:
            raise CommandError("--scale must be above 0.")
        if any(v < 0 for v in asdict(sizes).values()):
            raise CommandError("Sizes cannot be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["scale"] != 1.0:
            sizes = sizes.scaled(options["scale"])
        if not options["force"] and not demo_only_database():
            raise CommandError(
                "The database holds enterprises beyond the demo data; seed_scale adds a large generated dataset. "
                "Use a scratch database (DATABASE_URL=…) or pass --force."
            )
        self.stdout.write(
            f"Generating on {connection.vendor} ({connection.settings_dict['NAME']}), seed {options['seed']}: "
            + ", ".join(f"{name} {value:,}" for name, value in asdict(sizes).items())
        )
        verbose = options["verbosity"] >= 1

        def log(line: str) -> None:
            if verbose:
                self.stdout.write(line)
                self.stdout.flush()

        try:
            counts = scale_seed(sizes=sizes, seed=options["seed"], batch_size=options["batch_size"], log=log)
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            reference.bump()  # its users are written by bulk_create or COPY, without signals
        seconds = counts.pop("_seconds")
        if not options["no_analyze"]:
            import time

            started = time.perf_counter()
            statement = database_analyze()
            log(f"{statement}: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            search_index_optimize()
            log(f"search index optimized: {time.perf_counter() - started:.1f} s")
        width = max(len(name) for name in counts)
        self.stdout.write(f"{'table'.ljust(width)}  {'rows created':>12}")
        for name, value in counts.items():
            self.stdout.write(f"{name.ljust(width)}  {value:>12,}")
        self.stdout.write(
            self.style.SUCCESS(f"Done in {seconds:.1f} s.")
            + " The generated rows have no change history (bulk inserts bypass django-simple-history)."
        )
