"""``lsqm generate`` with the built-in generator, through the CLI entry point."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from lsqm.cli import main
from lsqm.records import AppRecord, ArchitectureRecord
from lsqm.store import ArtifactStore

FIXTURES = Path(__file__).parent / "fixtures"


def run(store: ArtifactStore, *args: str) -> tuple[int, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--artifacts", str(store.root), *args])
    text = out.getvalue().strip()
    return code, json.loads(text) if text else None


@pytest.fixture
def two(store: ArtifactStore) -> list[str]:
    return [
        store.add_architecture(FIXTURES / "orders", ArchitectureRecord(name="orders")),
        store.add_architecture(FIXTURES / "mixed", ArchitectureRecord(name="mixed")),
    ]


def test_generates_every_architecture_without_an_app(store: ArtifactStore, two) -> None:
    code, summary = run(store, "generate", "--format", "json")
    assert code == 0
    assert summary["generator"] == "rules" and summary["counts"] == {"generated": 2}
    app = store.app(two[0])
    assert app.generator == "rules" and app.architecture == "orders"
    assert app.checks == {"collected": 4, "passed": True, "problems": [], "syntax": "ok"}
    assert app.metrics["resources_behavioural"] == 2
    assert [c["address"] for c in app.coverage] == [
        "aws_sqs_queue.orders",
        "aws_ssm_parameter.level",
    ]
    assert store.app(two[1]).unread_modules == ["module.remote (terraform-aws-modules/sqs/aws)"]


def test_existing_apps_are_kept_unless_forced(store: ArtifactStore, two) -> None:
    run(store, "generate", "--arch", two[0])
    first = store.app(two[0]).created_at
    code, summary = run(store, "generate", "--format", "json")
    assert code == 0
    assert [r["status"] for r in summary["results"]] == ["exists", "generated"]
    code, summary = run(store, "generate", "--force", "--arch", two[0], "--format", "json")
    assert summary["counts"] == {"generated": 1}
    assert store.app(two[0]).created_at >= first


def test_hand_written_tests_are_never_replaced(store: ArtifactStore, two) -> None:
    store.write_app(
        two[0], {"test_mine.py": "def test_x():\n    pass\n"}, AppRecord(generator="hand")
    )
    code, summary = run(store, "generate", "--force", "--arch", two[0], "--format", "json")
    assert code == 0 and summary["results"][0]["status"] == "kept"
    assert (store.app_dir(two[0]) / "test_mine.py").is_file()


def test_unknown_architecture_is_a_usage_error(store: ArtifactStore, two, capsys) -> None:
    code, _ = run(store, "generate", "--arch", "ffffffffffffffff")
    assert code == 2
    assert "no architecture ffffffffffffffff" in capsys.readouterr().err


def test_dry_run_writes_nothing(store: ArtifactStore, two) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--artifacts", str(store.root), "--dry-run", "generate", "--format", "json"])
    assert code == 0
    assert json.loads(out.getvalue()) == {"generator": "rules", "would_generate": two}
    assert not store.has_app(two[0])
