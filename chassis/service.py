"""What every service class has: its database, its caller, a health check."""
from nameko.rpc import rpc
from sqlalchemy import text

from .db import Database
from .identity import Caller


class ServiceBase:
    """Subclass with ``name = "<service>"``; keep entrypoints thin."""

    db = Database()
    caller = Caller()

    @rpc
    def health(self):
        with self.db.transaction() as session:
            session.execute(text("SELECT 1"))
        return {"status": "up", "service": self.name}
