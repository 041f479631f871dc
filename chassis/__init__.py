"""The shared runtime every service stands on.

Importing ``chassis`` first makes psycopg use a green-friendly wait function
(ARCHITECTURE rule 9): psycopg's C wait blocks the eventlet hub, so ten slow
queries would run one after the other. The variable must be set before psycopg
is imported anywhere in the process.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
