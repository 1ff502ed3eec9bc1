"""Chinese first: the UI language is zh-hans unless the user picked another one with the language switch."""

from django.conf import settings


class DefaultLanguageMiddleware:
    """Drop the browser's Accept-Language so LocaleMiddleware falls back to LANGUAGE_CODE.

    Officers' phones and office PCs often run English-language browsers; the bureau works in Chinese. The
    language cookie set by the switch (``/i18n/setlang/``) still wins, and API clients, which ask for a
    language on purpose, keep their Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
