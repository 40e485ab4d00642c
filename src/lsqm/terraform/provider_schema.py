"""What the *installed* AWS provider accepts, read from ``terraform providers schema -json``
once per provider version and cached, so the override works with 3.x here and 5.x/6.x
for users (endpoint names and the S3 path-style argument change between releases)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsqm.errors import CommandError
from lsqm.files import atomic_write_json, read_json
from lsqm.terraform.hcl import parse_file
from lsqm.terraform.runner import Terraform

AWS_SOURCES = ("registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws")

_lock = threading.Lock()


@dataclass(frozen=True)
class ProviderCapabilities:
    source: str
    version: str
    arguments: frozenset[str]  # top-level provider arguments
    endpoints: tuple[str, ...]  # non-deprecated names of the endpoints block

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "version": self.version,
            "arguments": sorted(self.arguments),
            "endpoints": list(self.endpoints),
        }


def locked_provider_versions(workspace: Path) -> dict[str, str]:
    """``{source: version}`` that ``terraform init`` selected, from the lock file."""
    lock = workspace / ".terraform.lock.hcl"
    if not lock.is_file():
        return {}
    found = {}
    for block in parse_file(lock).blocks:
        if block.type == "provider" and block.labels and isinstance(block.literal("version"), str):
            found[block.labels[0]] = str(block.literal("version"))
    return found


def aws_capabilities(
    terraform: Terraform, workspace: Path, cache_dir: Path, timeout: float
) -> ProviderCapabilities | None:
    """Capabilities of the AWS provider selected in ``workspace`` (None if it uses none)."""
    versions = locked_provider_versions(workspace)
    source = next((s for s in AWS_SOURCES if s in versions), None)
    if source is None:
        return None
    version = versions[source]
    cache = cache_dir / f"{re.sub(r'[^A-Za-z0-9.]+', '_', source)}_{version}.json"
    with _lock:
        if cache.is_file():
            data = read_json(cache)
            return ProviderCapabilities(
                data["source"],
                data["version"],
                frozenset(data["arguments"]),
                tuple(data["endpoints"]),
            )
        result = terraform(["providers", "schema", "-json"], cwd=workspace, timeout=timeout)
        if not result.ok:
            raise CommandError(result.argv, result.exit_code, result.output)
        caps = _from_schema(json.loads(_json_part(result.output)), source, version)
        atomic_write_json(cache, caps.to_json())
        return caps


def _json_part(output: str) -> str:
    start = output.find("{")
    return output[start:] if start >= 0 else output


def _from_schema(schema: dict[str, Any], source: str, version: str) -> ProviderCapabilities:
    block = schema["provider_schemas"][source]["provider"]["block"]
    arguments = frozenset(block.get("attributes", {}))
    endpoints_block = block.get("block_types", {}).get("endpoints", {}).get("block", {})
    endpoints = tuple(
        sorted(
            name
            for name, attr in endpoints_block.get("attributes", {}).items()
            if not attr.get("deprecated")
        )
    )
    return ProviderCapabilities(source, version, arguments, endpoints)
