# Every target creates the virtual environment first, so a fresh clone needs
# only Python 3.11+ and `make`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test test-unit test-http lint format migrate bench jobs check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## serve the API on $HOST:$PORT (127.0.0.1:8000), migrating first
	$(BIN)/epoch-http

test: $(STAMP)  ## the whole suite, schemathesis included
	$(BIN)/pytest -n 2 --dist loadfile

test-unit: $(STAMP)  ## domain tests only: no database, seconds
	$(BIN)/pytest tests/unit

test-http: $(STAMP)  ## the app over HTTP against PostgreSQL
	$(BIN)/pytest tests/http

lint: $(STAMP)  ## ruff (lint and format check), mypy on the domain, import direction
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)  ## apply ruff's formatting and fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

migrate: $(STAMP)  ## apply pending migrations and exit
	$(BIN)/python -m epoch_adapters.postgres.migrate

bench: $(STAMP)  ## throughput and latency figures (see docs/performance.md)
	$(BIN)/python -m bench

check: lint test  ## everything CI cares about

clean:  ## remove the virtual environment and local data
	rm -rf $(VENV) .data
