"""Typed service errors, mapped once for the API (crm/api/errors.py) and once for the web
(crm/views/mixins.service_errors). Bad input is Django's ``ValidationError`` (400) and a refused role Django's
``PermissionDenied`` (403); these cover what those cannot say."""


class TransitionError(Exception):
    """Base of the typed transition errors; ``message`` is user-facing."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TransitionForbidden(TransitionError):
    """The user's role may not use this verb on this need (HTTP 403)."""


class TransitionConflict(TransitionError):
    """The need changed meanwhile (stale ``version``) or its status does not allow the verb (HTTP 409)."""


class DeleteRefused(TransitionConflict):
    """The record carries outcomes (visits, needs, action items, policy matches an enterprise was told of) and is
    kept rather than deleted (HTTP 409 with the reasons; the pages and the admin show the message)."""
