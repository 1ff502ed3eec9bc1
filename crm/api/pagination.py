from rest_framework import pagination

from crm.paginator import KeysFirstPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = KeysFirstPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
