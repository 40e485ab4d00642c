"""Usage errors, the process door, child environments, the store and provider overrides —
the plumbing every stage relies on, checked without an emulator."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from lsqm import proc
from lsqm.childenv import aws_env, child_env
from lsqm.cli import main
from lsqm.content import content_hash
from lsqm.ingest import add_local
from lsqm.records import ArchitectureRecord, Result, Run, Status
from lsqm.redact import redact
from lsqm.store import ArtifactStore, new_run_id
from lsqm.terraform.provider_schema import ProviderCapabilities
from lsqm.terraform.workspace import prepare, render_provider, write_provider_overrides
from lsqm.validation.run import plan_run

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
    ],
)
def test_usage_errors_exit_2_with_one_clear_sentence(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    if args[:2] in (["validate", "--arch"], ["validate", "--runtime"]):
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


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '300']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(300)"
    )
    start = time.monotonic()
    result = proc.run([sys.executable, "-c", script], env=child_env(tmp_path), timeout=2)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - start < 10
    pid = int(marker.read_text())
    time.sleep(0.2)
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split()[2] == "Z"  # gone, or a dead zombie


def test_busy_time_counts_children_running_side_by_side_once(tmp_path: Path) -> None:
    with proc.record_spans() as recorder:
        start = time.monotonic()
        side = threading.Thread(target=proc.run, args=(["sleep", "1"],), kwargs={"env": {}})
        side.start()
        proc.run(["sleep", "1"], env=child_env(tmp_path))
        side.join()
        time.sleep(0.5)  # nothing runs now
        end = time.monotonic()
    busy = recorder.busy_seconds(start, end)
    assert 0.9 < busy < 1.4, busy  # one second of children, not two
    assert end - start - busy >= 0.45
    proc.run(["true"], env=child_env(tmp_path))  # after the block: nothing more is recorded
    assert len(recorder.spans) == 2


def test_abort_check_stops_a_command_early(tmp_path: Path) -> None:
    start = time.monotonic()
    result = proc.run(["sleep", "60"], env=child_env(tmp_path), timeout=30, abort=lambda: True)
    assert result.aborted and time.monotonic() - start < 5


def test_child_environment_holds_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret-key-value")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    env = child_env(tmp_path, aws_env("http://127.0.0.1:1", "us-east-1"))
    assert env["AWS_SECRET_ACCESS_KEY"] == "test" and "AWS_PROFILE" not in env
    for name in ("GITHUB_TOKEN", "ANTHROPIC_API_KEY", "SLACK_WEBHOOK_URL"):
        assert name not in env
    assert env["HOME"] == str(tmp_path)
    with pytest.raises(ValueError):
        child_env(tmp_path, {"GITHUB_TOKEN": "x"})


def test_logs_are_redacted(tmp_path: Path) -> None:
    token = os.environ["GITHUB_TOKEN"]
    log = tmp_path / "out.log"
    result = proc.run(["echo", f"token={token} key=sk-ant-abcdefghijklmnop"],
                      env=child_env(tmp_path), log_path=log)  # fmt: skip
    assert token not in result.output and token not in log.read_text()
    assert "sk-ant-abcdefghijklmnop" not in log.read_text()
    assert "[REDACTED]" in redact("hook https://hooks.slack.com/services/A/B/C")


def test_run_ids_sort_by_time_and_writes_are_atomic(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    early = new_run_id(datetime(2026, 1, 1, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 2, tzinfo=UTC))
    store = ArtifactStore(tmp_path)
    for run_id in (late, early):
        store.write_run(Run(run_id=run_id))
    assert store.run_ids() == [early, late]
    store.write_result(Result(run_id=early, arch_hash="abc", status=Status.PASSED))
    leftovers = [p for p in (store.run_dir(early) / "results").iterdir() if p.suffix != ".json"]
    assert leftovers == []


def test_content_hash_ignores_formatting_and_comments(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (a, b, c):
        folder.mkdir()
    (a / "main.tf").write_text('resource "x" "y" {\n  url = "http://h/#x"\n}\n')
    (b / "main.tf").write_text('# note\nresource "x" "y" {   url = "http://h/#x" // c\n}')
    (c / "main.tf").write_text('resource "x" "y" {\n  url = "http://h/#z"\n}\n')
    assert content_hash(a) == content_hash(b) != content_hash(c)


CAPS_3 = ProviderCapabilities(
    "registry.terraform.io/hashicorp/aws", "3.39.0",
    frozenset({"region", "s3_force_path_style", "skip_get_ec2_platforms", "max_retries",
               "skip_credentials_validation", "skip_metadata_api_check",
               "skip_requesting_account_id"}),
    ("s3", "sqs"),
)  # fmt: skip
CAPS_5 = ProviderCapabilities(
    "registry.terraform.io/hashicorp/aws",
    "5.80.0",
    frozenset({"region", "s3_use_path_style", "skip_credentials_validation"}),
    ("s3", "sqs", "sfn"),
)


def test_provider_override_follows_the_installed_schema() -> None:
    three = render_provider(CAPS_3, "http://127.0.0.1:9", "us-east-1")
    assert "s3_force_path_style = true" in three and "skip_get_ec2_platforms" in three
    five = render_provider(CAPS_5, "http://127.0.0.1:9", "us-east-1", alias="west")
    assert "s3_use_path_style = true" in five and "s3_force_path_style" not in five
    assert "skip_get_ec2_platforms" not in five and 'alias = "west"' in five
    assert 'sfn = "http://127.0.0.1:9"' in five and "region" not in five


def test_workspace_overrides_cover_backend_aliases_and_modules(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    (arch / "modules" / "m").mkdir(parents=True)
    (arch / "main.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n'
        '  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n  }\n}\n'
        'provider "aws" {\n  alias = "west"\n  region = "us-west-2"\n}\n'
        'module "m" {\n  source = "./modules/m"\n}\n'
    )
    module_tf = 'provider "aws" {\n  region = "eu-west-1"\n}\n'
    (arch / "modules" / "m" / "main.tf").write_text(module_tf)
    ws = prepare(arch, tmp_path / "ws", relax=True)
    assert 'backend "local"' in (ws.root / "lsqm_backend_override.tf").read_text()
    assert ">= 0.1" in (ws.root / "lsqm_relax_override.tf").read_text()
    write_provider_overrides(ws, CAPS_3, "http://127.0.0.1:9", "us-east-1")
    root_override = (ws.root / "lsqm_provider_override.tf").read_text()
    assert 'alias = "west"' in root_override
    assert (ws.root / "lsqm_provider.tf").is_file()  # no default provider block to override
    module_override = (ws.root / "modules" / "m" / "lsqm_provider_override.tf").read_text()
    assert 'sqs = "http://127.0.0.1:9"' in module_override
    assert (arch / "main.tf").read_text().count("override") == 0  # originals untouched


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_turn_into_interrupt(signum: int) -> None:
    from lsqm.cli import _signals_interrupt

    with _signals_interrupt(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
        time.sleep(1)


def test_workspace_never_follows_symlinks_or_escapes(tmp_path: Path) -> None:
    from lsqm.errors import StoreError

    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    arch = tmp_path / "arch"
    arch.mkdir()
    (arch / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (arch / "leak.txt").symlink_to(secret)
    ws = prepare(arch, tmp_path / "ws", relax=False)
    assert not (ws.root / "leak.txt").exists()
    with pytest.raises(StoreError):
        prepare(arch, tmp_path / "ws2", "../..", relax=False)


def test_a_run_starts_with_what_took_longest_last_time(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    fast, slow, new = (
        add_local(store, ARCHS / name, ARCHS / name / "tests", name)
        for name in ("sqs_ok", "cognito", "empty_tests")
    )
    earlier = new_run_id()
    store.write_run(Run(run_id=earlier))
    for arch_hash, seconds in ((fast, 3.0), (slow, 44.0)):
        store.write_result(
            Result(run_id=earlier, arch_hash=arch_hash, status=Status.PASSED, duration_s=seconds)
        )
    plan = plan_run(store, run_id=None, arch=None, shard=None)
    # history first; no history: an estimate from what it declares (one SQS queue: ~7 s)
    assert plan.todo == [slow, new, fast]
    # Shards are cut by expected seconds: the 44 s one alone, the two short ones together.
    halves = [plan_run(store, run_id=None, arch=None, shard=(i, 2)).todo for i in (1, 2)]
    assert halves == [[slow], [new, fast]]
