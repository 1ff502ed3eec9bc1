"""OpenAPI generation: every operation documents the JSON error answers of DESIGN §8.3, and the schema says what
the API does (issue 11: schemathesis ``--checks all`` finds nothing; tests/test_api_schema_conformance.py):

- request bodies are JSON; multipart only where files are uploaded (form encodings cannot carry ``null``);
- filter parameters: ids are whole numbers 1 … MAX_ID, and an empty value means "no filter" (``allowEmptyValue``);
- ``page`` ≥ 1 and ``page_size`` ≥ 1 (more than 200 is capped; empty: the default; once), as crm/api/pagination.py
  enforces; a filter's parameter once too, unless the filter takes several values (crm/api/base.py).
"""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

from crm.filtersets import IdFilter
from crm.validators import MAX_ID

ERROR_SCHEMA = {
    "type": "object",
    "description": '{"detail": message} or {field: [messages]}',
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input; the fields are named.",
    "401": "Not signed in.",
    "403": "Not allowed for your role.",
    "404": "Not found or outside your scope.",
    "409": "Conflict with the current state of the record.",
    "429": "Too many requests.",
}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
FORM_URLENCODED = "application/x-www-form-urlencoded"
FORM_MEDIA_TYPES = {FORM_URLENCODED, "multipart/form-data"}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _has_file_field(serializer) -> bool:
    serializer = force_instance(serializer)
    fields = getattr(serializer, "fields", None) if isinstance(serializer, serializers.BaseSerializer) else None
    fields = fields or {}
    for field in fields.values():
        child = getattr(field, "child", None)
        if isinstance(field, serializers.FileField) or isinstance(child, serializers.FileField):
            return True
    return False


class CrmAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code == "409" and self.method in READ_METHODS:
                continue
            responses.setdefault(
                code, {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            )
        return responses

    def map_parsers(self):
        media_types = super().map_parsers()
        if self.method in READ_METHODS:
            return media_types
        dropped = {FORM_URLENCODED} if _has_file_field(self.get_request_serializer()) else FORM_MEDIA_TYPES
        return [media_type for media_type in media_types if media_type not in dropped]

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        filters = filterset.base_filters if filterset is not None else {}
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            if isinstance(filters.get(parameter["name"]), IdFilter):
                parameter["schema"] = dict(ID_SCHEMA)
            # django-filter reads an empty value as "no filter" (the web list forms send them).
            parameter["allowEmptyValue"] = True
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and parameter["name"] in getattr(self.view, "empty_query_values", ()):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        for parameter in parameters:
            if parameter["name"] in ("page", "page_size"):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
                parameter["allowEmptyValue"] = True  # empty means the default (crm/api/pagination.py)
            if parameter["name"] == "page_size":
                parameter["description"] = "Results per page (20 by default; more than 200 gives 200)."
        return parameters


class ScopedRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A ``ScopedRelatedField`` reads as ``null`` when the user cannot open the record (crm/api/base.py)."""

    target_class = "crm.api.base.ScopedRelatedField"
    match_subclasses = True  # the strict class crm.api.base puts on every writable relation is a subclass

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "nullable": True} if direction == "response" else schema


class SessionUserScheme(SessionScheme):
    """The session authentication of the API (crm/api/authentication.py) is documented as DRF's (``cookieAuth``)."""

    target_class = "crm.api.authentication.SessionUserAuthentication"
