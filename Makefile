# Jewelry chain platform: one entry point for a newcomer, a developer and CI.
#
#   make run    the whole chain with demo data; the console at http://127.0.0.1:8000/
#   make test   the whole test suite (what CI runs)
#   make web    build the console (web/) that the gateway serves at /
#
# Recipes run under /bin/sh; every target is phony except the venv stamp.

SHELL := /bin/sh

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?= -q --durations=20
BENCH_ARGS ?=
REBUILD_ARGS ?=
IMAGE ?= jewelry-chain
IMAGE_TAG ?= 0.1.0

SERVICES := inventory crm workorders payments notifications reporting gateway
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# sudo only when not root (a fresh container is root and often has no sudo)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help

.PHONY: help venv infra db db-test migrate run web browser test-browser test test-unit lint mutation bench seed-large rebuild-reporting image k8s clean

help:
	@echo "make run        start every service, the gateway and localstripe, load demo data"
	@echo "                (ADMIN_USERNAME / ADMIN_PASSWORD, default admin / showcase-velvet-tray-7)"
	@echo "make web        build the console (web/: Node.js from the OS packages where missing, npm ci)"
	@echo "make browser    install Debian's chromium for the browser tests (where missing)"
	@echo "make test-browser  the console in headless chromium against a whole chain (screenshots: web/screenshots/)"
	@echo "make test       the gate (make lint), then the whole test suite (PYTEST_ARGS='$(PYTEST_ARGS)')"
	@echo "make test-unit  the tests that need no database or broker (seconds)"
	@echo "make lint       ruff (imports, complexity, unused code) and mypy (strict on chassis, contracts)"
	@echo "make mutation   mutation testing of the pure rule modules (mutmut; not part of make test)"
	@echo "make venv       create $(VENV) and install requirements-dev.txt"
	@echo "make infra      make sure PostgreSQL and RabbitMQ (with management) are up"
	@echo "make db         create the per-service roles and databases"
	@echo "make db-test    the same, plus the <service>_test databases"
	@echo "make migrate    run every service's Alembic migrations"
	@echo "make bench      performance figures (BENCH_ARGS='--profile small|full')"
	@echo "make seed-large seed a chain-sized inventory (1,000,000 pieces)"
	@echo "make rebuild-reporting  rebuild HQ's read model from the services' data"
	@echo "                (REBUILD_ARGS='--reset' empties it first; the services must be running)"
	@echo "make image      build the one container image (IMAGE=$(IMAGE) IMAGE_TAG=$(IMAGE_TAG); docker or podman)"
	@echo "make k8s        print what deploy/k8s/overlays/$(OVERLAY) creates (OVERLAY=dev|production|holiday)"
	@echo "make clean      remove the venv stamp and caches (keeps .local-secrets.env)"

venv: $(STAMP)

# Re-installs only when a requirements file is newer than the stamp.
$(STAMP): requirements.txt requirements-dev.txt
	@if ! [ -x "$(VPY)" ] || ! "$(VPY)" -m pip --version >/dev/null 2>&1; then \
	  if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	    echo "venv: $(PYTHON) cannot create virtual environments; installing python3 and python3-venv"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv || exit 1; \
	  fi; \
	  echo "venv: creating $(VENV)"; \
	  $(PYTHON) -m venv --clear "$(VENV)" || exit 1; \
	fi
	@echo "venv: installing requirements-dev.txt"
	"$(VPY)" -m pip install --disable-pip-version-check --no-input -q -r requirements-dev.txt
	@touch "$(STAMP)"

infra:
	bash scripts/infra.sh

db: venv infra
	"$(VPY)" scripts/bootstrap_db.py

db-test: venv infra
	"$(VPY)" scripts/bootstrap_db.py --test

migrate: db
	@for s in $(SERVICES); do \
	  "$(VPY)" -m chassis.migrate $$s || exit 1; \
	done

run: export ADMIN_USERNAME ?= admin
run: export ADMIN_PASSWORD ?= showcase-velvet-tray-7
run: venv infra db migrate
	@$(MAKE) --no-print-directory web || \
	  echo "run: the console could not be built (see above); the chain runs without it (the API: /docs)" >&2
	"$(VPY)" -m scripts.run

# The console: its API types come from the gateway's OpenAPI document, dumped
# from the route table; Node.js and npm from the OS packages when node is absent.
web: venv
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "web: Node.js is missing; installing nodejs and npm"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm || exit 1; \
	fi
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || \
	  { echo "web: Vite needs Node.js 20.19 or newer; this machine has $$(node --version) (Debian 12's own is 18)" >&2; exit 1; }
	"$(VPY)" -m scripts.openapi_dump web/openapi.json
	cd web && npm ci --no-audit --no-fund && npm run build && npm test

CHROMIUM ?= /usr/bin/chromium

# Debian's chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser:
	@if ! [ -x "$(CHROMIUM)" ]; then \
	  echo "browser: $(CHROMIUM) is missing; installing Debian's chromium"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium || exit 1; \
	fi

# The console in headless chromium against a whole chain (screenshots: web/screenshots/<test>/).
test-browser: venv infra db-test web browser
	CHROMIUM="$(CHROMIUM)" "$(VPY)" -m pytest tests/browser $(PYTEST_ARGS)

# The browser tests and the two-minute database outage (tests/faults/test_long_outage.py)
# run beside the rest, in a pytest of their own with their own databases and vhosts
# (E2E_DB_SUFFIX=browser): their time is mostly a browser, a chain or an outage
# waiting, and the suite has 15 minutes on two cores. Their output follows the rest's
# (and stays in web/screenshots/browser-tests.log). The gate, the test databases, the
# console's build and chromium are made side by side first.
BROWSER_LOG := web/screenshots/browser-tests.log
BESIDE := tests/faults/test_long_outage.py

test: venv infra
	@$(MAKE) --no-print-directory -j4 lint db-test web browser
	@mkdir -p web/screenshots
	@CHROMIUM="$(CHROMIUM)" E2E_DB_SUFFIX=browser "$(VPY)" -m pytest tests/browser $(BESIDE) $(PYTEST_ARGS) \
	  >"$(BROWSER_LOG)" 2>&1 & browser=$$!; \
	echo "test: the browser tests run beside the others (pid $$browser, output after them)"; \
	"$(VPY)" -m pytest --ignore=tests/browser --ignore=$(BESIDE) $(PYTEST_ARGS); rest=$$?; \
	wait $$browser; shown=$$?; \
	echo "---- the browser tests and the long outage ($(BROWSER_LOG)) ----"; cat "$(BROWSER_LOG)"; \
	echo "test: the others exited $$rest, the browser tests $$shown"; \
	[ $$rest -eq 0 ] && [ $$shown -eq 0 ]

UNIT_TESTS := tests/unit tests/house

test-unit: venv
	"$(VPY)" -m pytest -q $(UNIT_TESTS)

lint: venv
	"$(VENV)/bin/ruff" check .
	"$(VENV)/bin/mypy"

mutation: venv
	"$(VPY)" -m scripts.mutation

bench: venv infra db migrate
	"$(VPY)" -m bench.run $(BENCH_ARGS)

seed-large: venv infra db migrate
	"$(VPY)" -m scripts.seed_large

rebuild-reporting: venv infra migrate
	"$(VPY)" -m services.reporting.rebuild $(REBUILD_ARGS)

image:
	@engine="$$(command -v docker || command -v podman)"; \
	if [ -z "$$engine" ]; then echo "image: docker or podman is needed" >&2; exit 1; fi; \
	echo "$$engine build -t $(IMAGE):$(IMAGE_TAG) ."; \
	"$$engine" build -t "$(IMAGE):$(IMAGE_TAG)" .

OVERLAY ?= production

# what an overlay creates, rendered by the kubectl (with kustomize) the venv installs
k8s: venv
	"$(VENV)/bin/kubectl" kustomize "deploy/k8s/overlays/$(OVERLAY)"

clean:
	rm -f "$(STAMP)"
	rm -rf .pytest_cache .hypothesis mutants
	find . -path ./.git -prune -o -path "./$(VENV)" -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +
