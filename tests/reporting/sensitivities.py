"""Sensitivity reports written as ``lsqm sensitivity`` writes them (its own records and
``summary``), for the report's tests."""

from __future__ import annotations

from lsqm.files import atomic_write_json
from lsqm.store import ArtifactStore
from lsqm.validation.sensitivity import CAUGHT, SURVIVED, ArchSensitivity, FaultOutcome, summary


def outcome(fault_id: str, kind: str) -> FaultOutcome:
    service, rest = fault_id.split(".", 1)
    operation = rest.split(":", 1)[0]
    caught = kind == CAUGHT
    return FaultOutcome(
        fault_id, service, operation, fault_id.rsplit(":", 1)[1], kind,
        "" if caught else "no test notices it", "PARTIAL" if caught else "PASSED",
        "emulator_behaviour" if caught else None, "", 1.0,
    )  # fmt: skip


def measured(
    arch_hash: str, name: str, generator: str, caught: int, survived: int
) -> ArchSensitivity:
    faults = [outcome(f"sqs.ReceiveMessage:c{i}", CAUGHT) for i in range(caught)]
    faults += [outcome(f"sqs.ReceiveMessage:s{i}", SURVIVED) for i in range(survived)]
    return ArchSensitivity(arch_hash, name, generator, {"status": "PASSED"}, faults=faults)


def unmeasured(arch_hash: str, name: str, generator: str) -> ArchSensitivity:
    arch = ArchSensitivity(arch_hash, name, generator, {"status": "FAILED"})
    arch.note = "the control run did not pass (FAILED): nothing to measure"
    return arch


def write_report(store: ArtifactStore, sid: str, archs: list[ArchSensitivity]) -> None:
    report = {"id": sid, "architectures": [a.to_json() for a in archs], **summary(archs)}
    atomic_write_json(store.sensitivity_path(sid), report)
