"""The API throttles (crm.api.throttles) count in the database table of ThrottleCounter: one upsert per request,
shared by every process, a sliding-window estimate, refused requests not counted, expired rows culled."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.api.throttles import CrmUserRateThrottle
from crm.models import ThrottleCounter
from crm.models import throttles as throttle_models

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0  # a window start for 60-second windows (divisible by 60)


def hit(now, key="k"):
    return ThrottleCounter.objects.hit(key=key, window=60, now=now)


def test_hits_count_in_the_window_and_roll_into_the_previous_one():
    assert [hit(T0 + s) for s in (0, 10, 59)] == [(1, 0), (2, 0), (3, 0)]
    assert hit(T0 + 60) == (1, 3)  # next window: the three are now the previous window's
    assert hit(T0 + 61) == (2, 3)
    assert hit(T0 + 185) == (1, 0)  # two windows later: nothing recent
    assert hit(T0, key="other") == (1, 0)


def test_a_late_hit_from_an_earlier_window_counts_in_the_current_one():
    hit(T0 + 60)
    assert hit(T0 + 59) == (2, 0)  # a clock a second behind another process's
    row = ThrottleCounter.objects.get(key="k")
    assert row.period == (T0 + 60) // 60


def test_unhit_takes_back_one_hit_of_the_current_window_only():
    hit(T0)
    hit(T0)
    ThrottleCounter.objects.unhit(key="k", window=60, now=T0 + 1)
    assert ThrottleCounter.objects.get(key="k").hits == 1
    ThrottleCounter.objects.unhit(key="k", window=60, now=T0 + 60)  # another window: nothing to take back
    assert ThrottleCounter.objects.get(key="k").hits == 1


def test_the_cull_deletes_only_rows_quiet_for_two_windows():
    hit(T0, key="quiet")
    hit(T0 + 100, key="recent")
    assert ThrottleCounter.objects.cull(now=T0 + 121) == 1
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == ["recent"]


def test_a_hit_culls_now_and_then(monkeypatch):
    hit(T0, key="quiet")
    monkeypatch.setattr(throttle_models, "CULL_EVERY", 1)  # every hit culls
    hit(T0 + 200, key="new")
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == ["new"]


def test_no_cull_when_culling_is_off(monkeypatch):
    hit(T0, key="quiet")
    monkeypatch.setattr(throttle_models, "CULL_EVERY", 0)  # the suite's setting: a query count never gets a cull
    hit(T0 + 200, key="new")
    assert sorted(ThrottleCounter.objects.values_list("key", flat=True)) == ["new", "quiet"]


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(CrmUserRateThrottle, "THROTTLE_RATES", {**CrmUserRateThrottle.THROTTLE_RATES, "user": "3/min"})
    clock = {"now": T0 + 30}
    monkeypatch.setattr(CrmUserRateThrottle, "timer", lambda self: clock["now"])
    return clock


def test_the_user_rate_holds_across_processes_and_refusals_are_not_counted(client, manager, three_per_minute):
    client.force_login(manager)
    statuses = []
    for _ in range(5):
        cache.clear()  # another process's cache: the count is in the database
        statuses.append(client.get("/api/v1/me/").status_code)
    assert statuses == [200, 200, 200, 429, 429]
    assert ThrottleCounter.objects.get(key=f"throttle_user_{manager.pk}").hits == 3
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 30 + 60


def test_the_previous_window_weighs_by_its_overlap(client, manager, three_per_minute):
    client.force_login(manager)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200] * 3
    three_per_minute["now"] = T0 + 60 + 15  # 3 hits × 75 % overlap = 2.25: room for one more
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 429]
    three_per_minute["now"] = T0 + 60 + 45  # 3 × 25 % + 1 = 1.75: two more
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_the_cache_store_keeps_drfs_history(client, manager, three_per_minute, settings):
    settings.CRM_THROTTLE_STORE = "cache"
    client.force_login(manager)
    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert not ThrottleCounter.objects.exists()


def test_a_signed_in_api_request_costs_three_queries(client, manager):
    client.force_login(manager)
    client.get("/api/v1/me/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/")
    assert response.json()["roles"] == ["manager"]
    # The session, the user with bureau, department and roles (crm.security), the throttle's upsert (was six).
    assert len(queries) == 3, [q["sql"] for q in queries]
    assert sum("crm_throttlecounter" in q["sql"] for q in queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: SQLite does not flush on commit")
def test_the_counters_table_is_unlogged_on_postgresql():
    # A logged table's commit waits for the WAL flush on every API request (migration 0032).
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [ThrottleCounter._meta.db_table])
        assert cursor.fetchone() == ("u",)


def test_the_hit_is_a_statement_prepared_on_the_server(prepared_on_server):
    ThrottleCounter.objects.hit(key="k", window=60, now=600.0)
    assert any(s.startswith('INSERT INTO "crm_throttlecounter"') and "$1" in s for s in prepared_on_server())
