#!/usr/bin/env bash
# `manage.py check --deploy` under production settings must print no warning.
set -euo pipefail
cd "$(dirname "$0")/.."
env -u DEBUG \
  DEBUG=0 \
  SECRET_KEY="check-deploy-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
  CREDENTIALS_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
  ALLOWED_HOSTS=bankbuzz.example \
  DATABASE_URL="${DATABASE_URL:-postgres://localhost/bankbuzz}" \
  REDIS_URL="${REDIS_URL:-redis://localhost:6379/0}" \
  X_API_BASE_URL=https://api.x.com \
  GRAPH_API_BASE_URL=https://graph.facebook.com \
  LINKEDIN_API_BASE_URL=https://api.linkedin.com \
  .venv/bin/python manage.py check --deploy --fail-level WARNING
