#!/usr/bin/env bash
# README command 2: the whole test suite, end-to-end tests included (real LocalStack,
# real Terraform, the report in a real Chromium), after ruff and mypy (strict on src/).
# Provisions the toolchain first so the tests measure lsqm, not downloads. Tests that need
# ../shared/corpus skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's Chromium for the report's browser tests (Playwright's own download cannot work
# offline). Quiet when it is there already; apt's errors still reach stderr.
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq chromium >/dev/null \
    || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium >/dev/null; }
fi
VENV=$(bash scripts/bootstrap.sh)
"$VENV/bin/lsqm" setup
"$VENV/bin/ruff" check src tests benchmarks
"$VENV/bin/ruff" format --check src tests benchmarks
"$VENV/bin/mypy"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
