"""A test's direct view of one database: plain SQL in, rows out."""
from sqlalchemy import create_engine, text


class SqlDb:
    def __init__(self, url, **engine_options):
        self.url = url
        self.engine = create_engine(url, **engine_options)

    def scalar(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def all(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    def execute(self, sql, **params):
        with self.engine.begin() as conn:
            return conn.execute(text(sql), params)

    def envelopes(self, event_type=None):
        """The events this database's outbox holds, oldest first."""
        sql = "select envelope from outbox"
        if event_type:
            sql += " where event_type = :t"
        return [r[0] for r in self.all(sql + " order by id", t=event_type)]

    def close(self):
        self.engine.dispose()
