#!/usr/bin/env bash
# Make ./.venv with lsqm (and its dev tools) installed; safe to run again.
# Needs only python3 >= 3.11 and PyPI. Prints the venv's path.
# LSQM_PYTHON picks the interpreter, LSQM_VENV the folder (CI keeps one per Python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${LSQM_PYTHON:-python3}
VENV=${LSQM_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -m uv --version >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv >&2
fi
"$VENV/bin/python" -m uv pip install -q -p "$VENV/bin/python" -e '.[dev]' >&2
cd "$VENV" && pwd
