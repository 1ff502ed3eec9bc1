"""Request body parsers: JSON whose nesting is bounded (DESIGN §9.3: bad input gets a clear 400, never a 500)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def json_depth_exceeds(data, limit: int) -> bool:
    """True when ``data`` nests lists/objects deeper than ``limit`` (iterative: no recursion of its own)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser that refuses bodies nested deeper than ``MAX_JSON_DEPTH`` with 400.

    Python's decoder recurses once per level and gives up with ``RecursionError`` (not a ``ValueError``, so
    DRF's parser let it through as a 500); a depth the decoder survives is still refused, so no serializer or
    error renderer later walks such a structure.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from exc
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(_("JSON parse error - the body is nested too deeply."))
        return data
