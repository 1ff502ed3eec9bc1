"""Two transitions with the same version at the same time: exactly one wins, the other is a conflict.

Runs on whatever database the suite uses (SQLite with IMMEDIATE transactions locally, PostgreSQL in CI):
each thread has its own connection, and a barrier releases both at once.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from crm.choices import NeedStatus
from crm.models import Need, NeedEvent
from crm.services.errors import TransitionConflict
from crm.services.needs import need_accept, need_create, need_reject

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("concurrency")]


def race(*calls):
    """Run the callables in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


@pytest.mark.parametrize("rounds", range(5))
def test_same_version_exactly_one_wins(officer, manager, enterprise, rounds):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="并发测试")
    first = Need.objects.get(pk=need.pk)
    second = Need.objects.get(pk=need.pk)

    results = race(
        lambda: need_accept(need=first, user=manager, version=1),
        lambda: need_reject(need=second, user=manager, version=1, reason="重复诉求"),
    )

    winners = [r for r in results if isinstance(r, Need)]
    losers = [r for r in results if isinstance(r, TransitionConflict)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    need.refresh_from_db()
    assert need.version == 2
    assert need.status == winners[0].status
    assert need.status in (NeedStatus.ACCEPTED, NeedStatus.REJECTED)
    # The loser wrote nothing: one "recorded" event and the winner's.
    assert NeedEvent.objects.filter(need=need).count() == 2
