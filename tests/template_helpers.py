"""Shared by the tests of the row tags that replaced template loops (home_rows, dashboard_rows)."""

from django.template import engines
from django.utils import translation


def rendered_alike(old: str, new: str, **context) -> str:
    """Render the old template and the new one in English and Chinese; they must write the same bytes. Returns the
    (Chinese) rendering for further checks."""
    engine = engines["django"]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            expected = engine.from_string(old).render(context)
            assert engine.from_string(new).render(context) == expected
    return expected
