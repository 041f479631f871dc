"""``make run``: the whole chain on this machine, with demo data.

    python -m scripts.run

Reads (first time: generates) this machine's secrets, ``.local-secrets.env``
(``scripts.local_secrets``; the environment wins), and passes them to the
chain. Starts localstripe (unless STRIPE_API_KEY is set), every service and the
gateway as processes (see ``scripts.chain``), waits until ``/health`` says
every service is up, creates the first hq_admin from ADMIN_USERNAME /
ADMIN_PASSWORD when the gateway has no user yet, loads the demo chain, prints
the URL and the demo login, and runs until Ctrl-C or SIGTERM, which stop
everything cleanly (exit 0). A process that dies meanwhile is started again,
with back-off, and logged (``scripts.keepalive``).

LOG_DIR (default ``logs/``; ``-`` for the console) holds one log per process;
READY_TIMEOUT (seconds, default 90) bounds the wait for ``/health``.
"""
import os
import signal
import subprocess
import sys
import time

from scripts import local_secrets
from scripts.chain import ROOT, Chain, ChainError
from scripts.keepalive import Keepalive

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "showcase-velvet-tray-7"


class _Stop(Exception):
    pass


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value else default


def _step(module, env):
    print(f"run: python -m {module}", flush=True)
    return subprocess.run([sys.executable, "-m", module], env=env, cwd=ROOT,
                          stdin=subprocess.DEVNULL).returncode


def _shown(path):
    """A log folder as the user would type it: relative inside the repository."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def _start_and_serve(chain, timeout, username, password, log_dir):
    """Start the chain, load the demo, say where it is; then watch it until stopped."""
    where = f"logs in {_shown(log_dir)}/" if log_dir else "logs on the console"
    print(f"run: starting the chain ({where})", flush=True)
    chain.start()
    if chain.stripe_port is not None:
        print(f"run: localstripe on {chain.env['STRIPE_API_BASE']}", flush=True)
    print(f"run: waiting for {chain.url}/health", flush=True)
    chain.wait_ready(timeout)
    print("run: every service is up", flush=True)
    if chain.register_stripe_webhook():
        print("run: localstripe sends its webhooks to the gateway", flush=True)

    if _step("gateway.create_admin", chain.env) != 0:
        raise ChainError("gateway.create_admin failed (see above)")
    if _env("DEMO_DATA", "1") == "0":
        print("run: DEMO_DATA=0: no demo chain", flush=True)
    elif _step("scripts.demo_data", {**chain.env, "GATEWAY_URL": chain.url}) != 0:
        print("run: WARNING: the demo data did not load completely (see above)", flush=True)

    print(
        "\n"
        "  The jewelry chain is running.\n"
        f"  The console:    {chain.url}/  (sign in as the demo admin)\n"
        f"  API reference:  {chain.url}/docs\n"
        f"  Demo admin:     {username} / {password}\n"
        f"                  (POST {chain.url}/auth/token with these; when users existed\n"
        "                  already, the first administrator created is kept)\n"
        + (f"  Logs:           {_shown(log_dir)}/<process>.log\n" if log_dir else "")
        + "  Ctrl-C stops everything.\n",
        flush=True,
    )
    keepalive = Keepalive(chain, log=lambda line: print(line, flush=True))
    while True:
        time.sleep(1)
        keepalive.tick()


def main():
    username = _env("ADMIN_USERNAME", DEMO_USERNAME)
    password = _env("ADMIN_PASSWORD", DEMO_PASSWORD)
    port = int(_env("GATEWAY_PORT", "8000"))
    log_dir = _env("LOG_DIR", os.path.join(ROOT, "logs"))
    log_dir = None if log_dir == "-" else log_dir
    timeout = float(_env("READY_TIMEOUT", "90"))

    try:
        chain = Chain(env={"ADMIN_USERNAME": username, "ADMIN_PASSWORD": password,
                           **local_secrets.environment()},
                      gateway_port=port, log_dir=log_dir, stripe_from_scratch=False)
    except (ChainError, local_secrets.UnsafeSecretsFile) as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 1

    signalled = []

    def on_signal(signum, frame):
        if not signalled:
            signalled.append(signum)
            raise _Stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        _start_and_serve(chain, timeout, username, password, log_dir)
    except _Stop:
        print("\nrun: stopping the chain", flush=True)
    except ChainError as exc:
        print(f"run: ERROR: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        chain.stop()
    print("run: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
