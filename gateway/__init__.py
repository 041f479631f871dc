"""The gateway: the one HTTP/JSON door to the chain (see docs/API.md#conventions).

It authenticates callers (JWT), owns users, stores, the audit trail and
idempotency keys in its own database, and talks to the services only by RPC
with a deadline. ``http`` holds the HTTP plumbing, ``service`` the routes.
"""
