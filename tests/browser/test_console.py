"""The console in a real browser (``make test``): each ``web/tests/*.browser.mjs``
runs in Debian's chromium, headless (Playwright, no browser downloaded),
against one chain of processes started for this module and loaded with the
demo data, two at a time (``BROWSER_LANES``). Screenshots:
``web/screenshots/<test>/`` (kept, not committed).

The console must be built (``make web``) and chromium installed (``make
browser``); ``make test`` does both first.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import eventlet
import pytest

from scripts.chain import ROOT
from tests.support.e2e import ADMIN

WEB = Path(ROOT) / "web"
SCENES = sorted(p.name for p in (WEB / "tests").glob("*.browser.mjs"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHAIN = {"name": "console"}
SCENE_TIMEOUT = 240
# scenes at once: most of a scene's time is the browser and the chain waiting on each other
LANES = int(os.environ.get("BROWSER_LANES", "2"))

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(SCENE_TIMEOUT + 60)]


@pytest.fixture(scope="module")
def console(chain):
    """The chain with the demo data (stores NYC, MIA, LON and their pieces)."""
    missing = [what for what, there in (
        (f"chromium at {CHROMIUM} (make browser)", os.access(CHROMIUM, os.X_OK)),
        ("node (make web)", shutil.which("node")),
        ("the built console, web/dist (make web)", (WEB / "dist" / "index.html").exists()),
        ("web/node_modules (make web)", (WEB / "node_modules" / "playwright-core").exists()),
    ) if not there]
    assert not missing, "the browser tests need " + ", ".join(missing)
    env = dict(chain.chain.env, GATEWAY_URL=chain.url, ADMIN_USERNAME=ADMIN[0], ADMIN_PASSWORD=ADMIN[1])
    demo = subprocess.run([sys.executable, "-m", "scripts.demo_data"], env=env, cwd=ROOT, timeout=300,
                          capture_output=True, text=True)
    assert demo.returncode == 0, f"the demo data did not load:\n{demo.stdout}\n{demo.stderr}"
    return chain


def play(console, scene):
    """Run one scene in node; (its exit code, what it printed)."""
    env = dict(os.environ, CONSOLE_URL=console.url, CONSOLE_USERNAME=ADMIN[0], CONSOLE_PASSWORD=ADMIN[1],
               CHROMIUM=CHROMIUM)
    try:
        run = subprocess.run(["node", "--test", "--test-reporter=spec", f"tests/{scene}"], cwd=WEB, env=env,
                             capture_output=True, text=True, timeout=SCENE_TIMEOUT)
    except subprocess.TimeoutExpired as late:
        return -1, f"{scene} ran past {SCENE_TIMEOUT} s:\n{late.stdout or ''}"
    return run.returncode, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"


@pytest.fixture(scope="module")
def scenes(request, console):
    """The scenes this run selected (``-k``), started at once, ``LANES`` of them
    running at a time (green threads waiting on node processes); each test below
    waits for its own."""
    chosen = [item.callspec.params["scene"] for item in request.session.items
              if "scene" in getattr(getattr(item, "callspec", None), "params", {})]
    pool = eventlet.GreenPool(LANES)
    running = {scene: pool.spawn(play, console, scene) for scene in chosen}
    yield running
    pool.waitall()


def test_scenes_are_there():
    assert "sale.browser.mjs" in SCENES


@pytest.mark.parametrize("scene", SCENES)
def test_console(scenes, scene):
    code, printed = scenes[scene].wait()
    assert code == 0, f"{scene} failed:\n{printed}"
