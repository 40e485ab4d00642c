"""The shape every test generator has, and what it hands back.

A generator turns an :class:`~lsqm.generation.architecture.Architecture` into a
:class:`GeneratedApp` (flat file names -> text, plus per-resource coverage); the caller
gates it, measures it and stores it. Generators never write to the store themselves; their
errors (:class:`~lsqm.errors.GenerationError` and kin) live in :mod:`lsqm.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lsqm.generation.architecture import Architecture

CoverageLevel = Literal["behavioural", "existence", "none"]


@dataclass
class ResourceCoverage:
    address: str
    type: str
    level: CoverageLevel
    tests: list[str] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"address": self.address, "type": self.type, "level": self.level}
        if self.tests:
            data["tests"] = self.tests
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class GeneratedApp:
    """Test files for one architecture, before the gate.

    ``meta`` holds generator-specific facts for app.json (model, tokens, cost, prompt cuts).
    """

    files: dict[str, str]
    coverage: list[ResourceCoverage]
    meta: dict[str, Any] = field(default_factory=dict)
    gate: Any = None  # a GateReport when the generator already gated these exact files


class Generator(Protocol):
    name: str

    def generate(self, arch: Architecture) -> GeneratedApp: ...
