# The README's commands. Everything installs itself into .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export TENANTS_DIR ?= $(CURDIR)/tenants

.PHONY: install demo dev test lint bench clean lock specs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make demo: run the demo tenants over the last 14 days against the emulators (SQLite, no daemon),
#  after migrating the warehouse (`pennylane-sync db upgrade`)
demo: install
	$(VENV)/bin/pennylane-sync db upgrade
	$(PY) -m demo run --days 14

## make dev: the emulators + `dagster dev` (webserver and daemon) on http://127.0.0.1:3000, with the
#  demo credentials (`python -m demo env`) so that its runs reach the emulators
dev: install
	@mkdir -p $(DAGSTER_HOME)
	$(VENV)/bin/pennylane-sync db upgrade
	@eval "$$($(PY) -m demo env)"; \
	trap 'kill 0' EXIT INT TERM; \
	$(PY) -m demo serve & \
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## make lint: ruff, then the layer contracts of pyproject.toml (import-linter)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## make test: ruff and lint-imports, then the whole suite (Postgres tests need 127.0.0.1:5432; see README)
test: install lint
	$(VENV)/bin/pytest -q

## make specs: fetch the vendor OpenAPI specs the tests validate requests against into $(SPECS_DIR),
#  each checked against its SHA-256 in tests/specs.sha256 (without them the tests run, that layer off)
SPECS_DIR ?= $(CURDIR)/../shared/specs
specs:
	@mkdir -p $(SPECS_DIR)
	@grep -v '^#' tests/specs.sha256 | while read -r sum name url; do \
	  if echo "$$sum  $(SPECS_DIR)/$$name" | sha256sum -c --status 2>/dev/null; then echo "$$name: present"; continue; fi; \
	  curl -fsSL "$$url" -o "$(SPECS_DIR)/$$name.part" \
	    && echo "$$sum  $(SPECS_DIR)/$$name.part" | sha256sum -c --status \
	    && mv "$(SPECS_DIR)/$$name.part" "$(SPECS_DIR)/$$name" && echo "$$name: fetched, SHA-256 checked" \
	    || { rm -f "$(SPECS_DIR)/$$name.part"; echo "$$name: download failed or SHA-256 mismatch" >&2; exit 1; }; \
	done

## make bench: benchmark scripts that print figures
bench: install
	$(PY) -m bench

## make lock: re-pin requirements.lock (the image's dependencies, with SHA-256) from pyproject.toml
lock: install
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml deploy/build-requirements.in --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --custom-compile-command "make lock" -o requirements.lock

clean:
	rm -rf $(DAGSTER_HOME) .pytest_cache .ruff_cache
