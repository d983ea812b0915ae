# Every target bootstraps its own virtualenv (.venv) on first use; `make check` is what CI runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install generate check-generated lint format typecheck test check clean serve

help:
	@echo "make demo             the SDK end to end against a local server (installs the server extra only)"
	@echo "make generate         regenerate src/mosaicstack_telemetry/_generated from schema/"
	@echo "make check-generated  fail with a diff if generated code has drifted from the spec"
	@echo "make lint             ruff check + ruff format --check"
	@echo "make typecheck        mypy --strict on src/ and scripts/"
	@echo "make test             the test suite"
	@echo "make check            all of the above (what CI runs)"
	@echo "make build|build-dev|publish|publish-dev  package and release (docs/release.md)"
	@echo "make serve            run the local Telemetry API v1 server (SERVE_ARGS='--port 8080 ...')"
	@echo "make bench            speed and memory figures against their budgets (docs/performance.md)"

$(STAMP): pyproject.toml constraints/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints/dev.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(PY) -m codegen generate

check-generated: $(STAMP)
	$(PY) -m codegen check

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP)
	$(PY) -m pytest

check: check-generated lint typecheck test

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

# Packaging and release (docs/release.md); scripts/publish.py does the work.
# publish reads TWINE_REPOSITORY_URL, TWINE_USERNAME, TWINE_PASSWORD and optional PUBLISH_INDEX_URL.
.PHONY: build build-dev publish publish-dev

build: $(STAMP)
	$(PY) scripts/publish.py build

build-dev: $(STAMP)
	$(PY) scripts/publish.py build --dev

publish: $(STAMP)
	$(PY) scripts/publish.py publish

publish-dev: $(STAMP)
	$(PY) scripts/publish.py publish --dev

# --- Local server ---------------------------------------------------------------------------
SERVE_ARGS ?=

serve: $(STAMP)
	$(VENV)/bin/mosaic-telemetry serve $(SERVE_ARGS)

# --- Demo: the README's first command ------------------------------------------------------------
# `mosaic-telemetry demo` (src/mosaicstack_telemetry/_cli/_demo.py): a local server on a free port
# with a temporary database, or the server MOSAIC_TELEMETRY_SERVER_URL/_API_KEY/_INSTANCE_ID name.
DEMO_ARGS ?=
.PHONY: demo

# Only the package and its `server` extra (seconds on a warm pip cache), not the dev tools; a .venv
# that `make install` already set up has them too.
DEMO_STAMP := $(VENV)/.demo-installed

$(DEMO_STAMP): pyproject.toml constraints/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints/dev.txt -e '.[server]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(VENV)/bin/mosaic-telemetry demo $(DEMO_ARGS)

# Benchmark (speed and memory budgets; docs/performance.md). A report, not a test:
# prints each figure (median of 5 runs) next to its budget and exits 0 whatever the figures.
.PHONY: bench

bench: $(STAMP)
	$(PY) benchmarks/run.py
