from functools import partial

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response

from crm.paginator import COUNT_CAP, SEARCH_COUNT_CAP, ApiPaginator, count_cap_for

ONE_VALUE = _("Give one value.")


def one_value(request, name: str) -> str:
    """The query parameter ``name`` given at most once ("" when absent), for pages and the views' own parameters
    (filters: crm/api/base.py). The schema names one value; given twice, the last would silently win (``?page=9&page=``
    read as the first page), so that is a 400 naming it."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: [ONE_VALUE]})
    return values[0] if values else ""


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` (≥ 1; past the last page: 404) and ``?page_size=`` (≥ 1, more than 200 gives 200; anything else is
    a 400, as the schema says, not a silent fall back to 20). An empty ``page`` or ``page_size`` means the default
    (the schema's ``allowEmptyValue``); either given twice is a 400.

    ``count`` stops at ``COUNT_CAP``, ``SEARCH_COUNT_CAP`` with a text search ``q`` (issue 18: a list of a big table
    is not counted to its end on every page); a count that stopped there comes with ``"count_capped": true``, and
    ``next`` goes on while rows follow."""

    count_cap = COUNT_CAP
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # DRF's ?page=last: the schema says a whole number, so "last" is as invalid as "abc"

    @property
    def django_paginator_class(self):
        return partial(ApiPaginator, count_cap=self.count_cap)

    def paginate_queryset(self, queryset, request, view=None):
        self.count_cap = count_cap_for(request.query_params)
        return super().paginate_queryset(queryset, request, view)

    def get_page_number(self, request, paginator):
        return one_value(request, self.page_query_param) or 1

    def get_page_size(self, request):
        value = one_value(request, self.page_size_query_param)
        if value == "":
            return self.page_size
        # Digits only; no int() of a huge string (Python refuses more than 4,300 digits).
        if not (value.isascii() and value.isdigit()) or not value.strip("0"):
            raise exceptions.ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return self.max_page_size if len(value) > 6 else min(int(value), self.max_page_size)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        body = {"count": int(paginator.count)}
        if getattr(paginator, "count_is_capped", False):
            body["count_capped"] = True
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        properties = answer["properties"]
        count = properties.pop("count")
        caps = {"cap": COUNT_CAP, "search_cap": SEARCH_COUNT_CAP}
        count["description"] = _("The number of results, at most %(cap)s (%(search_cap)s with a text search q).") % caps
        capped = _(
            "Present (true) when more results match than the count goes to: it stopped at %(cap)s (%(search_cap)s "
            "with a text search q); follow next to read on."
        )
        answer["properties"] = {
            "count": count,
            "count_capped": {"type": "boolean", "description": capped % caps},
            **properties,
        }
        return answer

    def get_html_context(self):
        # The browsable API's page links: past a capped count the last page is not known, only whether one follows.
        page = self.page
        if page.number >= page.paginator.num_pages:
            page.paginator.num_pages = page.number + page.has_next()
        return super().get_html_context()
