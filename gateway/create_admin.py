"""Create the first HQ administrator: ``python -m gateway.create_admin``.

Reads ``ADMIN_USERNAME`` and ``ADMIN_PASSWORD`` and creates that user with
the role ``hq_admin`` when the gateway has no user yet; otherwise does
nothing. Safe to run on every deploy; prints what it did.
"""
import sys

from sqlalchemy.orm import Session

import chassis  # noqa: F401
from chassis.config import database_url, env
from chassis.db import make_engine
from chassis.errors import InvalidInput
from chassis.identity import HQ_ADMIN
from chassis.sql import lock_key
from chassis.validation import load

from . import domain
from .auth import hash_password_blocking
from .schemas import UserCreate


def create_first_admin(url, username, password):
    """Returns what was done, as a sentence."""
    data = load(UserCreate(), {"username": username, "password": password, "role": HQ_ADMIN})
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            # one creator at a time, so two deploys cannot both see "no user"
            lock_key(session, "gateway.create_admin")
            existing = domain.count_users(session)
            if existing:
                return f"gateway: {existing} user(s) exist already; no administrator created"
            user = domain.create_user(session, data, hash_password_blocking(password))
            return f"gateway: created hq_admin {user['username']!r} ({user['id']})"
    finally:
        engine.dispose()


def main(argv=None):
    username, password = env("ADMIN_USERNAME"), env("ADMIN_PASSWORD")
    if not username or not password:
        print("gateway: set ADMIN_USERNAME and ADMIN_PASSWORD", file=sys.stderr)
        return 2
    try:
        print(create_first_admin(database_url("gateway"), username, password))
    except InvalidInput as exc:
        for field, messages in exc.errors.items():
            print(f"gateway: ADMIN_{field.upper()}: {'; '.join(messages)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
