"""Every route fuzzed with schemathesis against the gateway's own
``/openapi.json``, on the whole chain running as processes: no 500, and
every answer is one the document describes (status, content type, body
schema, headers); a route that needs a token refuses a request without one.

Bounded in time: ``FUZZ_EXAMPLES`` examples per operation (positive and
negative), and each operation's share of ``FUZZ_BUDGET_S`` seconds; past
its share an operation sends no more requests (every operation gets at
least its first examples). Signed in as an hq_admin, who may call every
route; nothing is excluded. Problems are collected across all examples and
reported together by ``test_the_fuzzing_found_nothing``.

The document fuzzed is built from the gateway's route table in this process
(schemathesis' lazy ``from_fixture`` loader does not run under pytest 9),
with Decimal bounds as JSON numbers; a separate test checks that the served
``/openapi.json`` has the same paths and numeric bounds.
"""
import json
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.e2e import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

# the fuzzed sign-ins fail from one address; the sign-outs sign in again from it
CHAIN = {"name": "fuzz", "env": {"SIGNIN_MAX_FAILURES_PER_ADDRESS": "1000000"}}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
BUDGET_S = float(os.environ.get("FUZZ_BUDGET_S", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, ignored_auth]

_spent = {}


def _document():
    """The OpenAPI document the gateway serves at ``/openapi.json``, built
    from its route table (the served one is checked to be the same), with
    JSON numbers where the route table has Decimals (see the next test)."""
    from gateway.openapi import build
    from gateway.service import Service
    return json.loads(json.dumps(build(Service), default=lambda d: int(d) if d == int(d) else float(d)))


def _bounds_that_are_not_numbers(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") \
                    and not isinstance(value, (int, float)):
                yield f"{where}/{key} = {value!r}"
            else:
                yield from _bounds_that_are_not_numbers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bounds_that_are_not_numbers(value, f"{where}/{i}")


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, no_shrink=True,
                                modes=["positive", "negative"])
OPERATIONS = sum(len(ops) for ops in DOCUMENT["paths"].values())


def test_the_served_document_is_the_route_tables_and_its_bounds_are_numbers(chain):
    served = chain.api.ok("GET", "/openapi.json")
    assert sorted(served["paths"]) == sorted(DOCUMENT["paths"])
    assert list(_bounds_that_are_not_numbers(served)) == []


@pytest.fixture(scope="module")
def fuzzed(chain):
    return prepare(chain)


def prepare(chain):
    """A store, so that generated lookups can sometimes hit something real;
    ``chain.leaver``: an hq_admin whose sessions the routes that end the
    caller's session end (a sign-out would end the module's own session; the
    admin's username may be locked by then: ``POST /me/password`` with wrong
    passwords counts)."""
    chain.admin.ok("POST", "/stores", {"code": "FZZ", "name": "Fuzz", "currency": "USD",
                                       "timezone": "UTC", "tax_rate_bps": 500}, 201)
    chain.leaver = chain.admin.user("hq_admin")
    return chain


def token_for(label, chain):
    if label == "POST /auth/logout":
        return chain.api.sign_in(chain.leaver.username, PASSWORD).token
    return chain.admin.token


FOUND = {}     # (operation, problem) -> how to reproduce it


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_route_fails_or_answers_outside_its_document(case, fuzzed):
    """Problems are collected (and the examples go on, so that one problem does
    not hide another of the same route); the next test reports them all."""
    label = f"{case.operation.method.upper()} {case.operation.path}"
    started = _spent.setdefault(label, time.monotonic())
    if time.monotonic() - started > BUDGET_S / OPERATIONS:
        return                                  # this operation's share of the budget is spent
    token = token_for(label, fuzzed)
    try:
        case.call_and_validate(base_url=fuzzed.url,
                               headers={"Authorization": f"Bearer {token}"},
                               session=fuzzed.admin.session, checks=CHECKS, timeout=15)
    except FailureGroup as group:
        for failure in group.exceptions:
            what = f"{failure.title}: {failure.message.splitlines()[0] if failure.message else ''}"
            FOUND.setdefault((label, what.strip()), _reproduce(group))


def _reproduce(group):
    text = str(group)
    lines = [line.strip() for line in text.splitlines()]
    curl = next((line for line in lines if line.startswith("curl ")), "")
    received = next((line for line in lines if line.startswith("[") and "]" in line[:6]), "")
    return f"{received} {curl}".replace("-H 'Authorization: [Filtered]' ", "")


def test_the_fuzzing_found_nothing(fuzzed):
    assert _spent, "no operation was fuzzed"
    assert len(_spent) == OPERATIONS, "an operation was not fuzzed"
    report = "\n".join(f"{op}: {what}\n    {how}" for (op, what), how in sorted(FOUND.items()))
    assert not FOUND, f"{len(FOUND)} problem(s):\n{report}"
