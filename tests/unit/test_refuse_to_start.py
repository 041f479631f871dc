"""A process missing a secret it needs refuses to start: ``python -m
chassis.run`` exits non-zero (78, EX_CONFIG) at once, with a log line that
says what to set, before it talks to anything (the broker and database here
are unreachable on purpose)."""
import os
import subprocess
import sys

import pytest

from scripts.chain import ROOT

NOWHERE = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:9/",
           "GATEWAY_DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:9/x",
           "PAYMENTS_DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:9/x"}
SECRETS = ("JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_KEY", "STRIPE_API_BASE")


def run(component, **env):
    environ = {k: v for k, v in os.environ.items() if k not in SECRETS and k not in NOWHERE}
    environ.update(NOWHERE, **env)
    return subprocess.run([sys.executable, "-m", "chassis.run", component], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("component, env, missing", [
    ("gateway", {}, "JWT_SECRET"),
    ("payments", {"STRIPE_API_KEY": "sk_test_abc"}, "STRIPE_WEBHOOK_SECRET"),
])
def test_a_process_without_its_secret_refuses_to_start(component, env, missing):
    done = run(component, **env)
    assert done.returncode == 78
    lines = [line for line in (done.stdout + done.stderr).splitlines() if '"CRITICAL"' in line]
    assert lines and f"{missing} is not set: refusing to start. Set {missing}" in lines[0]
