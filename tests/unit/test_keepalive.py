"""make run's watcher (scripts.keepalive) with a chain that is a list of exits."""
from scripts.keepalive import Keepalive


class FakeChain:
    """``dead()`` lists what exited; ``restart`` brings it back (or fails ``refuse`` times)."""

    def __init__(self):
        self.exited, self.restarts, self.refuse, self.pid = {}, [], 0, 100

    def dead(self):
        return list(self.exited.items())

    def restart(self, name, index):
        if self.refuse:
            self.refuse -= 1
            raise RuntimeError("port in use")
        self.exited.pop(f"{name}-{index}")
        self.restarts.append((name, index))
        self.pid += 1
        return self.pid


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def watcher():
    chain, clock, lines = FakeChain(), Clock(), []
    return chain, clock, lines, Keepalive(chain, log=lines.append, clock=clock)


def test_a_dead_process_is_started_again_after_a_second_and_logged():
    chain, clock, lines, keepalive = watcher()
    chain.exited["inventory-0"] = 1
    keepalive.tick()
    assert chain.restarts == [] and lines == ["run: inventory-0 exited with code 1; starting it again in 1 s"]
    clock.now += 1
    keepalive.tick()
    assert chain.restarts == [("inventory", 0)] and lines[-1] == "run: inventory-0 started again (pid 101)"


def test_a_process_that_keeps_dying_waits_twice_as_long_each_time_at_most_a_minute():
    chain, clock, lines, keepalive = watcher()
    waits = []
    for _ in range(9):
        chain.exited["payments-1"] = -9
        keepalive.tick()
        waits.append(keepalive.due["payments-1"] - clock.now)
        clock.now += waits[-1]
        keepalive.tick()
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert len(chain.restarts) == 9 and "(9 exits in a row)" in lines[-2]
    # up for a minute: the next exit is a first one again
    clock.now += 61
    chain.exited["payments-1"] = 1
    keepalive.tick()
    assert keepalive.due["payments-1"] - clock.now == 1


def test_a_restart_that_fails_is_tried_again_after_the_back_off():
    chain, clock, lines, keepalive = watcher()
    chain.refuse = 1
    chain.exited["gateway-0"] = 1
    keepalive.tick()
    clock.now += 1
    keepalive.tick()
    assert chain.restarts == [] and lines[-1] == "run: gateway-0 could not be started again: port in use"
    clock.now += 2
    keepalive.tick()
    assert chain.restarts == [("gateway", 0)]
