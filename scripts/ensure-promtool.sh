#!/usr/bin/env bash
# The alert rules (deploy/prometheus/alerts.yml) are checked and unit-tested with Prometheus'
# promtool, from Debian's `prometheus` package; install it when we can, explain when we cannot.
set -euo pipefail
command -v promtool >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing promtool (Debian's prometheus package) for the alert-rule tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  exit 0
fi
echo "The alert-rule tests need promtool: install it with 'sudo apt-get install prometheus'." >&2
exit 1
