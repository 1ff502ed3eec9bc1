"""The bell: the signed-in user's notifications, opening one marks it read and goes to its need."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from crm.models import Notification
from crm.selectors.scope import links_mark
from crm.services.notifications import notification_mark_read, notifications_mark_all_read


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "crm/notifications/list.html"
    paginate_by = 30
    context_object_name = "notifications"

    def get_queryset(self):
        # Only the notifications' own columns: the page shows none of their needs' or action items' (links_mark
        # reads need_id), whose rows made most of the statement's Python.
        queryset = Notification.objects.filter(recipient=self.request.user)
        if self.request.GET.get("unread") == "1":
            queryset = queryset.filter(read_at__isnull=True)
        return queryset.order_by("-created_at", "-id")

    def paginate_queryset(self, queryset, page_size):
        # Like the other lists: a wrong or too-large page number shows the nearest page instead of a 404.
        paginator = Paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = _("Notifications")
        context["only_unread"] = self.request.GET.get("unread") == "1"
        links_mark(context["notifications"], user=self.request.user, fields=("need",))
        return context


def _target(request, notification: Notification) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    if notification.export_job_id:  # a finished export: its page has the download
        return reverse("crm:export-detail", args=[notification.export_job_id])
    if notification.report_id:  # a report sent up, returned or accepted: its page
        return reverse("crm:report-detail", args=[notification.report_id])
    if notification.import_job_id:  # a checked or finished background import: its preview or result page
        return reverse("crm:import-preview", args=[notification.import_job_id])
    if notification.need_id and "need" in links_mark([notification], user=request.user, fields=("need",))[0].opens:
        # A need transferred away since is not opened (404): the user stays on the list.
        return reverse("crm:need-detail", args=[notification.need_id])
    return reverse("crm:notification-list")


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one of my notifications read, then go to its need (or ``next``)."""

    def post(self, request, pk: int):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        notification_mark_read(notification=notification, user=request.user)
        return HttpResponseRedirect(_target(request, notification))


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        notifications_mark_all_read(user=request.user)
        return HttpResponseRedirect(reverse("crm:notification-list"))
