"""Put architectures into the store by hand: one local folder with its hand-written tests
(``lsqm add``), or the bundled examples (the embedded default of ``lsqm run``)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lsqm.config import bundled_examples
from lsqm.content import IGNORED_NAMES
from lsqm.errors import UsageError
from lsqm.generation.metrics import measure
from lsqm.records import AppRecord, ArchitectureRecord, Source
from lsqm.store import ArtifactStore
from lsqm.terraform.hcl import local_module_dirs, parse_module
from lsqm.terraform.inventory import module_inventory

TEST_FILE_SUFFIXES = (".py", ".json", ".txt")
HAND_WRITTEN = "hand-written"


def add_local(
    store: ArtifactStore, path: Path, tests: Path | None = None, name: str | None = None
) -> str:
    """Store the architecture at ``path`` (minus its tests folder) and its tests; return hash."""
    path = path.resolve()
    if not path.is_dir() or not any(path.glob("*.tf")):
        raise UsageError(f"{path} is not a folder with Terraform (*.tf) files")
    tests = tests.resolve() if tests else None
    if tests is not None and (not tests.is_dir() or not any(tests.glob("test_*.py"))):
        raise UsageError(f"{tests} has no test_*.py files; point --tests at the tests folder")
    with tempfile.TemporaryDirectory(prefix="lsqm-add-") as tmp:
        staging = Path(tmp) / "arch"
        skip = {tests.name} if tests is not None and tests.parent == path else set()
        shutil.copytree(
            path,
            staging,
            symlinks=False,
            ignore=lambda folder, names: [
                n for n in names if n in IGNORED_NAMES or (Path(folder) == path and n in skip)
            ],
        )
        arch_hash = store.add_architecture(staging, _record(staging, name or path.name, path))
    if tests is not None:
        files = {
            p.name: p.read_text(encoding="utf-8")
            for p in sorted(tests.iterdir())
            if p.is_file() and p.suffix in TEST_FILE_SUFFIXES
        }
        # Counted from the code like generated apps; which resource a hand-written test
        # covers is not knowable from it, so coverage is not claimed.
        metrics = measure(files, coverage=[])
        app = AppRecord(generator=HAND_WRITTEN, source=str(tests), metrics=metrics)
        store.write_app(arch_hash, files, app)
    return arch_hash


def _record(folder: Path, name: str, origin: Path) -> ArchitectureRecord:
    modules = [parse_module(folder), *(parse_module(d) for d in local_module_dirs(folder))]
    inventory = module_inventory(modules)
    return ArchitectureRecord(
        name=name,
        source=Source(kind="local", path=str(origin)),
        resource_types=inventory.resource_types,
        services=inventory.services,
        providers=inventory.providers,
    )


def add_bundled_examples(store: ArtifactStore) -> list[str]:
    """Store every bundled example with its hand-written tests (``<example>/tests``)."""
    examples = bundled_examples()
    if examples is None:
        return []
    hashes = []
    for folder in sorted(p for p in examples.iterdir() if p.is_dir() and any(p.glob("*.tf"))):
        tests = folder / "tests"
        hashes.append(add_local(store, folder, tests if tests.is_dir() else None))
    return hashes
