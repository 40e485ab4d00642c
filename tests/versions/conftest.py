"""Shared by the versions tests: the bundled examples in a fresh store, run through the
CLI in-process (``lsqm.cli.main``) against the lsqm cache the suite uses."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lsqm.cli import main
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore

from ..conftest import REPO

EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if any(p.glob("*.tf")))
# CI validates a representative subset on each version and on moto (every service family
# the examples use that behaves differently somewhere, plus DynamoDB via moto and Kinesis's
# node child); LSQM_ALL_EXAMPLES=1 runs every example (the README's figures). Read once:
# the autouse fixture clears LSQM_* variables inside tests.
ALL_EXAMPLES = os.environ.get("LSQM_ALL_EXAMPLES") == "1"
CI_EXAMPLES = [
    "apigateway_mock",
    "cloudwatch_alarm",
    "cloudwatch_logs",
    "dynamodb_table",
    "kinesis_stream",
    "sns_sqs",
    "stepfunctions_pass",
]
CHOSEN = [p.name for p in EXAMPLES] if ALL_EXAMPLES else CI_EXAMPLES


def add_examples(root: Path, names: list[str] | None = None) -> dict[str, str]:
    """Store the bundled examples (or those named) with their tests; name -> hash."""
    store = ArtifactStore(root)
    chosen = [p for p in EXAMPLES if names is None or p.name in names]
    return {p.name: add_local(store, p, p / "tests", p.name) for p in chosen}


def lsqm_json(
    args: list[str], capsys: pytest.CaptureFixture[str], expect: int = 0
) -> dict[str, Any]:
    code = main(args)
    out, err = capsys.readouterr()
    assert code == expect, err[-2000:]
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.fixture
def lsqm_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LSQM_CACHE_DIR", str(cache_dir))
    return cache_dir
