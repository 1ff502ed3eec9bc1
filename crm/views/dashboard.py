"""领导驾驶舱 (DESIGN §8.5): the KPIs of the user's scope, tables and three charts (Chart.js, data via json_script)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from crm.selectors.dashboard import dashboard_kpis


class DashboardView(LoginRequiredMixin, TemplateView):
    """Every signed-in user may open it; the numbers are those of the user's scope (§5)."""

    template_name = "crm/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kpis = dashboard_kpis(user=self.request.user)
        context.update(page_title=_("Dashboard"), kpis=kpis, charts=kpis["charts"])
        return context
