# The two commands a new user needs:
#   make demo   set up the workspace and run the main job
#   make test   install everything the tests need (uv, the workspace, Azurite, Postgres
#               binaries when missing), then ruff, mypy on core, and pytest
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Only the package registries are reachable: never let uv try to download a Python.
export UV_PYTHON_DOWNLOADS := never

PYTHON ?= python3
UV_VERSION := 0.13.8
AZURITE_VERSION := 3.35.0
UV := .tools/bin/uv
BIN := .venv/bin
AZURITE := .cache/azurite/node_modules/.bin/azurite-blob
DEMO := .elt/demo

.PHONY: help setup test-deps lint typecheck test demo bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

setup: $(UV) ## create .venv with every workspace package and the dev tools
	$(UV) sync --all-packages --locked --quiet

$(AZURITE):
	npm install --no-audit --no-fund --loglevel=error --prefix .cache/azurite azurite@$(AZURITE_VERSION)

test-deps: setup $(AZURITE) ## what the tests need besides Python packages
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
	    && [ -z "$${ELT_TEST_PG_URL:-}" ]; then \
	  echo "installing PostgreSQL server binaries for throwaway test clusters"; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15; \
	fi

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy (strict) on core
	$(BIN)/mypy

test: test-deps lint typecheck ## everything CI runs
	$(BIN)/pytest

demo: setup ## a new project, then a Singer stream written and checked by elt
	rm -rf $(DEMO)
	$(BIN)/elt init $(DEMO)
	$(BIN)/elt --project $(DEMO) add tap tap-csv --pip-url ./taps/tap-csv
	$(BIN)/elt --project $(DEMO) add target target-postgres --pip-url ./targets/target-postgres
	$(BIN)/elt --project $(DEMO) config set target-postgres password demo-secret
	$(BIN)/elt --project $(DEMO) config list target-postgres
	$(BIN)/python bench/data.py --rows 200000 $(DEMO)/events.jsonl
	$(BIN)/elt inspect $(DEMO)/events.jsonl

bench: setup ## message codec benchmark (see bench/RESULTS.md)
	$(BIN)/python bench/codec.py --rows 200000 --repeat 5

clean: ## remove the virtualenvs, caches and demo output
	rm -rf .venv .tools .cache .elt bench/out .mypy_cache .ruff_cache .pytest_cache
