"""psycopg's wait, the eventlet way (docs/ARCHITECTURE.md#rule-9).

psycopg drives a query as a generator that says which way the socket must
become ready (read, write, both); a wait function blocks until it is. Its C
wait blocks the whole process; its ``wait_select`` is green under eventlet,
but eventlet's green ``select`` builds listeners and a timer on every call
and wakes every 0.1 s to let Ctrl-C in: under load that was a third of a
service's CPU. Here one ``trampoline`` per wait parks just this green thread
on the socket until it is ready (or the deadline passes).
"""
from __future__ import annotations

from time import monotonic
from typing import TypeVar

from eventlet.green import select
from eventlet.hubs import trampoline
from eventlet.timeout import Timeout
from psycopg import errors, waiting
from psycopg.abc import PQGen

RV = TypeVar("RV")

WAIT_R, WAIT_W = waiting.WAIT_R, waiting.WAIT_W
READY_R, READY_W = waiting.READY_R, waiting.READY_W


def wait_green(gen: PQGen[RV], fileno: int, interval: float = 0.0,
               timeout: float | None = None) -> RV:
    """A ``psycopg.waiting.wait`` for green threads (``interval`` is not needed:
    nothing here waits without yielding to the hub)."""
    deadline = monotonic() + timeout if timeout is not None else None
    ready: waiting.Ready | int
    try:
        s = next(gen)
        while True:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            if s == WAIT_R or s == WAIT_W:
                try:
                    trampoline(fileno, read=s == WAIT_R, write=s == WAIT_W, timeout=left,
                               timeout_exc=Timeout)
                    ready = READY_R if s == WAIT_R else READY_W
                except Timeout:
                    ready = waiting.READY_NONE
            else:  # both ways at once: rare (large writes); a green select
                rl, wl, _ = select.select((fileno,), (fileno,), (), left)
                ready = (READY_R if rl else waiting.READY_NONE) | (READY_W if wl else waiting.READY_NONE)
            s = gen.send(ready)
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except OSError as exc:
        raise errors.OperationalError("connection socket closed") from exc
    except StopIteration as done:
        result: RV = done.value
        return result


def install() -> None:
    waiting.wait = wait_green
