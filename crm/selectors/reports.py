"""The rows of the reports sent upward (DESIGN §11.6): one selector per kind, scoped to one bureau and one period.

``report_data(kind=…, period=…, bureau=…)`` returns the JSON-ready snapshot a ``Report`` keeps (rows, totals and
figures; dates as ``YYYY-MM-DD``, money as strings with two decimals, enumerations by value): the file is
written from it, never from the live data, so a submitted report never changes.

Whose data (the bureau's scope, the same ``visible_to`` as its staff):

- a county bureau: what lies in its county (``visible_to`` of a reader of that bureau: region, needs
  transferred to it);
- the city bureau: everything that lies in no county bureau's scope (its own districts and zones). Its report
  of a period is consolidated with the counties' accepted reports of that kind and period
  (``report_consolidate``): their frozen rows follow its own under a 填报单位 column, totals and rates are
  recomputed from the counts.

Periods are those of the dashboard (``2026-11``, ``2026Q4``, ``2026``; ``period_parse``). What each kind holds:

- ``visits_summary`` 走访情况汇总表: one row per enterprise visited in the period, plus every linked or
  assisted operating enterprise not visited (0, so the gaps show); visits by kind, the latest visit and its flag,
  the needs raised in the period; coverage of the linked and assisted enterprises as a figure;
- ``needs_ledger`` 诉求办理台账: the needs raised in the period and those raised before it still open at its
  start; 销号 when the need was closed or rejected on or before the period's last day, with that date; the
  KPIs of the need clock (``need_clock_kpis``) over these needs, and the satisfaction rate;
- ``projects_progress`` 帮办项目推进表: the assisted projects; visits in the period, their help requests
  (帮办事项: total, raised in the period, crossed off, open, overdue), the latest visit;
- ``policy_delivery`` 政策兑现表: per policy pushed by the period's end, pushed in the period and in all,
  applying, granted, not granted or declined, and the amount granted (万元) — the outcome as it stands at
  generation (matches carry no date of their outcome);
- ``monthly_brief`` 月度工作简报: headline figures, needs solved in the period, overdue and supervised needs,
  red-flag enterprises (预警企业) and the visit plans of the month after the period.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.choices import (
    OPEN_NEED_STATUSES,
    BureauLevel,
    EnterpriseStatus,
    MatchStatus,
    NeedCategory,
    NeedStatus,
    PlanStatus,
    PolicyDelivery,
    PolicyLevel,
    ProjectKind,
    ProjectStage,
    ReportKind,
    ReportStatus,
    Satisfaction,
    Urgency,
    VisitFlag,
    VisitKind,
)
from crm.models import Bureau, Enterprise, Need, NeedEvent, PolicyMatch, Project, Report, Visit, VisitPlan
from crm.selectors.dashboard import _count_subquery, _day_start, _percent, need_clock_kpis, period_parse
from crm.selectors.watch import red_flag_visits, supervision_cutoff

SETTLED_STATUSES = (NeedStatus.CLOSED, NeedStatus.REJECTED)
LIST_LIMIT = 10
RED_FLAG_SCAN = 100
UNIT = "unit"  # the 填报单位 column of a consolidated report


@dataclass(frozen=True)
class Column:
    """One column of a report: ``kind`` text, code (written as text), int, money, date, choice or bool;
    ``total``: summed in the totals row; ``width`` in characters (the xlsx file)."""

    key: str
    label: object
    kind: str = "text"
    width: int = 12
    total: bool = False
    choices: type | None = None

    def display(self, value) -> str | int | Decimal | None:
        """The value as a document shows it (a label for a choice, 是/否 for a bool)."""
        if value is None or value == "":
            return ""
        if self.kind == "choice" and self.choices is not None:
            return str(dict(self.choices.choices).get(value, value))
        if self.kind == "bool":
            return str(_("Yes")) if value else str(_("No"))
        if self.kind == "money":
            return Decimal(value)
        return value


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: object  # the document's title, e.g. 走访情况汇总表
    columns: tuple[Column, ...] = field(default_factory=tuple)


SEQ = Column("seq", pgettext_lazy("report column", "No."), "int", 5)
UNIT_COLUMN = Column(UNIT, _("Reporting unit"), "text", 14)

SPECS = {
    ReportKind.VISITS_SUMMARY: KindSpec(
        ReportKind.VISITS_SUMMARY,
        _("Summary of enterprise visits"),
        (
            SEQ,
            Column("enterprise", pgettext_lazy("report column", "Enterprise"), "text", 26),
            Column("credit_code", pgettext_lazy("report column", "Unified social credit code"), "code", 21),
            Column("region", pgettext_lazy("report column", "Region"), "text", 12),
            Column("tier", pgettext_lazy("report column", "Tier"), "text", 10),
            Column("liaison", pgettext_lazy("report column", "Liaison officers"), "text", 14),
            Column("visits", pgettext_lazy("report column", "Visits"), "int", 7, total=True),
            Column("on_site", pgettext_lazy("report column", "On-site"), "int", 7, total=True),
            Column("meeting", pgettext_lazy("report column", "Meetings"), "int", 7, total=True),
            Column("remote", pgettext_lazy("report column", "Phone or online"), "int", 8, total=True),
            Column("last_visit", pgettext_lazy("report column", "Latest visit"), "date", 11),
            Column("flag", pgettext_lazy("report column", "Flag"), "choice", 7, choices=VisitFlag),
            Column("needs", pgettext_lazy("report column", "Needs raised"), "int", 8, total=True),
        ),
    ),
    ReportKind.NEEDS_LEDGER: KindSpec(
        ReportKind.NEEDS_LEDGER,
        _("Ledger of enterprise needs"),
        (
            SEQ,
            Column("code", pgettext_lazy("report column", "Code"), "code", 13),
            Column("enterprise", pgettext_lazy("report column", "Enterprise or project"), "text", 22),
            Column("credit_code", pgettext_lazy("report column", "Unified social credit code"), "code", 20),
            Column("category", pgettext_lazy("report column", "Category"), "choice", 10, choices=NeedCategory),
            Column("title", pgettext_lazy("report column", "Need"), "text", 24),
            Column("urgency", pgettext_lazy("report column", "Urgency"), "choice", 6, choices=Urgency),
            Column("raised_on", pgettext_lazy("report column", "Raised on"), "date", 11),
            Column("lead_department", pgettext_lazy("report column", "Lead department"), "text", 12),
            Column("original_due_on", pgettext_lazy("report column", "Original deadline"), "date", 11),
            Column("due_on", pgettext_lazy("report column", "Deadline"), "date", 11),
            Column("status", pgettext_lazy("report column", "Status"), "choice", 8, choices=NeedStatus),
            Column("resolution", pgettext_lazy("report column", "Result"), "text", 24),
            Column("satisfaction", pgettext_lazy("report column", "Satisfaction"), "choice", 8, choices=Satisfaction),
            Column("crossed_off", pgettext_lazy("report column", "Crossed off"), "bool", 6),
            Column("crossed_off_on", pgettext_lazy("report column", "Crossed off on"), "date", 11),
        ),
    ),
    ReportKind.PROJECTS_PROGRESS: KindSpec(
        ReportKind.PROJECTS_PROGRESS,
        _("Progress of assisted projects"),
        (
            SEQ,
            Column("project", pgettext_lazy("report column", "Project"), "text", 24),
            Column("enterprise", pgettext_lazy("report column", "Enterprise"), "text", 22),
            Column("region", pgettext_lazy("report column", "Region"), "text", 12),
            Column("project_kind", pgettext_lazy("report column", "Kind"), "choice", 10, choices=ProjectKind),
            Column("stage", pgettext_lazy("report column", "Stage"), "choice", 9, choices=ProjectStage),
            Column(
                "planned_investment",
                pgettext_lazy("report column", "Planned investment (10k yuan)"),
                "money",
                12,
                total=True,
            ),
            Column("liaison", pgettext_lazy("report column", "Liaison"), "text", 14),
            Column("visits", pgettext_lazy("report column", "Visits"), "int", 7, total=True),
            Column("requests", pgettext_lazy("report column", "Help requests"), "int", 8, total=True),
            Column("requests_new", pgettext_lazy("report column", "Raised in the period"), "int", 8, total=True),
            Column("requests_settled", pgettext_lazy("report column", "Crossed off"), "int", 7, total=True),
            Column("requests_open", pgettext_lazy("report column", "Open"), "int", 7, total=True),
            Column("requests_overdue", pgettext_lazy("report column", "Overdue"), "int", 7, total=True),
            Column("last_visit", pgettext_lazy("report column", "Latest visit"), "date", 11),
        ),
    ),
    ReportKind.POLICY_DELIVERY: KindSpec(
        ReportKind.POLICY_DELIVERY,
        _("Delivery of enterprise policies"),
        (
            SEQ,
            Column("policy", pgettext_lazy("report column", "Policy"), "text", 30),
            Column("doc_number", pgettext_lazy("report column", "Document number"), "code", 16),
            Column("level", pgettext_lazy("report column", "Level"), "choice", 8, choices=PolicyLevel),
            Column("delivery", pgettext_lazy("report column", "Delivery"), "choice", 10, choices=PolicyDelivery),
            Column("pushed_period", pgettext_lazy("report column", "Pushed in the period"), "int", 9, total=True),
            Column("pushed", pgettext_lazy("report column", "Pushed in all"), "int", 8, total=True),
            Column("applying", pgettext_lazy("report column", "Applying"), "int", 8, total=True),
            Column("granted", pgettext_lazy("report column", "Granted"), "int", 8, total=True),
            Column("not_granted", pgettext_lazy("report column", "Not granted or declined"), "int", 9, total=True),
            Column("amount", pgettext_lazy("report column", "Amount granted (10k yuan)"), "money", 12, total=True),
        ),
    ),
    ReportKind.MONTHLY_BRIEF: KindSpec(ReportKind.MONTHLY_BRIEF, _("Monthly work brief")),
}


class ReportPeriodError(ValueError):
    """A period that is not ``2026-11``, ``2026Q4`` or ``2026``."""


def report_period(value: str) -> tuple[str, dt.date, dt.date]:
    """``(label, first day, last day)`` of a report period; ``ReportPeriodError`` for anything else (empty too)."""
    if not (value or "").strip():
        raise ReportPeriodError(value)
    try:
        return period_parse(value, today=timezone.localdate())
    except ValueError as error:
        raise ReportPeriodError(value) from error


class BureauReader:
    """Reads as a county member of ``bureau`` would (``visible_to`` by its region and its bureau), with no
    ownership of anything: the scope of a county bureau's report."""

    is_authenticated = True
    is_superuser = False
    sees_everything = False
    pk = id = -1  # owns nothing (ids start at 1)

    def __init__(self, bureau: Bureau):
        self.bureau = bureau
        self.bureau_id = bureau.pk


class CityReader:
    """Reads the whole city (the base of the city bureau's report, before the counties are taken out)."""

    is_authenticated = True
    is_superuser = False
    sees_everything = True
    pk = id = -1

    def __init__(self, bureau: Bureau):
        self.bureau = bureau
        self.bureau_id = bureau.pk


def bureau_reader(bureau: Bureau):
    return BureauReader(bureau) if bureau.level == BureauLevel.COUNTY else CityReader(bureau)


def _county_bureaus() -> list[Bureau]:
    return list(Bureau.objects.filter(level=BureauLevel.COUNTY).select_related("region"))


def bureau_scope(queryset: QuerySet, bureau: Bureau, *, counties: list[Bureau] | None = None) -> QuerySet:
    """``queryset`` narrowed to the rows of ``bureau``'s report (see the module docstring)."""
    model = queryset.model
    if bureau.level == BureauLevel.COUNTY:
        return queryset.filter(pk__in=model.objects.visible_to(BureauReader(bureau)).values("pk"))
    counties = _county_bureaus() if counties is None else counties
    for county in counties:
        queryset = queryset.exclude(pk__in=model.objects.visible_to(BureauReader(county)).values("pk"))
    return queryset


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def _money(value) -> str:
    return str((value or Decimal(0)).quantize(Decimal("0.01")))


def _names(users) -> str:
    return "、".join(user.name or user.username for user in users)


def _number(column: Column, value):
    if column.kind == "money":
        return Decimal(value or 0)
    return value or 0


def totals_compute(columns, rows: list[dict]) -> dict:
    """The totals row: the sum of every ``total`` column, and the number of rows."""
    totals: dict = {"rows": len(rows)}
    for column in columns:
        if column.total:
            value = sum(
                (_number(column, row.get(column.key)) for row in rows), Decimal(0) if column.kind == "money" else 0
            )
            totals[column.key] = _money(value) if column.kind == "money" else value
    return totals


def _rate(count: int, total: int) -> dict:
    return {"count": count, "total": total, "percent": _percent(count, total)}


def _period_window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return _day_start(start), _day_start(end + dt.timedelta(days=1))


# ------------------------------------------------------------------------------------------------------- kinds


def _visits_summary(bureau: Bureau, start: dt.date, end: dt.date, counties) -> dict:
    visits = Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end)
    since, until = _period_window(start, end)
    needs = Need.objects.filter(enterprise=OuterRef("pk"), created_at__gte=since, created_at__lt=until)
    targets = Q(Q(is_linked=True) | Q(is_assisted=True), status=EnterpriseStatus.OPERATING)
    latest = visits.order_by("-visited_on", "-id")
    enterprises = (
        bureau_scope(Enterprise.objects.all(), bureau, counties=counties)
        .filter(targets | Q(Exists(visits)))
        .select_related("region")
        .prefetch_related("liaison_officers")
        .annotate(
            n_visits=_count_subquery(visits),
            n_on_site=_count_subquery(visits.filter(kind=VisitKind.ON_SITE)),
            n_meeting=_count_subquery(visits.filter(kind=VisitKind.MEETING)),
            n_remote=_count_subquery(visits.filter(kind__in=[VisitKind.PHONE, VisitKind.ONLINE])),
            n_needs=_count_subquery(needs),
            last_visit=Subquery(latest.values("visited_on")[:1]),
            last_flag=Subquery(latest.values("flag")[:1]),
        )
        .order_by("-n_visits", "region__code", "name", "id")
    )
    rows = []
    target_total = target_visited = 0
    for index, enterprise in enumerate(enterprises, start=1):
        is_target = (enterprise.is_linked or enterprise.is_assisted) and enterprise.status == EnterpriseStatus.OPERATING
        if is_target:
            target_total += 1
            target_visited += enterprise.n_visits > 0
        tier = [
            str(label)
            for flag, label in ((enterprise.is_linked, _("Linked")), (enterprise.is_assisted, _("Assisted")))
            if flag
        ]
        rows.append(
            {
                "seq": index,
                "enterprise": enterprise.name,
                "credit_code": enterprise.credit_code,
                "region": enterprise.region.name if enterprise.region_id else "",
                "tier": "、".join(tier),
                "liaison": _names(enterprise.liaison_officers.all()),
                "visits": enterprise.n_visits,
                "on_site": enterprise.n_on_site,
                "meeting": enterprise.n_meeting,
                "remote": enterprise.n_remote,
                "last_visit": _date(enterprise.last_visit),
                "flag": enterprise.last_flag or "",
                "needs": enterprise.n_needs,
            }
        )
    return {"rows": rows, "figures": {"coverage": _rate(target_visited, target_total)}}


def _settled_on():
    """The local date a need was crossed off: ``closed_at``, or the time of its latest rejection."""
    rejected = NeedEvent.objects.filter(need=OuterRef("pk"), to_status=NeedStatus.REJECTED).order_by("-created_at")
    return Coalesce("closed_at", Subquery(rejected.values("created_at")[:1]))


def ledger_needs(bureau: Bureau, start: dt.date, end: dt.date, counties=None) -> QuerySet:
    """The needs of the ledger: raised in the period, or raised before it and not crossed off before it began."""
    since, until = _period_window(start, end)
    needs = bureau_scope(Need.objects.all(), bureau, counties=counties).annotate(settled_at=_settled_on())
    carried = Q(created_at__lt=since) & (
        ~Q(status__in=SETTLED_STATUSES) | Q(settled_at__isnull=True) | Q(settled_at__gte=since)
    )
    return needs.filter(Q(created_at__gte=since, created_at__lt=until) | carried)


def _satisfaction(needs: QuerySet) -> dict:
    row = needs.order_by().aggregate(
        rated=Count("pk", filter=Q(satisfaction__in=Satisfaction.values)),
        satisfied=Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])),
    )
    return _rate(row["satisfied"], row["rated"])


def _clock(needs: QuerySet, today: dt.date) -> dict:
    kpis = need_clock_kpis(needs=Need.objects.filter(pk__in=needs.values("pk")), today=today)
    answer = kpis.pop("answer_days")
    figures = {name: _rate(value["count"], value["total"]) for name, value in kpis.items()}
    figures["answer_days"] = {"count": answer["answered"], "average": answer["average"]}
    return figures


def _needs_ledger(bureau: Bureau, start: dt.date, end: dt.date, counties, today: dt.date) -> dict:
    needs = (
        ledger_needs(bureau, start, end, counties)
        .select_related("enterprise", "project", "lead_department")
        .order_by("created_at", "id")
    )
    _, until = _period_window(start, end)
    rows = []
    for index, need in enumerate(needs, start=1):
        settled = need.status in SETTLED_STATUSES and need.settled_at is not None and need.settled_at < until
        subject = need.enterprise.name if need.enterprise_id else ""
        if need.project_id:
            subject = f"{subject}（{need.project.name}）" if subject else need.project.name
        rows.append(
            {
                "seq": index,
                "code": need.code,
                "enterprise": subject,
                "credit_code": need.enterprise.credit_code if need.enterprise_id else "",
                "category": need.category,
                "title": need.title,
                "urgency": need.urgency,
                "raised_on": _date(need.created_at),
                "lead_department": need.lead_department.name if need.lead_department_id else "",
                "original_due_on": _date(need.original_due_on),
                "due_on": _date(need.due_on),
                "status": need.status,
                "resolution": need.resolution,
                "satisfaction": need.satisfaction or "",
                "crossed_off": settled,
                "crossed_off_on": _date(need.settled_at) if settled else None,
                "overdue": bool(
                    need.status in OPEN_NEED_STATUSES
                    and need.due_on
                    and need.due_on < min(end + dt.timedelta(1), today)
                ),
            }
        )
    crossed = sum(row["crossed_off"] for row in rows)
    base = ledger_needs(bureau, start, end, counties)
    figures = {
        "needs": len(rows),
        "crossed_off": crossed,
        "open": len(rows) - crossed,
        "overdue": sum(row["overdue"] for row in rows),
        **_clock(base, today),
        "satisfaction": _satisfaction(base),
    }
    return {"rows": rows, "figures": figures}


def _projects_progress(bureau: Bureau, start: dt.date, end: dt.date, counties, today: dt.date) -> dict:
    since, until = _period_window(start, end)
    visits = Visit.objects.filter(project=OuterRef("pk"))
    requests = Need.objects.filter(project=OuterRef("pk")).annotate(settled_at=_settled_on())
    projects = (
        bureau_scope(Project.objects.filter(is_assisted=True), bureau, counties=counties)
        .select_related("enterprise", "region", "liaison_leader")
        .prefetch_related("liaison_officers")
        .annotate(
            n_visits=_count_subquery(visits.filter(visited_on__gte=start, visited_on__lte=end)),
            last_visit=Subquery(visits.filter(visited_on__lte=end).order_by("-visited_on").values("visited_on")[:1]),
            n_requests=_count_subquery(requests.filter(created_at__lt=until)),
            n_new=_count_subquery(requests.filter(created_at__gte=since, created_at__lt=until)),
            n_settled=_count_subquery(
                requests.filter(created_at__lt=until, status__in=SETTLED_STATUSES, settled_at__lt=until)
            ),
            n_overdue=_count_subquery(
                requests.filter(created_at__lt=until, status__in=OPEN_NEED_STATUSES, due_on__lt=min(end, today))
            ),
        )
        .order_by("region__code", "name", "id")
    )
    rows = []
    for index, project in enumerate(projects, start=1):
        people = list(project.liaison_officers.all())
        if project.liaison_leader_id:
            people.insert(0, project.liaison_leader)
        rows.append(
            {
                "seq": index,
                "project": project.name,
                "enterprise": project.enterprise.name if project.enterprise_id else "",
                "region": project.region.name if project.region_id else "",
                "project_kind": project.kind or "",
                "stage": project.stage or "",
                "planned_investment": _money(project.planned_investment),
                "liaison": _names(people),
                "visits": project.n_visits,
                "requests": project.n_requests,
                "requests_new": project.n_new,
                "requests_settled": project.n_settled,
                "requests_open": project.n_requests - project.n_settled,
                "requests_overdue": project.n_overdue,
                "last_visit": _date(project.last_visit),
            }
        )
    return {"rows": rows, "figures": {}}


def _policy_delivery(bureau: Bureau, start: dt.date, end: dt.date, counties) -> dict:
    since, until = _period_window(start, end)
    matches = bureau_scope(PolicyMatch.objects.all(), bureau, counties=counties).filter(
        ~Q(status=MatchStatus.SUGGESTED), pushed_at__lt=until
    )
    grouped = (
        matches.order_by()
        .values("policy_id", "policy__title", "policy__doc_number", "policy__level", "policy__delivery")
        .annotate(
            pushed_period=Count("pk", filter=Q(pushed_at__gte=since)),
            pushed=Count("pk"),
            applying=Count("pk", filter=Q(status=MatchStatus.APPLYING)),
            granted=Count("pk", filter=Q(status=MatchStatus.GRANTED)),
            not_granted=Count("pk", filter=Q(status__in=[MatchStatus.NOT_GRANTED, MatchStatus.DECLINED])),
            amount=Sum("granted_amount", filter=Q(status=MatchStatus.GRANTED)),
        )
        .order_by("-pushed", "policy__title", "policy_id")
    )
    rows = [
        {
            "seq": index,
            "policy": row["policy__title"],
            "doc_number": row["policy__doc_number"],
            "level": row["policy__level"],
            "delivery": row["policy__delivery"],
            "pushed_period": row["pushed_period"],
            "pushed": row["pushed"],
            "applying": row["applying"],
            "granted": row["granted"],
            "not_granted": row["not_granted"],
            "amount": _money(row["amount"]),
        }
        for index, row in enumerate(grouped, start=1)
    ]
    return {"rows": rows, "figures": {}}


def _need_item(need: Need, **extra) -> dict:
    return {
        "code": need.code,
        "enterprise": need.enterprise.name if need.enterprise_id else (need.project.name if need.project_id else ""),
        "title": need.title,
        "category": need.category,
        "due_on": _date(need.due_on),
        **extra,
    }


def _monthly_brief(bureau: Bureau, start: dt.date, end: dt.date, counties, today: dt.date) -> dict:
    since, until = _period_window(start, end)
    visits = bureau_scope(Visit.objects.all(), bureau, counties=counties).filter(
        visited_on__gte=start, visited_on__lte=end
    )
    visit_row = visits.order_by().aggregate(
        visits=Count("pk"),
        enterprises=Count("enterprise", distinct=True),
        red=Count("pk", filter=Q(flag=VisitFlag.RED)),
    )
    summary = _visits_summary(bureau, start, end, counties)
    ledger = ledger_needs(bureau, start, end, counties)
    scoped_needs = bureau_scope(Need.objects.all(), bureau, counties=counties)
    need_row = ledger.order_by().aggregate(
        raised=Count("pk", filter=Q(created_at__gte=since, created_at__lt=until)),
        settled=Count("pk", filter=Q(status__in=SETTLED_STATUSES, settled_at__gte=since, settled_at__lt=until)),
    )
    open_needs = scoped_needs.filter(status__in=OPEN_NEED_STATUSES, created_at__lt=until)
    cutoff = supervision_cutoff(today)
    matches = bureau_scope(PolicyMatch.objects.all(), bureau, counties=counties)
    match_row = matches.order_by().aggregate(
        pushed=Count("pk", filter=~Q(status=MatchStatus.SUGGESTED) & Q(pushed_at__gte=since, pushed_at__lt=until)),
        granted=Count("pk", filter=Q(status=MatchStatus.GRANTED, pushed_at__lt=until)),
        amount=Sum("granted_amount", filter=Q(status=MatchStatus.GRANTED, pushed_at__lt=until)),
    )
    figures = {
        "visits": visit_row["visits"],
        "enterprises_visited": visit_row["enterprises"],
        "red_visits": visit_row["red"],
        "coverage": summary["figures"]["coverage"],
        "needs_raised": need_row["raised"],
        "needs_settled": need_row["settled"],
        "needs_open": open_needs.count(),
        "needs_overdue": open_needs.filter(due_on__lt=today).count(),
        **_clock(ledger, today),
        "satisfaction": _satisfaction(ledger),
        "policies_pushed": match_row["pushed"],
        "policies_granted": match_row["granted"],
        "amount_granted": _money(match_row["amount"]),
    }
    solved = (
        ledger.filter(status=NeedStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .select_related("enterprise", "project", "lead_department")
        .annotate(
            _rated=Case(
                When(satisfaction=Satisfaction.SATISFIED, then=Value(0)),
                When(satisfaction=Satisfaction.BASICALLY_SATISFIED, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("_rated", "-closed_at", "id")[:LIST_LIMIT]
    )
    late = open_needs.filter(due_on__lt=today).select_related("enterprise", "project", "lead_department")
    overdue = late.filter(due_on__gt=cutoff).order_by("due_on", "id")[:LIST_LIMIT]
    supervised = late.filter(due_on__lte=cutoff).order_by("due_on", "id")[:LIST_LIMIT]
    if bureau.level == BureauLevel.COUNTY:
        flagged = red_flag_visits(user=bureau_reader(bureau), limit=LIST_LIMIT)
    else:
        county_regions = {county.region_id for county in counties}
        flagged = [
            visit
            for visit in red_flag_visits(user=bureau_reader(bureau), limit=RED_FLAG_SCAN)
            if visit.enterprise.region_id not in county_regions
        ][:LIST_LIMIT]
    month_start = end + dt.timedelta(days=1)
    next_label, next_start, next_end = period_parse(f"{month_start:%Y-%m}", today=today)
    plans = (
        bureau_scope(VisitPlan.objects.all(), bureau, counties=counties)
        .filter(status=PlanStatus.PLANNED, planned_on__gte=next_start, planned_on__lte=next_end)
        .select_related("enterprise", "lead")
        .order_by("planned_on", "id")
    )
    lists = {
        "solved": [
            _need_item(
                need,
                department=need.lead_department.name if need.lead_department_id else "",
                resolution=need.resolution,
                closed_on=_date(need.closed_at),
                satisfaction=need.satisfaction or "",
            )
            for need in solved
        ],
        "overdue": [
            _need_item(
                need, department=need.lead_department.name if need.lead_department_id else "", status=need.status
            )
            for need in overdue
        ],
        "supervised": [
            _need_item(
                need, department=need.lead_department.name if need.lead_department_id else "", status=need.status
            )
            for need in supervised
        ],
        "red_flags": [
            {
                "enterprise": visit.enterprise.name,
                "region": visit.enterprise.region.name if visit.enterprise.region_id else "",
                "flag": visit.flag,
                "visited_on": _date(visit.visited_on),
                "note": visit.q_difficulties or visit.q_needs or visit.q_suggestions,
                "open_needs": len(visit.enterprise.open_needs),
            }
            for visit in flagged
        ],
        "plans": [
            {
                "planned_on": _date(plan.planned_on),
                "enterprise": plan.enterprise.name,
                "lead": (plan.lead.name or plan.lead.username) if plan.lead_id else "",
                "purpose": plan.purpose,
            }
            for plan in plans
        ],
    }
    return {"rows": [], "figures": figures, "lists": lists, "next_period": next_label}


# ---------------------------------------------------------------------------------------------------- public


def report_data(*, kind: str, period: str, bureau: Bureau, today: dt.date | None = None) -> dict:
    """The snapshot of ``bureau``'s own report of ``kind`` for ``period`` (not consolidated)."""
    today = today or timezone.localdate()
    label, start, end = report_period(period)
    counties = [] if bureau.level == BureauLevel.COUNTY else _county_bureaus()
    if kind == ReportKind.VISITS_SUMMARY:
        data = _visits_summary(bureau, start, end, counties)
    elif kind == ReportKind.NEEDS_LEDGER:
        data = _needs_ledger(bureau, start, end, counties, today)
    elif kind == ReportKind.PROJECTS_PROGRESS:
        data = _projects_progress(bureau, start, end, counties, today)
    elif kind == ReportKind.POLICY_DELIVERY:
        data = _policy_delivery(bureau, start, end, counties)
    elif kind == ReportKind.MONTHLY_BRIEF:
        data = _monthly_brief(bureau, start, end, counties, today)
    else:
        raise ValueError(kind)
    columns = SPECS[kind].columns
    return {
        "kind": kind,
        "period": label,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "bureau": bureau.name,
        "bureau_id": bureau.pk,
        "today": today.isoformat(),
        "columns": [column.key for column in columns],
        "totals": totals_compute(columns, data["rows"]),
        "sources": [],
        **data,
    }


def reports_to_consolidate(*, kind: str, period: str) -> QuerySet:
    """The counties' accepted reports of ``kind`` and ``period``: what the city's report of it takes in."""
    return (
        Report.objects.filter(kind=kind, period=period, status=ReportStatus.ACCEPTED, bureau__level=BureauLevel.COUNTY)
        .select_related("bureau")
        .order_by("bureau__name", "id")
    )


def _merge_figure(mine, theirs):
    if isinstance(mine, dict) and "average" in mine:
        count = (mine["count"] or 0) + (theirs.get("count") or 0)
        weighted = (mine["average"] or 0) * (mine["count"] or 0) + (theirs.get("average") or 0) * (
            theirs.get("count") or 0
        )
        return {"count": count, "average": round(weighted / count, 1) if count else None}
    if isinstance(mine, dict):
        return _rate(mine["count"] + theirs.get("count", 0), mine["total"] + theirs.get("total", 0))
    if isinstance(mine, str):
        return _money(Decimal(mine) + Decimal(theirs or 0))
    return mine + (theirs or 0)


def report_consolidate(*, own: dict, sources: list[tuple[str, int, dict]]) -> dict:
    """The city's snapshot: its own rows (unit: the city bureau) followed by the rows of each accepted county
    report ``(bureau name, report id, snapshot)``, renumbered; totals and figures recomputed from the counts,
    lists joined with their unit."""
    if not sources:
        return own
    kind = own["kind"]
    columns = SPECS[kind].columns
    parts = [(own["bureau"], None, own), *sources]
    rows, lists = [], {}
    figures = dict(own["figures"])
    for name, _pk, snapshot in parts:
        for row in snapshot.get("rows", []):
            rows.append({**row, UNIT: name, "seq": len(rows) + 1})
        for key, items in snapshot.get("lists", {}).items():
            lists.setdefault(key, []).extend({**item, UNIT: name} for item in items)
    for _name, _pk, snapshot in sources:
        for key, value in snapshot.get("figures", {}).items():
            figures[key] = _merge_figure(figures[key], value) if key in figures else value
    consolidated = {
        **own,
        "rows": rows,
        "figures": figures,
        "columns": [SEQ.key, UNIT, *(column.key for column in columns if column.key != SEQ.key)],
        "totals": totals_compute(columns, rows),
        "sources": [{"bureau": name, "report": pk} for name, pk, _snapshot in sources],
    }
    if lists or "lists" in own:
        consolidated["lists"] = lists
    return consolidated


def report_columns(snapshot: dict) -> list[Column]:
    """The columns of a snapshot, in its order (a consolidated one has the 填报单位 column)."""
    by_key = {column.key: column for column in SPECS[snapshot["kind"]].columns}
    by_key[UNIT] = UNIT_COLUMN
    return [by_key[key] for key in snapshot.get("columns", []) if key in by_key]


def report_list(*, user) -> QuerySet:
    """Reports in ``user``'s scope, newest period first."""
    return Report.objects.visible_to(user).select_related("bureau", "generated_by", "submitted_by", "reviewed_by")
