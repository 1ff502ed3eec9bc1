"""预警企业 (crm/selectors/watch.py): the latest visit of each enterprise when flagged, red first then newest first,
read one flag at a time in index order (issue 18's pass on the 工作台)."""

import datetime as dt

import pytest

from crm.choices import VisitFlag
from crm.selectors.watch import red_flag_visits
from tests.factories import EnterpriseFactory, VisitFactory, today

pytestmark = pytest.mark.django_db


def _visit(flag, days_ago, enterprise=None):
    enterprise = enterprise or EnterpriseFactory(is_linked=True)
    return VisitFactory(enterprise=enterprise, flag=flag, visited_on=today() - dt.timedelta(days=days_ago))


def test_red_first_then_yellow_newest_first_latest_visit_only(manager):
    old_red = _visit(VisitFlag.RED, 30)
    new_yellow = _visit(VisitFlag.YELLOW, 1)
    new_red = _visit(VisitFlag.RED, 2)
    old_yellow = _visit(VisitFlag.YELLOW, 20)
    superseded = _visit(VisitFlag.RED, 3)
    _visit(VisitFlag.GREEN, 0, enterprise=superseded.enterprise)  # a later green visit: no longer at risk
    same_day = _visit(VisitFlag.RED, 2, enterprise=new_red.enterprise)  # same day, higher id: the latest
    assert red_flag_visits(user=manager) == [same_day, old_red, new_yellow, old_yellow]
    assert red_flag_visits(user=manager, limit=1) == [same_day]
    assert red_flag_visits(user=manager, limit=3) == [same_day, old_red, new_yellow]


def test_scoped_and_by_region(county_officer, manager, county_enterprise, enterprise):
    county = _visit(VisitFlag.YELLOW, 1, enterprise=county_enterprise)
    city = _visit(VisitFlag.RED, 1, enterprise=enterprise)
    assert red_flag_visits(user=county_officer) == [county]
    assert red_flag_visits(user=manager, region=county_enterprise.region_id) == [county]
    assert red_flag_visits(user=manager) == [city, county]
