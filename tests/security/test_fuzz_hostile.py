"""Hostile values on every route: schemathesis generates requests that fit
the gateway's OpenAPI document, and each one then carries one hostile value
in one place (a body field, a query parameter, or the whole body): a NUL
byte, a lone surrogate, an integer past 64 bits, a date at the end of the
calendar, a number that is not finite, JSON nested far too deep. Every
answer must be below 500, and a refusal must be problem+json.

The place and the value go round per operation (example n taints leaf
``n % leaves`` with value ``n // leaves``), so each operation with a body
or a query meets several kinds of hostile value in a few examples. Bounded
like ``test_fuzz``: ``FUZZ_HOSTILE_EXAMPLES`` per operation and a time
budget of ``FUZZ_HOSTILE_BUDGET_S`` seconds shared by the operations.
"""
import json
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET

from tests.security.test_fuzz import DOCUMENT, prepare, token_for

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

# the fuzzed sign-ins fail from one address; the sign-outs sign in again from it
CHAIN = {"name": "fuzzhostile", "env": {"SIGNIN_MAX_FAILURES_PER_ADDRESS": "1000000"}}
EXAMPLES = int(os.environ.get("FUZZ_HOSTILE_EXAMPLES", "6"))
BUDGET_S = float(os.environ.get("FUZZ_HOSTILE_BUDGET_S", "25"))
PROBLEM = "application/problem+json"
DEEP = {"x": None}
for _ in range(200):
    DEEP = {"x": [DEEP]}

# (name, the value as JSON would carry it, the value as a query string would)
TAINTS = (
    ("NUL", "ring\x00", "ring\x00"),
    ("lone surrogate", "\ud800", b"\xed\xb3\xbf"),   # in a query: its bytes, as a browser would send them
    ("past 64 bits", 2 ** 64 + 1, str(2 ** 64 + 1)),
    ("negative past 64 bits", -(2 ** 70), str(-(2 ** 70))),
    ("end of the calendar", "9999-12-31T23:30Z", "9999-12-31T23:30:00+00:00"),
    ("year zero", "0000-01-01", "0001-01-01T00:00:00+05:00"),
    ("deep", DEEP, "[" * 100),
)

schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, no_shrink=True,
                                modes=["positive"])
OPERATIONS = sum(len(ops) for ops in DOCUMENT["paths"].values())

_seen: dict[str, int] = {}
_started: dict[str, float] = {}
FOUND: dict[tuple[str, str], str] = {}
SENT = {"requests": 0, "tainted": 0, "refused": 0}


def leaves(value, path=()):
    """Paths to every scalar of a JSON value (the value itself if scalar)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from leaves(inner, (*path, i))
    else:
        yield path


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def taint(case, n):
    """Put the ``n``-th hostile value in the ``n``-th place of ``case``;
    what was done, or None when the case has no place to taint."""
    places = []
    if isinstance(case.body, (dict, list)):
        places += [("body", p) for p in leaves(case.body)]
    elif case.body in (None, NOT_SET) and case.operation.method.upper() in ("POST", "PUT", "PATCH"):
        places.append(("body", ()))
    places += [("query", (name,)) for name in sorted(case.query or {})]
    if not places:
        return None
    where, path = places[n % len(places)]
    name, as_json, as_text = TAINTS[(n // len(places)) % len(TAINTS)]
    if where == "body":
        case.body = replaced(case.body, path, as_json)
    else:
        case.query = dict(case.query) | {path[0]: as_text}
    return f"{name} in {where} {'/'.join(map(str, path)) or '(whole)'}"


@pytest.fixture(scope="module")
def fuzzed(chain):
    return prepare(chain)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_hostile_values_are_refused_not_failed(case, fuzzed):
    label = f"{case.operation.method.upper()} {case.operation.path}"
    started = _started.setdefault(label, time.monotonic())
    if time.monotonic() - started > BUDGET_S / OPERATIONS:
        return
    n = _seen[label] = _seen.get(label, -1) + 1
    what = taint(case, n)
    SENT["requests"] += 1
    SENT["tainted"] += what is not None
    # sent by requests, not schemathesis: it encodes no lone surrogate and takes no bytes
    query, body = case.query, case.body
    case.query, case.body = None, NOT_SET
    sent = case.as_transport_kwargs(base_url=fuzzed.url,
                                    headers={"Authorization": f"Bearer {token_for(label, fuzzed)}"})
    sent.pop("json", None)
    sent["params"] = query
    if body is not NOT_SET:
        sent["data"] = json.dumps(body).encode()      # ASCII: a surrogate travels as \ud800
        sent["headers"]["Content-Type"] = "application/json"
    response = fuzzed.admin.session.request(**sent, timeout=15)
    kind = response.headers.get("Content-Type", "").split(";")[0]
    if response.status_code >= 500:
        FOUND.setdefault((label, f"{response.status_code} on {what}"), _body(case, response))
    elif response.status_code >= 400:
        SENT["refused"] += 1
        if kind != PROBLEM:
            FOUND.setdefault((label, f"{response.status_code} as {kind!r} on {what}"),
                             _body(case, response))


def _body(case, response):
    sent = json.dumps(case.body, default=repr)[:300] if case.body is not None else ""
    return f"query={case.query!r} body={sent} answer={response.text[:300]!r}"


def test_no_hostile_value_made_a_server_error(fuzzed):
    assert len(_seen) == OPERATIONS, "an operation was not fuzzed"
    assert SENT["tainted"] > OPERATIONS, SENT
    print(f"hostile fuzzing: {SENT['requests']} requests, {SENT['tainted']} tainted, "
          f"{SENT['refused']} refused with 4xx, {len(FOUND)} problems")
    report = "\n".join(f"{op}: {what}\n    {how}" for (op, what), how in sorted(FOUND.items()))
    assert not FOUND, f"{len(FOUND)} problem(s):\n{report}"
