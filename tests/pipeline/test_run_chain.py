"""``lsqm run`` as a chain, without an emulator: each stage says why it is skipped, a dry run
changes nothing, a failing stage keeps (and still pushes) what earlier stages wrote, GitHub
sources wait for a token, and an unfinished latest run is resumed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lsqm import proc
from lsqm.cli import main
from lsqm.config import load_settings
from lsqm.errors import ToolMissing
from lsqm.pipeline import chain
from lsqm.pipeline.stages import push
from lsqm.records import ArchitectureRecord, EmulatorInfo, Run, RunStatus
from lsqm.store import ArtifactStore

from ..helpers import EXAMPLES, bare_repo, git, remote_files, sources_yaml


def _replace(monkeypatch: pytest.MonkeyPatch, **stages: Callable[[Any], dict[str, Any]]) -> None:
    replaced = [(name, stages.get(name, stage)) for name, stage in chain.RUN_STAGES]
    monkeypatch.setattr(chain, "RUN_STAGES", replaced)


def _no_emulator(monkeypatch: pytest.MonkeyPatch, validate: Callable[[Any], Any]) -> None:
    _replace(monkeypatch, setup=lambda _ctx: {"what": "skipped here"}, validate=validate)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_WEBHOOK_URL")
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    sources_yaml(tmp_path, ["sqs_dlq", "ssm_parameters"])
    return tmp_path


def _tree(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*")} if root.exists() else {}


def test_a_dry_run_changes_nothing_and_says_what_each_stage_would_do(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = bare_repo(work / "remote.git")
    monkeypatch.setenv("ARTIFACT_REPO", str(remote))
    seed = ArtifactStore(work / "seed")
    seed.add_architecture(EXAMPLES / "kms_key", ArchitectureRecord(name="kms"))
    push(load_settings(), seed)
    assert main(["sync"]) == 0
    capsys.readouterr()
    before, refs = _tree(work), git("show-ref", cwd=remote)
    code, out, err = _run(["--dry-run", "run", "--format", "json"], capsys)
    assert code == 0, err
    assert _tree(work) == before and git("show-ref", cwd=remote) == refs
    stages = json.loads(out)["stages"]
    assert set(stages) == {n for n, _s in chain.RUN_STAGES}
    assert {n for n, s in stages.items() if s["status"] == "would"} == {
        "sync", "mine", "generate", "setup", "validate", "push"}  # fmt: skip
    assert "would mine examples (local)" in err and "would fast-forward" in err
    assert stages["notify"]["reason"] == "no webhook (SLACK_WEBHOOK_URL): no Slack message"
    assert stages["report"]["reason"] == "no run to report yet"
    assert stages["compare"]["reason"] == "the store's first run: nothing to compare with"


def test_each_stage_says_why_it_is_skipped_without_configuration(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_emulator(monkeypatch, lambda _ctx: {"what": "validated nothing"})
    code, _out, err = _run(["run"], capsys)
    assert code == 0, err
    assert (
        "== sync skipped: no artifact repository (ARTIFACT_REPO or the setting artifact_repo)"
        in err
    )
    assert "== push skipped: no artifact repository: the results stay in" in err
    assert "== notify skipped: no webhook (SLACK_WEBHOOK_URL)" in err
    assert "== reduce skipped: --reduce-new not given" in err
    assert "== mine done" in err and "new 2" in err
    assert "== generate done" in err and "generated 2" in err
    code, _out, err = _run(["run"], capsys)
    assert "new 0, unchanged 2" in err  # the second run finds nothing new to mine
    assert "== generate skipped: every architecture has tests (2)" in err


def test_a_failing_stage_keeps_and_pushes_the_work_before_it(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = bare_repo(work / "remote.git")
    monkeypatch.setenv("ARTIFACT_REPO", str(remote))

    def broken(_ctx: Any) -> dict[str, Any]:
        raise ToolMissing("terraform vanished")

    _no_emulator(monkeypatch, broken)
    code, out, err = _run(["run", "--format", "json"], capsys)
    assert code == 3 and "error: terraform vanished" in err
    stages = json.loads(out)["stages"]
    assert stages["validate"] == {"status": "failed", "seconds": stages["validate"]["seconds"],
                                  "reason": "terraform vanished"}  # fmt: skip
    assert {n: stages[n]["reason"] for n in ("report", "compare", "notify")} == dict.fromkeys(
        ("report", "compare", "notify"), "validate failed")  # fmt: skip
    assert stages["push"]["status"] == "ran"
    pushed = remote_files(remote)
    assert sum(p.endswith("architecture.json") for p in pushed) == 2
    assert sum(p.endswith("app.json") for p in pushed) == 2


def test_an_interrupt_pushes_nothing(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = bare_repo(work / "remote.git")
    monkeypatch.setenv("ARTIFACT_REPO", str(remote))

    def interrupted(_ctx: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    _no_emulator(monkeypatch, interrupted)
    # the CLI's interrupt handling marks this process as shutting down: only for this test
    monkeypatch.setattr(proc, "_shutting_down", threading.Event())
    code, _out, err = _run(["run"], capsys)
    assert code == 130
    assert "== push skipped: validate failed" in err
    assert remote_files(remote) == []


def test_github_sources_wait_for_a_token_while_local_ones_are_mined(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (work / "sources.yaml").read_text()
    text += "  - name: gh\n    kind: github_repos\n    repos: [acme/infra]\n"
    (work / "sources.yaml").write_text(text)
    monkeypatch.setenv("LSQM_DISCOVERY_GITHUB_API_URL", "http://127.0.0.1:9")  # never reached
    _no_emulator(monkeypatch, lambda _ctx: {})
    code, _out, err = _run(["run"], capsys)
    assert code == 0, err
    assert "GitHub sources skipped, no GITHUB_TOKEN: gh (local, git and registry" in err
    assert "skipped sources 1" in err and "errors 0" in err
    assert len(ArtifactStore(work / "lsqm-artifacts").architecture_hashes()) == 2


def test_claude_falls_back_to_rules_without_a_key(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LSQM_GENERATOR", "claude")
    _no_emulator(monkeypatch, lambda _ctx: {})
    code, _out, err = _run(["run"], capsys)
    assert code == 0, err
    assert "generate: the rules generator (no ANTHROPIC_API_KEY for claude)" in err
    store = ArtifactStore(work / "lsqm-artifacts")
    assert {store.app(h).generator for h in store.architecture_hashes()} == {"rules"}  # type: ignore[union-attr]


def test_an_unfinished_latest_run_is_resumed(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    settings = load_settings()
    assert chain.unfinished_run(settings, store) is None
    store.write_run(Run(run_id="20261206T000000Z-aaaaaa", status=RunStatus.COMPLETE))
    assert chain.unfinished_run(settings, store) is None
    store.write_run(Run(run_id="20261213T000000Z-bbbbbb", status=RunStatus.INTERRUPTED))
    assert chain.unfinished_run(settings, store) == "20261213T000000Z-bbbbbb"
    emulator = EmulatorInfo(runtime="host", version="2025.1.0")
    store.write_run(Run(run_id="20261213T000000Z-bbbbbb", status=RunStatus.RUNNING,
                        emulator=emulator))  # fmt: skip
    assert chain.unfinished_run(settings, store) is None  # another LocalStack: a new run
