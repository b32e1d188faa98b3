#!/usr/bin/env bash
# The application's login role, for docker-compose.yml's PostgreSQL. The official image runs
# this once, when it initialises an empty data volume; for a volume made before, run it by hand
# (README, "Operations: database roles"). The role gets its privileges from the grant step of
# `manage.py migrate` (bankbuzz/dbroles.py), which runs as the owner, POSTGRES_USER.
set -euo pipefail
: "${POSTGRES_APP_PASSWORD:?POSTGRES_APP_PASSWORD must be set in .env: the password of the role bankbuzz_app}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE bankbuzz_app LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bankbuzz_app') \gexec
ALTER ROLE bankbuzz_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
SQL
