# BankBuzz. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help run logins totp test lint format manage test-unit test-integration test-e2e test-faults check-deploy bench eval train clean screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "BankBuzz needs Python 3.11 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
# Progress on one line: the first install fetches some 150 packages and takes minutes.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "[bankbuzz] installing the pinned requirements into $(VENV) (the first time takes a few minutes)"
	@set -o pipefail; $(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt 2>&1 \
	  | awk '/^(Collecting|Requirement already satisfied)/ {n++; printf "\r[bankbuzz]   %d packages checked (%s)\033[K", n, ($$1 == "Collecting" ? $$2 : $$4); fflush(); next} \
	         /^Installing collected/ {printf "\n[bankbuzz]   installing...\n"; n=0; fflush(); next} \
	         /^Successfully installed/ {print "[bankbuzz]   done"; fflush(); next} \
	         /^(ERROR|error|WARNING)/ || seen_error {seen_error=1; print; fflush()} \
	         END {if (n) print ""}' \
	  || { echo "[bankbuzz] error: installing the requirements failed; see the lines above"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) ## Set everything up and start web, worker, beat and the sandbox
	@$(BIN)/python -m bankbuzz.devstack run

logins: ## Print the address and the demo logins of `make run` again
	@$(PYTHON) -m bankbuzz.devstack logins

totp: ## Print the current code of the demo logins' authenticator
	@$(PYTHON) devtools/demo/totp.py

test: $(STAMP) ## Lint, then unit, integration and browser tests
	@$(MAKE) --no-print-directory lint
	@$(BIN)/python -m bankbuzz.devstack exec -- scripts/test.sh

lint: $(STAMP) ## ruff check, ruff format --check, the import contracts (pyproject.toml), module and function sizes
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_sizes.py

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
bench: $(STAMP) ## Seed bench databases (SCALE=10k,100k,1m mentions; 10kconv,100kconv,1mconv conversations) and measure; see docs/benchmarks.md
	@$(BIN)/python -m bankbuzz.devstack exec -- $(BIN)/python -m bench --scale $(SCALE)

eval: $(STAMP) ## Measure sentiment, intent, needs-a-reply and language on the held-out set; writes docs/understanding.md
	$(BIN)/python -m listening.enrichment.evaluate

train: $(STAMP) ## Retrain the understanding model from tests/fixtures/understanding/train.jsonl (EXTRA=corrections.jsonl)
	$(BIN)/python -m listening.enrichment.train $(if $(EXTRA),--extra $(EXTRA))

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var staticfiles
