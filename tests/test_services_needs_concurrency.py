"""Two transitions with the same version at the same time: exactly one wins, the other is a conflict.

Runs on whatever database the suite uses (SQLite with IMMEDIATE transactions locally, PostgreSQL in CI):
each thread has its own connection, and a barrier releases both at once.
"""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from crm.choices import NeedEventKind, NeedStatus, Role
from crm.models import ExtensionRequest, Need, NeedEvent
from crm.services.errors import TransitionConflict
from crm.services.needs import extension_request_approve, need_accept, need_create, need_extend, need_reject
from tests.factories import make_user

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


@pytest.mark.parametrize("rounds", range(3))
def test_two_approvals_of_one_extension_exactly_one_wins(
    officer, manager, handler, lead_department, enterprise, city_bureau, city_department, rounds
):
    """Two managers approve the same extension request at once (DESIGN §11.4): one wins, the other is a
    conflict, and the deadline moves once (one extension event, version + 1)."""
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="延期并发")
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS, handler=handler, lead_department=lead_department
    )
    need.refresh_from_db()
    request = need_extend(need=need, user=handler, version=1, due_on=need.due_on + dt.timedelta(days=5), reason="x")
    other = make_user(f"manager_race{rounds}", Role.MANAGER, city_bureau, city_department)
    first, second = ExtensionRequest.objects.get(pk=request.pk), ExtensionRequest.objects.get(pk=request.pk)

    results = race(
        lambda: extension_request_approve(request=first, user=manager),
        lambda: extension_request_approve(request=second, user=other),
    )

    assert len([r for r in results if isinstance(r, ExtensionRequest)]) == 1, results
    assert len([r for r in results if isinstance(r, TransitionConflict)]) == 1, results
    need.refresh_from_db()
    assert need.version == 2
    assert NeedEvent.objects.filter(need=need, kind=NeedEventKind.EXTENSION).count() == 1
