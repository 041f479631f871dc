"""Waiting for something to become true, with a deadline: nothing in the
suite sleeps a fixed time and hopes."""
import time

import eventlet


def wait_for(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Poll ``predicate()`` until it is truthy (returned) or the deadline
    passes (AssertionError, with the predicate's last failed assertion)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
        except AssertionError as exc:
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {message}"
                                 + (f": {last_error}" if last_error else ""))
        eventlet.sleep(interval)
