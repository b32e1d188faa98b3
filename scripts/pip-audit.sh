#!/usr/bin/env bash
# Checks the pinned requirements against the Python Packaging Advisory Database (pip-audit).
# It needs the PyPI vulnerability service: without a network it says so and skips, so CI
# never fails for lack of a connection. Each known finding we accept is listed, with its
# reason, in .pip-audit-ignore ("ID  # why"); anything else fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if ! "$PY" - <<'PY' 2>/dev/null
import json, urllib.request
# The service pip-audit asks: PyPI's JSON API, whose answers carry a "vulnerabilities" list.
with urllib.request.urlopen("https://pypi.org/pypi/django/4.2/json", timeout=10) as response:
    assert "vulnerabilities" in json.load(response)
PY
then
  echo "pip-audit: SKIPPED: the PyPI vulnerability service (pypi.org/pypi/<name>/<version>/json)" >&2
  echo "pip-audit: cannot be reached from here (offline, or a mirror without the JSON API)." >&2
  echo "pip-audit: run 'scripts/pip-audit.sh' on a machine with network access before a release." >&2
  exit 0
fi

ignores=()
if [[ -f .pip-audit-ignore ]]; then
  while read -r id _; do
    [[ -z "$id" || "$id" == \#* ]] && continue
    ignores+=(--ignore-vuln "$id")
  done < .pip-audit-ignore
fi

# --no-deps: the files pin everything we install; --disable-pip: no resolver, no download.
exec "$PY" -m pip_audit --progress-spinner off --timeout 30 --no-deps --disable-pip \
  -r requirements.txt -r requirements-dev.txt "${ignores[@]}"
