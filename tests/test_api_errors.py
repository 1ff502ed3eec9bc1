"""The API's one mapping of service and database errors (crm/api/errors.py)."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404

from crm.api.errors import exception_handler
from crm.services.errors import TransitionConflict, TransitionForbidden

API_DIR = Path(__file__).resolve().parent.parent / "crm" / "api"


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (ValidationError({"title": ["x"]}), 400, {"title": ["x"]}),
        (ValidationError("whole record"), 400, {"detail": ["whole record"]}),
        (ValidationError({"__all__": ["both"]}), 400, {"non_field_errors": ["both"]}),
        (TransitionForbidden("not your role"), 403, {"detail": "not your role"}),
        (TransitionConflict("changed meanwhile"), 409, {"detail": "changed meanwhile"}),
        (PermissionDenied("x"), 403, None),
        (Http404(), 404, None),
        (IntegrityError("duplicate"), 409, None),
        (ProtectedError("still used", set()), 409, None),
    ],
)
def test_service_errors_become_api_answers(error, status, body):
    response = exception_handler(error, {})
    assert response.status_code == status
    if body is not None:
        assert response.data == body


def test_unknown_errors_are_left_alone():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_no_api_module_maps_service_errors_itself():
    """Only crm/api/errors.py catches service errors: no try/except copies in the views."""
    typed = {"TransitionForbidden", "TransitionConflict", "TransitionError", "IntegrityError", "ValidationError"}
    for path in API_DIR.glob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
                assert not names & typed, f"{path.name}:{node.lineno} maps a service error"
