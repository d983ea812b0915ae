# Every target bootstraps its own virtualenv (.venv) on first use; `make check` is what CI runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install generate check-generated lint format typecheck test check check-matrix clean serve
.PHONY: ts-node ts-install ts-check ts-build ts-test

help:
	@echo "make demo             the SDK end to end against a local server (installs the server extra only)"
	@echo "make generate         regenerate src/mosaicstack_telemetry/_generated and ts/src/generated from schema/"
	@echo "make check-generated  fail with a diff if generated code has drifted from the spec"
	@echo "make lint             ruff check + ruff format --check"
	@echo "make typecheck        mypy --strict on src/ and scripts/"
	@echo "make test             the test suite"
	@echo "make ts-install       npm ci in ts/ (the TypeScript package; needs Node.js >= 18 and npm)"
	@echo "make ts-check         tsc --noEmit (strict) over ts/src, ts/test and the guide's examples"
	@echo "make ts-build         build ts/dist (ESM + .d.ts)"
	@echo "make ts-test          the TypeScript tests (node --test) against real local servers"
	@echo "make check-version    fail unless ts/ carries the version of src/mosaicstack_telemetry/_version.py"
	@echo "make check-parity     Python and TypeScript packages agree: surfaces, shared vectors, spec, version (docs/parity.md)"
	@echo "make check            all of the above (what CI runs)"
	@echo "make check-matrix     the test suite on Python 3.10, 3.12 and 3.13 too (CI runs it after check)"
	@echo "make build|build-dev|publish|publish-dev  package and release (docs/release.md)"
	@echo "make pack-npm|pack-npm-dev|publish-npm|publish-npm-dev  the same for ts/ (npm)"
	@echo "make sync-version     write _version.py's version into ts/package.json, package-lock.json, src/version.ts"
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

check-generated: $(STAMP) ts-install
	$(PY) -m codegen check

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) ts-install
	$(PY) -m pytest

check: check-generated check-version lint typecheck test ts-check ts-test check-parity

# The other supported interpreters (pyenv or pythonX.Y on PATH), one .venv-X.Y each; see the
# script for how they are found. MATRIX_VERSIONS="3.10" narrows it.
MATRIX_VERSIONS ?= 3.10 3.12 3.13

check-matrix:
	MATRIX_VERSIONS="$(MATRIX_VERSIONS)" scripts/check-matrix.sh

clean:
	rm -rf $(VENV) .venv-3.* build dist .pytest_cache .mypy_cache .ruff_cache
	rm -rf ts/node_modules ts/dist ts/build-test

# --- TypeScript package (ts/, docs: ts/README.md) -------------------------------------------------
# Never skipped: without Node.js >= 18 and npm these targets fail and say how to install them.
TS_STAMP := ts/node_modules/.installed

ts-node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "make: the TypeScript package in ts/ needs Node.js >= 18 and npm, which are not installed."; \
	  echo "      Debian/Ubuntu: sudo apt-get install nodejs npm   macOS: brew install node"; \
	  echo "      (or any Node.js >= 18 from your platform's packages or a version manager such as nvm)"; \
	  exit 1; }
	@node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 18) { console.error("make: ts/ needs Node.js >= 18, found " + process.version + "; upgrade Node.js"); process.exit(1); }'

$(TS_STAMP): ts/package.json ts/package-lock.json | ts-node
	cd ts && npm ci --no-audit --no-fund
	touch $(TS_STAMP)

ts-install: ts-node $(TS_STAMP)

ts-check: ts-install
	cd ts && npx --no-install tsc -p tsconfig.json --noEmit
	cd ts && npx --no-install tsc -p tsconfig.build.json --noEmit
	cd ts && npx --no-install tsc -p test/examples/nextjs/tsconfig.json

ts-build: ts-install
	cd ts && npm run build

# The tests start the local server from .venv (MOSAIC_TS_TEST_CLI) and a fault server in Node.
ts-test: ts-build $(STAMP)
	cd ts && MOSAIC_TS_TEST_CLI=$(abspath $(VENV))/bin/mosaic-telemetry \
	  MOSAIC_TS_TEST_PYTHON=$(abspath $(PY)) npm test

# --- Python <-> TypeScript parity (docs/parity.md) ----------------------------------------------
# The gate (surfaces, both vector runners, spec and version identity), then its own tests and the
# proof that it turns red for each mutation in parity/mutations.json (13 runs in temporary copies).
.PHONY: check-parity

check-parity: ts-build $(STAMP)
	$(PY) -m parity
	$(PY) -m pytest parity/test_gate.py parity/test_mutations.py -q -p no:cacheprovider

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

# The npm package (ts/) carries the same version, checked by `make check` (check-version).
# scripts/publish_npm.py uses the standard library only, so these run with the system Python and
# need no virtualenv (the pipeline runs them in a node image). publish-npm reads NPM_REGISTRY_URL
# and NPM_TOKEN; NPM_PUBLISH_ARGS='--dist-dir DIR' puts the tarball elsewhere than dist/.
NPM_PUBLISH_ARGS ?=
.PHONY: check-version sync-version pack-npm pack-npm-dev publish-npm publish-npm-dev

check-version:
	$(PYTHON) scripts/publish_npm.py check-version

sync-version:
	$(PYTHON) scripts/publish_npm.py sync-version

pack-npm:
	$(PYTHON) scripts/publish_npm.py pack $(NPM_PUBLISH_ARGS)

pack-npm-dev:
	$(PYTHON) scripts/publish_npm.py pack --dev $(NPM_PUBLISH_ARGS)

publish-npm:
	$(PYTHON) scripts/publish_npm.py publish $(NPM_PUBLISH_ARGS)

publish-npm-dev:
	$(PYTHON) scripts/publish_npm.py publish --dev $(NPM_PUBLISH_ARGS)

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

bench: $(STAMP) ts-build
	$(PY) benchmarks/run.py
