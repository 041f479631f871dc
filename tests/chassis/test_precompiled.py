"""``chassis.sql.Precompiled``: an upsert compiled once behaves as SQLAlchemy's own."""
import uuid

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chassis.db import make_engine
from chassis.sql import Precompiled

meta = MetaData()
tally = Table(
    "precompiled_tally", meta,
    Column("name", String(20), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("known", Boolean, nullable=False, default=False),
    Column("token", String(40), nullable=False, default=lambda: uuid.uuid4().hex),
)


def _add():
    stmt = insert(tally)
    return stmt.on_conflict_do_update(index_elements=[tally.c.name],
                                      set_={"n": tally.c.n + stmt.excluded.n}).returning(tally.c.n)


def test_upsert_compiled_once_applies_values_defaults_and_conflicts(database):
    engine = make_engine(database("inventory"), pool_size=1)
    add = Precompiled(_add)
    try:
        with Session(engine) as session, session.begin():
            tally.create(session.connection())
            assert add.execute(session, {"name": "a", "n": 2}).scalar() == 2
            assert add.execute(session, {"name": "a", "n": 3}).scalar() == 5     # the conflict's update
            add.execute(session, [{"name": "b", "n": 1}, {"name": "c", "n": 4}, {"name": "b", "n": 1}])
            rows = session.execute(text("SELECT name, n, known, length(token) FROM precompiled_tally "
                                        "ORDER BY name")).all()
            assert [tuple(r) for r in rows] == [("a", 5, False, 32), ("b", 2, False, 32),
                                                ("c", 4, False, 32)]
            assert len(add._compiled) == 1                                       # one set of columns
            session.rollback()
    finally:
        engine.dispose()
