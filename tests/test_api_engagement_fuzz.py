"""Property-based run of schemathesis over the visit, need and notification endpoints: never a 5xx, and
positive cases conform to the schema. Bounded: a few examples per operation (raise API_FUZZ_EXAMPLES)."""

import os

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from crm.models import Notification
from crm.services.needs import need_create
from crm.services.visits import visit_create
from tests.test_api_schemathesis import run_operation

pytestmark = pytest.mark.django_db

PATHS = r"^/api/v1/(visits|needs|notifications)/"
POSITIVE_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
NEGATIVE_EXAMPLES = max(POSITIVE_EXAMPLES // 2, 1)


def test_engagement_api_never_fails(wsgi_app, manager, officer, enterprise, city_department, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    visit = visit_create(user=officer, enterprise=enterprise, visited_on=enterprise.created_at.date(), q_needs="x")
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x", visit=visit)
    Notification.objects.create(recipient=manager, kind="note", text="x", need=need)
    headers = {"Authorization": f"Token {Token.objects.create(user=manager).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers).include(
        path_regex=PATHS
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode, examples, checks in (
            (
                GenerationMode.POSITIVE,
                POSITIVE_EXAMPLES,
                [not_a_server_error, status_code_conformance, content_type_conformance],
            ),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, [not_a_server_error]),
        ):
            try:
                run_operation(operation, mode=mode, examples=examples, headers=headers, checks=checks)
            except Unsatisfiable:
                pass
        cache.clear()
