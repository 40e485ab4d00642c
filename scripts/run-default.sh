#!/usr/bin/env bash
# README command 1: the main job on the embedded default. Sets up everything it needs
# (lsqm, LocalStack as a host process, the offline Terraform toolchain, the bubblewrap
# sandbox when apt allows), then validates the bundled examples with their tests.
# Results land in ./lsqm-artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh bwrap:bubblewrap
VENV=$(bash scripts/bootstrap.sh)
exec "$VENV/bin/lsqm" run "$@"
