#!/usr/bin/env bash
# Runs the whole test suite; called by `make test` with DATABASE_URL and REDIS_URL set.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1
# Tasks queued by tests must never reach the workers of a `make run` sharing this Redis.
export CELERY_QUEUE=bankbuzz-test-$$

scripts/ensure-chromium.sh
scripts/ensure-promtool.sh
scripts/check-deploy.sh
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Model changes without a migration: run manage.py makemigrations" >&2
  exit 1
}
exec .venv/bin/pytest "$@"
