"""Reporting service: HQ's read model. Entrypoints only; the rules live in
plain modules beside it (projections: ``pieces``, ``sales``,
``work_orders``, ``clients``, ``stores``, ``freshness``; reports:
``summary``, ``sales_report``, ``turnover``, ``exports``; HQ's own data:
``rates``, ``transfer_requests``; ``rebuild``).

The event handlers are made from ``projections.PROJECTIONS``, one per entry
(``handles``): that table alone says what reporting consumes. Reports read
the read model only, never the services, so they answer fast and while a
service is down; each answer says how fresh it is (``as_of``: the newest
event reflected, ``lag_seconds``).
"""
from chassis.db import Database
from chassis.errors import Forbidden
from chassis.events import event_handler
from chassis.identity import HQ, HQ_ADMIN, MANAGERS, OVERSIGHT, STAFF, with_system
from chassis.service import ServiceBase, rpc
from chassis.settings import SettingsProvider
from chassis.validation import uuid_arg

from . import exports, projections, queries, rates, transfer_requests
from .sales_report import sales_report as build_sales_report
from .settings import load
from .summary import summary as build_summary
from .turnover import turnover_report as build_turnover_report


def _projection(producer, event_type):
    """A handler that applies ``event_type`` to the read model once (the inbox)."""
    @event_handler(producer, event_type)
    def project(self, event):
        with self.db.inbox(event) as session:
            projections.apply(session, event)
    project.__name__ = project.__qualname__ = projections.handler_name(event_type)
    project.__doc__ = f"Apply {producer}'s ``{event_type}`` (once, via the inbox)."
    return project


def handles(table):
    """Class decorator: one event handler per ``(producer, event type)`` of ``table``."""
    def add(cls):
        for producer, event_type in table:
            setattr(cls, projections.handler_name(event_type), _projection(producer, event_type))
        return cls
    return add


def _may_read(identity, roles, what):
    if identity.role not in with_system(roles):
        raise Forbidden(f"a {identity.role} may not {what}")


@handles(projections.PROJECTIONS)
class Service(ServiceBase):
    name = "reporting"

    db = Database(relay=False)      # publishes nothing
    settings = SettingsProvider(load)

    # reports ----------------------------------------------------------------------------------

    def _summary(self):
        _may_read(self.caller, HQ, "see the chain's summary")
        with self.db.transaction() as session:
            return build_summary(session, reporting=self.settings.reporting_currency)

    def _report(self, build, query):
        _may_read(self.caller, OVERSIGHT, "see reports")
        query = queries.period_query(query)
        with self.db.transaction() as session:
            return build(session, self.caller, query, reporting=self.settings.reporting_currency)

    @rpc
    def summary(self):
        return self._summary()

    @rpc
    def summary_csv(self):
        return exports.to_csv(exports.summary_rows(self._summary()))

    @rpc
    def sales_report(self, query=None):
        return self._report(build_sales_report, query)

    @rpc
    def sales_report_csv(self, query=None):
        return exports.to_csv(exports.sales_rows(self._report(build_sales_report, query)))

    @rpc
    def turnover_report(self, query=None):
        return self._report(build_turnover_report, query)

    @rpc
    def turnover_report_csv(self, query=None):
        return exports.to_csv(exports.turnover_rows(self._report(build_turnover_report, query)))

    # exchange rates ----------------------------------------------------------------------------

    @rpc
    def record_fx_rate(self, data):
        self.caller.require(with_system((HQ_ADMIN,)), "record exchange rates")
        data = queries.fx_rate(data)
        with self.db.transaction() as session:
            return rates.record_fx_rate(session, self.caller, data,
                                        self.settings.reporting_currency)

    @rpc
    def list_fx_rates(self):
        with self.db.transaction() as session:
            return rates.list_fx_rates(session, reporting=self.settings.reporting_currency)

    # transfer requests -------------------------------------------------------------------------

    @rpc
    def request_transfer(self, data):
        self.caller.require(with_system(STAFF), "request transfers")
        data = queries.transfer_request(data)
        with self.db.transaction() as session:
            return transfer_requests.request_transfer(session, self.caller, data)

    @rpc
    def list_transfer_requests(self, query=None):
        query = queries.transfer_request_page(query)
        with self.db.transaction() as session:
            return transfer_requests.list_transfer_requests(session, self.caller, query)

    @rpc
    def decline_transfer_request(self, request_id, reason=None):
        self.caller.require(with_system(MANAGERS), "decline transfer requests")
        request_id = uuid_arg(request_id, "id")
        with self.db.transaction() as session:
            return transfer_requests.decline_transfer_request(session, self.caller, request_id,
                                                              reason)
