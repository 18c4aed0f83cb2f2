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
# mkdocs-material prints a banner about its successor on every build; keep the output readable.
export NO_MKDOCS_2_WARNING := 1

.PHONY: all test setup slurm-setup lint format lock envs docs docs-figures docs-serve clean help

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

# The SLURM executor plugin is an extra, not in .venv by default: Snakemake imports every installed
# executor plugin at each start, and this one imports pandas (about 0.5 s a start).
slurm-setup: $(STAMP)  ## Add the SLURM executor plugin to .venv (for --profile workflow/profiles/slurm)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-slurm.lock

lint: $(STAMP)  ## ruff, snakefmt and snakemake --lint
	ruff check src tests workflow bench notebooks docs
	ruff format --check src tests workflow bench notebooks docs
	snakefmt --check Snakefile workflow/rules
	snakemake --lint

format: $(STAMP)  ## Format Python and Snakemake files in place
	ruff format src tests workflow bench notebooks docs
	snakefmt Snakefile workflow/rules

# One universal lock per extra: each pin carries the environment markers it needs, so the same
# files install on Python 3.11, 3.12 and 3.13 (`--python-version 3.11` is the lowest supported).
# uv keeps the existing pins where they still fit and writes a file only when resolution succeeds.
UV_COMPILE := uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock"

# requirements-slurm.lock (runtime + slurm extra) is constrained by the dev lock, so installing it
# on top of .venv adds the plugin and changes no other pin.
lock: $(STAMP)  ## Re-resolve the three lock files (all supported Pythons) and the conda environment
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock
	$(UV_COMPILE) --extra slurm -c requirements-dev.lock -o requirements-slurm.lock
	python workflow/scripts/conda_env.py requirements.lock > envs/figtrace.yaml.tmp \
		&& mv envs/figtrace.yaml.tmp envs/figtrace.yaml

# The site's figures come from the pipeline's outputs (make all) and are drawn anew each time:
# the DAG needs Graphviz (apt-get install graphviz), the screenshots Chromium (apt-get install
# chromium); without them the figure is a note saying what to install, and the build goes on.
docs-figures: all
	python workflow/scripts/docs_figures.py --project . --out docs/assets/generated

docs: docs-figures  ## Build the documentation site into site/ (mkdocs build --strict)
	mkdocs build --strict --site-dir site
	@echo "Open site/index.html (from disk) or run: make docs-serve"

docs-serve: docs-figures  ## Serve the documentation site at http://127.0.0.1:8000 while you edit
	mkdocs serve --dev-addr 127.0.0.1:8000

clean:  ## Remove everything the pipeline wrote (never data/raw/)
	rm -rf data/processed/* results/* logs/* .snakemake docs/assets/generated site

help:
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/:/'
