"""What a generator works from: an architecture's files and the resources its HCL declares.

Resources are addressed the way ``terraform show -json`` addresses them, without instance
keys (``module.net.aws_subnet.private``), so a generated test can find them in the state.
Local modules are followed; registry modules cannot be read offline and are listed instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore
from lsqm.terraform.hcl import Block, parse_module

MAX_MODULE_DEPTH = 6


@dataclass(frozen=True)
class TfResource:
    """One ``resource`` block, at its state address."""

    address: str
    type: str
    name: str
    block: Block
    repeated: bool  # count / for_each on it or on an enclosing module call

    @property
    def is_aws(self) -> bool:
        return self.type.startswith("aws_")

    def literal(self, name: str) -> Any:
        return self.block.literal(name)

    def declares(self, name: str) -> bool:
        return name in self.block.attributes or bool(self.block.children(name))


@dataclass
class Architecture:
    hash: str
    folder: Path
    record: ArchitectureRecord
    resources: list[TfResource] = field(default_factory=list)
    remote_modules: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.record.name or self.hash

    def by_type(self, resource_type: str) -> list[TfResource]:
        return [r for r in self.resources if r.type == resource_type]


def load_architecture(store: ArtifactStore, arch_hash: str) -> Architecture:
    record = store.architecture(arch_hash)
    return read_architecture(store.architecture_dir(arch_hash), arch_hash, record)


def read_architecture(
    folder: Path, arch_hash: str, record: ArchitectureRecord | Mapping[str, Any]
) -> Architecture:
    """The generator's view of the architecture in ``folder`` (``record``: its stored
    record, or the fields of one)."""
    if not isinstance(record, ArchitectureRecord):
        record = ArchitectureRecord.model_validate(dict(record))
    arch = Architecture(hash=arch_hash, folder=folder, record=record)
    _read_module(arch, folder, prefix="", repeated=False, depth=0)
    return arch


def _read_module(arch: Architecture, folder: Path, prefix: str, repeated: bool, depth: int) -> None:
    module = parse_module(folder)
    for block in module.blocks("resource"):
        if len(block.labels) != 2:
            continue
        rtype, name = block.labels
        arch.resources.append(
            TfResource(
                address=f"{prefix}{rtype}.{name}",
                type=rtype,
                name=name,
                block=block,
                repeated=repeated or _repeats(block),
            )
        )
    for call in module.module_calls:
        if not call.labels:
            continue
        source = call.literal("source")
        child = f"{prefix}module.{call.labels[0]}."
        local = isinstance(source, str) and source.startswith(("./", "../"))
        target = (folder / source).resolve() if isinstance(source, str) and local else None
        inside = target is not None and target.is_relative_to(arch.folder.resolve())
        if target is None or not inside or not target.is_dir() or depth >= MAX_MODULE_DEPTH:
            arch.remote_modules.append(f"{child.rstrip('.')} ({source})")
            continue
        _read_module(arch, target, child, repeated or _repeats(call), depth + 1)


def _repeats(block: Block) -> bool:
    return "count" in block.attributes or "for_each" in block.attributes
