from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

from crm.paginator import KeysFirstPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` (≥ 1; past the last page: 404) and ``?page_size=`` (≥ 1, more than 200 gives 200; anything else is
    a 400, as the schema says, not a silent fall back to 20). An empty ``page_size`` means the default."""

    django_paginator_class = KeysFirstPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        # Digits only; no int() of a huge string (Python refuses more than 4,300 digits).
        if not (value.isascii() and value.isdigit()) or not value.strip("0"):
            raise exceptions.ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return self.max_page_size if len(value) > 6 else min(int(value), self.max_page_size)
