"""Global search page (/search/?q=)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from crm.selectors.search import SEARCH_LIMIT, search_activities, search_enterprises, search_projects

MAX_QUERY_LENGTH = 100


class SearchView(LoginRequiredMixin, TemplateView):
    template_name = "crm/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
        user = self.request.user
        enterprises = list(search_enterprises(user=user, query=query)) if query else []
        projects = list(search_projects(user=user, query=query)) if query else []
        activities = list(search_activities(user=user, query=query)) if query else []
        context.update(
            page_title=_("Search"),
            search_query=query,
            enterprises=enterprises,
            projects=projects,
            activities=activities,
            limit=SEARCH_LIMIT,
        )
        return context
