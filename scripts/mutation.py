"""Mutation testing of the pure rule modules against the unit tier (`make mutation`).

mutmut 3 (settings in setup.cfg, section [mutmut]) copies chassis/, contracts/
and services/ into mutants/, mutates only the modules listed under
``only_mutate`` and runs tests/unit against each mutant. This script runs it
from a clean mutants/ folder, then prints per module how many mutants the
tests killed out of all of them, and every mutant that is not killed with
its diff, marking the ones known to be equivalent (no test can tell them
from the original) with the reason.

    python scripts/mutation.py                  # fresh run, then the report
    python scripts/mutation.py --report         # the report of the last run
    python scripts/mutation.py --keep           # reuse mutants/ (mutmut's cache)
    python scripts/mutation.py --fail-under 90  # exit 1 below 90 % killed (default)

The score is killed / all mutants: a mutant no test reaches, a timeout and
an equivalent one all count as not killed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
LOG = MUTANTS / "mutmut-run.log"

KILLED = {1, 3}                              # a test failed (3: pytest's internal error)
TIMEOUT = {36, 24, -24, 152, 255}
NO_TESTS = {5, 33}

# Mutants no test can kill, by function and the mutated line. Keyed by text,
# not by mutmut's number, so that an edit elsewhere in the function keeps them.
EQUIVALENT = [
    ("contracts.money.x_major_text", 'format(to_major(value), )',
     "str() of a Decimal differs from 'f' only below 1E-6; ISO exponents stop at 4"),
    ("contracts.money.x_major_text", '"F"', "'F' differs from 'f' only for NaN/Infinity"),
    ("contracts.money.x_from_major", "Decimal(2)", "quantize uses only the exponent: 2 and 1 both have 0"),
    ("services.payments.money.x_convert", "Decimal(2)", "quantize uses only the exponent"),
    ("services.inventory.pricing.x_weight_price", "Decimal(2)", "quantize uses only the exponent"),
    ("chassis.clock.x_instant", "and False", "str() of a datetime parses back to the same datetime"),
    ("chassis.clock.x_instant", '"XXZXX"', "Python 3.11's fromisoformat reads 'Z' itself"),
    ("chassis.clock.x_instant", '"z"',
     "only tells apart a lower-case 'z' (refused today); no caller sends one"),
    ("chassis.display.x_locale_for", "lower()", "Babel normalises the case of a territory"),
    ("chassis.display.x__format", "currency_digits=None", "None is as false as False"),
    ("chassis.display.x_format_money", "_format(amount, currency, None)", "no locale is en_US"),
    ("chassis.display.x_format_money", "',F'", "'F' differs from 'f' only for NaN/Infinity"),
    ("services.crm.rules.x_normalize_phone", '"us"', "upper-cased on the next call"),
    ("services.crm.rules.x_metal_type", '"XXXX"', "no metal word in 'xxxx'"),
    ("services.crm.rules.x_points_for", "amount_minor < 0", "zero spent earns zero either way"),
    ("services.crm.rules.x_points_for", "points_per_unit < 0", "zero a unit earns zero either way"),
    ("services.crm.rules.x_price_band", "a >= 0", "0 is already dropped by `a and`"),
    ("services.crm.rules.x_score", "points = 3", "points is 0 before it"),
    ("services.crm.rules.x_score", '"XXXX"',
     "tells apart only a profile that lists the stone or designer 'xxxx'"),
    ("services.notifications.sms.x_keyword", '"XXXX"', "'XXXX' is no keyword, like ''"),
    ("services.notifications.quiet_hours.x_zone", 'default="XXUTCXX"',
     "an unknown default falls back to UTC"),
    ("services.notifications.quiet_hours.x_zone", 'default="utc"',
     "'utc' is no zone here: falls back to UTC"),
    ("services.notifications.quiet_hours.x_is_quiet", "start <= end",
     "differs only for an empty window, which parse() turns into None"),
    ("services.notifications.quiet_hours.x_deferred_until", "> end",
     "at exactly the end the window is not quiet, so this line is not reached"),
    ("services.payments.compliance.x_to_csv", "csv.writer(out, )", "csv's default line end is \\r\\n"),
    ("services.payments.money.x_round_half_up", "numerator <= 0", "the sign of 0 does not matter"),
    ("services.payments.money.x_round_half_up", "numerator < 1", "the sign of 0 does not matter"),
    ("services.payments.money.x_price_lines", "(tax) or True",
     "allocating zero tax gives zeros, as the shortcut does"),
]



def run_mutmut(keep, max_children):
    if not keep and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    MUTANTS.mkdir(exist_ok=True)
    exe = Path(sys.executable).with_name("mutmut")
    cmd = [str(exe) if exe.exists() else (shutil.which("mutmut") or "mutmut"), "run"]
    if max_children:
        cmd += ["--max-children", str(max_children)]
    print("running", " ".join(cmd), "(output in", LOG.relative_to(ROOT), ")", flush=True)
    with open(LOG, "w") as log:
        code = subprocess.call(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        sys.stdout.write(LOG.read_text(errors="replace")[-4000:])
        sys.exit(f"mutmut run failed with exit code {code}")


def load_results():
    """{module file: {mutant name: exit code}} from mutmut's .meta files."""
    results = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        results[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = data["exit_code_by_key"]
    return results


def function_of(name):
    return name.rsplit("__mutmut_", 1)[0]


def diff_of(name, path):
    try:
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            from mutmut.mutation.diff_apply import get_diff_for_mutant
            text = get_diff_for_mutant(name, path=path)
        finally:
            os.chdir(cwd)
    except Exception as error:                    # the report goes on without the diff
        return [f"(no diff: {error})"]
    return [line for line in text.splitlines()
            if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def equivalent_reason(name, diff):
    added = " ".join(line for line in diff if line.startswith("+"))
    for function, text, why in EQUIVALENT:
        if function_of(name) == function and text in added:
            return why
    return None


def status(code):
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"
    if code in NO_TESTS:
        return "no tests"
    if code == 0:
        return "survived"
    return "not checked" if code is None else f"other ({code})"


def report(results, fail_under):
    width = max([len(p) for p in results] + [24])
    print(f"\n{'module':<{width}}  killed  total  score  survived  no-tests  timeout  other")
    totals, lines, not_killed = Counter(), [], []
    for path, codes in results.items():
        counts = Counter(status(c) for c in codes.values())
        killed, total = counts["killed"], len(codes)
        other = total - killed - counts["survived"] - counts["no tests"] - counts["timeout"]
        totals.update(counts)
        totals["total"] += total
        pct = 100.0 * killed / total if total else 100.0
        lines.append(f"{path:<{width}}  {killed:6d}  {total:5d}  {pct:5.1f}  {counts['survived']:8d}"
                     f"  {counts['no tests']:8d}  {counts['timeout']:7d}  {other:5d}")
        not_killed += [(path, n, status(c)) for n, c in codes.items() if status(c) != "killed"]
    print("\n".join(lines))
    killed, total = totals["killed"], totals["total"]
    score = 100.0 * killed / total if total else 100.0
    print(f"{'all':<{width}}  {killed:6d}  {total:5d}  {score:5.1f}")

    by_kind = defaultdict(list)
    for path, name, state in not_killed:
        diff = diff_of(name, path)
        why = equivalent_reason(name, diff) if state == "survived" else None
        by_kind["equivalent" if why else state].append((name, diff, why))
    for kind in ("survived", "no tests", "timeout", "equivalent"):
        entries = by_kind.pop(kind, [])
        if entries:
            print(f"\n{kind} ({len(entries)}):")
        for name, diff, why in entries:
            print(f"  {name}" + (f"  -- {why}" if why else ""))
            for line in diff:
                print(f"      {line.strip()[:1]} {line[1:].strip()}")
    for kind, entries in by_kind.items():
        print(f"\n{kind} ({len(entries)}): " + ", ".join(n for n, _, _ in entries))
    print(f"\nscore: {killed}/{total} = {score:.1f} % of all mutants killed (required: {fail_under} %)")
    return score >= fail_under


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ and mutmut's cache")
    parser.add_argument("--max-children", type=int, default=None)
    parser.add_argument("--fail-under", type=float, default=90.0)
    args = parser.parse_args(argv)
    if not args.report:
        run_mutmut(args.keep, args.max_children)
    results = load_results()
    if not results:
        sys.exit("no results in mutants/: run without --report first")
    return 0 if report(results, args.fail_under) else 1


if __name__ == "__main__":
    sys.exit(main())
