"""The console in a real browser (``make test``): each ``web/tests/*.browser.mjs``
runs in Debian's chromium, headless (Playwright, no browser downloaded),
against one chain of processes started for this module and loaded with the
demo data. Screenshots: ``web/screenshots/<test>/`` (kept, not committed).

The console must be built (``make web``) and chromium installed (``make
browser``); ``make test`` does both first.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.chain import ROOT
from tests.support.e2e import ADMIN

WEB = Path(ROOT) / "web"
SCENES = sorted(p.name for p in (WEB / "tests").glob("*.browser.mjs"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHAIN = {"name": "console"}
SCENE_TIMEOUT = 240

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


def test_scenes_are_there():
    assert "sale.browser.mjs" in SCENES


@pytest.mark.parametrize("scene", SCENES)
def test_console(console, scene):
    env = dict(os.environ, CONSOLE_URL=console.url, CONSOLE_USERNAME=ADMIN[0], CONSOLE_PASSWORD=ADMIN[1],
               CHROMIUM=CHROMIUM)
    run = subprocess.run(["node", "--test", "--test-reporter=spec", f"tests/{scene}"], cwd=WEB, env=env,
                         capture_output=True, text=True, timeout=SCENE_TIMEOUT)
    assert run.returncode == 0, f"{scene} failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
