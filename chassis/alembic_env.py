"""The one Alembic env every component's ``migrations/env.py`` calls."""
from alembic import context
from sqlalchemy import create_engine, pool


def run(target_metadata=None):
    cfg = context.config
    url = cfg.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
