"""The JSON API fuzzed from its own OpenAPI schema (schemathesis, in process, on the test
database): whatever a client sends, valid or not, the answer is never a 500, its status
code is one the schema documents, and it is JSON.

The database holds a trained Telco-style model, scored customers and a campaign, so that
generated requests reach the endpoints' logic and not only their 404s."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

from campaigns.services import campaign_create
from growthai.api import api
from growthai.roles import Role
from growthai.tokens import api_token_create
from scoring.services import scoring_run_create, scoring_run_execute
from scoring.tests import conftest as scoring_fixtures

customers = scoring_fixtures.customers
fast_training = scoring_fixtures.fast_training
trained_model = scoring_fixtures.trained_model

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture
def keep_the_test_connection():
    """The WSGI app closes the database connection after each request, and with it the
    test's transaction; Django's own test client holds this signal back the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_user, trained_model, keep_the_test_connection):
    scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk)
    admin = make_user(Role.ADMIN, username="fuzz")
    campaign_create(name="Win-back", user=admin, max_recipients=5)
    _, raw = api_token_create(user=admin, name="fuzz")
    return raw


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_generated_request_without_a_server_error(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
