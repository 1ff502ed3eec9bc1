"""领导驾驶舱 (DESIGN §8.5): the KPIs of the user's scope, tables and three charts (Chart.js, data via json_script)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from crm.forms.base import region_choices
from crm.selectors.dashboard import PeriodError, dashboard_shown


def _shown(kpis: dict) -> dict:
    """The page's body, rendered from the KPIs alone (kept with them), and the period it shows."""
    body = render_to_string("crm/dashboard/_body.html", {"kpis": kpis, "charts": kpis["charts"]})
    return {"body": body, "period": kpis["period"], "today": kpis["today"]}


class DashboardView(LoginRequiredMixin, TemplateView):
    """Every signed-in user may open it; the numbers are those of the user's scope (§5)."""

    template_name = "crm/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period, region = self.request.GET.get("period"), self.request.GET.get("region")
        try:
            shown = dashboard_shown(user=self.request.user, form="page", make=_shown, period=period, region=region)
        except PeriodError:
            messages.error(self.request, _("Give the period as 2026Q4, 2026-11 or 2026, and a region in your scope."))
            shown = dashboard_shown(user=self.request.user, form="page", make=_shown)
        context.update(
            page_title=_("Dashboard"),
            body=shown["body"],
            today=shown["today"],
            regions=region_choices(self.request.user),
            period_value=shown["period"]["label"],
            region_value=shown["period"]["region"] or "",
        )
        return context
