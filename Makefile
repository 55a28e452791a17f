# cxresearch: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKSUM := $(shell cksum < pyproject.toml | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
WORKERS ?= 2
# a test module runs on one worker (its fixtures set up once); the longest go first
# (tests/conftest.py: LONGEST_FIRST) so that the workers finish together
DIST := --dist loadgroup --no-loadscope-reorder
# extra arguments for `make lab`, e.g. ARGS="--port 8899 --no-browser"
ARGS ?=
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help install install-dev demo test test-fast lint format lab bench bench-scale system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

# One stamp per set of extras and version of pyproject.toml: reinstall only when it changes.
$(VENV)/.core-$(CHECKSUM): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.dev-$(CHECKSUM): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(VENV)/.core-$(CHECKSUM)

$(VENV)/.lab-$(CHECKSUM): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[lab]'
	touch $@ $(VENV)/.core-$(CHECKSUM)

install: $(VENV)/.core-$(CHECKSUM) ## Create .venv with what running reports needs

install-dev: $(VENV)/.dev-$(CHECKSUM) ## Add PDF, Dask, Spark and the test tools

system-deps: ## Install Debian's Chromium, PostgreSQL and Java 17 for the tests (root or sudo)
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(CHROMIUM) --version 2>/dev/null
	@ls /usr/lib/postgresql/*/bin/initdb
	@java -version 2>&1 | head -1

demo: install ## Build the demo database and render every report
	$(BIN)/cxresearch demo

test: install-dev system-deps ## Lint, then the whole suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CX_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n $(WORKERS) $(DIST) --durations=15

test-fast: install-dev ## Lint, then the tests that need no kernel, subprocess, server, browser or Spark
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(WORKERS) $(DIST) -m "not slow and not browser and not postgres and not spark"

lint: install-dev ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(VENV)/.lab-$(CHECKSUM) ## JupyterLab on notebooks/ (ARGS="--port 8899 --no-browser")
	$(BIN)/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(ARGS) notebooks/

bench: install-dev ## Run every benchmark (ratios against the naive way)
	$(BIN)/python benchmarks/nps_engine_vs_pandas.py
	$(BIN)/python benchmarks/import_speed.py
	$(BIN)/python benchmarks/run_speed.py
	$(BIN)/python benchmarks/batch_speed.py
	$(BIN)/python benchmarks/scale.py

bench-scale: install-dev ## Time and peak memory at 1M, 10M and 50M responses (about 10 min)
	$(BIN)/python benchmarks/scale.py

clean: ## Remove the venv, generated data and reports
	rm -rf $(VENV) data reports/*/ reports/index.html .pytest_cache .ruff_cache test-artifacts
