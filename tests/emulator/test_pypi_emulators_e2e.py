"""MiniStack and LocalEmu, installed from PyPI into date-locked venvs and run as host
processes: started on a free loopback port, healthy on their own health path, reporting
their version, reset between architectures (proven: a queue made before the reset is gone
after it), stopped with nothing left behind, also when lsqm is interrupted."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from lsqm.cli import main
from lsqm.emulator.interface import Emulator
from lsqm.emulator.localemu import HostLocalEmu
from lsqm.emulator.ministack import MiniStackServer
from lsqm.toolchain.emulator_install import EmulatorInstall, ensure_emulator

from ..validation.test_interrupt_e2e import _interrupt_mid_run

pytestmark = pytest.mark.e2e

VERSIONS = {"ministack": "1.5.33", "localemu": "1.3.2"}


def _make(name: str, install: EmulatorInstall, workdir: Path) -> Emulator:
    if name == "ministack":
        return MiniStackServer(install, workdir=workdir)
    return HostLocalEmu(install, workdir=workdir, dynamodb_via_moto=False)


@pytest.fixture(params=sorted(VERSIONS))
def emulator(request: pytest.FixtureRequest, cache_dir: Path, tmp_path: Path) -> Iterator[Emulator]:
    name = str(request.param)
    made = _make(name, ensure_emulator(cache_dir, name, VERSIONS[name]), tmp_path / "emu")
    made.start()
    yield made
    made.stop()


def _sqs(endpoint: str) -> object:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_reset_empties_state_between_architectures(emulator: Emulator) -> None:
    assert emulator.endpoint.startswith("http://127.0.0.1:")
    assert emulator.healthy()
    info = emulator.info()
    assert (info.kind, info.version) == (emulator.kind, VERSIONS[emulator.kind])
    sqs = _sqs(emulator.endpoint)
    sqs.create_queue(QueueName="from-the-previous-architecture")  # type: ignore[attr-defined]
    listed = sqs.list_queues().get("QueueUrls", [])  # type: ignore[attr-defined]
    assert any(u.endswith("/from-the-previous-architecture") for u in listed)
    assert emulator.reset_or_restart() == "reset"  # its reset endpoint, not a restart
    assert emulator.restarts == 0
    assert sqs.list_queues().get("QueueUrls", []) == []  # type: ignore[attr-defined]


def test_stop_leaves_no_process_or_folder(emulator: Emulator) -> None:
    child = getattr(emulator, "_proc")  # noqa: B009 - the process this test must see gone
    folder = getattr(emulator, "_owned_dir")  # noqa: B009
    assert child is not None and folder is not None and folder.is_dir()
    emulator.stop()
    assert not emulator.alive() and not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # the whole group is gone, not only the leader


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_stops_ministack_like_the_other_runtimes(
    tmp_path: Path, cache_dir: Path, toolchain: object, signum: int
) -> None:
    # No ministack process, workspace or emulator folder is left; results written are kept.
    _interrupt_mid_run(tmp_path, cache_dir, signum, emulator="ministack")


def test_versions_side_by_side_and_setup_list(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = ensure_emulator(cache_dir, "ministack", "1.5.32")
    newer = ensure_emulator(cache_dir, "ministack", "1.5.33")
    assert older.venv != newer.venv and older.venv.parent.name == "1.5.32"
    # Each is date-locked to its own release day.
    assert older.meta["exclude_newer"] < newer.meta["exclude_newer"]
    args = ["--artifacts", str(tmp_path), "setup", "--emulator", "ministack", "--list"]
    code = main([*args, "--format", "json"])
    listing = json.loads(capsys.readouterr().out)
    assert code == 0 and listing["emulator"] == "ministack"
    assert {"1.5.32", "1.5.33"} <= set(listing["installed"])
    assert listing["default"] == VERSIONS["ministack"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "* 1.5.32" in text and "* 1.5.33" in text and "[default]" in text


def test_localemus_answer_on_localstacks_reset_path_empties_nothing(
    cache_dir: Path, tmp_path: Path
) -> None:
    # Why lsqm installs its own reset into LocalEmu: nothing in LocalEmu routes
    # /_localstack/state/reset, whatever it answers there.
    emu = _make("localemu", ensure_emulator(cache_dir, "localemu", VERSIONS["localemu"]), tmp_path)
    emu.start()
    try:
        sqs = _sqs(emu.endpoint)
        sqs.create_queue(QueueName="survives")  # type: ignore[attr-defined]
        answer = httpx.post(emu.endpoint + "/_localstack/state/reset", timeout=30)
        listed = sqs.list_queues().get("QueueUrls", [])  # type: ignore[attr-defined]
        assert any(u.endswith("/survives") for u in listed), answer.status_code
    finally:
        emu.stop()
