# zkrevox: two commands on a fresh machine (see README): `make demo` and `make test`.
# Both do all set-up first; set-up is idempotent and lives in .venv/ and node_modules/.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
ZK := $(VENV)/bin/zkrevox
export VIRTUAL_ENV := $(abspath $(VENV))
WEB_VENDOR := python/zkrevox/web/static/vendor/.vendored
RUST_SRC := $(shell find rust -name '*.rs' -o -name Cargo.toml 2>/dev/null) Cargo.toml

.PHONY: setup demo test test-python test-rust lint build abi clean

setup: $(VENV)/.deps node_modules/.installed $(VENV)/.ext $(WEB_VENDOR) chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Python dependencies (pinned in pyproject.toml) and the package itself, editable. Playwright's own
# browser download is skipped: the browser tests drive Debian's Chromium (below).
$(VENV)/.deps: pyproject.toml | $(VENV)/bin/python
	@echo "· installing the Python dependencies (pinned in pyproject.toml; a few minutes on a fresh machine)" >&2
	@# a download cut mid-way (seen on a 286 MB wheel) is resumed, then the whole install tried again afresh
	@for attempt in 1 2 3; do \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(PIP) install --progress-bar off --no-color --resume-retries 5 \
	    -e ".[train,dev]" && exit 0; \
	  echo "· pip install failed (attempt $$attempt of 3); trying again afresh" >&2; sleep 10; \
	done; exit 1
	touch $@

# The pages' browser libraries (ethers 6's single-file ESM, ezkl's WASM engine), vendored from the pinned
# npm packages into python/zkrevox/web/static/vendor/ (git-ignored).
$(WEB_VENDOR): node_modules/.installed $(VENV)/.deps
	$(PY) -m zkrevox.web.vendor
	touch $@

# Debian's Chromium for the browser tests (tests/web; $$ZKREVOX_CHROMIUM overrides the path).
.PHONY: chromium
chromium:
	@if [ -z "$$ZKREVOX_CHROMIUM" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null || \
	  (sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive sudo apt-get install -y -q chromium) >/dev/null; \
	fi

# The Rust extension zkrevox._native, rebuilt when Rust sources change.
$(VENV)/.ext: $(VENV)/.deps $(RUST_SRC)
	@echo "· building the Rust extension zkrevox._native (release; a few minutes the first time)" >&2
	$(VENV)/bin/maturin develop --release --quiet
	touch $@

# npm tools: solc-js, anvil, cast, and the token list (pinned, package-lock.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Circuit artifacts are cached under artifacts/ and rebuilt only when the manifest does not match:
# per agent (models/<name>/), the single-request circuit and the batch circuits of 4, 8 and 16
# (packed features) the node uses.
AGENTS := $(patsubst models/%/model.onnx,%,$(wildcard models/*/model.onnx))
BATCH_SIZES := 4 8 16
BUILD_AGENTS := $(addprefix build-,$(AGENTS))
.PHONY: $(BUILD_AGENTS)
build: $(BUILD_AGENTS)
$(BUILD_AGENTS): build-%: setup
	@$(PY) -c "from zkrevox import Prover; Prover.load('$*')" 2>/dev/null || $(ZK) build $*
	@for n in $(BATCH_SIZES); do \
	  $(PY) -c "from zkrevox import Prover; Prover.load('$*', batch=$$n)" 2>/dev/null || $(ZK) build $* --batch $$n || exit 1; \
	done

# verifier-contracts/abi/*.json for ethers/viem users, from the pinned compile (test_abi.py checks them).
abi: setup
	$(PY) -m zkrevox.chain.abi

demo: setup abi build
	$(PY) -m zkrevox.demo

test: setup test-rust test-python

test-rust:
	cargo test --workspace --quiet

# PostgreSQL 15 server binaries (initdb, pg_ctl) for the PostgreSQL job store's tests and `zkrevox db up`:
# the tests start a throwaway cluster themselves; the Debian package is installed when missing.
PG_BIN := /usr/lib/postgresql/15/bin
.PHONY: postgres
postgres:
	@test -x $(PG_BIN)/initdb || { \
	  echo "installing PostgreSQL 15 (Debian package postgresql-15)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15 >/dev/null; }

test-python: setup postgres
	$(PY) -m mypy.stubtest zkrevox._native
	$(PY) -m mypy
	$(PY) -m pytest
	$(PY) -m pytest -m hostile  # the long hostile-actor property runs (~7 min; pyproject's addopts leave them out)

lint: setup
	$(VENV)/bin/ruff check python tests benchmarks
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	rm -rf artifacts target
