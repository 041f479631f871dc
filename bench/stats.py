"""Latency statistics and the report format every bench figure uses."""
import statistics
import time

import eventlet
from eventlet.greenpool import GreenPool


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarize(name, latencies_s, elapsed_s, errors=0, **extra):
    ms = [x * 1000 for x in latencies_s]
    return {
        "name": name, "count": len(ms), "errors": errors,
        "throughput_per_s": round(len(ms) / elapsed_s, 1) if elapsed_s else None,
        "p50_ms": round(percentile(ms, 50), 2) if ms else None,
        "p95_ms": round(percentile(ms, 95), 2) if ms else None,
        "p99_ms": round(percentile(ms, 99), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
        **extra,
    }


def drive(name, fn, concurrency, count=None, duration=None, **extra):
    """Run ``fn(i)`` from ``concurrency`` green workers, ``count`` times or for
    ``duration`` seconds (always bounded), timing each call."""
    latencies, errors, samples = [], [0], []
    deadline = time.monotonic() + (duration or 3600)
    counter = iter(range(count or 10**9))

    def worker():
        while time.monotonic() < deadline:
            try:
                i = next(counter)
            except StopIteration:
                return
            began = time.perf_counter()
            try:
                fn(i)
            except Exception as exc:
                errors[0] += 1
                if len(samples) < 3:
                    samples.append(str(exc)[:300])
                continue
            latencies.append(time.perf_counter() - began)

    pool = GreenPool(concurrency)
    began = time.monotonic()
    for _ in range(concurrency):
        pool.spawn(worker)
    pool.waitall()
    eventlet.sleep(0)
    return summarize(name, latencies, time.monotonic() - began, errors[0],
                     concurrency=concurrency, error_samples=samples, **extra)


def markdown(results, ceilings):
    lines = ["| figure | count | errors | per s | p50 ms | p95 ms | p99 ms | vs ceiling |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        ratio = r.get("ratio") or ""
        lines.append(f"| {r['name']} | {r['count']} | {r['errors']} | {r['throughput_per_s']} | "
                     f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {ratio} |")
    return "\n".join(lines)
