"""Run the whole chain as processes: every service, the gateway, localstripe.

Used by ``make run`` (through ``scripts.run``) and by the end-to-end and
fault tests::

    from scripts.chain import Chain

    with Chain(env={"AMQP_URI": uri}, log_dir=tmp_path) as chain:  # started and ready
        requests.get(chain.url + "/health")
        chain.kill("inventory")             # SIGKILL inventory-0's process group
        chain.restart("inventory")          # and start it again

Each component runs as ``python -m chassis.run <name>`` in its own process
group, from the repository root, with the interpreter running this module.
``REPLICAS_<COMPONENT>`` (or the ``replicas`` dict, which wins) starts N
processes of a component. When ``STRIPE_API_KEY`` is not set, localstripe
is started on ``STRIPE_PORT`` (default 8420) and the children get
``STRIPE_API_KEY=sk_test_local`` and ``STRIPE_API_BASE`` pointing at it.

The chain makes up no secret: the caller passes ``JWT_SECRET`` (and
``STRIPE_WEBHOOK_SECRET``) in ``env`` or the environment (``make run`` from
``scripts.local_secrets``), or the gateway refuses to start.
"""
import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPONENTS = ("inventory", "crm", "workorders", "payments", "notifications", "reporting",
              "gateway")
LOCAL_STRIPE_KEY = "sk_test_local"
DEFAULT_STRIPE_PORT = 8420
STOP_GRACE = 10.0
# straight to 127.0.0.1, whatever http_proxy says
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ChainError(RuntimeError):
    """The chain could not start, or did not become ready."""


def _port_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class Child:
    """One process of the chain: ``<name>-<index>``, in its own process group."""

    def __init__(self, name, index, argv, env, log_path):
        self.name = name
        self.index = index
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.proc = None
        self.stopping = False

    @property
    def label(self):
        return f"{self.name}-{self.index}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, append=False):
        log = open(self.log_path, "ab" if append else "wb") if self.log_path else None
        try:
            if log is not None and append:
                log.write(f"\n--- restarted at {time.strftime('%Y-%m-%dT%H:%M:%S')} ---\n".encode())
                log.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT if log is not None else None,
                start_new_session=True,  # own session, so its own process group
            )
        finally:
            if log is not None:
                log.close()  # the child has its own descriptor
        self.stopping = False
        return self.proc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig):
        """Signal the child's process group; False when there is none left."""
        if self.proc is None:
            return False
        try:
            os.killpg(self.proc.pid, sig)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    def stop(self, grace=STOP_GRACE):
        if self.proc is None:
            return
        self.stopping = True
        self.signal_group(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        self.signal_group(signal.SIGKILL)
        self.proc.wait()

    def tail(self, lines=40):
        if not self.log_path:
            return "(output not captured: see the console above)"
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 64 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(cannot read {self.log_path}: {exc})"
        return "\n".join(text.splitlines()[-lines:])


class Chain:
    """Start, watch, break and stop the chain's processes.

    ``env``: variables laid over this process's environment for every child
    (a value of None removes a variable). ``replicas``: ``{"inventory": 2}``.
    ``gateway_port``: exported to the children as ``GATEWAY_PORT``.
    ``log_dir``: each child's stdout and stderr go to ``<log_dir>/<name>-<i>.log``;
    without it they are inherited. ``stripe_from_scratch``: start localstripe
    with an empty store (it otherwise reloads the state it saved last time).
    """

    def __init__(self, env=None, replicas=None, gateway_port=8000, log_dir=None,
                 stripe_from_scratch=True, ready_timeout=60):
        child_env = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                child_env.pop(key, None)
            else:
                child_env[key] = str(value)
        self.gateway_port = int(gateway_port)
        child_env["GATEWAY_PORT"] = str(self.gateway_port)
        child_env.setdefault("PYTHONUNBUFFERED", "1")

        self.stripe_port = None
        if not child_env.get("STRIPE_API_KEY"):
            self.stripe_port = int(child_env.get("STRIPE_PORT") or DEFAULT_STRIPE_PORT)
            child_env["STRIPE_API_KEY"] = LOCAL_STRIPE_KEY
            child_env["STRIPE_API_BASE"] = f"http://127.0.0.1:{self.stripe_port}"
        self.env = child_env

        self.replicas = {}
        for name in COMPONENTS:
            if replicas and name in replicas:
                count = replicas[name]
            else:
                count = child_env.get(f"REPLICAS_{name.upper()}") or 1
            try:
                count = int(count)
            except ValueError:
                raise ChainError(f"REPLICAS_{name.upper()} must be a whole number, not {count!r}")
            if count < 1:
                raise ChainError(f"{name}: at least one replica is needed, not {count}")
            self.replicas[name] = count
        unknown = set(replicas or ()) - set(COMPONENTS)
        if unknown:
            raise ChainError(f"unknown components in replicas: {', '.join(sorted(unknown))}")

        self.log_dir = os.fspath(log_dir) if log_dir is not None else None
        self.stripe_from_scratch = stripe_from_scratch
        self.ready_timeout = ready_timeout
        self.children = {}  # name -> [Child]
        self._started = False

    # ------------------------------------------------------------ plumbing

    @property
    def url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def _log_path(self, name, index):
        if self.log_dir is None:
            return None
        return os.path.join(self.log_dir, f"{name}-{index}.log")

    def _child(self, service, index=0):
        try:
            return self.children[service][index]
        except (KeyError, IndexError):
            raise ChainError(f"no process {service}-{index} in this chain") from None

    def _all(self):
        return [child for group in self.children.values() for child in group]

    def pid(self, service, index=0):
        return self._child(service, index).pid

    def log_path(self, service, index=0):
        return self._child(service, index).log_path

    def dead(self):
        """``[(label, returncode)]`` of the processes that exited unasked."""
        return [(c.label, c.proc.returncode) for c in self._all()
                if not c.stopping and c.proc is not None and c.proc.poll() is not None]

    # ----------------------------------------------------------- lifecycle

    def start(self):
        if self._started:
            raise ChainError("this chain is already started")
        busy = [p for p in (self.gateway_port, self.stripe_port) if p is not None and _port_open(p)]
        if busy:
            raise ChainError("port {} already in use on 127.0.0.1 (another chain still running?)"
                             .format(", ".join(map(str, busy))))
        if self.log_dir is not None:
            os.makedirs(self.log_dir, exist_ok=True)
        self._started = True
        atexit.register(self.stop)
        try:
            if self.stripe_port is not None:
                argv = [sys.executable, "-m", "localstripe", "--port", str(self.stripe_port)]
                if self.stripe_from_scratch:
                    argv.append("--from-scratch")
                child = Child("localstripe", 0, argv, self.env, self._log_path("localstripe", 0))
                self.children["localstripe"] = [child]
                child.start()
            for name in COMPONENTS:
                group = self.children[name] = []
                for index in range(self.replicas[name]):
                    child = Child(name, index, [sys.executable, "-m", "chassis.run", name],
                                  self.env, self._log_path(name, index))
                    group.append(child)
                    child.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _check_children(self):
        for child in self._all():
            if child.stopping or child.proc is None:
                continue
            code = child.proc.poll()
            if code is not None:
                where = f" ({child.log_path})" if child.log_path else ""
                raise ChainError(f"{child.label} exited with code {code} while the chain was "
                                 f"starting{where}; last lines:\n{child.tail()}")

    def register_stripe_webhook(self):
        """Have localstripe send its webhooks to the gateway, signed with the
        chain's ``STRIPE_WEBHOOK_SECRET`` (no localstripe or no secret: nothing)."""
        secret = self.env.get("STRIPE_WEBHOOK_SECRET")
        if self.stripe_port is None or not secret:
            return False
        form = urllib.parse.urlencode({"url": f"{self.url}/webhooks/stripe", "secret": secret})
        with _HTTP.open(f"http://127.0.0.1:{self.stripe_port}/_config/webhooks/gateway",
                        data=form.encode(), timeout=5) as resp:
            return resp.status == 200

    def health(self, timeout=3.0):
        """``(status, json-or-text)`` of ``GET /health``; raises OSError when nothing answers."""
        try:
            with _HTTP.open(self.url + "/health", timeout=timeout) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        text = body.decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def wait_ready(self, timeout=60):
        """Until ``/health`` answers 200 with every service "up"; returns that JSON."""
        if not self._started:
            raise ChainError("start() the chain first")
        deadline = time.monotonic() + timeout
        last = "nothing answered yet"
        while True:
            self._check_children()
            if self.stripe_port is not None and not _port_open(self.stripe_port):
                last = f"localstripe is not listening on {self.stripe_port} yet"
            else:
                try:
                    status, data = self.health()
                except (OSError, urllib.error.URLError) as exc:
                    last = f"GET /health: {getattr(exc, 'reason', exc)}"
                else:
                    services = data.get("services") if isinstance(data, dict) else None
                    if status == 200 and isinstance(services, dict) and \
                            all(state == "up" for state in services.values()):
                        return data
                    last = f"GET /health answered {status}: {json.dumps(data)[:500]}"
            if time.monotonic() >= deadline:
                raise ChainError(f"the chain was not ready within {timeout:g}s: {last}")
            time.sleep(0.5)

    def stop(self):
        """SIGTERM every process group, wait up to 10 s, then SIGKILL what is left."""
        children = [c for c in self._all() if c.proc is not None]
        for child in children:
            child.stopping = True
            if child.alive():
                child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in children:
            try:
                child.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for child in children:
            # also whatever the child itself started in its group
            child.signal_group(signal.SIGKILL)
            child.proc.wait()
        self.children = {}
        self._started = False
        atexit.unregister(self.stop)

    # ------------------------------------------------------ fault injection

    def kill(self, service, index=0, sig=signal.SIGKILL):
        """Send ``sig`` to one process's group; after SIGKILL, waits until it is gone."""
        child = self._child(service, index)
        if child.proc is None:
            raise ChainError(f"{child.label} was never started")
        child.stopping = True  # asked for: not a failure for wait_ready/dead()
        child.signal_group(sig)
        if sig == signal.SIGKILL:
            child.proc.wait()
        return child.pid

    def restart(self, service, index=0):
        """Stop that process (gracefully, if it still runs) and start it again; returns the new pid."""
        child = self._child(service, index)
        if child.alive():
            child.stop()
        child.start(append=True)
        return child.pid

    # ----------------------------------------------------- context manager

    def __enter__(self):
        self.start()
        try:
            self.wait_ready(self.ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False
