"""Gateway service: the routes of docs/API.md#conventions. Handlers stay thin; the HTTP
plumbing is in ``http``, the rules in ``domain``, ``auth`` and ``audit``."""
import eventlet
from nameko.timer import timer
from sqlalchemy import text

from chassis.config import SERVICES
from chassis.errors import Forbidden
from chassis.identity import HQ, HQ_ADMIN, SYSTEM
from chassis.rpc import ServiceRpc
from chassis.service import ServiceBase, rpc
from chassis.validation import uuid_arg

from . import audit, domain, idempotency, openapi, schemas, sessions, throttle
from .auth_routes import AuthRoutes
from .crm_routes import CrmRoutes
from .hq_routes import HqRoutes
from .http import Reply, Settings, route
from .inventory_routes import InventoryRoutes
from .media import HTML, JSON_OBJECT, produces
from .notification_routes import NotificationRoutes
from .payment_routes import PaymentRoutes
from .totp_routes import TotpRoutes
from .user_routes import UserRoutes
from .workorder_routes import WorkorderRoutes

_documents: dict[type, dict] = {}


class Service(AuthRoutes, HqRoutes, InventoryRoutes, CrmRoutes, WorkorderRoutes, PaymentRoutes,
              NotificationRoutes, TotpRoutes, UserRoutes, ServiceBase):
    name = "gateway"

    settings = Settings()
    inventory = ServiceRpc("inventory")
    crm = ServiceRpc("crm")
    workorders = ServiceRpc("workorders")
    payments = ServiceRpc("payments")
    notifications = ServiceRpc("notifications")
    reporting = ServiceRpc("reporting")

    # public ---------------------------------------------------------------------

    @route("GET", "/health", public=True, response=schemas.Health)
    def http_health(self, request):
        """Is every service up?

        Asks each service's ``health`` RPC at once, each with a short deadline
        (``HEALTH_TIMEOUT``, 1.5 s). ``status`` is ``ok`` when all are up, else
        ``degraded``, still with HTTP 200 (the gateway itself serves); HTTP 503
        only when the gateway's own database is down.
        """
        timeout = self.settings.health_timeout_s

        def probe(name):
            try:
                getattr(self, name).health(timeout=timeout)
                return "up"
            except Exception:
                return "down"

        def database():
            try:
                with eventlet.Timeout(timeout):
                    with self.db.transaction() as session:
                        session.execute(text("SELECT 1"))
                return "up"
            except (Exception, eventlet.Timeout):
                return "down"

        probes = {name: eventlet.spawn(probe, name) for name in SERVICES}
        db_state = database()
        services = {name: probes[name].wait() for name in SERVICES}
        healthy = db_state == "up" and all(state == "up" for state in services.values())
        body = {"status": "ok" if healthy else "degraded", "database": db_state, "services": services}
        return Reply(body, status=200 if db_state == "up" else 503)

    @route("GET", "/openapi.json", public=True)
    @produces(JSON_OBJECT)
    def openapi_document(self, request):
        """The OpenAPI 3 document of this API."""
        cls = type(self)
        if cls not in _documents:
            _documents[cls] = openapi.build(cls)
        return _documents[cls]

    @route("GET", "/docs", public=True)
    @produces(HTML)
    def docs(self, request):
        """A browsable page of the API (the console's build serves Swagger UI here instead)."""
        return Reply(openapi.DOCS_HTML, content_type="text/html", headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                                       "style-src 'unsafe-inline'; connect-src 'self'"})

    # identity -------------------------------------------------------------------


    # stores -----------------------------------------------------------------------

    @route("POST", "/stores", roles=(HQ_ADMIN,), body=schemas.StoreCreate, response=schemas.Store,
           status=201, idempotent=True)
    def create_store(self, request):
        """Open a store; ``store.created`` goes out through the outbox."""
        with self.db.transaction() as session:
            store = domain.create_store(session, request.body)
        request.audit["store_id"] = store["id"]
        return store

    @route("PATCH", "/stores/{id}", roles=(HQ_ADMIN,), body=schemas.StoreChange,
           response=schemas.Store)
    def update_store(self, request, id):
        """Change a store; ``store.updated`` goes out through the outbox."""
        request.audit["store_id"] = id
        with self.db.transaction() as session:
            return domain.update_store(session, id, request.body)

    @route("GET", "/stores", query=schemas.PageQuery, response=schemas.StorePage)
    def list_stores(self, request):
        """The stores the caller may see (HQ and auditors: all)."""
        with self.db.transaction() as session:
            return domain.list_stores(session, request.identity, request.params)

    @rpc
    def stores_snapshot(self, cursor=None, limit=500):
        """Every store's facts, a page at a time, for the system only (the
        reporting rebuild loads its copy of the stores from it)."""
        if self.caller.role != SYSTEM:
            raise Forbidden("the stores snapshot is for the services' own rebuilds")
        cursor = uuid_arg(cursor, "cursor") if cursor else None
        with self.db.transaction() as session:
            return domain.stores_snapshot(session, cursor, max(1, min(int(limit), 2000)))

    # audit ------------------------------------------------------------------------

    @route("GET", "/audit", roles=HQ, query=schemas.AuditQuery,
           response=schemas.AuditPage)
    def list_audit(self, request):
        """Who did what, when, from which store; newest first."""
        with self.db.transaction() as session:
            return audit.list_entries(session, request.params)

    @timer(interval=3600)
    def purge_idempotency_keys(self):
        with self.db.transaction() as session:
            idempotency.purge(session, self.settings.idempotency_ttl_h)
            sessions.purge(session)

    @timer(interval=3600)
    def purge_signin_failures(self):
        with self.db.transaction() as session:
            throttle.purge(session, self.settings)
