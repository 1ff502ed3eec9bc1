"""JSON errors everywhere (DESIGN §8.3): the one place where service and database errors become API answers.

Views and ``@action`` methods call the services and let their errors go; this handler maps them:

- Django ``ValidationError`` → 400 ``{field: [messages]}`` (``__all__`` as ``non_field_errors``);
- ``PermissionDenied`` → 403; ``TransitionForbidden`` (the role may not use the verb) → 403 with its message;
- ``TransitionConflict`` (stale ``version``, a status that does not allow the verb) → 409 with its message;
- a row still referenced (``ProtectedError``/``RestrictedError``) or an ``IntegrityError`` → 409;
- ``Http404`` → 404. Never a 500 for any of them.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from crm.api.base import Conflict
from crm.services.errors import TransitionConflict, TransitionForbidden


def validation_error_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"detail": [str(m) for m in error.messages]}


def api_exception(exc: Exception) -> Exception:
    """The API exception a service or database error stands for (others unchanged)."""
    if isinstance(exc, DjangoValidationError):
        detail = validation_error_detail(exc)
        if "__all__" in detail:
            detail["non_field_errors"] = detail.pop("__all__")
        return exceptions.ValidationError(detail)
    if isinstance(exc, TransitionForbidden):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, TransitionConflict):
        return Conflict(exc.message)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(_("This record is still referenced by other records and cannot be deleted."))
    if isinstance(exc, IntegrityError):
        return Conflict(_("The record conflicts with an existing one."))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc, context):
    return drf_exception_handler(api_exception(exc), context)
