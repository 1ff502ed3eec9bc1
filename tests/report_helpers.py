"""A hand-made dataset for the reports of March 2025 (DESIGN §11.6), shared by the report tests.

Every figure the tests expect is worked out by hand in the comments below; ``TODAY`` is the day the reports are
generated (a Thursday; no holidays in the table, so the supervision cut-off is 5 working days back: 2025-04-03).
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm.choices import (
    ExtensionStatus,
    MatchStatus,
    NeedEventKind,
    NeedStatus,
    PlanStatus,
    Satisfaction,
    VisitFlag,
    VisitKind,
)
from crm.models import ExtensionRequest, Need
from tests.factories import (
    EnterpriseFactory,
    NeedEventFactory,
    NeedFactory,
    PolicyFactory,
    PolicyMatchFactory,
    ProjectFactory,
    VisitFactory,
    VisitPlanFactory,
)

PERIOD = "2025-03"
TODAY = dt.date(2025, 4, 10)


def at(day: str, hour: int = 10) -> dt.datetime:
    """An aware local datetime on ``day`` (YYYY-MM-DD)."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def need_at(*, created: str, **fields) -> Need:
    """A need created on ``created`` (auto_now_add is overwritten by an update)."""
    need = NeedFactory(**fields)
    Need.objects.filter(pk=need.pk).update(created_at=at(created, 9))
    need.refresh_from_db()
    return need


def march_dataset(*, regions, city_bureau, county_bureau, officer) -> dict:
    """The city's and the county's data; see the module docstring and the comments for the expected figures."""
    city = regions["320812"]
    county = regions["320831"]
    # Enterprises: E1 linked, E2 assisted (never visited in March), E3 neither (visited), E4 neither (not visited).
    e1 = EnterpriseFactory(name="甲企业", region=city, is_linked=True, bureau=city_bureau)
    e1.liaison_officers.set([officer])
    e2 = EnterpriseFactory(name="乙企业", region=city, is_assisted=True, bureau=city_bureau)
    e3 = EnterpriseFactory(name="丙企业", region=city, bureau=city_bureau)
    EnterpriseFactory(name="丁企业", region=city, bureau=city_bureau)
    ce1 = EnterpriseFactory(name="金湖企业", region=county, is_linked=True, bureau=county_bureau)
    # Projects: P1 assisted (E1's), P2 assisted, P3 not assisted; CP1 the county's.
    p1 = ProjectFactory(
        name="一号项目", enterprise=e1, region=city, is_assisted=True, planned_investment=Decimal("1000.50")
    )
    p2 = ProjectFactory(name="二号项目", region=city, is_assisted=True, planned_investment=Decimal("200.00"))
    ProjectFactory(name="三号项目", region=city, is_assisted=False, planned_investment=Decimal("999"))
    ProjectFactory(name="金湖项目", region=county, is_assisted=True, planned_investment=Decimal("50"))
    # Visits in March: E1 on site ×2 (the latest red), E1 by phone about P1, E3 a meeting; E2 only in February;
    # the county's CE1 once.
    VisitFactory(enterprise=e1, visited_on=dt.date(2025, 3, 4), kind=VisitKind.ON_SITE, lead=officer)
    VisitFactory(enterprise=e1, project=p1, visited_on=dt.date(2025, 3, 12), kind=VisitKind.PHONE)
    VisitFactory(enterprise=e1, visited_on=dt.date(2025, 3, 28), kind=VisitKind.ON_SITE, flag=VisitFlag.RED)
    VisitFactory(enterprise=e3, visited_on=dt.date(2025, 3, 18), kind=VisitKind.MEETING)
    VisitFactory(enterprise=e2, visited_on=dt.date(2025, 2, 20), kind=VisitKind.ON_SITE)
    VisitFactory(enterprise=ce1, visited_on=dt.date(2025, 3, 7), kind=VisitKind.ON_SITE)
    # Needs of the ledger (city): N2 carried open and overdue; N6 carried, closed in March; N1 raised and closed
    # in March on time; PN1 (P1's) raised in March, open, due 2025-04-08; N4 raised and rejected in March.
    # Left out: N3 closed in February, N5 raised in April, PN2 (P1's) closed in January.
    n2 = need_at(
        created="2025-02-10",
        enterprise=e1,
        title="N2",
        status=NeedStatus.IN_PROGRESS,
        accept_due_on=dt.date(2025, 2, 11),
        accepted_at=at("2025-02-14"),
        original_due_on=dt.date(2025, 3, 1),
        due_on=dt.date(2025, 3, 1),
    )
    ExtensionRequest.objects.create(
        need=n2, requested_due_on=dt.date(2025, 3, 1), reason="等材料", status=ExtensionStatus.APPROVED
    )
    n6 = need_at(
        created="2025-02-15",
        enterprise=e2,
        title="N6",
        status=NeedStatus.CLOSED,
        original_due_on=dt.date(2025, 3, 1),
        due_on=dt.date(2025, 3, 1),
        closed_at=at("2025-03-03"),
    )
    n1 = need_at(
        created="2025-03-05",
        enterprise=e1,
        title="N1",
        status=NeedStatus.CLOSED,
        accept_due_on=dt.date(2025, 3, 6),
        accepted_at=at("2025-03-06"),
        original_due_on=dt.date(2025, 3, 25),
        due_on=dt.date(2025, 3, 25),
        closed_at=at("2025-03-20"),
        resolution="已协调资金",
        satisfaction=Satisfaction.SATISFIED,
    )
    pn1 = need_at(created="2025-03-08", project=p1, enterprise=None, title="PN1", due_on=dt.date(2025, 4, 8))
    n4 = need_at(created="2025-03-10", enterprise=e2, title="N4", status=NeedStatus.REJECTED)
    event = NeedEventFactory(need=n4, kind=NeedEventKind.STATUS, from_status=NeedStatus.NEW, to_status="rejected")
    type(event).objects.filter(pk=event.pk).update(created_at=at("2025-03-12"))
    need_at(created="2025-02-01", enterprise=e1, title="N3", status=NeedStatus.CLOSED, closed_at=at("2025-02-20"))
    need_at(created="2025-04-02", enterprise=e1, title="N5")
    need_at(
        created="2025-01-10",
        project=p1,
        enterprise=None,
        title="PN2",
        status=NeedStatus.CLOSED,
        closed_at=at("2025-01-20"),
    )
    cn1 = need_at(created="2025-03-06", enterprise=ce1, title="CN1", bureau=county_bureau)
    # Policy matches: A pushed to E1 (March, granted 10), E2 (February, applying), E3 (March, declined);
    # B pushed to E3 (March, granted 2.50) and to E1 in April (left out); suggestions are left out; the county's
    # match belongs to the county.
    policy_a = PolicyFactory(title="政策甲", doc_number="淮科〔2025〕1号")
    policy_b = PolicyFactory(title="政策乙")
    for policy, enterprise, status, pushed, amount in (
        (policy_a, e1, MatchStatus.GRANTED, "2025-03-03", Decimal("10")),
        (policy_a, e2, MatchStatus.APPLYING, "2025-02-10", None),
        (policy_a, e3, MatchStatus.DECLINED, "2025-03-15", None),
        (policy_b, e3, MatchStatus.GRANTED, "2025-03-20", Decimal("2.5")),
        (policy_b, e1, MatchStatus.PUSHED, "2025-04-02", None),
        (policy_b, e2, MatchStatus.SUGGESTED, None, None),
        (policy_a, ce1, MatchStatus.GRANTED, "2025-03-09", Decimal("5")),
    ):
        PolicyMatchFactory(
            policy=policy,
            enterprise=enterprise,
            status=status,
            pushed_at=at(pushed) if pushed else None,
            granted_amount=amount,
        )
    # Plans: one for E1 in April (the brief's next month), one in May, one cancelled; the county's in April.
    VisitPlanFactory(enterprise=e1, planned_on=dt.date(2025, 4, 15), lead=officer, purpose="回访诉求")
    VisitPlanFactory(enterprise=e1, planned_on=dt.date(2025, 5, 2))
    VisitPlanFactory(enterprise=e2, planned_on=dt.date(2025, 4, 20), status=PlanStatus.CANCELLED)
    VisitPlanFactory(enterprise=ce1, planned_on=dt.date(2025, 4, 16))
    return {
        "e1": e1,
        "e2": e2,
        "e3": e3,
        "ce1": ce1,
        "p1": p1,
        "p2": p2,
        "n1": n1,
        "n2": n2,
        "n4": n4,
        "n6": n6,
        "pn1": pn1,
        "cn1": cn1,
    }
