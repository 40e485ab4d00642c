"""The docker runtime driven through the real ``docker`` client, against a local server that
speaks the Docker Engine API (tests/emulator/fake_docker_engine.py): no engine runs on these machines."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from lsqm.config import Settings, load_settings
from lsqm.emulator import resolve_runtime
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import LocalStackInstall
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS
from .fake_docker_engine import FakeDockerEngine

pytestmark = pytest.mark.e2e

TOKEN = "ls-FAKE-auth-token-0123456789"


@pytest.fixture
def engine(
    httpserver: HTTPServer,
    localstack: LocalStackInstall,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeDockerEngine]:
    assert shutil.which("docker"), "the docker client is part of this machine's toolchain"
    fake = FakeDockerEngine(httpserver, localstack, tmp_path / "engine")
    monkeypatch.setenv("DOCKER_HOST", fake.docker_host)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    yield fake
    fake.close()


def test_auto_runtime_is_docker_only_when_a_daemon_answers(
    engine: FakeDockerEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_runtime(Settings()) == "docker"
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # a client, but nothing answers
    assert resolve_runtime(Settings()) == "host"


def test_validate_on_the_docker_runtime(
    engine: FakeDockerEngine, e2e_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", TOKEN)
    e2e_settings = load_settings(**{**e2e_settings.model_dump(), "runtime": "docker"})
    assert e2e_settings.localstack_auth_token is not None  # read from the environment
    client_homes = set(Path(tempfile.gettempdir()).glob("lsqm-docker-*"))
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = [add_local(store, ARCHS / n, ARCHS / n / "tests", n) for n in ("sqs_ok", "cognito")]
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    run = execute(e2e_settings, store, plan, on_result=lambda _r: None).to_json()

    by_name = {r.name: r.to_json() for r in store.results(plan.run_id).values()}
    assert by_name["sqs_ok"]["status"] == "PASSED", by_name["sqs_ok"]["message"]
    assert (by_name["cognito"]["status"], by_name["cognito"]["category"]) == (
        "FAILED",
        "emulator_unsupported",
    )
    assert run["emulator"]["runtime"] == "docker"
    assert run["emulator"]["version"] == e2e_settings.localstack_version

    # What the client asked the engine for: the pinned image, loopback only, removed on exit,
    # and the auth token in the container's environment (never on a command line or in logs).
    assert engine.removed and not engine.running() and not engine.containers
    container = engine.removed[0]
    assert container.body["Image"] == f"localstack/localstack:{e2e_settings.localstack_version}"
    assert container.binding["HostIp"] == "127.0.0.1"
    assert container.body["HostConfig"]["AutoRemove"] is True
    assert container.env["LOCALSTACK_AUTH_TOKEN"] == TOKEN
    assert container.env["DNS_ADDRESS"] == "0"
    assert set(Path(tempfile.gettempdir()).glob("lsqm-docker-*")) == client_homes  # cleaned up
    written = "".join(p.read_text(errors="replace") for p in store.root.rglob("*") if p.is_file())
    assert TOKEN not in written
