"""loadtest/locustfile.py (the load test of issue 18, run by scripts/loadtest.sh).

Checked in a subprocess: importing locust monkey-patches the standard library (gevent) for the whole process.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

LOADTEST = Path(__file__).resolve().parent.parent / "loadtest"


def run_in_locust(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=LOADTEST, capture_output=True, text=True, timeout=120)


def test_clients_are_fast_http_users():
    # The load generator shares the server's cores: geventhttpclient costs it half the CPU of python-requests.
    result = run_in_locust(
        "from locust import FastHttpUser\n"
        "import locustfile\n"
        "users = [locustfile.Officer, locustfile.Manager, locustfile.Leader]\n"
        "assert all(issubclass(user, FastHttpUser) for user in users), users\n"
    )
    assert result.returncode == 0, result.stderr


# --- loadtest/cpu.py: the CPU each group of processes spent per request -------------------------------------------

spec = importlib.util.spec_from_file_location("loadtest_cpu", LOADTEST / "cpu.py")
cpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu)

STATS_CSV = (
    "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%\n"
    "GET,web needs open,300,0,100.0,30,50,60\n"
    ",Aggregated,1000,0,200.0,35,60,80\n"
)


def fake_proc(root: Path, cpu_line: str, processes: dict[int, tuple[str, str, tuple[int, int, int, int]]]) -> Path:
    """A /proc with ``stat`` and, per pid, ``stat`` (name, ticks: utime stime cutime cstime) and ``cmdline``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "stat").write_text(f"cpu  {cpu_line}\ncpu0 0 0 0 0\n")
    (root / "self").mkdir(exist_ok=True)  # not a pid: ignored
    for pid, (name, command, (utime, stime, cutime, cstime)) in processes.items():
        (root / str(pid)).mkdir()
        fields = ["S", "1", "1", "1", "0", "-1", "0", "0", "0", "0", "0", utime, stime, cutime, cstime, "20", "0"]
        (root / str(pid) / "stat").write_text(f"{pid} ({name}) {' '.join(str(f) for f in fields)}\n")
        (root / str(pid) / "cmdline").write_bytes(command.replace(" ", "\0").encode() + b"\0" if command else b"")
    return root


def test_a_snapshot_sums_each_group_with_its_waited_children(tmp_path):
    proc = fake_proc(
        tmp_path / "proc",
        "100 0 50 800 50 0 0 0 0 0",
        {
            10: ("gunicorn", "/venv/bin/python /venv/bin/gunicorn config.wsgi:application", (500, 20, 30, 5)),
            11: ("gunicorn", "/venv/bin/python /venv/bin/gunicorn config.wsgi:application", (400, 10, 0, 0)),
            12: ("python", ".venv/bin/python manage.py db_worker --no-reload", (7, 1, 0, 0)),
            20: ("postgres", "postgres: postgres crm 127.0.0.1(4242) idle", (90, 9, 0, 0)),
            30: ("bash", "bash scripts/loadtest.sh", (1, 1, 60, 6)),
            40: ("kworker/0:1 (events)", "", (3, 0, 0, 0)),  # a kernel thread: no command line, ")" in its name
        },
    )
    found = cpu.snapshot(proc)
    assert found["groups"] == {
        "web server": 965,
        "task worker": 8,
        "database": 99,
        "load generator": 68,
        "other": 3,
    }
    assert found["total"] == 1000
    assert found["idle"] == 850


def test_the_report_counts_what_each_group_spent_between_the_snapshots(tmp_path):
    before = cpu.snapshot(
        fake_proc(
            tmp_path / "before",
            "100 0 0 900 0 0 0 0 0 0",
            {
                1: ("postgres", "/usr/lib/postgresql/15/bin/postgres -D data", (10, 0, 0, 0)),
                2: ("postgres", "postgres: postgres crm 127.0.0.1(1) idle", (50, 0, 0, 0)),
                3: ("gunicorn", "gunicorn config.wsgi:application", (100, 0, 0, 0)),
                4: ("bash", "bash scripts/loadtest.sh", (5, 0, 0, 0)),
            },
        )
    )
    after = cpu.snapshot(
        fake_proc(
            tmp_path / "after",
            "1900 0 0 1000 100 0 0 0 0 0",  # 2,000 ticks more, 200 of them idle (idle + iowait)
            {
                # Backend 2 ended after 30 more ticks (80 in all, now in the postmaster's children); backend 5 is new.
                1: ("postgres", "/usr/lib/postgresql/15/bin/postgres -D data", (10, 0, 80, 0)),
                5: ("postgres", "postgres: postgres crm 127.0.0.1(2) idle", (70, 0, 0, 0)),
                3: ("gunicorn", "gunicorn config.wsgi:application", (1100, 100, 0, 0)),
                # locust ran and was waited for: 300 ticks in the script's children.
                4: ("bash", "bash scripts/loadtest.sh", (5, 0, 250, 50)),
            },
        )
    )
    line = cpu.report(before, after, 1000, 100)  # 100 ticks a second: one tick is 10 ms
    assert line == (
        "CPU ms per request: web server 11.00, task worker 0.00, database 1.00, load generator 3.00, other 0.00; "
        "all CPUs 20.00, of it idle 10 %"
    )


def test_the_report_says_nothing_without_snapshots_or_requests(tmp_path):
    snap = cpu.snapshot(fake_proc(tmp_path / "proc", "1 0 0 1 0 0 0 0 0 0", {}))
    assert cpu.report({}, {}, 1000, 100) == ""
    assert cpu.report(snap, snap, 0, 100) == ""
    assert cpu.snapshot(tmp_path / "no-proc") == {}


def test_the_command_reports_from_the_stats_of_a_run(tmp_path):
    (tmp_path / "run_stats.csv").write_text(STATS_CSV)
    assert cpu.requests_of(str(tmp_path / "run_stats.csv")) == 1000
    script = str(LOADTEST / "cpu.py")
    for name in ("before", "after"):
        subprocess.run([sys.executable, script, "snap", str(tmp_path / name)], check=True, timeout=60)
    result = subprocess.run(
        [
            sys.executable,
            script,
            "report",
            str(tmp_path / "before"),
            str(tmp_path / "after"),
            str(tmp_path / "run_stats.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CPU ms per request: web server "), result.stdout
    assert "of it idle" in result.stdout
    wrong = subprocess.run([sys.executable, script, "report"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "loadtest/cpu.py" in wrong.stderr


def test_a_process_is_grouped_by_its_program_not_its_arguments():
    assert cpu.group_of("bash run-it.sh --database postgres://app@db/crm") == "other"
    assert cpu.group_of("postgres: app crm 127.0.0.1(5) idle") == "database"
    assert cpu.group_of(".venv/bin/python manage.py db_worker --no-reload") == "task worker"
