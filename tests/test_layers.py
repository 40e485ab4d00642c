"""Imports point down: every module of ``src/lsqm`` imports only its own package and the
layers below it (docs/architecture.md draws the same picture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "lsqm"

# Bottom first. A component is a top-level module or package of lsqm.
LAYERS: list[set[str]] = [
    {"errors"},
    {"files", "redact", "records", "content", "versions", "messages"},
    {"config", "childenv", "proc"},
    {"toolchain", "sandbox", "trace"},
    {"terraform"},
    {"store", "emulator"},
    {
        "discovery",
        "generation",
        "validation",
        "reduction",
        "ingest",
        "reporting",
        "artifact_repo",
        "notify",
    },
    {"pipeline"},
    {"commands"},
    {"cli"},
]
# Same-layer imports between different components: none unless listed here.
SIDEWAYS: set[tuple[str, str]] = {
    ("ingest", "generation"),
    ("notify", "reporting"),
    ("reduction", "validation"),
    ("reduction", "ingest"),
}
# Run inside other interpreters (LocalStack's venv, a generated app): they import no lsqm.
FOREIGN = {"emulator/localstack_plugin.py", "generation/rules/app", "trace/pytest_plugin.py"}


def _component(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "lsqm" and len(parts) > 1 else None


def _layer(component: str) -> int:
    for index, layer in enumerate(LAYERS):
        if component in layer:
            return index
    raise AssertionError(f"lsqm.{component} is in no layer: add it to LAYERS and the doc")


def _imports(src: Path = SRC) -> list[tuple[str, str, str]]:
    """(file, importing component, imported component) for every lsqm import under ``src``."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel == "__init__.py" or any(rel.startswith(f) for f in FOREIGN):
            continue
        importer = rel.split("/")[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "lsqm":
                    names = [f"lsqm.{a.name}" for a in node.names]
            for name in names:
                imported = _component(name)
                if imported and imported != importer:
                    found.append((rel, importer, imported))
    return found


def test_every_component_has_a_layer() -> None:
    components = {p.name.removesuffix(".py") for p in SRC.iterdir() if not p.name.startswith("_")}
    for component in components - {"py.typed"}:
        _layer(component)


@pytest.mark.parametrize(("rel", "importer", "imported"), _imports())
def test_imports_point_down(rel: str, importer: str, imported: str) -> None:
    below = _layer(imported) < _layer(importer)
    sideways = (importer, imported) in SIDEWAYS
    assert below or sideways, f"{rel}: lsqm.{importer} must not import lsqm.{imported}"


def test_the_rules_the_house_issue_names() -> None:
    edges = {(a, b) for _rel, a, b in _imports()}
    stages = {"terraform", "discovery", "generation", "validation"}
    assert not {(a, b) for a, b in edges if a in ("toolchain", "terraform") and b == "store"}
    assert not {(a, b) for a, b in edges if a == "store" and b in stages}
    assert not (("cli", "commands") in edges and ("commands", "cli") in edges)
    assert ("commands", "cli") not in edges


def _upward(found: list[tuple[str, str, str]]) -> list[str]:
    return [
        rel
        for rel, importer, imported in found
        if not (_layer(imported) < _layer(importer) or (importer, imported) in SIDEWAYS)
    ]


def test_the_pipeline_package_is_checked_module_by_module() -> None:
    """Every module of ``pipeline/`` is read, and none reaches up to the commands or cli."""
    modules = {p.name for p in (SRC / "pipeline").glob("*.py")} - {"__init__.py"}
    assert {"stages.py", "chain.py", "provision.py"} <= modules
    checked = {rel.split("/")[1] for rel, importer, _ in _imports() if importer == "pipeline"}
    assert checked == modules
    assert not [rel for rel, a, b in _imports() if a == "pipeline" and b in ("commands", "cli")]


@pytest.mark.parametrize("upward", ["from lsqm.commands.base import App", "import lsqm.cli"])
def test_a_pipeline_module_importing_a_command_or_the_cli_fails(
    tmp_path: Path, upward: str
) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "chain.py").write_text(f"{upward}\nfrom lsqm.store import X\n")
    assert _upward(_imports(tmp_path)) == ["pipeline/chain.py"]


def test_foreign_modules_import_nothing_of_lsqm() -> None:
    for folder in FOREIGN:
        for path in [SRC / folder] if folder.endswith(".py") else (SRC / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not node.module.startswith("lsqm."), path
