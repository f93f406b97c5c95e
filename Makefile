# The two commands a new user needs:
#   make demo   set up the workspace and run the main job
#   make test   install everything the tests need (uv, the workspace, Azurite, Postgres
#               binaries when missing), then ruff, mypy (core and every plugin), and pytest
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Only the package registries are reachable: never let uv try to download a Python.
export UV_PYTHON_DOWNLOADS := never

PYTHON ?= python3
UV_VERSION := 0.13.8
AZURITE_VERSION := 3.35.0
# the web page's scripts (elt ui), from the npm registry at build time, shipped in the wheel.
# htmx stays on its 2.x line: 4.x changes attribute inheritance and event names.
HTMX_VERSION := 2.0.11
UPLOT_VERSION := 1.6.32
UI_VENDOR := core/src/elt/ui/static/vendor
UI_ASSETS := htmx.org@$(HTMX_VERSION) uplot@$(UPLOT_VERSION)
UV := .tools/bin/uv
BIN := .venv/bin
AZURITE := .cache/azurite/node_modules/.bin/azurite-blob
DEMO := .elt/demo

.PHONY: help setup ui-assets pg-bins ssh-bins browser-bins test-deps lint typecheck test demo demo-pg-start demo-pg-stop dist version catalogue bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

setup: $(UV) ui-assets ## create .venv with every workspace package and the dev tools
	$(UV) sync --all-packages --locked --quiet

# npm installs the pinned versions into .cache, and their dist files are copied into elt.ui's
# static files (git-ignored; hatch ships them as artifacts). Done again when a version changes.
ui-assets: ## htmx and uPlot for `elt ui`, from the npm registry into core/src/elt/ui/static/vendor
	@if [ "$$(cat $(UI_VENDOR)/VERSIONS 2>/dev/null)" != "$(UI_ASSETS)" ]; then \
	  npm install --no-audit --no-fund --loglevel=error --save-exact --prefix .cache/ui-assets $(UI_ASSETS); \
	  modules=.cache/ui-assets/node_modules; mkdir -p $(UI_VENDOR); \
	  cp $$modules/htmx.org/dist/htmx.min.js $$modules/uplot/dist/uPlot.iife.min.js \
	    $$modules/uplot/dist/uPlot.min.css $(UI_VENDOR)/; \
	  cp $$modules/htmx.org/LICENSE $(UI_VENDOR)/htmx.LICENSE; \
	  cp $$modules/uplot/LICENSE $(UI_VENDOR)/uPlot.LICENSE; \
	  echo "$(UI_ASSETS)" > $(UI_VENDOR)/VERSIONS; \
	fi

$(AZURITE):
	npm install --no-audit --no-fund --loglevel=error --prefix .cache/azurite azurite@$(AZURITE_VERSION)

pg-bins: # Debian's PostgreSQL server and client, when the machine has none
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then \
	  echo "installing PostgreSQL (server binaries for throwaway clusters, psql)"; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15; \
	fi

ssh-bins: # OpenSSH's server and client, for the ssh_tunnel tests' bastion host (sshd on a free port)
	@if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then \
	  echo "installing OpenSSH (sshd for the ssh_tunnel tests, ssh for the tunnels)"; \
	  apt-get update -qq -o DPkg::Lock::Timeout=300 && \
	  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 openssh-server openssh-client; \
	fi

browser-bins: # Debian's Chromium and its driver, for the web page's browser tests (never downloaded by a test)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing Chromium (headless, for the elt ui browser tests)"; \
	  apt-get update -qq -o DPkg::Lock::Timeout=300 && \
	  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 chromium chromium-driver; \
	fi

test-deps: setup $(AZURITE) pg-bins ssh-bins browser-bins ## what the tests need besides Python packages

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy (strict) on core and every plugin
	$(BIN)/mypy

test: test-deps lint typecheck ## everything CI runs
	$(BIN)/pytest -n auto

# The demo loads into the Postgres at $PGHOST:$PGPORT (default 127.0.0.1:5432, user postgres,
# database postgres). When nothing answers there it starts a throwaway cluster of its own
# under $(DEMO_PG) on port $(DEMO_PG_PORT) (`make demo-pg-stop` removes it).
PGHOST ?= 127.0.0.1
PGPORT ?= 5432
DEMO_PG := /tmp/elt-demo-pg
DEMO_PG_PORT := 54329

demo: setup pg-bins ## load the bundled sample CSV into Postgres with `elt run`, twice (incremental)
	@export PGHOST=$(PGHOST) PGPORT=$(PGPORT) PGUSER=$${PGUSER:-postgres}; \
	if ! pg_isready -q -h "$$PGHOST" -p "$$PGPORT"; then \
	  $(MAKE) --no-print-directory demo-pg-start; export PGHOST=127.0.0.1 PGPORT=$(DEMO_PG_PORT); \
	fi; \
	echo "== loading taps/tap-csv/samples/orders.csv into postgres://$$PGUSER@$$PGHOST:$$PGPORT (schema elt_demo)"; \
	psql -q -d "$${PGDATABASE:-postgres}" -c "drop schema if exists elt_demo cascade" 2>/dev/null || true; \
	$(BIN)/elt state clear dev:tap-csv-to-target-postgres >/dev/null 2>&1 || true; \
	$(BIN)/elt run tap-csv target-postgres; \
	echo "== second run: only what changed since the stored bookmark (nothing)"; \
	$(BIN)/elt run tap-csv target-postgres; \
	$(BIN)/elt state get dev:tap-csv-to-target-postgres; \
	psql -d "$${PGDATABASE:-postgres}" -c "select count(*) as rows, sum(amount) as amount, max(updated_at) from elt_demo.orders"

demo-pg-start: # a throwaway Postgres for the demo when none is configured
	@bindir=$$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); \
	as=""; [ "$$(id -u)" = 0 ] && as="runuser -u postgres --"; \
	if [ ! -d $(DEMO_PG)/data ]; then \
	  mkdir -p $(DEMO_PG); [ -n "$$as" ] && chown postgres: $(DEMO_PG); \
	  $$as $$bindir/initdb -D $(DEMO_PG)/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null; \
	fi; \
	$$as $$bindir/pg_ctl -D $(DEMO_PG)/data -l $(DEMO_PG)/server.log -w -o \
	  "-p $(DEMO_PG_PORT) -k $(DEMO_PG) -c listen_addresses=127.0.0.1" start >/dev/null; \
	echo "started a throwaway Postgres on 127.0.0.1:$(DEMO_PG_PORT) ($(DEMO_PG))"

demo-pg-stop: ## stop and remove the demo's throwaway Postgres, if it started one
	@bindir=$$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); \
	as=""; [ "$$(id -u)" = 0 ] && as="runuser -u postgres --"; \
	if [ -d $(DEMO_PG)/data ]; then $$as $$bindir/pg_ctl -D $(DEMO_PG)/data -m fast -w stop || true; fi; \
	rm -rf $(DEMO_PG)

# Every file in a wheel or sdist carries hatchling's fixed date (SOURCE_DATE_EPOCH, default
# 2020-02-02): the same sources build the same bytes. Each wheel is built from its sdist.
dist: setup ui-assets ## sdists and wheels of elt-core and every plugin into dist/, metadata checked (twine)
	rm -rf dist
	$(UV) build --all-packages --out-dir dist --quiet
	$(BIN)/twine check --strict dist/*

# The workspace has one version: elt-core's, which every plugin has and pins elt-core to.
version: $(UV) ## set that one version everywhere: make version VERSION=X.Y.Z
	@[ -n "$(VERSION)" ] || { echo "usage: make version VERSION=X.Y.Z" >&2; exit 2; }
	sed -i -E 's/^version = "[^"]*"/version = "$(VERSION)"/' core/pyproject.toml taps/*/pyproject.toml targets/*/pyproject.toml
	sed -i -E 's/"elt-core\[([a-z,]+)\]==[^"]*"/"elt-core[\1]==$(VERSION)"/' taps/*/pyproject.toml targets/*/pyproject.toml
	$(UV) lock --quiet

# elt's own plugins in the catalogue elt ships (core/src/elt/project/catalogue.json) are what
# their --about says; a test fails when they are stale.
catalogue: setup ## rewrite elt's own plugins in the shipped plugin catalogue from their --about
	$(BIN)/python -m tests.catalogue

bench: setup ## every benchmark, each against its limit (see bench/RESULTS.md)
	$(BIN)/python bench/codec.py --rows 200000 --repeat 5
	$(BIN)/python bench/postgres.py --rows 100000,1000000 --repeat 3
	$(BIN)/python bench/pgcopy.py --rows 100000,1000000 --repeat 3
	$(BIN)/python bench/httpapi.py --rows 200000,1000000 --repeat 3
	$(BIN)/python bench/lake.py --rows 100000,1000000 --repeat 3 --s3

clean: ## remove the virtualenvs, caches, build and demo output
	rm -rf .venv .tools .cache .elt bench/out dist .mypy_cache .ruff_cache .pytest_cache
