"""Usage errors, bad configuration, JSON output and signals at the command line: one clear
sentence and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore

from .conftest import ARCHS


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "--shard", "5/2"], "--shard"),
        (["validate", "--shard", "x"], "--shard must look like I/N"),
        (["validate", "--arch", "0123456789abcdef"], "unknown architecture"),
        (["validate"], "no architectures"),
        (["validate", "--runtime", "external"], "needs --endpoint"),
        (["add", "."], "not a folder with Terraform"),
        (["validate", "--parallel", "0"], "Invalid value"),
        (["nonsense"], "No such command"),
        (["sensitivity", "0123456789abcdef"], "unknown architecture"),
        (["sensitivity"], "no architectures with tests"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_sentence(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    if args[:2] in (["validate", "--arch"], ["validate", "--runtime"]) or args[0] == "sensitivity":
        store = ArtifactStore(tmp_path / "a")
        store.add_architecture(ARCHS / "sqs_ok", ArchitectureRecord(name="x"))
    code, _out, err = _run_cli(["--artifacts", str(tmp_path / "a"), *args], capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("timeout: [oops\n", "is not valid YAML at line"),
        ("timout: 5\n", "unknown setting 'timout'"),
        ("parallel: 0\n", "setting 'parallel'"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_bad_config_is_exit_2(
    text: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lsqm.yaml"
    config.write_text(text)
    code, _out, err = _run_cli(["--config", str(config), "status"], capsys)
    assert code == 2 and needle in err and "Traceback" not in err


def test_status_json_prints_only_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ArtifactStore(tmp_path / "a")
    store.add_architecture(ARCHS / "sqs_ok", ArchitectureRecord(name="sqs_ok"))
    code, out, _err = _run_cli(["--artifacts", str(store.root), "status", "--format", "json"],
                               capsys)  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["architectures"] == 1 and data["apps"] == 0


def test_add_prints_hash_and_stores_tests_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    art = tmp_path / "a"
    code, out, _ = _run_cli(
        ["--artifacts", str(art), "add", str(ARCHS / "sqs_ok"), "--tests",
         str(ARCHS / "sqs_ok" / "tests"), "--format", "json"], capsys,
    )  # fmt: skip
    assert code == 0
    arch_hash = json.loads(out)["hash"]
    store = ArtifactStore(art)
    assert not (store.architecture_dir(arch_hash) / "tests").exists()
    assert (store.app_dir(arch_hash) / "test_queue.py").is_file()
    app = store.app(arch_hash)
    assert app is not None and app.generator == "hand-written"
    assert store.architecture(arch_hash).services == ["sqs"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_turn_into_interrupt(signum: int) -> None:
    from lsqm.cli import _signals_interrupt

    with _signals_interrupt(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
        time.sleep(1)
