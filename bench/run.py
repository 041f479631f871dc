"""``make bench``: figures as ratios against the stack's own ceilings.

    python -m bench.run [--profile small|full] [--duration S]

Measures, in one run on this machine: the ceilings (a bare nameko RPC echo
round trip, a bare PostgreSQL insert+commit), then the platform's figures,
and writes bench/results/<time>.json and .md with the machine's cores and the
settings, so two runs can be compared. Timings are reported, never asserted.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import chassis  # noqa: E402,F401
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from nameko.standalone.rpc import ClusterRpcClient  # noqa: E402

from chassis import config  # noqa: E402
from chassis.identity import Identity  # noqa: E402

from . import ceilings, search  # noqa: E402
from .clients import RpcPool  # noqa: E402
from .stats import markdown  # noqa: E402

PROFILES = {
    "small": {"stores": 50, "items": 50_000, "duration": 5.0},
    "full": {"stores": 500, "items": 1_000_000, "duration": 15.0},
}
HERE = os.path.dirname(os.path.abspath(__file__))


def start(module_args, env=None):
    return subprocess.Popen([sys.executable, "-m", *module_args], env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_rpc(client, service, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            getattr(client, service)["health" if service != "bench_echo" else "echo"].call_async(
                *([] if service != "bench_echo" else [1])).result()
            return
        except Exception:
            eventlet.sleep(0.5)
    raise SystemExit(f"{service} did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default=os.environ.get("BENCH_PROFILE", "small"))
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--search-db", default=os.environ.get("BENCH_INVENTORY_DATABASE_URL"))
    args = parser.parse_args()
    profile = dict(PROFILES[args.profile])
    duration = args.duration or profile["duration"]
    search_db = args.search_db or config.database_url("inventory")

    from scripts.seed_large import seed
    seed(search_db, profile["stores"], profile["items"])

    procs = [start(["bench.echo_service"]),
             start(["chassis.run", "inventory"], {"INVENTORY_DATABASE_URL": search_db})]
    results = []
    try:
        hq = Identity(user_id="bench", role="hq_admin", username="bench")
        with ClusterRpcClient(context_data=hq.to_context(), timeout=30) as client:
            wait_rpc(client, "bench_echo")
            wait_rpc(client, "inventory")
        pool = RpcPool(20, context_data=hq.to_context())
        try:
            echo = ceilings.rpc_echo(pool, duration=duration)
            pg = ceilings.pg_insert_commit(search_db, duration=duration)
            results += [echo, pg]
            found = search.search(pool, profile["stores"], duration=duration)
            found["ratio"] = f"p50 {found['p50_ms'] / echo['p50_ms']:.1f}x echo p50"
            results.append(found)
        finally:
            pool.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)

    report = {
        "at": datetime.now(timezone.utc).isoformat(), "profile": args.profile,
        "settings": {**profile, "duration": duration},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "results": results,
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"{stamp}.json"), "w") as fh:
        json.dump(report, fh, indent=2)
    table = markdown(results, None)
    with open(os.path.join(HERE, "results", f"{stamp}.md"), "w") as fh:
        fh.write(f"# bench {stamp} ({args.profile}, {os.cpu_count()} cores)\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
