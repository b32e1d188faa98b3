#!/usr/bin/env bash
# Screenshots of every page for every role at 1440x900, 1024x768 and 390x844, in the light and the
# dark colour scheme, into docs/screenshots/pages/<role>/<page>-<size>-<scheme>.png.
# Called by `make screenshots` with DATABASE_URL and REDIS_URL set: it is the accessibility walk
# (tests/e2e/test_accessibility.py) on a fresh test database with the demo organisation, photographed;
# its checks run too, and their failures are reported after the screenshots are written.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1
export CELERY_QUEUE=bankbuzz-screenshots-$$
scripts/ensure-chromium.sh
out="$PWD/docs/screenshots/pages"
rm -rf "$out"
status=0
BANKBUZZ_SCREENSHOTS="$out" .venv/bin/pytest -q -p no:cacheprovider tests/e2e/test_accessibility.py || status=$?
echo "$(find "$out" -name '*.png' | wc -l) screenshots in docs/screenshots/pages ($(du -sh "$out" | cut -f1))"
exit "$status"
