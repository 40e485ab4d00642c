"""The AWS provider schemas tests check lsqm against: 3.39.0 read from the real provider binary
(``terraform providers schema -json`` in a workspace initialised against the offline mirror),
and 6.62.0 as the names-only fixture ``scripts/provider_schema_fixture.py`` derives."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lsqm.terraform.provider_schema import AWS_SOURCES, ProviderCapabilities, aws_capabilities
from lsqm.terraform.runner import Terraform
from lsqm.toolchain.terraform_install import OFFLINE_AWS_VERSION, TerraformToolchain

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "provider_schemas"


_READ: dict[tuple[Path, Path, str], tuple[dict[str, Any], ProviderCapabilities]] = {}


def _read(
    toolchain: TerraformToolchain, version: str
) -> tuple[dict[str, Any], ProviderCapabilities]:
    key = (toolchain.binary, toolchain.cli_config, version)
    if key not in _READ:
        _READ[key] = _read_once(toolchain, version)
    return _READ[key]


def _read_once(
    toolchain: TerraformToolchain, version: str
) -> tuple[dict[str, Any], ProviderCapabilities]:
    work = Path(tempfile.mkdtemp(prefix="lsqm-schema-"))
    try:
        (work / "home").mkdir()
        ws = work / "ws"
        ws.mkdir()
        (ws / "main.tf").write_text(
            'terraform {\n  required_providers {\n'
            f'    aws = {{ source = "hashicorp/aws", version = "{version}" }}\n  }}\n}}\n'
        )  # fmt: skip
        tf = Terraform(toolchain, work / "home", {})
        init = tf(["init", "-input=false", "-no-color"], cwd=ws, timeout=300)
        assert init.ok, init.output
        caps = aws_capabilities(tf, ws, work / "cache", timeout=300)
        assert caps is not None and caps.version == version
        shown = tf(["providers", "schema", "-json"], cwd=ws, timeout=300)
        assert shown.ok, shown.output
        document = json.loads(shown.output[shown.output.index("{") :])
        return document["provider_schemas"][caps.source], caps
    finally:
        shutil.rmtree(work, ignore_errors=True)


def real_schema(toolchain: TerraformToolchain) -> tuple[dict[str, Any], ProviderCapabilities]:
    """The installed AWS provider's whole schema and the capabilities lsqm reads from it."""
    version = toolchain.offline_providers.get("hashicorp/aws", OFFLINE_AWS_VERSION)
    return _read(toolchain, version)


def fixture_schema(version: str = "6.62.0") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"hashicorp_aws_{version}.json").read_text())
    return data


def fixture_capabilities(version: str = "6.62.0") -> ProviderCapabilities:
    """What lsqm would read from that provider's schema, built from the names fixture."""
    data = fixture_schema(version)
    assert data["source"] in AWS_SOURCES
    provider = data["provider"]
    return ProviderCapabilities(
        data["source"], data["version"], frozenset(provider["arguments"]),
        tuple(sorted(provider["endpoints"])),
    )  # fmt: skip
