"""The stack's own ceilings on this machine, measured in the same run."""
import psycopg

from .stats import drive


def rpc_echo(pool, concurrency=20, duration=5.0):
    payload = {"tag": "ABCD1234", "n": 1}
    return drive("ceiling: nameko RPC echo, standalone client", lambda i: pool.call("bench_echo", "echo", payload),
                 concurrency, duration=duration)


def pg_insert_commit(url, concurrency=1, duration=5.0):
    """One INSERT and COMMIT per call, on one connection per green worker."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    conns = [psycopg.connect(url) for _ in range(concurrency)]
    with conns[0].cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial primary key, at timestamptz default now())")
    conns[0].commit()
    free = list(conns)

    def insert(i):
        conn = free.pop()
        try:
            conn.execute("INSERT INTO bench_ceiling DEFAULT VALUES")
            conn.commit()
        finally:
            free.append(conn)

    try:
        return drive("ceiling: bare PostgreSQL insert+commit", insert, concurrency, duration=duration)
    finally:
        with conns[0].cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_ceiling")
        conns[0].commit()
        for conn in conns:
            conn.close()
