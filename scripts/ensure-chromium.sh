#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when we can, explain when we cannot.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium from Debian's packages for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium at $CHROMIUM: install it with 'sudo apt-get install chromium'" >&2
echo "(or set CHROMIUM_PATH to another Chromium binary)." >&2
exit 1
