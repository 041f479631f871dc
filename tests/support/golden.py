"""Golden files: bytes compared exactly with ``tests/golden/<name>``;
``UPDATE_GOLDEN=1`` writes them instead (tests/golden/README.md)."""
import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def assert_golden(name, data):
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(data)
        return
    assert path.exists(), f"no golden file {name}: run once with UPDATE_GOLDEN=1 and review it"
    expected = path.read_bytes()
    if data != expected:
        at = next((i for i, (a, b) in enumerate(zip(data, expected)) if a != b),
                  min(len(data), len(expected)))
        raise AssertionError(
            f"{name} differs from its golden file at byte {at}: "
            f"got {data[max(0, at - 20):at + 20]!r}, expected {expected[max(0, at - 20):at + 20]!r} "
            "(a deliberate change: UPDATE_GOLDEN=1, then review the diff)")
