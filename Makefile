# Two commands for a fresh clone: `make run` (the product on SQLite) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test services chromium translations lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg setup.py
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed
	@if [ -d web/translations ]; then $(BIN)/pybabel compile -d web/translations >/dev/null; fi

run: install
	$(BIN)/signoff init --demo
	$(BIN)/signoff serve --host $(HOST) --port $(PORT)

services:
	bash scripts/ensure-services.sh

chromium:
	@if [ -f scripts/ensure-chromium.sh ]; then bash scripts/ensure-chromium.sh; fi

lint: install-test
	$(BIN)/lint-imports
	$(BIN)/mypy engine forms web

test: install-test services chromium lint
	$(BIN)/python -m pytest -n 2 -q

bench: install-test services
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) var test-artifacts
