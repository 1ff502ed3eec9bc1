"""``search_index_optimize`` (after a bulk load): the index answers the same before and after, and keeps
following writes."""

import pytest

from crm.selectors.search import search
from crm.services.search import search_index_optimize
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_optimize_keeps_the_answers_and_the_index_keeps_following_writes(manager, regions, enterprise):
    rows = [EnterpriseFactory(name=f"淮安优化{n}科技有限公司", region=regions["320812"]) for n in range(3)]
    before = search(user=manager, query="优化")["enterprises"]
    search_index_optimize()
    assert search(user=manager, query="优化")["enterprises"] == before == rows[::-1]
    rows[0].name = "淮安合并后企业"
    rows[0].save()
    search_index_optimize()
    assert search(user=manager, query="优化")["enterprises"] == rows[:0:-1]
    assert search(user=manager, query="合并后")["enterprises"] == [rows[0]]
