#!/usr/bin/env bash
# Make ./.venv with lsqm (and its dev tools) installed; safe to run again.
# Needs only python3 >= 3.11 and PyPI. Prints the venv's path.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${LSQM_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv >&2
fi
if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q --disable-pip-version-check uv >&2
fi
.venv/bin/python -m uv pip install -q -p .venv/bin/python -e '.[dev]' >&2
echo "$PWD/.venv"
