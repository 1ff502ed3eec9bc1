"""``manage.py benchmark``: the speed figures of DESIGN §9.2 on the current database.

Every list endpoint and list page (first page, with a typical filter), the enterprise 360° page, global
search, the dashboard (without its cache), cadence, the eligible enterprises of one policy and the policy
suggestions for one need are requested ``--repeat`` times through Django's test ``Client`` as a city manager
(wall time per request, middleware, session, rendering and serialisation included).

Beside each figure: the framework floor (the median of an authenticated request to a trivial endpoint,
``/api/v1/me/`` for API rows and the ``/me/`` page for web rows, as the same user), the bare ORM fetch of the
same rows, and the ratio request p50 ÷ (floor + ORM p50): what the request costs over the unavoidable
(DESIGN §9.2, target ≤ 3). Then the number of SQL queries of one request.

Run it on a database seeded with ``seed_scale``; it only reads (sessions aside).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.serving import gc_tune
from crm.choices import BureauLevel, CultivationStage, EnterpriseStatus, MatchStatus, NeedStatus, Role
from crm.models import (
    ActionItem,
    Activity,
    Commissioner,
    Contact,
    Cultivation,
    Enterprise,
    EnterpriseYear,
    ExtensionRequest,
    Need,
    Notification,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    Report,
    User,
    Visit,
    VisitPlan,
)
from crm.selectors.cadence import cadence_query, cadence_todo
from crm.selectors.matching import enterprise_eligible_policies, load_policy, policy_eligible_enterprises
from crm.selectors.programmes import milestone_lag
from crm.selectors.search import search
from crm.selectors.watch import plans_upcoming, red_flag_visits

PAGE = 20  # the default page size of the API and of the web lists

# Targets (DESIGN §9.2): p95 in ms, the ratio request ÷ (floor + ORM) for lists, and a query budget.
LIST, PAGE_360, DASHBOARD, MATCHING, SEARCH = "list", "360", "dashboard", "matching", "search"
HOME = "home"  # the 工作台 of each role (issue 12: p95 ≤ 50 ms on the seed_scale data)
TARGETS = {
    HOME: (50, None, None),
    LIST: (25, 3.0, None),
    PAGE_360: (40, None, 15),
    DASHBOARD: (300, None, None),
    MATCHING: (50, None, None),
    SEARCH: (50, None, None),
}
# The framework floor: an authenticated request that does nothing (per user, for API rows and for web rows).
FLOOR_API, FLOOR_WEB = "/api/v1/me/", "/me/"


@dataclass
class Case:
    name: str
    path: str
    orm: Callable[[], object]
    kind: str = LIST
    user: Callable[[], User] | None = None  # log in as this user for the row (default: the benchmark manager)

    @property
    def floor_path(self) -> str:
        return FLOOR_API if self.path.startswith("/api/") else FLOOR_WEB


@dataclass
class Result:
    case: Case
    p50: float
    p95: float
    orm_p50: float
    orm_p95: float
    queries: int
    status: int
    floor: float = 0.0  # p50 of the trivial request of the same kind (API or page) as the same user

    @property
    def ratio(self) -> float:
        base = self.floor + self.orm_p50
        return self.p50 / base if base > 0 else math.inf

    def verdict(self) -> str:
        if self.status != 200:
            return f"HTTP {self.status}"
        limit, ratio, queries = TARGETS[self.case.kind]
        problems = []
        if self.p95 > limit:
            problems.append(f"p95>{limit}")
        if ratio is not None and self.ratio > ratio:
            problems.append(f"ratio>{ratio:g}")
        if queries is not None and self.queries > queries:
            problems.append(f"queries>{queries}")
        return "OVER " + ",".join(problems) if problems else "ok"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def first_page(queryset) -> list:
    return list(queryset[:PAGE])


def cases_build(*, region: str) -> list[Case]:
    """The requests to measure, with sample objects picked deterministically from the database."""
    today = timezone.localdate()
    since = today - dt.timedelta(days=90)
    enterprise = (
        Enterprise.objects.filter(is_linked=True, status=EnterpriseStatus.OPERATING)
        .annotate(n=Count("visits"))
        .order_by("-n", "id")
        .first()
    ) or Enterprise.objects.order_by("id").first()
    policy_row = (
        Policy.objects.window_open()
        .filter(linked_only=False, required_qualifications__isnull=True)
        .order_by("id")
        .first()
    ) or Policy.objects.order_by("id").first()
    need = (
        Need.objects.open().filter(enterprise__status=EnterpriseStatus.OPERATING).order_by("id").first()
    ) or Need.objects.order_by("id").first()
    if enterprise is None or policy_row is None or need is None:
        raise CommandError("The database holds no enterprise, policy or need: run seed_demo or seed_scale first.")
    policy = load_policy(policy_row.pk)

    def manager():
        return benchmark_user()

    cases = [
        # API lists
        Case(
            "API enterprises region+linked",
            f"/api/v1/enterprises/?region={region}&is_linked=true",
            lambda: first_page(Enterprise.objects.filter(region=region, is_linked=True).order_by("name", "id")),
        ),
        Case(
            "API enterprises all",
            "/api/v1/enterprises/",
            lambda: first_page(Enterprise.objects.order_by("name", "id")),
        ),
        Case(
            "API enterprises q search",
            "/api/v1/enterprises/?q=%E5%8D%8E%E6%96%B0",  # 华新
            lambda: first_page(Enterprise.objects.filter(name__icontains="华新").order_by("name", "id")),
        ),
        Case(
            "API contacts primary",
            "/api/v1/contacts/?is_primary=true",
            lambda: first_page(
                Contact.objects.filter(is_primary=True).order_by("enterprise_id", "-is_primary", "name")
            ),
        ),
        Case(
            "API projects assisted",
            "/api/v1/projects/?is_assisted=true",
            lambda: first_page(Project.objects.filter(is_assisted=True).order_by("name", "id")),
        ),
        Case(
            "API visits last 90 days",
            f"/api/v1/visits/?visited_on_after={since}",
            lambda: first_page(Visit.objects.filter(visited_on__gte=since).order_by("-visited_on", "-id")),
        ),
        Case(
            "API visits region",
            f"/api/v1/visits/?region={region}",
            lambda: first_page(Visit.objects.filter(region=region).order_by("-visited_on", "-id")),
        ),
        Case(
            "API needs assigned+overdue",
            "/api/v1/needs/?status=assigned&overdue=true",
            lambda: first_page(
                Need.objects.overdue(today).filter(status=NeedStatus.ASSIGNED).order_by("-created_at", "-id")
            ),
        ),
        Case(
            "API needs open",
            "/api/v1/needs/?open=true",
            lambda: first_page(Need.objects.open().order_by("-created_at", "-id")),
        ),
        Case(
            "API policies open",
            "/api/v1/policies/?open=true",
            lambda: first_page(Policy.objects.window_open().order_by("-published_on", "-id")),
        ),
        Case(
            "API policy-matches pushed",
            "/api/v1/policy-matches/?status=pushed",
            lambda: first_page(PolicyMatch.objects.filter(status=MatchStatus.PUSHED).order_by("-created_at", "-id")),
        ),
        Case(
            "API offerings active",
            "/api/v1/offerings/?is_active=true",
            lambda: first_page(Offering.objects.filter(is_active=True).order_by("department_id", "name", "id")),
        ),
        Case(
            "API action-items overdue",
            "/api/v1/action-items/?overdue=true",
            lambda: first_page(ActionItem.objects.overdue(today).order_by("due_on", "id")),
        ),
        Case(
            "API notifications",
            "/api/v1/notifications/",
            lambda: first_page(Notification.objects.filter(recipient=manager()).order_by("-created_at", "-id")),
        ),
        # Web list pages
        Case(
            "web enterprises region+linked",
            f"/enterprises/?region={region}&is_linked=true",
            lambda: first_page(Enterprise.objects.filter(region=region, is_linked=True).order_by("name", "id")),
        ),
        Case(
            "web visits last 90 days",
            f"/visits/?visited_on_after={since}",
            lambda: first_page(Visit.objects.filter(visited_on__gte=since).order_by("-visited_on", "-id")),
        ),
        Case(
            "web needs assigned+overdue",
            "/needs/?status=assigned&overdue=true",
            lambda: first_page(
                Need.objects.overdue(today).filter(status=NeedStatus.ASSIGNED).order_by("-created_at", "-id")
            ),
        ),
        Case(
            "web policies open",
            "/policies/?open=true",
            lambda: first_page(Policy.objects.window_open().order_by("-published_on", "-id")),
        ),
        Case(
            "web projects assisted",
            "/projects/?is_assisted=true",
            lambda: first_page(Project.objects.filter(is_assisted=True).order_by("name", "id")),
        ),
        Case(
            "web offerings active",
            "/offerings/?is_active=true",
            lambda: first_page(Offering.objects.filter(is_active=True).order_by("department_id", "name", "id")),
        ),
        Case(
            "web action-items overdue",
            "/action-items/?overdue=true",
            lambda: first_page(ActionItem.objects.overdue(today).order_by("due_on", "id")),
        ),
        Case(
            "web enterprises all",
            "/enterprises/",
            lambda: first_page(Enterprise.objects.order_by("name", "id")),
        ),
        Case(
            "web enterprises q search",
            "/enterprises/?q=%E5%8D%8E%E6%96%B0",
            lambda: first_page(Enterprise.objects.filter(name__icontains="华新").order_by("name", "id")),
        ),
        Case(
            "web visits region",
            f"/visits/?region={region}",
            lambda: first_page(Visit.objects.filter(region=region).order_by("-visited_on", "-id")),
        ),
        Case(
            "web needs open",
            "/needs/?open=true",
            lambda: first_page(Need.objects.open().order_by("-created_at", "-id")),
        ),
        # Second stage (DESIGN §11): plans, activities, reports, notifications, commissioners, yearly figures
        Case(
            "web visit plans",
            "/visits/plans/",
            lambda: first_page(VisitPlan.objects.visible_to(manager()).order_by("planned_on", "id")),
        ),
        Case(
            "API visit-plans",
            "/api/v1/visit-plans/",
            lambda: first_page(VisitPlan.objects.visible_to(manager()).order_by("planned_on", "id")),
        ),
        Case(
            "web activities",
            "/activities/",
            lambda: first_page(Activity.objects.visible_to(manager()).order_by("-held_on", "-id")),
        ),
        Case(
            "API activities",
            "/api/v1/activities/",
            lambda: first_page(Activity.objects.visible_to(manager()).order_by("-held_on", "-id")),
        ),
        Case(
            "web reports",
            "/reports/",
            lambda: first_page(Report.objects.visible_to(manager())),
        ),
        Case(
            "API reports",
            "/api/v1/reports/",
            lambda: first_page(Report.objects.visible_to(manager())),
        ),
        Case(
            "web notifications",
            "/notifications/",
            lambda: first_page(Notification.objects.filter(recipient=manager()).order_by("-created_at", "-id")),
        ),
        Case(
            "web commissioners",
            "/commissioners/",
            lambda: first_page(Commissioner.objects.visible_to(manager()).order_by("-is_active", "name", "pk")),
        ),
        Case(
            "API commissioners",
            "/api/v1/commissioners/",
            lambda: first_page(Commissioner.objects.visible_to(manager()).order_by("name", "id")),
        ),
        Case(
            "API enterprise-years",
            f"/api/v1/enterprise-years/?year={today.year - 1}",
            lambda: first_page(EnterpriseYear.objects.filter(year=today.year - 1).order_by("enterprise_id", "-year")),
        ),
        Case(
            "API extension-requests",
            "/api/v1/extension-requests/",
            lambda: first_page(ExtensionRequest.objects.order_by("-requested_at", "-id")),
        ),
        # Growth programmes (DESIGN §11.7): the cultivation board and the milestone lag lists
        Case(
            "web cultivation board hnte",
            f"/cultivation/?year={today.year}&programme=hnte",
            lambda: [
                list(Cultivation.objects.filter(year=today.year, programme="hnte", stage=stage)[:50])
                for stage in CultivationStage.values
            ],
        ),
        Case(
            "web projects signed not started",
            "/projects/milestones/?list=signed_not_started",
            lambda: first_page(milestone_lag(user=manager(), which="signed_not_started", today=today)),
        ),
        Case(
            "web projects started not completed",
            "/projects/milestones/?list=started_not_completed",
            lambda: first_page(milestone_lag(user=manager(), which="started_not_completed", today=today)),
        ),
        Case(
            "API cultivations applied",
            "/api/v1/cultivations/?stage=applied",
            lambda: first_page(Cultivation.objects.filter(stage="applied").order_by("-year", "programme_id", "id")),
        ),
        # Pages and matching
        Case(
            "web enterprise 360°",
            f"/enterprises/{enterprise.pk}/",
            lambda: Enterprise.objects.get(pk=enterprise.pk),
            PAGE_360,
        ),
        Case(
            "API eligible enterprises",
            f"/api/v1/policies/{policy.pk}/eligible-enterprises/",
            lambda: first_page(policy_eligible_enterprises(policy=policy, user=manager())),
            MATCHING,
        ),
        Case(
            "web policy page (eligible)",
            f"/policies/{policy.pk}/",
            lambda: first_page(policy_eligible_enterprises(policy=policy, user=manager())),
            MATCHING,
        ),
        Case(
            "API need policy-suggestions",
            f"/api/v1/needs/{need.pk}/policy-suggestions/",
            lambda: list(enterprise_eligible_policies(enterprise=need.enterprise)),
            MATCHING,
        ),
    ]
    busiest = (
        Enterprise.liaison_officers.through.objects.values("user_id")
        .annotate(n=Count("enterprise_id"))
        .order_by("-n", "user_id")
        .first()
    )
    if busiest is not None:
        officer_id = busiest["user_id"]

        def officer():
            return User.objects.get(pk=officer_id)

        cases += [
            Case(
                "API cadence of one officer",
                f"/api/v1/cadence/?person={officer_id}",
                lambda: first_page(cadence_query(user=manager(), person=officer_id)),
            ),
            Case(
                "API cadence of the whole scope",
                "/api/v1/cadence/",
                lambda: first_page(cadence_query(user=manager())),
            ),
            Case(
                "API cadence due of one officer",
                f"/api/v1/cadence/?person={officer_id}&status=due",
                lambda: first_page(cadence_query(user=manager(), person=officer_id, status="due")),
            ),
            Case(
                "web officer 工作台 (待走访, plans)",
                reverse("crm:home"),
                lambda: (cadence_todo(user=officer()), list(plans_upcoming(user=officer())[:10])),
                HOME,
                user=officer,
            ),
        ]
    cases += home_cases(manager)
    cases += search_cases(manager)
    cases += dashboard_cases()
    return cases


def dashboard_cases() -> list[Case]:
    """The uncached dashboard, page and API, of the benchmark manager (the city) and of a county manager (issue 18:
    the county's scope ORs regions and bureau, which takes other plans). "ORM" is the biggest single aggregate
    behind it (needs by status)."""
    county = _user_reader(_county_manager_pk())
    cases = []
    for who, user in (("", None), ("county manager ", county)):
        if who and user is None:
            continue
        for name, url_name in ((f"web {who}dashboard", "crm:dashboard"), (f"API {who}dashboard", "api:dashboard")):
            cases.append(
                Case(
                    name,
                    reverse(url_name),
                    lambda: list(Need.objects.values("status").annotate(n=Count("id")).order_by()),
                    DASHBOARD,
                    user=user,
                )
            )
    return cases


def _county_manager_pk() -> int | None:
    """A manager of a county bureau (the first by username), or None."""
    return (
        User.objects.filter(groups__name=Role.MANAGER, bureau__level=BureauLevel.COUNTY, is_active=True)
        .order_by("username", "id")
        .values_list("pk", flat=True)
        .first()
    )


def _user_reader(pk: int | None) -> Callable[[], User] | None:
    """The user ``pk``, read again on every run (as the request reads it); None for no ``pk``."""
    if pk is None:
        return None

    def user():
        return User.objects.get(pk=pk)

    return user


def _home_case(name: str, pk: int) -> Case:
    """The 工作台 row of the user ``pk`` (read again on every run, as the request reads it); "ORM" is 预警企业."""
    user = _user_reader(pk)
    return Case(name, reverse("crm:home"), lambda: red_flag_visits(user=user()), HOME, user=user)


def home_cases(manager: Callable[[], User]) -> list[Case]:
    """The manager's 工作台 (inbox, 预警企业, policy radar) and the leader's (预警企业, supervised needs, cadence). The
    "ORM" column is 预警企业 alone."""
    cases = [
        Case(
            "web manager 工作台 (inbox, watch)",
            reverse("crm:home"),
            lambda: red_flag_visits(user=manager()),
            HOME,
        )
    ]
    leader_pk = User.objects.filter(username="leader", is_active=True).values_list("pk", flat=True).first()
    if leader_pk is None:
        leader_pk = (
            User.objects.filter(groups__name=Role.LEADER, is_active=True)
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
    # A county manager's (issue 18): the inbox of a county bureau and a county's 预警企业 take other plans than the
    # city's (SQLite walked the county's visits; its inbox joined enterprises and projects).
    county_pk = _county_manager_pk()
    for name, pk in (
        ("web leader 工作台 (watch, cadence)", leader_pk),
        ("web county manager 工作台 (inbox, watch)", county_pk),
    ):
        if pk is not None:
            cases.append(_home_case(name, pk))
    return cases


def search_cases(manager: Callable[[], User]) -> list[Case]:
    """Global search (DESIGN §9.2 ≤ 50 ms, 1–2 Chinese characters included): the API and the page for one and two
    characters, two words, a code, part of a mobile and a policy name, the type-ahead, and a county officer
    (scoped: the path that may read every match). The "ORM" column is the selector alone."""
    need_code = Need.objects.order_by("-id").values_list("code", flat=True).first() or "SQ-2026-0001"
    mobile = (Contact.objects.exclude(mobile="").order_by("id").values_list("mobile", flat=True).first() or "138")[:7]
    county_user = (
        User.objects.filter(bureau__level=BureauLevel.COUNTY, is_active=True).order_by("username", "id").first()
    )
    queries = [
        ("search API 1 char 新", "api:search", "新", manager),
        ("search API 2 chars 澄源", "api:search", "澄源", manager),
        ("search API rare 2 chars 叒叕", "api:search", "叒叕", manager),
        ("search API 2 words 澄源 新材料", "api:search", "澄源 新材料", manager),
        ("search API need code", "api:search", need_code, manager),
        ("search API mobile part", "api:search", mobile, manager),
        ("search API policy 苏科贷", "api:search", "苏科贷", manager),
        ("search page 2 chars 华新", "crm:search", "华新", manager),
        ("search type-ahead 1 char 科", "crm:search-suggest", "科", manager),
    ]
    if county_user is not None:
        county_pk = county_user.pk

        def county():
            return User.objects.get(pk=county_pk)

        queries += [
            ("search API county officer 2 chars 华新", "api:search", "华新", county),
            ("search API county officer 1 char 澄", "api:search", "澄", county),
        ]
    cases = []
    for name, url_name, text, user in queries:
        limit = 5 if url_name == "crm:search-suggest" else 20
        cases.append(
            Case(
                name,
                f"{reverse(url_name)}?{urlencode({'q': text})}",
                lambda text=text, user=user, limit=limit: search(user=user(), query=text, limit=limit),
                SEARCH,
                user=None if user is manager else user,
            )
        )
    return cases


_USER: list[User] = []


def benchmark_user() -> User:
    """A city-bureau manager (the demo ``manager`` when present): sees everything, may use every page."""
    if not _USER:
        user = User.objects.filter(username="manager").first()
        if user is None or not (user.has_role(Role.MANAGER) and user.sees_everything):
            user = next(
                (u for u in User.objects.filter(groups__name=Role.MANAGER).order_by("id") if u.sees_everything), None
            )
        if user is None:
            raise CommandError("No city-bureau manager to log in as: run seed_demo first.")
        _USER.append(user)
    return _USER[0]


def uncached():
    """The default cache replaced by a dummy one: the dashboard is computed on every request (DESIGN §9.2 asks
    for its time without the cache). Sessions, throttles and the rest keep working (a dummy cache stores nothing)."""
    caches = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    return override_settings(CACHES=caches)


def measure(func: Callable[[], object], repeat: int) -> list[float]:
    func()  # warm-up: templates, translations, the database's caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return times


class Command(BaseCommand):
    help = (
        "Time every list endpoint/page, the 360° page, search, the uncached dashboard, cadence and matching "
        "(p50/p95, and the ratio to the framework floor plus the bare ORM fetch)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="Timed requests per row (default 20).")
        parser.add_argument("--region", default="320831", help="Region code used in the filters (default 金湖县).")
        parser.add_argument("--only", default="", help="Only rows whose name contains this text.")

    def handle(self, *args, **options):
        repeat = options["repeat"]
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        _USER.clear()
        gc_tune()  # the collector as the server sets it (config/wsgi.py), or the rows time a different process
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ALLOWED_HOSTS=hosts):
            self.run(repeat=repeat, region=options["region"], only=options["only"])

    def run(self, *, repeat: int, region: str, only: str) -> None:
        user = benchmark_user()
        cases = [c for c in cases_build(region=region) if only.lower() in c.name.lower()]
        client = Client(raise_request_exception=False)
        client.force_login(user)
        self.stdout.write(
            f"Benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), as {user.username}, "
            f"{repeat} timed runs per row after one warm-up; enterprises {Enterprise.objects.count():,}, "
            f"visits {Visit.objects.count():,}, needs {Need.objects.count():,}."
        )
        clients: dict[int, Client] = {user.pk: client}
        floors: dict[tuple[int, str], float] = {}
        results = []
        for case in cases:
            status = {}
            case_user = case.user() if case.user is not None else user
            if case_user.pk not in clients:
                clients[case_user.pk] = Client(raise_request_exception=False)
                clients[case_user.pk].force_login(case_user)
            case_client = clients[case_user.pk]

            def request(path=case.path, status=status, case_client=case_client):
                response = case_client.get(path)
                status["code"] = response.status_code
                if response.status_code == 200 and not getattr(response, "streaming", False):
                    response.content  # noqa: B018 (rendered in full, as a browser would receive it)

            floor_key = (case_user.pk, case.floor_path)
            if floor_key not in floors:
                floors[floor_key] = statistics.median(
                    measure(lambda path=case.floor_path, c=case_client: c.get(path).content, repeat)
                )
            with uncached() if case.kind == DASHBOARD else contextlib.nullcontext():
                times = measure(request, repeat)
                orm_times = measure(case.orm, repeat)
                with CaptureQueriesContext(connection) as captured:
                    request()
            results.append(
                Result(
                    case=case,
                    p50=statistics.median(times),
                    p95=percentile(times, 0.95),
                    orm_p50=statistics.median(orm_times),
                    orm_p95=percentile(orm_times, 0.95),
                    queries=len(captured.captured_queries),
                    status=status.get("code", 0),
                    floor=floors[floor_key],
                )
            )
        self.table(results)

    def table(self, results: list[Result]) -> None:
        header = (
            "row",
            "p50 ms",
            "p95 ms",
            "floor",
            "ORM p50",
            "ORM p95",
            "ratio",
            "queries",
            "target",
            "verdict",
            "path",
        )
        rows = []
        for r in results:
            limit, ratio, queries = TARGETS[r.case.kind]
            target = f"p95≤{limit}" + (f" ≤{ratio:g}×" if ratio else "") + (f" ≤{queries}q" if queries else "")
            rows.append(
                (
                    r.case.name,
                    f"{r.p50:.1f}",
                    f"{r.p95:.1f}",
                    f"{r.floor:.1f}",
                    f"{r.orm_p50:.2f}",
                    f"{r.orm_p95:.2f}",
                    f"{r.ratio:.1f}",
                    str(r.queries),
                    target,
                    r.verdict(),
                    r.case.path,
                )
            )
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        numeric = {1, 2, 3, 4, 5, 6, 7}

        def line(row) -> str:
            cells = [
                str(c).rjust(w) if i in numeric else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        self.stdout.write(line(header))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(line(row))
        over = [r for r in results if r.verdict() != "ok"]
        self.stdout.write(
            "ratio = request p50 / (floor + bare ORM p50), where floor = p50 of a trivial authenticated request as "
            f"the same user ({FLOOR_API} for API rows, the {FLOOR_WEB} page for web rows) and the ORM query fetches "
            "the same first page without counting, joins or rendering; queries = SQL statements of one request "
            "(session and user included). The dashboard rows run without the cache."
        )
        self.stdout.write(f"{len(results) - len(over)} of {len(results)} rows within the DESIGN §9.2 targets.")
