"""Load test of DESIGN §9.2 / issue 18: a mixed read workload and a write mix against the production server.

Run by ``make loadtest`` (scripts/loadtest.sh), which starts ``make serve`` when nothing answers on the host and
prints requests/s, p50/p95/p99 and errors. By hand::

    .venv/bin/locust -f loadtest/locustfile.py --headless -u 8 -r 8 -t 60s --host http://127.0.0.1:8000

Every simulated client is a different demo user (officer…, manager…, leader…; password ``LOADTEST_PASSWORD``,
default demo12345) signed in through the login form; API calls ride the same session (``X-CSRFToken`` on
writes). Reads: the main lists (web and API, with the filters people use), the enterprise 360° page, the
officer's 工作台 and the dashboard. Writes (``LOADTEST_WRITES``, default on): officers record visits, managers
accept new needs (optimistic ``version``: a 409 when another client won the race is the expected answer, not
an error) and add notes to a need's timeline.

The clients are ``FastHttpUser`` (geventhttpclient), as locust's documentation advises for high request rates: the
load generator shares the server's cores, and python-requests' ``HttpUser`` spent 2.8 ms of CPU per request
against 1.3 ms here (same requests, cookies, CSRF header and checks).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import re
import threading
import uuid

from locust import FastHttpUser, between, events, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo12345")
WRITES = os.environ.get("LOADTEST_WRITES", "1") not in ("0", "", "false", "no")
REGION = os.environ.get("LOADTEST_REGION", "320831")
# The run's mark on every visit it creates: scripts/loadtest.sh counts them afterwards (no lost insert).
RUN_MARK = os.environ.get("LOADTEST_RUN", uuid.uuid4().hex[:12])
WAIT = float(os.environ.get("LOADTEST_WAIT", "0"))  # seconds between tasks of one client (0: closed loop)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_lock = threading.Lock()


def _accounts(prefix: str, count: int) -> itertools.cycle:
    names = [prefix] + [f"{prefix}{n}" for n in range(2, count + 1)]
    return itertools.cycle(names)


ACCOUNTS = {
    "officer": _accounts("officer", 5),
    "manager": _accounts("manager", 2),
    "leader": _accounts("leader", 2),
}
ENTERPRISE_IDS: list[int] = []
CREATED = {"visits": 0}
SIGNED_IN = {"count": 0}


def _today() -> dt.date:
    """The server's day (Asia/Shanghai, UTC+8)."""
    return dt.datetime.now(tz=dt.timezone(dt.timedelta(hours=8))).date()


def _next_account(role: str) -> str:
    with _lock:
        return next(ACCOUNTS[role])


class Staff(FastHttpUser):
    abstract = True
    role = "officer"
    wait_time = between(WAIT, WAIT)

    def on_start(self):
        self.username = _next_account(self.role)
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF_RE.search(page.text)
        response = self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "next": "/",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in (HTTP {response.status_code})")
        self.csrf = next((cookie.value for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")
        with _lock:
            first = not SIGNED_IN.get("setup")
            SIGNED_IN["setup"] = True
        if first:
            self._enterprise_ids()
        # Signing in (a deliberately slow password hash) and the setup reads are not the workload: once every
        # client is in, the statistics start afresh.
        with _lock:
            SIGNED_IN["count"] += 1
            everyone = SIGNED_IN["count"] == self.environment.runner.target_user_count
        if everyone:
            self.environment.runner.stats.reset_all()

    def _enterprise_ids(self) -> None:
        """A few hundred enterprises of the region the clients open (their 360° pages) and visit."""
        ids = []
        for page in (1, 2):
            response = self.client.get(
                f"/api/v1/enterprises/?region={REGION}&page={page}&page_size=100", name="setup: enterprise ids"
            )
            if response.status_code != 200:
                break
            ids += [row["id"] for row in response.json().get("results", [])]
        with _lock:
            ENTERPRISE_IDS.extend(ids)

    def enterprise_id(self) -> int:
        return random.choice(ENTERPRISE_IDS or [1])

    def post_json(self, path: str, body: dict, *, name: str, ok=(200, 201)):
        with self.client.post(
            path,
            json=body,
            headers={"X-CSRFToken": self.csrf, "Referer": f"{self.host}/"},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code in ok:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return response

    # --- reads shared by every role ---

    @task(4)
    def enterprise_list(self):
        self.client.get(f"/enterprises/?region={REGION}&is_linked=true", name="web enterprises region+linked")

    @task(3)
    def enterprise_page(self):
        self.client.get(f"/enterprises/{self.enterprise_id()}/", name="web enterprise 360°")

    @task(3)
    def needs_list(self):
        self.client.get("/needs/?open=true", name="web needs open")

    @task(3)
    def api_needs(self):
        self.client.get("/api/v1/needs/?status=assigned&overdue=true", name="API needs assigned+overdue")

    @task(2)
    def visits_list(self):
        since = _today() - dt.timedelta(days=90)
        self.client.get(f"/visits/?visited_on_after={since}", name="web visits last 90 days")

    @task(2)
    def api_visits(self):
        self.client.get(f"/api/v1/visits/?region={REGION}", name="API visits region")

    @task(1)
    def api_enterprises(self):
        self.client.get(f"/api/v1/enterprises/?region={REGION}&is_linked=true", name="API enterprises region+linked")

    @task(1)
    def notifications(self):
        self.client.get("/api/v1/notifications/", name="API notifications")


class Officer(Staff):
    role = "officer"
    weight = 4

    @task(3)
    def home(self):
        self.client.get("/", name="web officer 工作台")

    @task(1)
    def plans(self):
        self.client.get("/visits/plans/", name="web visit plans")

    @task(2)
    def record_visit(self):
        if not WRITES:
            return
        body = {
            "enterprise": self.enterprise_id(),
            "visited_on": _today().isoformat(),
            "kind": "on_site",
            "interviewee": "负责人",
            "q_needs": "无",
            "q_difficulties": "无",
            "q_suggestions": f"loadtest {RUN_MARK}",
        }
        response = self.post_json("/api/v1/visits/", body, name="POST visit (write)", ok=(201,))
        if response.status_code == 201:
            with _lock:
                CREATED["visits"] += 1


class Manager(Staff):
    role = "manager"
    weight = 3

    @task(2)
    def dashboard(self):
        self.client.get("/dashboard/", name="web dashboard")

    @task(1)
    def action_items(self):
        self.client.get("/action-items/?overdue=true", name="web action-items overdue")

    @task(1)
    def policies(self):
        self.client.get("/api/v1/policies/?open=true", name="API policies open")

    @task(2)
    def accept_need(self):
        """Accept one of the newest new needs: two clients may race for it, one wins, the other gets 409."""
        if not WRITES:
            return
        listing = self.client.get("/api/v1/needs/?status=new&page_size=10", name="API needs new")
        if listing.status_code != 200 or not listing.json().get("results"):
            return
        need = random.choice(listing.json()["results"])
        self.post_json(
            f"/api/v1/needs/{need['id']}/accept/",
            {"version": need["version"], "comment": "受理"},
            name="POST need accept (write)",
            ok=(200, 409),
        )

    @task(1)
    def note(self):
        if not WRITES:
            return
        listing = self.client.get("/api/v1/needs/?open=true&page_size=5", name="API needs open")
        if listing.status_code != 200 or not listing.json().get("results"):
            return
        need = random.choice(listing.json()["results"])
        self.post_json(
            f"/api/v1/needs/{need['id']}/events/",
            {"kind": "note", "text": f"跟进 {RUN_MARK}"},
            name="POST need note (write)",
            ok=(201,),
        )


class Leader(Staff):
    role = "leader"
    weight = 1

    @task(3)
    def dashboard(self):
        self.client.get("/dashboard/", name="web dashboard")

    @task(1)
    def api_dashboard(self):
        self.client.get("/api/v1/dashboard/", name="API dashboard")


@events.quitting.add_listener
def _report_created(environment, **kwargs):
    path = os.environ.get("LOADTEST_CREATED_FILE")
    if path:
        with open(path, "w") as handle:
            handle.write(f"{CREATED['visits']}\n")
