"""``make bench``: store terminals under holiday load, as ratios against the
stack's own ceilings measured in the same run.

    python -m bench.run [--profile small|full] [--duration S] [--terminals N]

Uses the platform at ``GATEWAY_URL`` when one answers there, else starts the
whole chain (scripts.chain) on ``BENCH_GATEWAY_PORT`` (8001). Seeds a chain
(bench stores through the gateway, pieces by COPY into inventory, a few
clients through the API and the client book by COPY into crm), measures the
ceilings (a bare nameko RPC echo round trip, from a standalone client and
from a service as the gateway calls one; a bare PostgreSQL insert+commit),
drives N terminals over HTTP (ratios against the service-to-service echo),
and writes
bench/results/<time>.json and .md with the machine's cores and settings.
Timings are reported, never asserted.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import chassis  # noqa: E402,F401
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform as host  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import requests  # noqa: E402
from nameko.standalone.rpc import ClusterRpcClient  # noqa: E402

from chassis import config  # noqa: E402

from . import ceilings, hq, platform  # noqa: E402
from scripts.seed_large import seed_clients  # noqa: E402

from .clients import RpcPool  # noqa: E402
from .stats import markdown  # noqa: E402

PROFILES = {
    "small": {"stores": 20, "items": 50_000, "sale_pieces": 4_000, "clients": 100, "book": 5_000,
              "duration": 5.0},
    "full": {"stores": 500, "items": 1_000_000, "sale_pieces": 6_000, "clients": 1_000,
             "book": 200_000,
             "duration": 15.0},
}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(message):
    print(f"bench: {message}", flush=True)


def answering(url):
    try:
        return requests.get(url + "/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def start_echo():
    """The echo service and its caller, each its own process."""
    return [subprocess.Popen([sys.executable, "-m", "bench.echo_service", role], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True) for role in ("echo", "caller")]


def wait_echo(timeout=60):
    deadline = time.monotonic() + timeout
    with ClusterRpcClient(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                client.bench_echo.echo(1)
                client.bench_echo_caller.drive(1, 0.1)
                return
            except Exception:
                eventlet.sleep(0.5)
    raise SystemExit("the echo service did not start")


def service_echo(concurrency, duration):
    """The echo as the gateway calls a service: from inside a container."""
    with ClusterRpcClient(timeout=duration + 60) as client:
        return client.bench_echo_caller.drive(concurrency, duration)


def sms_drain_rate(count=10):
    try:
        from chassis.db import Db, make_engine
        from chassis.identity import Identity
        from services.notifications.outgoing import measure_drain_rate
        from services.notifications.senders import build_senders
        from services.notifications.settings import load_settings
        settings = load_settings()
        engine = make_engine(config.database_url("notifications"), pool_size=2)
        db = Db(engine, producer="notifications", identity=Identity.system())
        result = measure_drain_rate(db, build_senders(settings), settings, count=count)
        engine.dispose()
        return result
    except Exception as exc:  # reported, not fatal
        return {"error": str(exc)}


def rebuild_reporting():
    """HQ's read model from the services' snapshots (the seeded pieces came
    in by COPY, not by events): how long ``make rebuild-reporting`` takes."""
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "services.reporting.rebuild", "--page-size", "2000"],
                          cwd=ROOT, capture_output=True, text=True)
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    return {"seconds": round(time.monotonic() - began, 1), "exit": done.returncode,
            "summary": summary if done.returncode == 0 else done.stderr.strip()[-500:]}


def _chain_and_admin(username, password):
    """The gateway to measure (``GATEWAY_URL``, else a chain started here) and
    its first administrator: ``(chain or None, base URL)``."""
    chain = None
    base = os.environ.get("GATEWAY_URL", "").rstrip("/")
    if not base or not answering(base):
        from scripts import local_secrets
        from scripts.chain import Chain
        port = int(os.environ.get("BENCH_GATEWAY_PORT", "8001"))
        log(f"starting the chain on port {port}")
        chain = Chain(gateway_port=port, log_dir=os.path.join(ROOT, "logs", "bench"),
                      env={"STRIPE_PORT": os.environ.get("BENCH_STRIPE_PORT", "18421"),
                           "LOG_LEVEL": "WARNING",
                           # one sign-in serves the whole run (seeding the full profile
                           # outlasts a 15-minute access token; a till would refresh it)
                           "ACCESS_TOKEN_TTL_SECONDS": "43200", **local_secrets.environment()})
        chain.start()
        chain.wait_ready(120)
        base = f"http://127.0.0.1:{port}"
        subprocess.run([sys.executable, "-m", "gateway.create_admin"], cwd=ROOT, check=True,
                       env={**os.environ, "ADMIN_USERNAME": username, "ADMIN_PASSWORD": password},
                       stdout=subprocess.DEVNULL)
    return chain, base


def _seed(base, token, profile):
    """The chain the phases run on: stores, pieces, clients and a client book."""
    admin = platform.Terminal(base, token)
    log(f"seeding: {profile['stores']} stores, {profile['items']} pieces, "
        f"{profile['clients']} + {profile['book']} clients")
    stores = platform.ensure_stores(admin, profile["stores"])
    platform.wait_known(config.database_url("inventory"), stores)
    tags, sale = platform.seed_pieces(config.database_url("inventory"), stores,
                                      profile["items"], profile["sale_pieces"])
    clients = platform.ensure_clients(admin, stores, profile["clients"])
    seed_clients(config.database_url("crm"), stores, profile["book"])
    return {"stores": stores, "tags": tags, "clients": clients, "pool": platform.Pool(sale),
            "book": profile["book"]}


def _measure(base, token, ctx, duration, terminals, extra):
    """Every figure: the ceilings, the phases, HQ, event lag, the SMS drain."""
    log("ceilings")
    wait_echo()
    pool = RpcPool(terminals)
    try:
        standalone_fig = ceilings.rpc_echo(pool, concurrency=terminals, duration=duration)
    finally:
        pool.close()
    echo_fig = service_echo(terminals, duration)
    pg_fig = ceilings.pg_insert_commit(config.database_url("inventory"), duration=duration)
    results = [standalone_fig, echo_fig, pg_fig]

    log(f"{terminals} terminals, {duration:g} s per phase")
    for fig in platform.phases(base, token, ctx, duration, terminals):
        if fig["p50_ms"] and echo_fig["p50_ms"]:
            fig["ratio"] = (f"{fig['throughput_per_s'] / echo_fig['throughput_per_s']:.2f}x echo "
                            f"throughput, p50 {fig['p50_ms'] / echo_fig['p50_ms']:.1f}x echo p50")
        results.append(fig)
    log("HQ read model: rebuilt from the services' data, then the summary")
    extra["reporting_rebuild"] = rebuild_reporting()
    results.append(hq.measure(base, token))
    log("event lag")
    results.append(platform.event_lag(base, token, ctx))
    log("sms drain rate")
    extra["sms_drain"] = sms_drain_rate()
    return results


def _write(args, profile, duration, base, results, extra):
    report = {
        "at": datetime.now(timezone.utc).isoformat(), "profile": args.profile,
        "settings": {**profile, "duration": duration, "terminals": args.terminals,
                     "gateway": base},
        "machine": {"cores": os.cpu_count(), "python": host.python_version(),
                    "platform": host.platform()},
        "results": results, **extra,
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"{stamp}.json"), "w") as fh:
        json.dump(report, fh, indent=2)
    table = markdown(results, None)
    sms = extra.get("sms_drain")
    text = (f"# bench {stamp} ({args.profile}, {os.cpu_count()} cores, {args.terminals} terminals, "
            f"{duration:g} s per phase)\n\n{table}\n\nSMS drain: {json.dumps(sms)}\n\n"
            f"HQ read model rebuild: {json.dumps(extra.get('reporting_rebuild'))}\n")
    with open(os.path.join(HERE, "results", f"{stamp}.md"), "w") as fh:
        fh.write(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default=os.environ.get("BENCH_PROFILE", "small"))
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--terminals", type=int, default=20)
    args = parser.parse_args()
    profile = dict(PROFILES[args.profile])
    duration = args.duration or profile["duration"]
    username = os.environ.get("ADMIN_USERNAME", "admin")
    password = os.environ.get("ADMIN_PASSWORD", "showcase-velvet-tray-7")
    chain, base = _chain_and_admin(username, password)
    echo = start_echo()
    extra = {}
    try:
        token = platform.login(base, username, password)
        ctx = _seed(base, token, profile)
        results = _measure(base, token, ctx, duration, args.terminals, extra)
    finally:
        for process in echo:
            process.terminate()
        for process in echo:
            process.wait(10)
        if chain is not None:
            chain.stop()
    _write(args, profile, duration, base, results, extra)

if __name__ == "__main__":
    main()
