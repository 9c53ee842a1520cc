# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench bench-tools check-config clean redis-server chromium node-clients \
	mutate

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
	@echo "Demo logins of the embedded config, for local use only (never deploy them):"
	@echo "  user   demo        / demo-password        (admin; POST /auth/login or the password grant)"
	@echo "  client demo-client / demo-client-secret   (editor; client_credentials grant)"
	$(BIN)/hal-gateway serve

# The suite starts its own redis-server (on a Unix socket); install it where missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
redis-server:
	@command -v redis-server >/dev/null || { \
		echo "installing redis-server (Debian package)"; \
		$(SUDO) apt-get install -y -q redis-server >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q redis-server >/dev/null; }; }

# The HAL browser's test drives Debian's chromium with Playwright (never a browser download);
# install it where missing.
chromium:
	@command -v chromium >/dev/null || { \
		echo "installing chromium (Debian package)"; \
		$(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null; }; }

# The suite walks the gateway with the HAL clients frontends use (tests/node: ketting,
# traverson-hal) under Node: Debian's nodejs and npm where node is missing, then the clients
# from the npm registry exactly as package-lock.json pins them, again only when it changes.
NODE_CLIENTS := tests/node/node_modules/.package-lock.json
node-clients: $(NODE_CLIENTS)
$(NODE_CLIENTS): tests/node/package.json tests/node/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "installing nodejs and npm (Debian packages)"; \
		$(SUDO) apt-get install -y -q nodejs npm >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q nodejs npm >/dev/null; }; }
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Lint first, so the suite's summary is the last thing printed.
test: lint redis-server chromium node-clients
	$(BIN)/python -m pytest

# The Kubernetes manifests are checked against the schemas of this version, which
# kubernetes-validate ships (no download); unknown fields are errors. kustomization.yaml
# files are no resources. A kind without a schema is only a warning to the tool: any output
# fails.
K8S_VERSION := 1.30.0
K8S_MANIFESTS = $(shell find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)

lint: $(VENV)/.dev
	$(BIN)/ruff check gateway adapters tests bench
	$(BIN)/ruff format --check gateway adapters tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile
	@echo $(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) $(K8S_MANIFESTS)
	@out=$$($(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) $(K8S_MANIFESTS)) \
		&& [ -z "$$out" ] || { echo "$$out"; exit 1; }

format: $(VENV)/.dev
	$(BIN)/ruff format gateway adapters tests bench
	$(BIN)/ruff check --fix gateway adapters tests bench

# The benchmarks drive every server with wrk and run nginx as the upstream and as a
# reference proxy, and `python -m bench instructions` counts under valgrind; install them
# where missing (nginx lives in /usr/sbin).
BENCH_TOOLS := wrk nginx valgrind
bench-tools:
	@missing=$$(for tool in $(BENCH_TOOLS); do \
		PATH="$$PATH:/usr/sbin" command -v $$tool >/dev/null || echo $$tool; done); \
	[ -z "$$missing" ] || { \
		echo "installing" $$missing "(Debian packages)"; \
		$(SUDO) apt-get install -y -q $$missing >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q $$missing >/dev/null; }; }

# Every benchmark and one table of the performance goals; `python -m bench NAME` runs one.
bench: $(VENV)/.dev bench-tools redis-server
	$(BIN)/python -m bench

# Mutation testing of the security- and protocol-critical modules ([tool.mutmut] in
# pyproject.toml, docs/testing.md): always a fresh run on both cores, then the score per
# module against tests/mutation/equivalent.toml; fails below 90%. Not part of `make test`.
mutate: $(VENV)/.dev redis-server
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python -m tests.mutation.report

check-config: $(VENV)/.run
	$(BIN)/hal-gateway check-config

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
