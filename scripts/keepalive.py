"""``make run`` keeps the chain up: a process that exits unasked is started
again, after a back-off that doubles while it keeps dying soon after each
start (1 s, 2 s, 4 s ... at most a minute) and starts again from 1 s once
it has stayed up for a minute. Every exit and restart is logged.

    keepalive = Keepalive(chain)      # a scripts.chain.Chain, started
    while True:
        time.sleep(1)
        keepalive.tick()

On a one-store server the chain itself runs as a system service that
starts at boot (README, "One store on one server"): the service manager
keeps ``make run`` up, and this keeps each process of the chain up.
"""
import math
import time


class Keepalive:
    def __init__(self, chain, log=print, first_delay=1.0, max_delay=60.0, steady_after=60.0,
                 clock=time.monotonic):
        self.chain = chain
        self.log = log
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.steady_after = steady_after
        self.clock = clock
        self.due = {}          # label -> when it is started again
        self.started = {}      # label -> when this watcher last started it
        self.deaths = {}       # label -> exits in a row, each soon after its start

    def delay(self, deaths):
        """Seconds before the restart after ``deaths`` quick exits in a row (1-based)."""
        return min(self.max_delay, self.first_delay * 2 ** min(deaths - 1, 32))

    def tick(self):
        """Notice the processes that exited; start again those whose wait is over."""
        now = self.clock()
        for label, code in self.chain.dead():
            if label in self.due:
                continue
            quick = now - self.started.get(label, -math.inf) < self.steady_after
            deaths = self.deaths[label] = self.deaths.get(label, 0) + 1 if quick else 1
            wait = self.delay(deaths)
            self.due[label] = now + wait
            self.log(f"run: {label} exited with code {code}; starting it again in {wait:g} s"
                     + (f" ({deaths} exits in a row)" if deaths > 1 else ""))
        for label, at in sorted(self.due.items()):
            if now < at:
                continue
            name, _, index = label.rpartition("-")
            try:
                pid = self.chain.restart(name, int(index))
            except Exception as exc:        # noqa: BLE001 - logged, tried again after the back-off
                self.deaths[label] = self.deaths.get(label, 0) + 1
                self.due[label] = now + self.delay(self.deaths[label])
                self.log(f"run: {label} could not be started again: {exc}")
                continue
            del self.due[label]
            self.started[label] = now
            self.log(f"run: {label} started again (pid {pid})")
