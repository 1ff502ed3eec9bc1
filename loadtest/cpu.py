"""Where the machine's CPU went during a load test, per request (scripts/loadtest.sh, issue 18).

The load generator, the web server, its task worker and the database share the same cores, so requests/s alone
does not say which of them to make cheaper, nor whether the machine was saturated. Two snapshots of
``/proc/<pid>/stat`` and of ``/proc/stat`` (all CPU time, idle included), taken before and after the run, give
each group of processes (by what it runs) its CPU milliseconds per request, and the share of CPU left idle.

A process's ticks are its own user and system time plus those of its children that ended and were waited for
(``cutime``, ``cstime``): a database backend that closed during the run, a gunicorn worker replaced, and the load
generator itself (started and waited for by scripts/loadtest.sh between the snapshots) are counted through their
parent, and a process gone by the second snapshot no longer counts with its first one. So each group's difference
of sums is the CPU it spent in between, but for a child that ended under a parent of another group: its time moves
there, and its own group can show a small negative figure (seen: "other" -0.06 ms of 12 ms per request).

    python loadtest/cpu.py snap FILE                    # write a snapshot (JSON)
    python loadtest/cpu.py report BEFORE AFTER STATS    # STATS: locust's run_stats.csv (its "Aggregated" row)

Linux only; elsewhere ``snap`` writes an empty snapshot and ``report`` prints nothing.
"""

import csv
import json
import os
import sys
from pathlib import Path

# Groups in the order printed: (name, words that put a process in it when they appear in the program or the script
# it runs: the first three words of its command line, not its arguments, so a wrapper handed a postgres:// address
# stays "other"). First match wins: the task worker's command line names manage.py, not gunicorn; the script that
# runs locust waits for it.
GROUPS = (
    ("web server", ("gunicorn",)),
    ("task worker", ("db_worker",)),
    ("database", ("postgres",)),
    ("load generator", ("locust", "loadtest.sh")),
)
OTHER = "other"


def group_of(command: str) -> str:
    program = " ".join(command.split()[:3])
    for name, words in GROUPS:
        if any(word in program for word in words):
            return name
    return OTHER


def snapshot(proc: Path = Path("/proc")) -> dict:
    """``{"groups": {group: ticks}, "total": ticks, "idle": ticks}`` (the module's docstring); ``{}`` without
    ``proc/stat``."""
    try:
        fields = (proc / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return {}
    groups: dict[str, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        # After the command name in parentheses (which may hold spaces): utime, stime, cutime, cstime are fields
        # 14 to 17 of proc(5).
        rest = stat[stat.rfind(")") + 2 :].split()
        name = command or stat[stat.find("(") + 1 : stat.rfind(")")]  # a kernel thread: no command line
        group = group_of(name)
        groups[group] = groups.get(group, 0) + sum(int(value) for value in rest[11:15])
    numbers = [int(value) for value in fields]
    return {"groups": groups, "total": sum(numbers), "idle": numbers[3] + numbers[4]}


def requests_of(stats_path: str) -> int:
    with open(stats_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return int(row["Request Count"])
    return 0


def report(before: dict, after: dict, requests: int, ticks_per_second: int) -> str:
    """One line: each group's CPU ms per request, all CPU time per request and the share of it left idle. "" when
    there is nothing to say (no snapshot, no request)."""
    if not before or not after or requests <= 0:
        return ""
    per_request = 1000 / ticks_per_second / requests
    parts = []
    for name in [group for group, _ in GROUPS] + [OTHER]:
        ticks = after["groups"].get(name, 0) - before["groups"].get(name, 0)
        parts.append(f"{name} {ticks * per_request:.2f}")
    total = after["total"] - before["total"]
    idle = 100 * (after["idle"] - before["idle"]) / total if total > 0 else 0.0
    return f"CPU ms per request: {', '.join(parts)}; all CPUs {total * per_request:.2f}, of it idle {idle:.0f} %"


def main(argv: list[str]) -> int:
    if argv[:1] == ["snap"] and len(argv) == 2:
        Path(argv[1]).write_text(json.dumps(snapshot()))
        return 0
    if argv[:1] == ["report"] and len(argv) == 4:
        before, after = (json.loads(Path(path).read_text()) for path in argv[1:3])
        line = report(before, after, requests_of(argv[3]), os.sysconf("SC_CLK_TCK"))
        if line:
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
