#!/usr/bin/env bash
# Runs the whole test suite; called by `make test` with DATABASE_URL and REDIS_URL set.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1

scripts/ensure-chromium.sh
scripts/check-deploy.sh
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Model changes without a migration: run manage.py makemigrations" >&2
  exit 1
}
exec .venv/bin/pytest "$@"
