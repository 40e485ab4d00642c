"""A run whose emulator cannot serve it is refused (exit 3, one sentence) and writes nothing:
no Docker daemon for ``--runtime docker``, an external endpoint not healthy on the health
path of the emulator it is said to be. Before, every architecture got ERROR/
emulator_unavailable and the run looked like a collapse of the emulator."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from lsqm.cli import main
from lsqm.config import EmulatorProfile, Settings
from lsqm.emulator import check_reachable, describe_target, resolve_runtime
from lsqm.errors import EmulatorUnavailable, UsageError
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore

from ..conftest import ARCHS


def _validate(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    store = ArtifactStore(tmp_path / "art")
    add_local(store, ARCHS / "sqs_ok", ARCHS / "sqs_ok" / "tests", "sqs_ok")
    config = tmp_path / "lsqm.yaml"
    config.write_text(f"artifacts_dir: {tmp_path / 'art'}\n")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), "validate", *args])
    return code, out.getvalue(), err.getvalue()


def _runs(tmp_path: Path) -> list[Path]:
    runs = tmp_path / "art" / "runs"
    return sorted(runs.iterdir()) if runs.is_dir() else []


def test_docker_with_no_daemon_exits_3_and_writes_no_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shutil.which("docker"), "the docker client is part of this machine's toolchain"
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # a client, no daemon answers
    code, out, err = _validate(tmp_path, "--runtime", "docker")
    assert code == 3
    assert "no Docker daemon answers" in err and "Nothing was validated" in err
    assert _runs(tmp_path) == [] and "PASSED" not in out


def test_an_external_endpoint_unhealthy_for_its_emulator_is_refused(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    # LocalEmu's health path answers; LocalStack's (the default emulator) does not.
    httpserver.expect_request("/_localemu/health").respond_with_json({"services": {}})
    code, _out, err = _validate(tmp_path, "--endpoint", httpserver.url_for("/"))
    assert code == 3
    assert "/_localstack/health" in err and "Nothing was validated" in err
    assert _runs(tmp_path) == []


def test_the_emulators_own_health_path_or_health_path_option_is_used(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/_localemu/health").respond_with_json({"services": {}})
    httpserver.expect_request("/_localemu/info").respond_with_json({"version": "1.3.2"})
    url = httpserver.url_for("/").rstrip("/")
    as_localemu = Settings(emulator="localemu", endpoint=url)
    check_reachable(as_localemu, resolve_runtime(as_localemu))  # healthy: no error
    unknown = Settings(emulator="floci", endpoint=url)
    with pytest.raises(EmulatorUnavailable, match="/_localstack/health"):
        check_reachable(unknown, "external")
    told = Settings(emulator="floci", endpoint=url, health_path="/_localemu/health")
    check_reachable(told, "external")
    info = describe_target(told.model_copy(update={"emulator_version": "0.9"}), "external")
    assert (info.kind, info.version) == ("floci", "0.9")


def test_a_profile_names_the_emulator_its_endpoint_and_reset(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data("ok")
    profile = EmulatorProfile(
        emulator="fakecloud",
        endpoint=httpserver.url_for("/"),
        health_path="/health",
        reset_url=httpserver.url_for("/reset"),
        version="2.1",
    )
    settings = Settings(emulator_profiles={"fc": profile}, profile="fc")
    assert resolve_runtime(settings) == "external"
    check_reachable(settings, "external")
    assert describe_target(settings, "external").model_dump()["kind"] == "fakecloud"
    with pytest.raises(UsageError, match="not in emulator_profiles"):
        resolve_runtime(Settings(profile="nope"))
    with pytest.raises(UsageError, match="does not run 'floci' itself"):
        resolve_runtime(Settings(emulator="floci"))
    with pytest.raises(UsageError, match="not docker"):
        resolve_runtime(Settings(emulator="ministack", runtime="docker"))
