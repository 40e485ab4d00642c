"""``lsqm add PATH [--tests DIR]``: store one local architecture and its hand-written tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from lsqm.cli import App, format_option, lsqm_command, print_json
from lsqm.errors import UsageError
from lsqm.generation.metrics import measure
from lsqm.store import ArtifactStore
from lsqm.terraform.hcl import local_module_dirs, parse_module
from lsqm.terraform.inventory import module_inventory
from lsqm.terraform.normalize import IGNORED_NAMES

TEST_FILE_SUFFIXES = (".py", ".json", ".txt")


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
        arch_hash = store.add_architecture(staging, _metadata(staging, name or path.name, path))
    if tests is not None:
        files = {
            p.name: p.read_text(encoding="utf-8")
            for p in sorted(tests.iterdir())
            if p.is_file() and p.suffix in TEST_FILE_SUFFIXES
        }
        meta = {
            "generator": "hand-written",
            "source": str(tests),
            "model": None,
            # Counted from the code like generated apps; which resource a hand-written test
            # covers is not knowable from it, so coverage is not claimed.
            "metrics": measure(files, coverage=[]),
        }
        store.write_app(arch_hash, files, meta)
    return arch_hash


def _metadata(folder: Path, name: str, origin: Path) -> dict[str, Any]:
    modules = [parse_module(folder), *(parse_module(d) for d in local_module_dirs(folder))]
    inventory = module_inventory(modules)
    return {
        "name": name,
        "source": {"kind": "local", "url": None, "path": str(origin), "commit": None},
        "resource_types": inventory.resource_types,
        "services": inventory.services,
        "providers": inventory.providers,
    }


@click.command("add")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--tests",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="folder of hand-written test_*.py for this architecture",
)
@click.option("--name", help="a readable name (default: the folder's name)")
@format_option
@lsqm_command
def add(app: App, path: Path, tests: Path | None, name: str | None, fmt: str) -> None:
    """Store one local architecture (and its hand-written tests); print its hash."""
    arch_hash = add_local(app.store, path, tests, name)
    if fmt == "json":
        print_json({"hash": arch_hash})
    else:
        click.echo(arch_hash)


COMMANDS = [add]
