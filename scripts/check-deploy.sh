#!/usr/bin/env bash
# Under production settings: `manage.py check --deploy` prints no warning, and
# `collectstatic` (what the Docker image runs) succeeds with the manifest storage.
set -euo pipefail
cd "$(dirname "$0")/.."
static_root=$(mktemp -d)
trap 'rm -rf "$static_root"' EXIT
production() {
  env -u DEBUG \
    DEBUG=0 \
    SECRET_KEY="check-deploy-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
    CREDENTIALS_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    PAN_VAULT_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    ALLOWED_HOSTS=bankbuzz.example \
    DATABASE_URL="${DATABASE_URL:-postgres://localhost/bankbuzz}" \
    REDIS_URL="${REDIS_URL:-redis://localhost:6379/0}" \
    X_API_BASE_URL=https://api.x.com \
    GRAPH_API_BASE_URL=https://graph.facebook.com \
    LINKEDIN_API_BASE_URL=https://api.linkedin.com \
    STATIC_ROOT="$static_root" \
    "$@"
}
production .venv/bin/python manage.py check --deploy --fail-level WARNING
production .venv/bin/python manage.py collectstatic --noinput -v0
echo "collectstatic under production settings: ok"
