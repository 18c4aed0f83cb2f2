# Two commands for a newcomer: `make all` runs the pipeline, `make test` runs the tests.
# Both build the virtual environment first (Python 3.11, 3.12 or 3.13 + pip are all a fresh
# machine needs).

# The first of python3, python3.13, python3.12, python3.11 on PATH whose version figtrace supports
# (so the Python already on PATH wins). Chosen before PATH gains .venv/bin; override with
# `make PYTHON=/path/to/python3.12`.
SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
ifndef PYTHON
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c '$(SUPPORTED)' >/dev/null 2>&1 && { command -v $$p; break; }; \
	done)
endif
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: all test setup lint format lock envs clean help

# After kill -9 the run resumes: the stale lock is removed (only if no Snakemake runs here) and
# --rerun-incomplete re-runs the jobs that were cut off.
all: $(STAMP)  ## Set up, then run the whole pipeline (does nothing when up to date)
	python workflow/scripts/unlock_stale.py
	snakemake --cores $(CORES) --rerun-incomplete

test: $(STAMP)  ## Set up, then run the whole test suite (on CORES workers)
	pytest -n $(CORES)

setup: $(STAMP)  ## Build .venv from the lock file

$(STAMP): requirements-dev.lock pyproject.toml
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c '$(SUPPORTED)' >/dev/null 2>&1; then \
		echo "figtrace needs Python 3.11, 3.12 or 3.13; found: $$(python3 --version 2>&1 || echo 'no python3') $(if $(PYTHON),(PYTHON=$(PYTHON)))." >&2; \
		echo "Install one (e.g. 'apt install python3.12-venv', 'pyenv install 3.13', 'conda create -n figtrace python=3.13')," >&2; \
		echo "put it on PATH, or run: make PYTHON=/path/to/python3.13" >&2; \
		exit 1; \
	fi
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" \
		!= "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ]; then \
		echo "$(VENV) was built with another Python: rebuilding it"; rm -rf $(VENV); fi
	@echo "Building $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)  ## ruff, snakefmt and snakemake --lint
	ruff check src tests workflow bench notebooks
	ruff format --check src tests workflow bench notebooks
	snakefmt --check Snakefile workflow/rules
	snakemake --lint

format: $(STAMP)  ## Format Python and Snakemake files in place
	ruff format src tests workflow bench notebooks
	snakefmt Snakefile workflow/rules

# One universal lock per extra: each pin carries the environment markers it needs, so the same
# files install on Python 3.11, 3.12 and 3.13 (`--python-version 3.11` is the lowest supported).
# uv keeps the existing pins where they still fit and writes a file only when resolution succeeds.
UV_COMPILE := uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock"

lock: $(STAMP)  ## Re-resolve both lock files (all supported Pythons) and the conda environment
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock
	python workflow/scripts/conda_env.py requirements.lock > envs/figtrace.yaml.tmp \
		&& mv envs/figtrace.yaml.tmp envs/figtrace.yaml

clean:  ## Remove everything the pipeline wrote (never data/raw/)
	rm -rf data/processed/* results/* logs/* .snakemake

help:
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/:/'
