# BankBuzz. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help run test lint format manage test-unit test-integration test-e2e test-faults check-deploy bench eval train clean screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "BankBuzz needs Python 3.11 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) ## Set everything up and start web, worker, beat and the sandbox
	@$(BIN)/python -m bankbuzz.devstack run

test: $(STAMP) ## Lint, then unit, integration and browser tests
	@$(MAKE) --no-print-directory lint
	@$(BIN)/python -m bankbuzz.devstack exec -- scripts/test.sh

lint: $(STAMP) ## ruff check, ruff format --check and the import contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-faults: $(STAMP) ## Reliability drills (kill, restart, flood); see docs/reliability.md
	@DEBUG=1 CELERY_QUEUE=bankbuzz-faults-$$$$ $(BIN)/python -m bankbuzz.devstack exec -- $(BIN)/pytest -m faults

manage: $(STAMP) ## Any manage.py command against the same servers as `make run`: make manage ARGS="..."
	@$(BIN)/python -m bankbuzz.devstack manage -- $(ARGS)

screenshots: $(STAMP) ## Every page of every role at 1440x900, 1024x768 and 390x844, light and dark, into docs/screenshots/pages/
	@$(BIN)/python -m bankbuzz.devstack exec -- scripts/screenshots.sh

check-deploy: $(STAMP) ## manage.py check --deploy under production settings
	@scripts/check-deploy.sh

SCALE ?= 10k,100k,1m
bench: $(STAMP) ## Seed bench databases (SCALE=10k,100k,1m) and measure; see docs/benchmarks.md
	@$(BIN)/python -m bankbuzz.devstack exec -- $(BIN)/python -m bench --scale $(SCALE)

eval: $(STAMP) ## Measure sentiment, intent, needs-a-reply and language on the held-out set; writes docs/understanding.md
	$(BIN)/python -m listening.enrichment.evaluate

train: $(STAMP) ## Retrain the understanding model from tests/fixtures/understanding/train.jsonl (EXTRA=corrections.jsonl)
	$(BIN)/python -m listening.enrichment.train $(if $(EXTRA),--extra $(EXTRA))

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var staticfiles
