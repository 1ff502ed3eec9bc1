"""Pages of the routine (DESIGN §11.1, §11.2): visit plans (list and month calendar), the personal iCalendar feed
and its key on the user's own page, and activities (list, detail, the phone-first form)."""

import calendar as month_calendar
import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from crm.choices import PlanStatus
from crm.filtersets import ActivityFilterSet, VisitPlanFilterSet
from crm.forms.base import staff_filter_picker
from crm.forms.routine import (
    ActivityForm,
    ActivityNeedFormSet,
    ActivityUpdateForm,
    ParticipantFormSet,
    PlanCancelForm,
    VisitPlanForm,
)
from crm.models import Activity, ActivityAttachment, ActivityParticipant, CalendarKey, Need, Visit, VisitPlan
from crm.permissions import can_create, can_edit
from crm.services.activities import activity_create, activity_update
from crm.services.plans import (
    calendar_key_hash,
    calendar_key_regenerate,
    calendar_key_revoke,
    visit_plan_cancel,
    visit_plan_create,
)
from crm.views.mixins import (
    CreatePermissionMixin,
    FilteredListView,
    ScopedDetailView,
    add_service_errors,
    attachment_response,
)

# ------------------------------------------------------------------------------------------------ visit plans


def _month(raw: str | None, today: dt.date) -> dt.date:
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


class VisitPlanListView(FilteredListView):
    """走访计划: a list, or with ``?view=calendar&month=2026-12`` a month calendar of the filtered plans."""

    model = VisitPlan
    filterset_class = VisitPlanFilterSet
    filter_fields = ("status", "person", "planned_on", "region")
    template_name = "crm/visits/plans.html"
    page_title = _("Visit plans")
    select_related = ("enterprise", "lead")
    prefetch_related = ("officers",)
    CALENDAR_LIMIT = 500

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        if filterset is not None:
            filterset.form.fields["person"].widget = staff_filter_picker(self.request.user)
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["can_create"] = can_create(self.request.user, VisitPlan)
        context["today"] = today
        if self.request.GET.get("view") == "calendar":
            first = _month(self.request.GET.get("month"), today)
            last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
            plans = self.filterset.qs.filter(planned_on__gte=first, planned_on__lte=last)[: self.CALENDAR_LIMIT]
            by_day: dict[dt.date, list] = {}
            for plan in plans:
                by_day.setdefault(plan.planned_on, []).append(plan)
            weeks = [
                [{"day": d, "in_month": d.month == first.month, "plans": by_day.get(d, [])} for d in week]
                for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
            ]
            previous = (first - dt.timedelta(days=1)).replace(day=1)
            following = last + dt.timedelta(days=1)
            query = self.request.GET.copy()
            query.pop("month", None)
            query.pop("page", None)
            context.update(
                calendar_view=True,
                month=first,
                weeks=weeks,
                previous_month=f"{previous:%Y-%m}",
                next_month=f"{following:%Y-%m}",
                query_rest=query.urlencode(),
            )
        return context


class VisitPlanCreateView(CreatePermissionMixin, TemplateView):
    model = VisitPlan
    template_name = "crm/visits/plan_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form",
            VisitPlanForm(
                user=self.request.user,
                initial={
                    "enterprise": self.request.GET.get("enterprise"),
                    "planned_on": timezone.localdate() + dt.timedelta(days=7),
                },
            ),
        )
        context["page_title"] = _("Plan a visit")
        return context

    def post(self, request, *args, **kwargs):
        form = VisitPlanForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit_plan_create(
                    user=request.user,
                    enterprise=data["enterprise"],
                    planned_on=data["planned_on"],
                    lead=data.get("lead"),
                    officers=data.get("officers"),
                    purpose=data.get("purpose", ""),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, gettext_now("The visit is planned."))
                return HttpResponseRedirect(reverse("crm:visitplan-list"))
        return self.render_to_response(self.get_context_data(form=form))


class VisitPlanCancelView(LoginRequiredMixin, View):
    def post(self, request, pk):
        plan = get_object_or_404(VisitPlan.objects.visible_to(request.user), pk=pk)
        if not can_edit(request.user, plan):
            raise PermissionDenied
        form = PlanCancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext_now("Give the reason for cancelling the plan."))
        else:
            try:
                visit_plan_cancel(plan=plan, user=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, gettext_now("The plan is cancelled."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("crm:visitplan-list"))


# ------------------------------------------------------------------------------------------ iCalendar feed


def ical_escape(text: str) -> str:
    """TEXT of RFC 5545 §3.3.11: backslash, semicolon, comma escaped; newlines as ``\\n``."""
    text = (text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _event(*, uid: str, day: dt.date, summary: str, description: str, stamp: str, status: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{ical_escape(summary)}",
        f"DESCRIPTION:{ical_escape(description)}",
        f"STATUS:{status}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


FEED_PAST_DAYS = 180
FEED_LIMIT = 500


def calendar_feed(*, user, host: str) -> str:
    """The user's planned visits (open and done, the last 180 days on) and their visits as all-day events."""
    today = timezone.localdate()
    since = today - dt.timedelta(days=FEED_PAST_DAYS)
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    plans = (
        VisitPlan.objects.visible_to(user)
        .filter(Q(lead=user) | Q(officers=user), planned_on__gte=since)
        .exclude(status=PlanStatus.CANCELLED)
        .select_related("enterprise")
        .distinct()
        .order_by("planned_on", "id")[:FEED_LIMIT]
    )
    visits = (
        Visit.objects.visible_to(user)
        .filter(Q(lead=user) | Q(officers=user), visited_on__gte=since)
        .select_related("enterprise")
        .distinct()
        .order_by("visited_on", "id")[:FEED_LIMIT]
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Enterprise liaison CRM//Visit plans//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(gettext_now('Visit plans') + ' · ' + str(user))}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for plan in plans:
        lines += _event(
            uid=f"plan-{plan.pk}@{host}",
            day=plan.planned_on,
            summary=f"{gettext_now('Planned visit')}: {plan.enterprise.name}",
            description=plan.purpose,
            stamp=stamp,
            status="CONFIRMED" if plan.status == PlanStatus.DONE else "TENTATIVE",
        )
    for visit in visits:
        lines += _event(
            uid=f"visit-{visit.pk}@{host}",
            day=visit.visited_on,
            summary=f"{gettext_now('Visit')} {visit.code}: {visit.enterprise.name}",
            description=visit.q_needs or visit.q_difficulties or visit.q_suggestions,
            stamp=stamp,
            status="CONFIRMED",
        )
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


class CalendarFeedView(View):
    """``/visits/calendar.ics?key=…``: no login (phone calendars cannot sign in); an unknown or revoked key is 404."""

    def get(self, request):
        key = request.GET.get("key", "")
        if not key or len(key) > 100:
            raise Http404
        found = CalendarKey.objects.select_related("user", "user__bureau").filter(key_hash=calendar_key_hash(key))
        entry = found.first()
        if entry is None or not entry.user.is_active:
            raise Http404
        body = calendar_feed(user=entry.user, host=request.get_host().split(":")[0] or "crm")
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="visits.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response


class AccountView(LoginRequiredMixin, TemplateView):
    """The user's own page (``/me/``): who they are, and the calendar feed key (create, regenerate, revoke)."""

    template_name = "crm/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            page_title=_("My account"),
            has_key=CalendarKey.objects.filter(user=user).exists(),
            feed_url=self.request.session.pop("calendar_feed_url", None),
        )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "revoke":
            calendar_key_revoke(user=request.user)
            messages.success(request, gettext_now("The calendar link is revoked; calendars using it stop updating."))
        else:
            key = calendar_key_regenerate(user=request.user)
            url = request.build_absolute_uri(reverse("crm:visit-calendar") + f"?key={key}")
            request.session["calendar_feed_url"] = url
            messages.success(request, gettext_now("A new calendar link is ready; the old one no longer works."))
        return HttpResponseRedirect(reverse("crm:account"))


# ------------------------------------------------------------------------------------------------ activities


class ActivityListView(FilteredListView):
    model = Activity
    filterset_class = ActivityFilterSet
    filter_fields = ("kind", "held_on", "counts_as_visit")
    template_name = "crm/activities/list.html"
    page_title = _("Activities")
    select_related = ("lead", "bureau")

    def get_scoped_queryset(self):
        return (
            super()
            .get_scoped_queryset()
            .annotate(
                participants_count=Count("participants", distinct=True), needs_count=Count("needs", distinct=True)
            )
            .order_by("-held_on", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Activity)
        return context


class ActivityDetailView(ScopedDetailView):
    model = Activity
    template_name = "crm/activities/detail.html"
    select_related = ("lead", "bureau", "created_by")
    prefetch_related = (
        "bureaus",
        "officers",
        "attachments",
        Prefetch("participants", queryset=ActivityParticipant.objects.select_related("enterprise").order_by("id")),
        Prefetch("needs", queryset=Need.objects.select_related("enterprise").order_by("id")),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.object.title
        context["can_edit"] = can_edit(self.request.user, self.object)
        return context


class ActivityCreateView(CreatePermissionMixin, TemplateView):
    """One phone-first form: the activity, its participant rows and the needs each raised (one transaction)."""

    model = Activity
    template_name = "crm/activities/form.html"

    def _forms(self, data=None, files=None):
        user = self.request.user
        initial = {"held_on": timezone.localdate(), "lead": user.pk}
        return (
            ActivityForm(data, files, user=user, initial=initial),
            ParticipantFormSet(data, prefix="participants", form_kwargs={"user": user}),
            ActivityNeedFormSet(data, prefix="needs", form_kwargs={"user": user}),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"], context["participants"], context["needs"] = self._forms()
        context["page_title"] = _("Record an activity")
        return context

    def post(self, request, *args, **kwargs):
        form, participants, needs = self._forms(request.POST, request.FILES)
        valid = form.is_valid() & participants.is_valid() & needs.is_valid()
        if valid:
            data = form.cleaned_data
            rows = [
                {"enterprise": f.cleaned_data["enterprise"], "attendees": f.cleaned_data.get("attendees", "")}
                for f in participants
                if f.cleaned_data.get("enterprise")
            ]
            raised = [
                {
                    "enterprise": f.cleaned_data.get("enterprise"),
                    "category": f.cleaned_data.get("category"),
                    "title": f.cleaned_data.get("title"),
                    "urgency": f.cleaned_data.get("urgency"),
                    "description": f.cleaned_data.get("description"),
                }
                for f in needs
                if not f.is_blank()
            ]
            try:
                with transaction.atomic():
                    activity = activity_create(
                        user=request.user,
                        kind=data["kind"],
                        title=data["title"],
                        held_on=data["held_on"],
                        place=data.get("place", ""),
                        bureaus=data.get("bureaus") or [],
                        lead=data.get("lead"),
                        officers=data.get("officers"),
                        summary=data.get("summary", ""),
                        counts_as_visit=data.get("counts_as_visit"),
                        participants=rows,
                        needs=raised,
                        attachments=data.get("attachments") or [],
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, gettext_now("Activity %(code)s recorded.") % {"code": activity.code})
                return HttpResponseRedirect(reverse("crm:activity-detail", args=[activity.pk]))
        return self.render_to_response(self.get_context_data(form=form, participants=participants, needs=needs))


def _participant_rows(participants) -> list[dict]:
    return [
        {"enterprise": f.cleaned_data["enterprise"], "attendees": f.cleaned_data.get("attendees", "")}
        for f in participants
        if f.cleaned_data.get("enterprise")
    ]


class ActivityUpdateView(LoginRequiredMixin, TemplateView):
    """Edit an activity (its fields, participants and files) through ``activity_update``; its needs keep their own
    workflow. Out of scope: 404; in scope but not editable: 403."""

    template_name = "crm/activities/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.activity = get_object_or_404(
                Activity.objects.visible_to(request.user).prefetch_related("officers", "attachments"), pk=kwargs["pk"]
            )
            if not can_edit(request.user, self.activity):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _forms(self, data=None, files=None):
        user = self.request.user
        # Pre-filled rows only on the blank page: posted rows stand on their own (an unchanged one still counts).
        rows = None
        if data is None:
            rows = [{"enterprise": p.enterprise_id, "attendees": p.attendees} for p in self.activity.participants.all()]
        return (
            ActivityUpdateForm(data, files, user=user, instance=self.activity),
            ParticipantFormSet(data, prefix="participants", initial=rows, form_kwargs={"user": user}),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"], context["participants"] = self._forms()
        context.update(
            activity=self.activity,
            attachments=list(self.activity.attachments.all()),
            is_update=True,
            page_title=_("Edit activity %(code)s") % {"code": self.activity.code},
        )
        return context

    def post(self, request, *args, **kwargs):
        form, participants = self._forms(request.POST, request.FILES)
        if form.is_valid() & participants.is_valid():
            data = form.cleaned_data
            # A fresh copy: if the service refuses the input, the page still shows the saved activity.
            activity = Activity.objects.get(pk=self.activity.pk)
            counts = data.get("counts_as_visit")
            try:
                activity_update(
                    activity=activity,
                    user=request.user,
                    bureaus=data.get("bureaus") or [],
                    officers=data.get("officers") or [],
                    participants=_participant_rows(participants),
                    attachments=data.get("attachments") or [],
                    attachments_remove=data.get("attachments_remove") or [],
                    kind=data["kind"],
                    title=data["title"],
                    held_on=data["held_on"],
                    place=data.get("place", ""),
                    lead=data.get("lead"),
                    summary=data.get("summary", ""),
                    counts_as_visit=activity.counts_as_visit if counts is None else counts,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, gettext_now("Activity %(code)s saved.") % {"code": activity.code})
                return HttpResponseRedirect(reverse("crm:activity-detail", args=[activity.pk]))
        messages.error(request, gettext_now("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form, participants=participants))


class ActivityAttachmentView(LoginRequiredMixin, View):
    """An activity's file, for users who can see the activity (404 otherwise); never served as HTML."""

    def get(self, request, pk: int, attachment_pk: int):
        activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
        attachment = get_object_or_404(ActivityAttachment, pk=attachment_pk, activity=activity)
        return attachment_response(request, attachment)
