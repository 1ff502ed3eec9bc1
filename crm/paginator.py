"""Pagination that fetches a page's primary keys first, then those rows with their joins.

With ``select_related`` the database joins every matching row before it sorts and cuts the page; on SQLite
that costs tens of milliseconds on a 100 000-row table. Sorting and limiting the bare keys first (often from
an index alone) and then loading 20 rows by key keeps a list page's cost independent of the table size, at
the price of one more query. Used by the web list pages and the API alike.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class KeysFirstPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if not isinstance(rows, QuerySet) or rows.query.distinct or rows.query.combinator:
            return self._get_page(rows[bottom:top], number, self)
        keys = list(rows.values_list("pk", flat=True)[bottom:top])
        by_key = {obj.pk: obj for obj in rows.order_by().filter(pk__in=keys)}
        return self._get_page([by_key[key] for key in keys if key in by_key], number, self)
