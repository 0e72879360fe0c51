"""Property-based run (schemathesis over WSGI) with a valid admin token on every operation:

- inputs that fit the OpenAPI document never get a 500, and every answer is documented (status,
  content type, schema);
- inputs that break the document (wrong types, missing fields, odd ids) never get a 500 either.

A few examples per operation keep it quick; one backend (the services underneath run on both in
the other API tests)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import issue_token, make_bridge_case

pytestmark = pytest.mark.backends("sqlite")

EXAMPLES_PER_OPERATION = 8
RUNS = {
    GenerationMode.POSITIVE: [not_a_server_error, status_code_conformance, content_type_conformance,
                              response_schema_conformance],
    GenerationMode.NEGATIVE: [not_a_server_error, content_type_conformance],
}


@pytest.mark.parametrize("mode", list(RUNS), ids=str)
def test_no_operation_answers_500(app, make_user, make_thread, make_post, mode):
    admin = make_user(role="admin")
    thread = make_thread(author=admin)
    make_post(thread=thread, author=admin)
    make_bridge_case()
    headers = {"Authorization": f"Bearer {issue_token(admin, ('admin',))}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18  # every operation but the (parameterless, public) document itself
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def exercise(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=RUNS[mode])

        exercise()
