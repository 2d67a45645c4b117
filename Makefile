# Two commands on a fresh machine with Python 3.11:
#   make run    set up .venv and start the dashboard on http://localhost:8501
#   make test   set up .venv (+ test tools, Debian chromium) and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test bench lint lock browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

$(VENV)/.run-deps: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/trueloss-dash serve --port $(PORT)

browser-deps:
	bash scripts/ensure_chromium.sh

test: $(VENV)/.dev-deps browser-deps
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-deps
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# requirements.lock (hashes) from requirements.txt: run after changing requirements.txt
lock:
	bash scripts/lock.sh

lint: $(VENV)/.dev-deps
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
