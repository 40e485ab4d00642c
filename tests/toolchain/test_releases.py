"""Which LocalStack versions exist and when each was released, read from a package index's
JSON API (a real local HTTP server speaking PyPI's shape), cached for offline use; the
date lock derived from it; disk use of installs that share files with uv's cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from lsqm.cli import main
from lsqm.errors import ToolMissing, UsageError
from lsqm.toolchain import localstack_install, releases, venvs

INDEX = {
    "info": {"name": "localstack-core"},
    "releases": {
        "2026.3.0": [{"upload_time": "2026-03-23T07:17:04", "yanked": False}],
        "4.14.0": [
            {"upload_time": "2026-02-26T10:15:53", "yanked": False},
            {"upload_time": "2026-02-26T10:14:00", "yanked": False},
        ],
        "4.14.1.dev3": [{"upload_time": "2026-02-27T09:47:36", "yanked": False}],
        "4.9.0": [{"upload_time": "2025-10-02T07:32:38", "yanked": False}],
        "4.13.0": [{"upload_time": "2026-01-29T07:55:44", "yanked": False}],
        "2.0.0": [{"upload_time": "2023-03-30T13:22:05", "yanked": True}],
        "4.10.0": [],  # no files: cannot be installed, not listed
    },
}


@pytest.fixture
def index(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    httpserver.expect_request("/pypi/localstack-core/json").respond_with_json(INDEX)
    monkeypatch.setattr(releases, "PYPI_JSON", httpserver.url_for("/pypi/{name}/json"))
    return httpserver


def test_semver_and_calver_releases_in_one_order_dev_builds_hidden(
    index: HTTPServer, tmp_path: Path
) -> None:
    found = localstack_install.available_versions(tmp_path)
    assert [r.version for r in found] == ["4.9.0", "4.13.0", "4.14.0", "2026.3.0"]
    everything = localstack_install.available_versions(tmp_path, prereleases=True)
    assert [r.version for r in everything] == [
        "2.0.0", "4.9.0", "4.13.0", "4.14.0", "4.14.1.dev3", "2026.3.0"
    ]  # fmt: skip
    assert everything[0].yanked
    # The earliest file of a release is its release time.
    assert releases.release(tmp_path, "localstack-core", "4.14.0").uploaded == "2026-02-26T10:14:00"


def test_the_date_lock_is_the_day_after_the_release(index: HTTPServer, tmp_path: Path) -> None:
    day = releases.release(tmp_path, "localstack-core", "2026.3.0").day
    assert venvs.exclude_newer(day) == "2026-03-24"
    assert venvs.exclude_newer("2026-02-28") == "2026-03-01"


def test_the_range_between_two_releases_includes_both_ends(
    index: HTTPServer, tmp_path: Path
) -> None:
    assert localstack_install.release_range(tmp_path, "2026.3.0", "4.9.0") == [
        "4.9.0", "4.13.0", "4.14.0", "2026.3.0"
    ]  # fmt: skip
    assert localstack_install.release_range(tmp_path, "4.13.0", "4.14.0") == ["4.13.0", "4.14.0"]
    with pytest.raises(UsageError, match=r"no release 4\.99\.0"):
        localstack_install.release_range(tmp_path, "4.9.0", "4.99.0")
    with pytest.raises(UsageError, match="same version"):
        localstack_install.release_range(tmp_path, "4.9.0", "4.9.0")


def test_the_index_is_cached_and_used_when_pypi_is_out_of_reach(
    index: HTTPServer, tmp_path: Path
) -> None:
    releases.releases(tmp_path, "localstack-core")
    index.clear()  # the index now answers 500 to everything
    index.expect_request("/pypi/localstack-core/json").respond_with_data("down", status=503)
    found = releases.releases(tmp_path, "localstack-core", refresh=True)
    assert "2026.3.0" in [r.version for r in found]
    # Asking without a cache, with the index down, says what is missing.
    with pytest.raises(ToolMissing, match="cannot read the releases of localstack-core"):
        releases.releases(tmp_path / "other", "localstack-core")


def test_unknown_version_and_network_down_are_one_sentence_with_exit_codes(
    index: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["--artifacts", str(tmp_path / "a"), "setup", "--runtime", "host"]
    monkeypatch.setenv("LSQM_CACHE_DIR", str(tmp_path / "cache"))
    assert main([*args, "--localstack-version", "4.99.0"]) == 2
    err = capsys.readouterr().err
    assert "localstack-core has no release 4.99.0 on PyPI (latest: " in err
    assert "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.startswith("error")] == [err.splitlines()[-1]]
    index.clear()
    index.expect_request("/pypi/localstack-core/json").respond_with_data("", status=503)
    monkeypatch.setenv("LSQM_CACHE_DIR", str(tmp_path / "cold"))
    assert main([*args, "--localstack-version", "4.13.0"]) == 3
    err = capsys.readouterr().err
    assert "cannot read the releases of localstack-core from PyPI" in err
    assert "Traceback" not in err
    assert main([*args, "--localstack-version", "4.13.0;rm"]) == 2
    assert "is not a LocalStack version" in capsys.readouterr().err


def test_setup_list_shows_installed_and_available_versions_as_json(
    index: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    fake = cache / "localstack" / "4.14.0"
    (fake / "venv" / "bin").mkdir(parents=True)
    (fake / "venv" / "bin" / "python").write_text("")
    (fake / "venv" / "blob").write_bytes(b"x" * 100_000)
    (fake / "installed.json").write_text(
        '{"version": "4.14.0", "python_version": "3.13", "released": "2026-02-26",'
        ' "install_seconds": 18.3}'
    )
    monkeypatch.setenv("LSQM_CACHE_DIR", str(cache))
    code = main(["--artifacts", str(tmp_path / "a"), "setup", "--list", "--format", "json"])
    listing = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [v["version"] for v in listing["versions"]] == [
        "4.9.0", "4.13.0", "4.14.0", "2026.3.0"
    ]  # fmt: skip
    assert listing["installed"] == ["4.14.0"]
    row = next(v for v in listing["versions"] if v["installed"])
    assert row["python"] == "3.13" and row["disk_bytes"] >= 100_000
    assert row["capabilities"] == "not probed yet"
    main(["--artifacts", str(tmp_path / "a"), "setup", "--list", "--all"])
    text = capsys.readouterr().out
    assert "4.14.1.dev3" in text and "* 4.14.0" in text and "yanked" in text


def test_disk_use_counts_hard_linked_files_once_and_apart(tmp_path: Path) -> None:
    shared = tmp_path / "uv-cache" / "blob"
    shared.parent.mkdir()
    shared.write_bytes(b"s" * 64_000)
    venv = tmp_path / "venv"
    venv.mkdir()
    os.link(shared, venv / "linked")
    os.link(venv / "linked", venv / "linked-again")
    (venv / "own").write_bytes(b"o" * 32_000)
    total, own = venvs.disk_usage(venv)
    assert 96_000 <= total < 96_000 + 3 * 4096
    assert 32_000 <= own < 32_000 + 4096
