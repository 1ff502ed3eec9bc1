"""Global search page (``/search/?q=``) and the navbar's type-ahead (``/search/suggest/?q=``, an htmx partial).

An exact code (``SQ-2026-0001``) or credit code jumps to the record when the user may see it.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from crm.selectors.search import KINDS, SUGGEST_LIMIT, search, search_clean, search_exact, search_item

PAGE_LIMIT = 20  # per kind on the page

KIND_LABELS = {
    "enterprises": _("Enterprises"),
    "contacts": _("Contacts"),
    "projects": _("Projects"),
    "visits": _("Visits"),
    "needs": _("Needs"),
    "action_items": _("Action items"),
    "activities": _("Activities"),
    "policies": _("Policies"),
}


def search_groups(*, user, query: str, limit: int) -> list[dict]:
    """The non-empty groups of results for a template: key, label, items (``search_item``), and whether more
    than ``limit`` may exist."""
    found = search(user=user, query=query, limit=limit)
    groups = []
    for kind in KINDS:
        objects = found[kind.key]
        if objects:
            items = [search_item(kind, obj) for obj in objects]
            more = len(items) >= limit
            groups.append({"key": kind.key, "label": KIND_LABELS[kind.key], "items": items, "more": more})
    return groups


class SearchView(LoginRequiredMixin, TemplateView):
    template_name = "crm/search.html"

    def get(self, request, *args, **kwargs):
        query = search_clean(request.GET.get("q"))
        record = search_exact(user=request.user, query=query) if query else None
        if record is not None:
            kind = next(kind for kind in KINDS if isinstance(record, kind.model))
            return redirect(kind.url(record))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = search_clean(self.request.GET.get("q"))
        groups = search_groups(user=self.request.user, query=query, limit=PAGE_LIMIT) if query else []
        context.update(page_title=_("Search"), search_query=query, groups=groups, limit=PAGE_LIMIT)
        return context


class SearchSuggestView(LoginRequiredMixin, TemplateView):
    """The type-ahead's dropdown: up to five hits per kind, and a link to every result."""

    template_name = "crm/search_suggest.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = search_clean(self.request.GET.get("q"))
        groups = search_groups(user=self.request.user, query=query, limit=SUGGEST_LIMIT) if query else []
        context.update(search_query=query, groups=groups)
        return context
