"""localstripe, the Stripe sandbox, started by the fixtures as a subprocess
(``python -m localstripe --port N --from-scratch``) on a free 127.0.0.1 port.

localstripe keeps everything in memory; ``flush()`` empties it between tests.
It ignores Idempotency-Key headers, so a test that counts PaymentIntents
proves the service itself never creates a second one.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalStripe:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.workdir = None

    def start(self, timeout=20.0):
        self.workdir = tempfile.TemporaryDirectory(prefix="localstripe-")
        self.log = open(os.path.join(self.workdir.name, "localstripe.log"), "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.workdir.name,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode}: "
                                   f"{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("localstripe did not start in time")

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")

    def flush(self):
        """Forget every object (PaymentIntents, charges, refunds, events)."""
        request = urllib.request.Request(self.url + "/_config/data", method="DELETE")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.workdir is not None:
            self.log.close()
            self.workdir.cleanup()
            self.workdir = None
