# cxresearch: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format lab bench bench-scale system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) ## Create .venv and install the package with its test tools

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
	@$(CHROMIUM) --version
	@ls /usr/lib/postgresql/*/bin/initdb
	@java -version 2>&1 | head -1

demo: $(STAMP) ## Build the demo database and render every report
	$(BIN)/cxresearch demo

test: $(STAMP) system-deps ## Lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CX_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(STAMP) ## JupyterLab on notebooks/, package edits picked up without restarting
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	IPYTHONDIR=$(CURDIR)/.ipython $(BIN)/jupyter lab notebooks/

bench: $(STAMP) ## Run every benchmark (ratios against the naive way)
	$(BIN)/python benchmarks/nps_engine_vs_pandas.py
	$(BIN)/python benchmarks/import_speed.py
	$(BIN)/python benchmarks/batch_speed.py
	$(BIN)/python benchmarks/scale.py

bench-scale: $(STAMP) ## Time and peak memory at 1M, 10M and 50M responses (about 10 min)
	$(BIN)/python benchmarks/scale.py

clean: ## Remove the venv, generated data and reports
	rm -rf $(VENV) data reports/*/ reports/index.html .pytest_cache .ruff_cache test-artifacts
