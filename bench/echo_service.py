"""The bare nameko RPC round trip: the ceiling every RPC route is compared to.

``bench_echo`` answers; ``bench_echo_caller`` calls it the way the gateway
calls a service (a container's ``chassis.rpc.ServiceRpc``), from N green
threads, and reports the figures. Each runs as its own process:

    python -m bench.echo_service echo|caller
"""
from chassis.rpc import ServiceRpc
from chassis.service import rpc


class Echo:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class EchoCaller:
    name = "bench_echo_caller"

    echo = ServiceRpc("bench_echo", timeout=30)

    @rpc
    def drive(self, concurrency, duration):
        from bench.stats import drive
        payload = {"tag": "ABCD1234", "n": 1}
        return drive("ceiling: nameko RPC echo, service to service",
                     lambda i: self.echo.echo(payload), concurrency, duration=duration)


if __name__ == "__main__":
    import eventlet
    eventlet.monkey_patch()
    import signal
    import sys

    import nameko
    from nameko.runners import ServiceRunner

    from chassis import config

    cls = EchoCaller if sys.argv[1:] == ["caller"] else Echo
    with nameko.config.patch(config.nameko_config(cls.name)):
        runner = ServiceRunner()
        runner.add_service(cls)
        signal.signal(signal.SIGTERM, lambda *a: eventlet.spawn_n(runner.stop))
        runner.start()
        runner.wait()
