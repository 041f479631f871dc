"""Create each service's PostgreSQL role and database, idempotently.

    python scripts/bootstrap_db.py [--test]

One login role and one database per component (inventory, crm, workorders,
payments, notifications, reporting, gateway): the role is named after the component,
its password is ``<COMPONENT>_DB_PASSWORD`` or, for local development only,
the component's name; the database is owned by that role, and CONNECT is
revoked from PUBLIC so that each role reaches only its own database.
``pg_trgm`` is created in every database as superuser. ``--test`` also
creates the ``<component>_test`` databases the test suite uses.

A component whose ``<COMPONENT>_DATABASE_URL`` is set is left alone (its
database is managed elsewhere); so is a test database whose
``<COMPONENT>_TEST_DATABASE_URL`` is set.

Admin connection: ``PG_ADMIN_URL`` if set; else the ``postgres`` role over
TCP on 127.0.0.1:5432; else ``psql`` run as the ``postgres`` OS user (a
fresh Debian/Ubuntu install allows only peer authentication for it).
"""
import argparse
import os
import subprocess
import sys

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

COMPONENTS = ("inventory", "crm", "workorders", "payments", "notifications", "reporting",
              "gateway")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def env(name):
    value = os.environ.get(name)
    return value if value else None


def plain_url(url):
    """SQLAlchemy's ``postgresql+psycopg://`` -> libpq's ``postgresql://``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}" if sep else url


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def literal(value):
    return "'" + value.replace("'", "''") + "'"


def redact(url):
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "<admin url>"
    return "{}@{}:{}/{}".format(info.get("user", ""), info.get("host", "") or "socket",
                                info.get("port", "5432"), info.get("dbname", ""))


class PsycopgAdmin:
    """Superuser statements over a libpq connection."""

    def __init__(self, url):
        self.url = plain_url(url)
        self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        self.where = redact(self.url)

    def scalar(self, sql, dbname=None):
        row = self.conn.execute(sql).fetchone()
        return row[0] if row else None

    def execute(self, sql, dbname=None):
        if dbname is None:
            self.conn.execute(sql)
            return
        with psycopg.connect(make_conninfo(self.url, dbname=dbname), autocommit=True,
                             connect_timeout=5) as conn:
            conn.execute(sql)

    def server(self):
        info = conninfo_to_dict(self.url)
        return info.get("host") or "127.0.0.1", info.get("port") or "5432"

    def close(self):
        self.conn.close()


class PsqlAdmin:
    """Superuser statements through ``psql`` as the postgres OS user (peer auth)."""

    def __init__(self):
        if os.geteuid() == 0:
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = ["sudo", "-n", "-u", "postgres"]
        self.where = "psql as the postgres OS user"
        self.scalar("SELECT 1")

    def _run(self, sql, dbname):
        # SQL goes in on stdin so that no password shows in the process list
        proc = subprocess.run(
            self.prefix + ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", dbname or "postgres"],
            input=sql + ";\n", capture_output=True, text=True, cwd="/")
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def scalar(self, sql, dbname=None):
        out = self._run(sql, dbname).strip()
        return out.splitlines()[0] if out else None

    def execute(self, sql, dbname=None):
        self._run(sql, dbname)

    def server(self):
        return "127.0.0.1", "5432"

    def close(self):
        pass


def connect_admin():
    url = env("PG_ADMIN_URL")
    if url:
        admin = PsycopgAdmin(url)  # configured explicitly: its failure is the answer
    else:
        try:
            admin = PsycopgAdmin(DEFAULT_ADMIN_URL)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            print(f"db: postgres over TCP refused ({first}); trying psql as the postgres OS user")
            admin = PsqlAdmin()
    print(f"db: admin connection: {admin.where}")
    return admin


def ensure_role(admin, role, password):
    exists = admin.scalar(f"SELECT 1 FROM pg_roles WHERE rolname = {literal(role)}")
    verb = "ALTER" if exists else "CREATE"
    # keep the password in step with the configuration; no extra powers
    admin.execute(f"{verb} ROLE {ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                  f"PASSWORD {literal(password)}")
    return "ok" if exists else "created"


def ensure_database(admin, dbname, owner):
    exists = admin.scalar(f"SELECT 1 FROM pg_database WHERE datname = {literal(dbname)}")
    if exists:
        admin.execute(f"ALTER DATABASE {ident(dbname)} OWNER TO {ident(owner)}")
    else:
        admin.execute(f"CREATE DATABASE {ident(dbname)} OWNER {ident(owner)} "
                      f"ENCODING 'UTF8' TEMPLATE template0")
    admin.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {ident(dbname)} FROM PUBLIC")
    admin.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {ident(dbname)} TO {ident(owner)}")
    admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", dbname=dbname)
    return "ok" if exists else "created"


def verify_isolation(admin, passwords):
    """Role crm must reach crm and must not reach inventory."""
    host, port = admin.server()
    if host.startswith("/"):
        host = "127.0.0.1"

    def connect(role, dbname):
        return psycopg.connect(host=host, port=port, user=role, password=passwords[role],
                               dbname=dbname, connect_timeout=5)

    try:
        connect("crm", "crm").close()
    except psycopg.Error as exc:
        raise SystemExit(f"db: FAILED: role crm cannot connect to its own database crm: {exc}")
    try:
        conn = connect("crm", "inventory")
    except psycopg.errors.InsufficientPrivilege:
        print("db: OK: role crm cannot connect to database inventory")
        return
    except psycopg.OperationalError as exc:
        if "permission denied" in str(exc):
            print("db: OK: role crm cannot connect to database inventory")
            return
        raise SystemExit(f"db: FAILED: unexpected error checking isolation: {exc}")
    conn.close()
    raise SystemExit("db: FAILED: role crm can connect to database inventory")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", action="store_true", help="also create the <component>_test databases")
    args = parser.parse_args(argv)

    plan = []  # (component, database)
    for name in COMPONENTS:
        if env(f"{name.upper()}_DATABASE_URL"):
            print(f"db: {name}: {name.upper()}_DATABASE_URL is set; managed elsewhere, skipped")
        else:
            plan.append((name, name))
        if args.test:
            if env(f"{name.upper()}_TEST_DATABASE_URL"):
                print(f"db: {name}_test: {name.upper()}_TEST_DATABASE_URL is set; skipped")
            else:
                plan.append((name, f"{name}_test"))

    passwords = {name: env(f"{name.upper()}_DB_PASSWORD") or name for name in COMPONENTS}
    if not plan:
        print("db: nothing to create")
        return 0

    admin = connect_admin()
    try:
        roles_done = set()
        for role, dbname in plan:
            if role not in roles_done:
                print(f"db: role {role}: {ensure_role(admin, role, passwords[role])}")
                roles_done.add(role)
            print(f"db: database {dbname} (owner {role}): {ensure_database(admin, dbname, role)}")
        if ("crm", "crm") in plan and ("inventory", "inventory") in plan:
            verify_isolation(admin, passwords)
        else:
            print("db: isolation check skipped (crm or inventory is managed elsewhere)")
    finally:
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
