"""``make test-browser``: the console in a real browser against a whole chain.

Starts the chain as the end-to-end tests do (``tests.support.e2e``: its own
databases and RabbitMQ vhost, a free port), loads the demo data, and runs
the Playwright test ``web/tests/sale.browser.mjs`` (Debian's chromium,
headless) against it; screenshots go to ``web/screenshots/`` (not committed).
Not part of ``make test`` yet.

    python -m tests.browser.run_console
"""
import os
import subprocess
import sys
import tempfile

from scripts.chain import ROOT
from tests.support.e2e import ADMIN, E2EChain


def main():
    log_dir = tempfile.mkdtemp(prefix="console-chain-")
    chain = E2EChain("browser", log_dir)
    try:
        chain.start()
        env = dict(chain.chain.env, GATEWAY_URL=chain.url, ADMIN_USERNAME=ADMIN[0], ADMIN_PASSWORD=ADMIN[1])
        demo = subprocess.run([sys.executable, "-m", "scripts.demo_data"], env=env, cwd=ROOT, timeout=300)
        if demo.returncode != 0:
            print("test-browser: the demo data did not load", file=sys.stderr)
            return 1
        browser_env = dict(os.environ, CONSOLE_URL=chain.url, CONSOLE_USERNAME=ADMIN[0],
                           CONSOLE_PASSWORD=ADMIN[1])
        return subprocess.run(["node", "tests/sale.browser.mjs"], env=browser_env,
                              cwd=os.path.join(ROOT, "web"), timeout=300).returncode
    finally:
        chain.stop()
        print(f"test-browser: the chain's logs are in {log_dir}")


if __name__ == "__main__":
    sys.exit(main())
