"""HTTP plumbing, in one place: the ``route`` entrypoint (the conventions of
docs/API.md#conventions; identity and scope: docs/ARCHITECTURE.md#rule-7).

``@route("POST", "/stores", roles=("hq_admin",), body=StoreCreate, status=201)``
declares a route; the entrypoint, before the handler runs:

- authenticates the bearer token and its live session unless the route is
  ``public`` (401, ``sessions``), checks the route's roles, that an auditor
  never mutates and that a limited session calls only ``limited_ok`` routes
  (the caller's own account: 403), and puts the
  caller into the worker's context data (``Identity.to_context()``), which
  every ``ServiceRpc`` call carries to the services (public routes act as
  ``anonymous``, never as the services' all-powerful ``system``);
- refuses a body over ``MAX_BODY_BYTES`` (a ``form=`` route's multipart: its
  ``form_limit``, ``bodies``) (413) from its Content-Length, before reading
  any of it, or, chunked, as soon as it grows past the limit;
- refuses what no route can accept (``screening``: NUL, lone surrogates,
  nesting past 64, integers past 64 bits, dates at the calendar's ends),
  parses JSON (400) and validates the body and query with the route's
  marshmallow schemas (422, field by field);
- for ``idempotent`` routes honours ``Idempotency-Key`` (see ``idempotency``);
- writes an audit row for every mutating request, failed ones included.

The handler gets the werkzeug request with ``body`` (validated),
``json_body`` (as sent), ``params`` (validated query), ``identity`` and
``audit`` (a dict it may fill: ``entity_id``, ``store_id``) and returns a
JSON-able value (sent with the route's ``status``) or a ``Reply``. Every
error becomes RFC 9457 ``application/problem+json`` (docs/ARCHITECTURE.md#rule-8);
unexpected ones are logged and answered 500 without internals. Every answer
gets the headers of ``screening.secure`` (nosniff, no-store, CSP, Retry-After), and
``cors`` ones for a configured origin; ``request.remote_addr`` is the client (``client_address``).
"""
import json
import logging
import re
import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from sqlalchemy.exc import OperationalError, TimeoutError as SqlTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from chassis.db import Database
from chassis.errors import Forbidden, InvalidInput, ServiceError, Unavailable
from chassis.identity import Identity
from chassis.validation import load

from . import audit, client_address, console, cors, idempotency, screening, sessions, settings as settings_module
from .bodies import body_limit, read_chunked, read_form, takes_form
from .screening import BadRequest, secure  # noqa: F401  (BadRequest: for the routes)

log = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANONYMOUS = Identity(user_id=None, role="anonymous")  # never "system": services grant that everything
PROBLEM = "application/problem+json"
_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Payload too large"


def problem_type(status):
    slug = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
            405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
            422: "validation", 429: "too-many-requests",
            503: "unavailable"}.get(status, "internal" if status >= 500 else "error")
    return f"urn:jewelry-chain:problem:{slug}"


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value):
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)


def json_response(body, status=200, headers=None):
    mimetype = PROBLEM if status >= 400 and isinstance(body, dict) and "title" in body else "application/json"
    return Response(to_json(body), status=status, headers=headers, mimetype=mimetype)


def problem(status, title, detail=None, instance=None, request_id=None, errors=None, headers=None):
    body = {"type": problem_type(status), "title": title, "status": status, "detail": detail or title}
    if instance:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return Response(to_json(body), status=status, headers=headers, mimetype=PROBLEM)


def problem_from(exc, instance=None, request_id=None):
    """Any exception as a problem response; internals are logged, never sent."""
    headers = {}
    if isinstance(exc, RequestEntityTooLarge):
        exc = PayloadTooLarge("the body is too large")
    if isinstance(exc, ContainerBeingKilled):
        exc = Unavailable("the gateway is shutting down")
    if isinstance(exc, (OperationalError, SqlTimeout)):
        log.error("gateway database unavailable (request %s): %s", request_id, exc)
        exc = Unavailable("the gateway's database is unavailable")
    if isinstance(exc, ServiceError) and (exc.status < 500 or exc.status == 503):
        errors = exc.errors if isinstance(exc, InvalidInput) else None
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="jewelry-chain"'
        headers.update(getattr(exc, "headers", None) or {})
        if exc.status == 503:
            log.warning("answering 503: %s", exc.detail)
        return problem(exc.status, exc.title, str(exc.detail or exc.title), instance, request_id,
                       errors, headers)
    log.error("unexpected error (request %s)", request_id, exc_info=(type(exc), exc, exc.__traceback__))
    return problem(500, "Internal error",
                   f"an unexpected error occurred; quote request id {request_id} to support",
                   instance, request_id)


class Reply:
    """A handler's answer when the route's status and JSON are not enough."""

    def __init__(self, body, status=None, headers=None, content_type=None):
        self.body = body
        self.status = status
        self.headers = headers or {}
        self.content_type = content_type


class Gateway(SharedExtension):
    """What every route shares: settings, the database engine, the audit trail."""

    def setup(self):
        self.settings = settings_module.load()

    @property
    def engine(self):
        for dependency in self.container.dependencies:
            if isinstance(dependency, Database):
                return dependency.engine
        raise RuntimeError("the gateway service has no Database dependency")

    def authenticate(self, request, limited_ok=False):
        return sessions.authenticate(self.engine, self.settings,
                                     request.headers.get("Authorization"), limited_ok)


class Settings(DependencyProvider):
    """The gateway's settings, for handlers (the same object the routes use)."""

    gateway = Gateway()

    def get_dependency(self, worker_ctx):
        return self.gateway.settings


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, with unknown routes and methods as problem+json."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except RequestRedirect as exc:
            return exc(environ, start_response)
        except HTTPException as exc:
            headers = {}
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            detail = f"no route {request.method} {request.path}"
            return secure(problem(exc.code, exc.name, detail, request.path, headers=headers))(
                environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class GatewayWebServer(WebServer):
    gateway = Gateway()

    def get_wsgi_app(self):
        return console.Middleware(cors.Middleware(ProblemWsgiApp(self), self.gateway.settings.cors_origins, secure))


def werkzeug_rule(path):
    """``/items/{id}`` -> ``/items/<uuid:id>``: ``id`` and ``*_id`` are UUIDs."""
    def convert(match):
        name = match.group(1)
        return f"<uuid:{name}>" if name == "id" or name.endswith("_id") else f"<{name}>"
    return _PATH_PARAM.sub(convert, path)


class Call:
    """One request's state while the entrypoint handles it."""

    def __init__(self, route, request):
        self.route = route
        self.request = request
        given = request.headers.get("X-Request-ID", "")
        self.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        self.identity = ANONYMOUS
        self.audit = {}
        self.audit_id = None
        self.completes = None    # (claim, status, body) to store for an Idempotency-Key
        self.raw_body = None

    def audit_values(self):
        identity = self.identity if self.identity is not ANONYMOUS else None
        path_values = getattr(self.request, "path_values", {}) or {}
        raw = self.raw_body if isinstance(self.raw_body, dict) else {}
        store_id = (self.audit.get("store_id") or raw.get("store_id") or path_values.get("store_id")
                    or (identity.store_id if identity else None))
        entity_id = self.audit.get("entity_id") or path_values.get("id")
        return {
            "request_id": self.request_id,
            "actor_id": self.audit.get("actor_id") or (identity.user_id if identity else None),
            "actor_username": self.audit.get("actor_username") or (identity.username if identity else None),
            "actor_role": self.audit.get("actor_role") or (identity.role if identity else None),
            "store_id": str(store_id)[:64] if store_id else None,
            "method": self.request.method[:10],
            "route": self.route.path,
            "path": self.request.path[:2000],
            "entity_id": str(entity_id)[:64] if entity_id else None,
            "idempotency_key": self.audit.get("idempotency_key"),
        }


class Route(HttpRequestHandler):
    """A gateway route; see the module docstring."""

    server = GatewayWebServer()
    gateway = Gateway()

    def __init__(self, method, path, roles=None, public=False, body=None, query=None,
                 response=None, status=200, idempotent=False, summary=None, errors=(),
                 limited_ok=False, accepted=None, form=None, form_limit=None, **kwargs):
        kwargs.setdefault("expected_exceptions", (ServiceError,))
        super().__init__(method.upper(), werkzeug_rule(path), **kwargs)
        self.path = path
        self.roles = tuple(roles) if roles else None
        self.public = public
        self._signed = None
        self.body_schema = body
        self.query_schema = query
        self.response_schema = response
        self.status = status
        self.idempotent = idempotent
        self.summary = summary
        self.errors = tuple(errors)   # statuses the route answers beyond the usual ones
        self.limited_ok = limited_ok  # the caller's own account: open to a limited session, an auditor
        # 202 and what it means: work still in flight, its state now, ask again after Retry-After
        # (the service behind dedups by Idempotency-Key, so a retry goes through to it)
        self.accepted = accepted
        self.mutating = self.method in MUTATING
        self.form, self.form_limit = form, form_limit   # a multipart form's schema, its limit's setting
        self._schemas = {}

    @staticmethod
    def path_params(path):
        return _PATH_PARAM.findall(path)

    def _schema(self, cls):
        if cls not in self._schemas:
            self._schemas[cls] = cls()
        return self._schemas[cls]

    # the request, step by step ---------------------------------------------------

    def handle_request(self, request):
        request.shallow = False
        request.remote_addr = client_address.of(request, self.gateway.settings.trusted_proxies)
        call = Call(self, request)
        try:
            response = self.process(call)
        except Exception as exc:
            response = problem_from(exc, request.path, call.request_id)
        if self.mutating or call.audit.get("detail"):   # a read that changed something says so
            self.audit_outcome(call, response)
        response.headers["X-Request-ID"] = call.request_id
        return secure(response)

    def process(self, call):
        """Admit the caller, read the request, claim its Idempotency-Key and
        open its audit row, then run the handler (or replay the first answer)."""
        self.admit(call)
        self.read_request(call)
        claim = self.claim_and_audit(call)
        if claim is not None and claim.replay:
            return self.replay(call, claim)
        return self.answer(call, claim)

    def admit(self, call):
        """Who calls (401), whether they may (403), and whether the body may
        be read at all (413): headers only, nothing of the body is read yet."""
        request, gateway = call.request, self.gateway
        if not self.public:
            call.identity = self.acting_store(gateway.authenticate(request, self.limited_ok), request)
            self.authorize(call.identity)
        limit = body_limit(self, request, gateway.settings)
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the body may not be larger than {limit} bytes")
        request.max_content_length = limit
        if request.content_length is None and \
                "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            read_chunked(request, limit, PayloadTooLarge)

    def read_request(self, call):
        """The body as sent and validated, the validated query (400, 422)."""
        request = call.request
        screening.screen_request(request)
        if takes_form(self, request):
            call.raw_body = read_form(request, PayloadTooLarge)
            request.json_body = request.body = None
        else:
            call.raw_body = self.read_json(request)
            request.json_body = call.raw_body
            request.body = (load(self._schema(self.body_schema), call.raw_body)
                            if self.body_schema else call.raw_body)
        request.params = (load(self._schema(self.query_schema), request.args.to_dict())
                          if self.query_schema else {})
        request.identity = call.identity
        request.audit = call.audit

    def claim_and_audit(self, call):
        """One transaction claims the Idempotency-Key and opens the audit row:
        no mutation runs unaudited (a crash leaves the row without a status)."""
        request = call.request
        key = request.headers.get(idempotency.HEADER) if self.idempotent else None
        keyed = key is not None and call.identity.user_id
        if keyed:
            call.audit["idempotency_key"] = idempotency.check_key(key)
        audited = self.mutating and not self.public
        if not (audited or keyed):
            return None
        claim = None
        with self.gateway.engine.begin() as conn:
            if keyed:
                claim = idempotency.claim(conn, call.identity.user_id, key, self.method,
                                          self.path, request.path, call.raw_body,
                                          store_id=call.audit_values()["store_id"],
                                          secret=self.gateway.settings.jwt_secret,
                                          pass_through=self.accepted is not None)
            if audited and not (claim and claim.replay):
                call.audit_id = audit.begin(conn, **call.audit_values())
        return claim

    def replay(self, call, claim):
        call.audit["detail"] = "replayed the first answer to this Idempotency-Key"
        self.audit_from_body(call, claim.replay_body)
        response = json_response(claim.replay_body, claim.replay_status)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def answer(self, call, claim):
        """The handler's answer; with a claimed key, a failure is answered (and
        stored with the audit row's outcome, in one commit: ``audit_outcome``)."""
        try:
            response = self.response_from_result(self.run_worker(call), call)
        except Exception as exc:
            if claim is None:
                raise
            response = problem_from(exc, call.request.path, call.request_id)
        if claim is not None:
            call.completes = (claim, response.status_code, json.loads(response.get_data()))
        return response

    def authorize(self, identity):
        if self.mutating and identity.read_only and not self.limited_ok:  # the caller's own account
            raise Forbidden("the auditor role is read-only")
        if self.roles is not None and identity.role not in self.roles:
            raise Forbidden("this needs the role {}".format(" or ".join(self.roles)))

    def acting_store(self, identity, request):
        """The store the caller acts from: ``X-Store-Id``, or their only store."""
        wanted = request.headers.get("X-Store-Id")
        if wanted:
            try:
                wanted = str(uuid.UUID(wanted))
            except ValueError:
                raise InvalidInput("bad X-Store-Id", {"X-Store-Id": ["not a valid UUID"]}) from None
            if not identity.can_see_store(wanted):
                raise Forbidden("you may not act for this store")
            return replace(identity, store_id=wanted)
        if len(identity.store_ids) == 1:
            return replace(identity, store_id=identity.store_ids[0])
        return identity

    def read_json(self, request):
        return screening.read_json(request, PayloadTooLarge)

    def run_worker(self, call):
        request = call.request
        context = call.identity.to_context() | {"request_id": call.request_id}
        kwargs = {k: str(v) for k, v in (request.path_values or {}).items()}
        if frozenset(kwargs) != self._signed:   # a rule's arguments never change: once
            self.check_signature((request,), kwargs)
            self._signed = frozenset(kwargs)
        event = Event()
        self.container.spawn_worker(self, (request,), kwargs, context_data=context,
                                    handle_result=partial(self.handle_result, event))
        return event.wait()

    def response_from_result(self, result, call=None):
        if isinstance(result, Response):
            return result
        if isinstance(result, Reply):
            status = result.status or self.status
            if isinstance(result.body, (str, bytes)):
                response = Response(result.body, status=status, headers=result.headers,
                                    mimetype=result.content_type or "text/plain")
            else:
                response = json_response(result.body, status, result.headers)
            body = result.body
        else:
            response, body = json_response(result, self.status), result
        if call is not None:
            self.audit_from_body(call, body)
        return response

    # audit ------------------------------------------------------------------------

    @staticmethod
    def audit_from_body(call, body):
        if isinstance(body, dict):
            call.audit.setdefault("entity_id", body.get("id"))
            call.audit.setdefault("store_id", body.get("store_id"))

    def audit_outcome(self, call, response):
        values = call.audit_values()
        values["status"] = response.status_code
        detail = call.audit.get("detail")
        if detail is None and response.status_code >= 400 and response.mimetype == PROBLEM:
            try:
                body = json.loads(response.get_data())
                detail = "{}: {}".format(body.get("title"), body.get("detail"))[:1000]
            except ValueError:
                detail = None
        values["detail"] = detail

        def write(conn):
            if call.audit_id is not None:
                audit.finish(conn, call.audit_id, **values)
            else:
                audit.record(conn, **values)

        try:
            with self.gateway.engine.begin() as conn:
                if call.completes is not None:
                    idempotency.complete(conn, *call.completes)
                write(conn)
        except Exception:
            log.exception("could not write the audit row (and Idempotency-Key answer) of "
                          "request %s; the audit row alone again", call.request_id)
            try:
                with self.gateway.engine.begin() as conn:
                    write(conn)
            except Exception:
                log.exception("could not write the audit row of request %s", call.request_id)


route = Route.decorator


def _trace_routes_like_nameko_http():
    """Let nameko's OpenTelemetry instrumentation trace ``Route`` as HTTP."""
    try:
        from nameko_opentelemetry.entrypoints import adapter_types
        from nameko_opentelemetry.http import HttpEntrypointAdapter
    except ImportError:  # pragma: no cover
        return

    class RouteAdapter(HttpEntrypointAdapter):
        def get_span_name(self, worker_ctx):
            return f"{worker_ctx.entrypoint.method} {worker_ctx.entrypoint.path}"

        def get_result_attributes(self, worker_ctx, result):
            status = getattr(result, "status", None) or worker_ctx.entrypoint.status
            return {"http.status_code": status}

    adapter_types[Route] = RouteAdapter


_trace_routes_like_nameko_http()
