#!/usr/bin/env bash
# README command 2: the whole test suite, end-to-end tests included (real LocalStack,
# real Terraform, the report in a real Chromium), after ruff and mypy (strict on src/).
# Provisions the toolchain first so the tests measure lsqm, not downloads. Tests that need
# ../shared/corpus skip without it.
# The tests not marked e2e run first, on every core; then the end-to-end tests on two workers,
# a file to a worker (each test starts its own emulator on a free port and mostly waits on it,
# Terraform and pytest; installs into the cache take a lock), with the slowest named at the
# end so the suite's time is watched. LSQM_E2E_WORKERS=0 runs them one at a time.
#   --unit   the fast loop: every test not marked e2e, on every core (pytest-xdist), nothing
#            provisioned (only ./.venv), no lint; under a minute. Further arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--unit" ]; then
  shift
  VENV=$(bash scripts/bootstrap.sh)
  exec "$VENV/bin/python" -m pytest -p no:cacheprovider -m "not e2e" -n auto "$@"
fi
bash scripts/system-packages.sh bwrap:bubblewrap chromium:chromium
VENV=$(bash scripts/bootstrap.sh)
"$VENV/bin/lsqm" setup
"$VENV/bin/ruff" check src tests benchmarks scripts
"$VENV/bin/ruff" format --check src tests benchmarks scripts
"$VENV/bin/mypy"
pytest_half() {  # exit 5 is "nothing collected": a path given in "$@" may hold only one half
  "$VENV/bin/python" -m pytest -p no:cacheprovider "$@" || [ $? -eq 5 ]
}
pytest_half -m "not e2e" -n auto "$@"
E2E_WORKERS=${LSQM_E2E_WORKERS:-2}
if [ "$E2E_WORKERS" = "0" ]; then
  pytest_half -m e2e --durations=25 "$@"
else
  pytest_half -m e2e --durations=25 -n "$E2E_WORKERS" --dist loadfile "$@"
fi
