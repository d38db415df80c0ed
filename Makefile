# The marketplace: `make run` serves the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
HTMX_VERSION := 2.0.11
export MARKETPLACE_ENV ?= development

.PHONY: run dev test test-sqlite test-postgres lint bench bench-web loadtest install htmx media-tools migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes, so a second `make run` is fast.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed htmx

static/vendor/htmx.min.js: Makefile
	scripts/install-htmx $(HTMX_VERSION)

htmx: static/vendor/htmx.min.js

# ffmpeg and pdftoppm for uploads: installed from Debian when root, a warning otherwise.
media-tools:
	scripts/ensure-media-tools

migrate: install
	$(BIN)/flask --app marketplace db upgrade

seed: migrate
	$(BIN)/flask --app marketplace seed --demo
	$(BIN)/flask --app marketplace search ensure

run: media-tools seed
	@$(BIN)/flask --app marketplace demo-logins
	@echo "Serving on http://127.0.0.1:$(PORT) with $(WORKERS) gunicorn workers and the job worker (Ctrl-C stops)."
	BIN=$(BIN) PORT=$(PORT) WORKERS=$(WORKERS) scripts/serve

dev: media-tools seed
	$(BIN)/flask --app marketplace run --debug --port $(PORT)

lint: install
	$(BIN)/ruff check marketplace tests bench seeds

test: install
	scripts/ensure-test-system
	scripts/ensure-lrs
	BIN=$(BIN) scripts/run-tests

test-sqlite: install
	$(BIN)/python -m pytest -q

test-postgres: install
	MARKETPLACE_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -m "not browser and not access_matrix"

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.decode
	scripts/ensure-bench-tools
	$(BIN)/python -m bench.web

# The web run alone: gunicorn (2 workers) on the demo seed + 50,000 items beside a bare Flask app, wrk.
bench-web: install
	scripts/ensure-bench-tools
	$(BIN)/python -m bench.web

# Locust against a server that is already running (e.g. `RATELIMIT_ENABLED=0 make run` in another shell).
LOADTEST_HOST ?= http://127.0.0.1:$(PORT)
LOADTEST_USERS ?= 20
LOADTEST_TIME ?= 60s
loadtest: install
	$(BIN)/locust -f bench/locustfile.py --headless --only-summary --host $(LOADTEST_HOST) \
		-u $(LOADTEST_USERS) -r 5 -t $(LOADTEST_TIME)

clean:
	rm -rf $(VENV) .lrs-venv static/vendor node_modules instance search_index/*
