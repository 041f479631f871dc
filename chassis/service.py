"""What every service class has: its database, its caller, a health check."""
from nameko.rpc import rpc as nameko_rpc
from sqlalchemy import text

from .db import Database
from .errors import EXPECTED
from .identity import Caller


def rpc(fn=None, **kwargs):
    """nameko's ``rpc``, with the errors a service raises on purpose (not
    found, conflict, forbidden, invalid input) marked as expected: they are
    answers, logged as warnings, not failures logged with a traceback."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    return nameko_rpc(**kwargs) if fn is None else nameko_rpc(**kwargs)(fn)


class ServiceBase:
    """Subclass with ``name = "<service>"``; keep entrypoints thin."""

    db = Database()
    caller = Caller()

    @rpc
    def health(self):
        with self.db.transaction() as session:
            session.execute(text("SELECT 1"))
        return {"status": "up", "service": self.name}
