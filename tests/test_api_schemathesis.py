"""Property-based run of schemathesis over the OpenAPI schema of the API base endpoints.

Every operation of the enterprise, contact, project, organisation and reference-data endpoints is called
with generated data through the WSGI application and a real token: no answer may be a 5xx, and every
answer must conform to the schema (status code, content type, body). Invalid (negative) data must not
cause a 5xx either. Bounded: a few examples per operation.
"""

import os

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crm.models import Contact, Project

pytestmark = pytest.mark.django_db

# The API base's own operations (other areas' extra actions have their own tests).
COLLECTIONS = "enterprises|contacts|projects|bureaus|departments|regions|industry-chains|qualifications"
PATHS = rf"^/api/v1/((({COLLECTIONS})/(\{{[a-z]+\}}/)?)|me/|auth/token/)$"
# Raise for a deeper local run, e.g. API_FUZZ_EXAMPLES=50 pytest tests/test_api_schemathesis.py
POSITIVE_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
NEGATIVE_EXAMPLES = max(POSITIVE_EXAMPLES // 2, 1)


def run_operation(operation, *, mode, examples, headers, checks):
    """Run a few generated cases of one operation; an operation with nothing to negate is skipped."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise


def test_api_conforms_to_its_schema(wsgi_app, manager, enterprise, county_enterprise, qualifications, city_department):
    cache.clear()
    Contact.objects.create(enterprise=enterprise, name="张三")
    Project.objects.create(name="项目", region=enterprise.region)
    token = Token.objects.create(user=manager).key
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers).include(
        path_regex=PATHS
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        run_operation(
            operation,
            mode=GenerationMode.POSITIVE,
            examples=POSITIVE_EXAMPLES,
            headers=headers,
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        )
        run_operation(
            operation,
            mode=GenerationMode.NEGATIVE,
            examples=NEGATIVE_EXAMPLES,
            headers=headers,
            checks=[not_a_server_error],
        )
        cache.clear()  # keep the user throttle out of the way
