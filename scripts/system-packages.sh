#!/usr/bin/env bash
# Install Debian packages lsqm uses when they are missing: bubblewrap (the sandbox for
# strangers' Terraform and tests) and, for the test suite, chromium (the report's browser
# tests). Quiet when all are present; a machine without apt or root keeps going (lsqm then
# says what it lacks: validate runs unsandboxed with a warning in run.json).
# Usage: scripts/system-packages.sh COMMAND:PACKAGE ...   e.g. bwrap:bubblewrap
set -uo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
if command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) …" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
    || echo "could not install ${missing[*]}; install them yourself" >&2
else
  echo "no apt-get here: install ${missing[*]} yourself" >&2
fi
exit 0
