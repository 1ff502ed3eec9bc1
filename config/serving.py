"""What the web application checks and sets before it serves (wsgi.py, asgi.py)."""

import gc

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_without_secret_key() -> None:
    """Refuse to serve with DEBUG off and no DJANGO_SECRET_KEY (config.settings.SECRET_KEY_REQUIRED)."""
    if getattr(settings, "SECRET_KEY_REQUIRED", False):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (or DJANGO_ALLOW_INSECURE_KEY=1 for a local try)."
        )


# Young-generation threshold of the cyclic garbage collector while serving. CPython's default (700) runs a
# collection every few hundred allocations: a list page allocates tens of thousands of objects, so one request
# paid ~400 young and ~35 middle collections per 300 requests, and every ~150 requests a full one over every
# object the process holds (~180 ms under load); that full one is what set the lists' p95 (measured with
# gc.callbacks during `benchmark`, see the closing note of issue 18). Reference counting still frees almost
# everything at once; the collector is only needed for cycles, so running it ~15× less often costs little
# memory.
GC_THRESHOLD = (10_000, 10, 10)


def gc_tune() -> None:
    """Set the collector for a long-running server process (wsgi.py, asgi.py and `benchmark` call this).

    ``gc.freeze()`` moves what is alive now — Django, the apps, models, URL patterns — into a permanent
    generation that no collection walks again, so full collections scan only what requests left behind.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
