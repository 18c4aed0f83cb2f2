# Two commands for a newcomer: `make all` runs the pipeline, `make test` runs the tests.
# Both build the virtual environment first (Python 3.11 + pip are all a fresh machine needs).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
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
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "figtrace needs Python 3.11, found " + sys.version.split()[0]'
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

lock:  ## Re-resolve the lock files and the conda environment (needs uv)
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 --generate-hashes -o requirements-dev.lock
	$(PYTHON) workflow/scripts/conda_env.py requirements.lock > envs/figtrace.yaml

clean:  ## Remove everything the pipeline wrote (never data/raw/)
	rm -rf data/processed/* results/* logs/* .snakemake

help:
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/:/'
