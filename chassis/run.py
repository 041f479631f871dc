"""Run one component as its own process: ``python -m chassis.run inventory``.

Monkey-patches eventlet first, configures JSON logs and tracing, runs the
service until SIGTERM/SIGINT, then stops it gracefully (in-flight workers
finish, unacknowledged messages go back to the broker). A component missing
a secret it needs (``MissingSecret``) exits with 78 (EX_CONFIG) at start.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402  must precede every other import

from typing import Any, Sequence  # noqa: E402

import chassis  # noqa: E402,F401
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import nameko  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from chassis import components, config, probes  # noqa: E402
from chassis.logs import configure_logging  # noqa: E402
from chassis.settings import MissingSecret  # noqa: E402
from chassis.telemetry import setup_tracing  # noqa: E402

log = logging.getLogger("chassis.run")
EX_CONFIG = 78   # sysexits.h: a setting is missing or wrong


def main(argv: Sequence[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m chassis.run <component>")
    component = argv[0]
    configure_logging(component)
    setup_tracing(component)
    cls = components.service_class(component)
    with nameko.config.patch(config.nameko_config(component)):
        runner = ServiceRunner()
        runner.add_service(cls)

        def shutdown(signum: int, frame: Any) -> None:
            eventlet.spawn_n(runner.stop)

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        probes.serve(component, runner)  # /livez, /readyz when PROBE_PORT is set
        try:
            runner.start()
        except MissingSecret:   # its setup said what to set
            raise SystemExit(EX_CONFIG) from None
        log.info("%s started", component)
        runnlet = eventlet.spawn(runner.wait)
        try:
            runnlet.wait()
        except KeyboardInterrupt:
            runner.stop()
        log.info("%s stopped", component)


if __name__ == "__main__":
    main()
