"""The shared runtime every service stands on.

Importing ``chassis`` first makes psycopg wait the green way
(docs/ARCHITECTURE.md#rule-9): psycopg's C wait blocks the eventlet hub, so
ten slow queries would run one after the other.
``PSYCOPG_WAIT_FUNC=wait_select`` (read when psycopg is first imported)
covers the connection handshake, ``chassis.greenwait`` the queries; naming
another wait function leaves psycopg's choice alone.
"""
from __future__ import annotations

import os

if os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select") == "wait_select":
    from . import greenwait

    greenwait.install()
