"""A local S3-compatible server for the tests: moto's, as a subprocess on
127.0.0.1 and a free port (its own process: nothing of it shares the tests'
eventlet hub). Credentials are dummies set in the environment, the way the
services read real ones (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``)."""
import os
import socket
import subprocess
import sys
import time
import uuid

from nameko.testing.utils import find_free_port

REGION = "us-east-1"


def _green_urllib3_ssl():
    """A pytest plugin imports urllib3 before tests/conftest.py monkey patches:
    its ``SSLContext`` is then the unpatched class, whose ``options`` setter
    recurses under eventlet once botocore builds a context. The services'
    processes patch before any import (``chassis.run``); the test process is
    made to match here, where boto3 runs in it."""
    import ssl

    import urllib3.util.ssl_
    urllib3.util.ssl_.SSLContext = ssl.SSLContext


_green_urllib3_ssl()
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-key-id", "AWS_SECRET_ACCESS_KEY": "test-secret",
                     "AWS_DEFAULT_REGION": REGION}


class S3Server:
    def __init__(self):
        self.port = find_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.saved_env = {}

    def start(self, timeout=30.0):
        for name, value in DUMMY_CREDENTIALS.items():
            self.saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the S3 server (moto) exited at start")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the S3 server (moto) did not start in time")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        for name, value in self.saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def client(self):
        import boto3
        return boto3.session.Session().client("s3", endpoint_url=self.url, region_name=REGION)

    def new_bucket(self):
        name = f"photos-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket):
        """The services' settings for this server and bucket."""
        return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.url,
                "S3_REGION": REGION}

    def keys(self, bucket):
        found = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(item["Key"] for item in found)
