# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench check-config clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The marker files record which extras are installed, redone when pyproject.toml changes.
$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.run

run: $(VENV)/.run
	$(BIN)/hal-gateway serve

# Lint first, so the suite's summary is the last thing printed.
test: lint
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check gateway adapters tests bench
	$(BIN)/ruff format --check gateway adapters tests bench
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format gateway adapters tests bench
	$(BIN)/ruff check --fix gateway adapters tests bench

bench: $(VENV)/.dev
	$(BIN)/python -m bench

check-config: $(VENV)/.run
	$(BIN)/hal-gateway check-config

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
