"""loadtest/locustfile.py (the load test of issue 18, run by scripts/loadtest.sh).

Checked in a subprocess: importing locust monkey-patches the standard library (gevent) for the whole process.
"""

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
