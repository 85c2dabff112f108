# Quick start: `make run` (install, then start the agent here) and `make test` (install, then the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

# The official ACP TypeScript SDK, pinned by its lock file, for the Node.js client test (tests/acp_agent).
NODE_SDK := tests/acp_agent/node/node_modules/.package-lock.json

.PHONY: run test lint bench install install-test clean a2a-tck

$(VENV)/.runtime: pyproject.toml requirements.lock requirements-nodeps.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@scripts/sandbox_deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -r requirements-nodeps.lock
	$(PIP) install --no-deps -e .
	@# Bytecode up front: start-up stays fast even where PYTHONDONTWRITEBYTECODE is set.
	$(PY) -m compileall -q src >/dev/null
	@touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.lock
	$(PIP) install -r requirements-test.lock
	@touch $@

$(NODE_SDK): tests/acp_agent/node/package.json tests/acp_agent/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/acp_agent/node --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the ACP TypeScript SDK client test will be skipped"; fi

install: $(VENV)/.runtime
install-test: $(VENV)/.test $(NODE_SDK)

run: $(VENV)/.runtime
	$(VENV)/bin/codetether $(ARGS)

lint: $(VENV)/.test
	$(PY) -m ruff check src tests bench

test: $(VENV)/.test $(NODE_SDK) lint
	$(PY) -m pytest -q

bench: $(VENV)/.test
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache tests/acp_agent/node/node_modules

# The official A2A conformance kit (../shared/a2a-tck) against `codetether serve`; prints the compliance summary.
a2a-tck: $(VENV)/.test
	$(PY) scripts/a2a_tck.py
