"""Generate apps for many architectures: pick, generate, gate, measure, store.

One architecture's failure is recorded and the run goes on; an exhausted token budget
stops the run cleanly (what was stored stays, the rest is reported as not attempted).
Hand-written apps (``lsqm add --tests``) are never replaced, even with ``force``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from lsqm.errors import GateRefused, GenerationError, TokenBudgetExhausted
from lsqm.generation.architecture import load_architecture
from lsqm.generation.gate import GateReport, gate
from lsqm.generation.interface import Generator
from lsqm.generation.metrics import measure
from lsqm.records import AppRecord
from lsqm.store import ArtifactStore

GENERATED_BY = ("rules", "claude")

Status = Literal["generated", "exists", "kept", "failed", "not_attempted"]


@dataclass
class Outcome:
    arch_hash: str
    status: Status
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"arch_hash": self.arch_hash, "status": self.status}
        if self.message:
            data["message"] = self.message
        if self.metrics:
            data["metrics"] = self.metrics
        data["seconds"] = round(self.seconds, 3)
        return data


def generate_one(store: ArtifactStore, generator: Generator, arch_hash: str) -> Outcome:
    """Generate, gate and store the app of one architecture."""
    start = time.monotonic()
    arch = load_architecture(store, arch_hash)
    app = generator.generate(arch)
    report = app.gate if isinstance(app.gate, GateReport) else gate(app.files)
    if not report.ok:
        raise GateRefused(report.problems)
    metrics = measure(app.files, app.coverage)
    meta = {
        "generator": generator.name,
        "architecture": arch.name,
        **app.meta,
        "checks": report.to_json(),
        "metrics": metrics,
        "coverage": [c.to_json() for c in app.coverage],
    }
    if arch.remote_modules:
        meta["unread_modules"] = arch.remote_modules
    store.write_app(arch_hash, app.files, AppRecord.model_validate(meta))
    return Outcome(arch_hash, "generated", metrics=metrics, seconds=time.monotonic() - start)


def generate_apps(
    store: ArtifactStore,
    generator: Generator,
    hashes: Iterable[str],
    *,
    force: bool = False,
    progress: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    pending = list(hashes)
    for index, arch_hash in enumerate(pending):
        existing = store.app(arch_hash)
        if existing is not None and existing.generator not in GENERATED_BY:
            outcome = Outcome(arch_hash, "kept", "hand-written tests are kept")
        elif existing is not None and not force:
            outcome = Outcome(arch_hash, "exists", "has an app (use --force to replace it)")
        else:
            try:
                outcome = generate_one(store, generator, arch_hash)
            except TokenBudgetExhausted as exc:
                outcomes += [Outcome(h, "not_attempted", exc.message) for h in pending[index:]]
                for left in outcomes[-(len(pending) - index) :]:
                    progress(left)
                return outcomes
            except GenerationError as exc:
                outcome = Outcome(arch_hash, "failed", exc.message)
        outcomes.append(outcome)
        progress(outcome)
    return outcomes
