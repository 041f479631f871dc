"""The bare nameko RPC round trip: the ceiling every RPC route is compared to."""
from nameko.rpc import rpc


class Echo:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


if __name__ == "__main__":
    import eventlet
    eventlet.monkey_patch()
    import signal

    import nameko
    from nameko.runners import ServiceRunner

    from chassis import config

    with nameko.config.patch(config.nameko_config("bench_echo")):
        runner = ServiceRunner()
        runner.add_service(Echo)
        signal.signal(signal.SIGTERM, lambda *a: eventlet.spawn_n(runner.stop))
        runner.start()
        runner.wait()
