"""What the web application checks before it serves (wsgi.py, asgi.py)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_without_secret_key() -> None:
    """Refuse to serve with DEBUG off and no DJANGO_SECRET_KEY (config.settings.SECRET_KEY_REQUIRED)."""
    if getattr(settings, "SECRET_KEY_REQUIRED", False):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (or DJANGO_ALLOW_INSECURE_KEY=1 for a local try)."
        )
