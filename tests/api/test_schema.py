"""The schema validates, and the running app keeps its promises: schemathesis generates requests
from the schema for every operation and checks that none answers 5xx and every answer matches the
schema (status codes, content types, bodies). In-process over WSGI, bounded in examples."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bankbuzz.api.tokens import api_token_create


def _raw_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi():
    validate_schema(_raw_schema())


@pytest.fixture
def api_schema(world, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    settings.API_WRITE_THROTTLE_RATE = "100000/min"
    loaded = schemathesis.openapi.from_dict(_raw_schema())
    loaded.app = get_wsgi_application()
    _token, raw = api_token_create(actor=world.lead, name="schemathesis", scope="write", days=7)
    loaded.config.headers = {"Authorization": f"Bearer {raw}"}
    # Given to each call too, so schemathesis knows the credentials are ours, not generated: with
    # a header parameter of its own (Idempotency-Key) it could not tell them apart otherwise.
    loaded.bankbuzz_headers = dict(loaded.config.headers)
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield loaded
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Left out: "schema-valid data is accepted". Opaque cursors, ids of objects that do not exist and
# the services' own rules (a tag's characters, a department that takes no escalations) are valid to
# the schema and rightly refused with 400. Every other check runs: no 5xx, documented status codes,
# content types, headers and bodies that match the schema, authentication enforced.
# Examples per operation: about 30 operations, so the whole run stays well under two minutes.
EXAMPLES = 10


@pytest.mark.django_db
def test_api_conforms_to_its_schema(api_schema):
    # Driven by hand rather than by schemathesis' pytest plugin, which does not run under pytest 9.
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
        )
        def check(case):
            case.call_and_validate(
                headers=api_schema.bankbuzz_headers, excluded_checks=[positive_data_acceptance]
            )

        try:
            check()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# Invalid data on purpose: wrong types, out-of-range numbers and dates, missing fields, odd query
# parameters. The only promise checked is the one every input is owed: no 5xx. Bounded per
# operation so the run stays within a few minutes on a slow machine.
NEGATIVE_EXAMPLES = 8


@pytest.mark.django_db
def test_no_operation_answers_invalid_data_with_a_server_error(api_schema):
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode

    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @settings(
            max_examples=NEGATIVE_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def check(case):
            case.call_and_validate(checks=[not_a_server_error])

        try:
            check()
        except Unsatisfiable:
            continue  # an operation that takes nothing (GET /me/) has no invalid input to send
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
