"""Ctrl-C, timeouts and resume, through the real ``lsqm`` command in a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lsqm.ingest import add_local
from lsqm.store import ArtifactStore

from ..conftest import ARCHS

pytestmark = pytest.mark.e2e

# Every wait below ends on an event (a result file written, a process gone); this ceiling only
# stops a test that would otherwise hang. It is generous: a loaded 2-core machine may take
# minutes to start LocalStack, deploy, or end a run's process groups.
CEILING_S = 900
# The resumed run's stage limit: long enough that init and apply finish on a loaded machine,
# so the hanging test, not another stage, is what times out.
RESUME_STAGE_LIMIT_S = 60


def _processes_under(marker: str) -> list[str]:
    """Live processes whose environment mentions ``marker`` (our private TMPDIR)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (proc / "stat").read_text().split()[2]
                if state != "Z":
                    found.append(f"{proc.name}: {cmd[:120]}")
        except OSError:
            continue
    return found


def _lsqm(args: list[str], tmp: Path, cache_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "LSQM_CACHE_DIR": str(cache_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "lsqm.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with SIGINT ignored, and Python then keeps ignoring
        # it; the Ctrl-C these tests send must reach lsqm as it would from a terminal.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_mid_run(
    tmp_path: Path, cache_dir: Path, signum: int, emulator: str = "localstack"
) -> tuple[Path, Path, list[str], str, str, str]:
    """Start ``lsqm validate`` on a passing and a hanging architecture, wait until the first
    result is written and the hanging test runs, send ``signum``, and check what every way of
    ending a run promises: exit 130, no process and no temp folder left, results kept."""
    # A short private TMPDIR: every child lsqm starts carries it, so it marks them all, and
    # every temp folder lsqm makes lands in it.
    private_tmp = Path(tempfile.mkdtemp(prefix="lq", dir="/tmp"))
    artifacts = tmp_path / "artifacts"
    store = ArtifactStore(artifacts)
    ok = add_local(store, ARCHS / "sqs_ok", ARCHS / "sqs_ok" / "tests", "sqs_ok")
    hang = add_local(store, ARCHS / "hanging", ARCHS / "hanging" / "tests", "hanging")
    run_id = "20260101T000000Z-abcdef"
    args = [
        "--artifacts", str(artifacts), "validate", "--runtime", "host", "--run-id", run_id,
        "--arch", ok, "--arch", hang, "--timeout", "300", "--emulator", emulator,
    ]  # fmt: skip
    child = _lsqm(args, private_tmp, cache_dir)
    results = artifacts / "runs" / run_id / "results"
    deadline = time.monotonic() + CEILING_S
    while not (results / f"{ok}.json").exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "first result never appeared"
        time.sleep(0.5)
    while not any("sleep 3600" in p for p in _processes_under(str(private_tmp))):
        assert time.monotonic() < deadline, "the hanging test never started"
        time.sleep(0.5)
    child.send_signal(signum)
    _out, err = child.communicate(timeout=CEILING_S)  # the run ends: its process is gone
    assert child.returncode == 130, err
    assert "resume with" in err and "Traceback" not in err
    assert _processes_under(str(private_tmp)) == []  # no terraform, pytest, sleep or emulator
    assert sorted(p.name for p in private_tmp.iterdir()) == []  # no workspace, no emulator dir

    run = json.loads((artifacts / "runs" / run_id / "run.json").read_text())
    assert run["status"] == "interrupted"
    kept = json.loads((results / f"{ok}.json").read_text())
    assert kept["status"] == "PASSED"
    assert not (results / f"{hang}.json").exists()  # no half-made verdict for the interrupted one
    private_tmp.rmdir()
    return private_tmp, artifacts, args, ok, hang, kept["started_at"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_terminate_and_hangup_end_a_run_like_ctrl_c(
    tmp_path: Path, cache_dir: Path, toolchain: object, localstack: object, signum: int
) -> None:
    _interrupt_mid_run(tmp_path, cache_dir, signum)


def test_ctrl_c_keeps_results_kills_children_and_resume_finishes(
    tmp_path: Path, cache_dir: Path, toolchain: object, localstack: object
) -> None:
    private_tmp, _artifacts, args, ok, hang, started_at = _interrupt_mid_run(
        tmp_path, cache_dir, signal.SIGINT
    )
    private_tmp.mkdir()
    # Resume: only the unfinished architecture runs; its test hangs and hits the time limit.
    resume = list(args)
    resume[resume.index("--timeout") + 1] = str(RESUME_STAGE_LIMIT_S)
    resume += ["--format", "json"]
    child = _lsqm(resume, private_tmp, cache_dir)
    out, err = child.communicate(timeout=CEILING_S)
    assert child.returncode == 0, err
    data = json.loads(out)
    assert data["run_id"] == args[args.index("--run-id") + 1]
    assert "resuming run" in err
    by_hash = {r["arch_hash"]: r for r in data["results"]}
    assert by_hash[ok]["started_at"] == started_at  # untouched
    timed_out = by_hash[hang]
    assert (timed_out["status"], timed_out["category"]) == ("TIMEOUT", "timeout")
    assert timed_out["stages"]["test"]["timed_out"] is True
    assert data["summary"]["PASSED"] == 1 and data["summary"]["TIMEOUT"] == 1
    assert _processes_under(str(private_tmp)) == []  # the killed test left no sleeper behind
