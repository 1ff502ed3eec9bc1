"""Django's PostgreSQL backend (``ENGINE = "config.postgresql"``) that knows the parameter limit of server-side
binding (``DJANGO_PG_SERVER_SIDE_BINDING``, config/settings.py).

Bound on the server (psycopg's ``Cursor``), one statement carries at most 65,535 parameters (the protocol counts
them in 16 bits); with client-side binding the values are written into the SQL text and there is no limit.
Django 5.2 declares the limit for Oracle and SQLite only (ticket #36822), so on PostgreSQL ``bulk_create``,
``bulk_update`` and the deletion collector send one statement whatever its size and ``in_bulk`` does not split.
Declared here while binding is on, as the Oracle backend declares it: Django's own batching then splits those,
and the imports' hand-written statements (crm/sheets/resources/bulk.py) read the same ``max_query_params``.
With binding off nothing changes.
"""

from itertools import chain

from django.db import models
from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property

# The protocol's limit on the parameters of one bound statement (Bind message: a 16-bit count).
MAX_BOUND_PARAMS = 2**16 - 1


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return MAX_BOUND_PARAMS if self.connection.settings_dict["OPTIONS"].get("server_side_binding") is True else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        limit = self.connection.features.max_query_params
        if limit is None:
            return super().bulk_batch_size(fields, objs)
        fields = list(
            chain.from_iterable(f.fields if isinstance(f, models.CompositePrimaryKey) else [f] for f in fields)
        )
        if not fields:
            return len(objs)
        # bulk_update() asks with [pk, pk, *fields] but sends 2 parameters per field and row (WHEN pk = %s THEN %s)
        # plus the row's key in the IN list: sized as Oracle's would be, a batch of two or more fields passes the
        # limit.
        if len(fields) > 2 and fields[0] is fields[1] and fields[0].primary_key:
            return limit // (2 * (len(fields) - 2) + 1)
        return limit // len(fields)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
