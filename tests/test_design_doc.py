"""docs/design.md stays the contract of the code as it is: every reference to one of its
sections names a heading that exists, its record tables list exactly the fields of the
records in ``lsqm.records``, and its CLI section has every command and option ``lsqm --help``
shows. A contract changed in the code and not in the document fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

from lsqm import records
from lsqm.cli import cli

REPO = Path(__file__).resolve().parent.parent
DESIGN = REPO / "docs" / "design.md"
# Where references live: code, tests, docs, scripts, benchmarks, CI.
SCANNED = ("src", "tests", "docs", "scripts", "benchmarks", ".github")
TOP_FILES = ("README.md", "CONTRIBUTING.md")
SUFFIXES = {".py", ".md", ".sh", ".yml", ".yaml", ".toml", ".txt", ".cfg"}

NAME = r"design\.md"
SECTION_REF = re.compile(NAME + r',\s*"([^"\n]+)"')  # docs/design.md, "What a test sees"
ANCHOR_REF = re.compile(NAME + r"#([\w-]+)")  # (docs/design.md#what-a-test-sees)
LINK = re.compile(r"\]\(([^)\s]*" + NAME + r")(?:#[\w-]*)?\)", re.IGNORECASE)
OLD_NAME = "DESIGN" + ".md"  # the design's old name, which no file has (spelled apart so a
UPPER = re.compile(r"\b" + re.escape(OLD_NAME) + r"\b")  # search for it finds no hit here)
FIELD_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
RECORD_HEADING = re.compile(r"^###\s+`(\w+)`\s*$")


def _headings(text: str) -> list[tuple[int, str]]:
    """(level, text without backticks) of every heading outside code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6})\s+(.*?)\s*$", line)):
            found.append((len(m.group(1)), m.group(2).replace("`", "")))
    return found


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _sections(text: str, level: int) -> dict[str, str]:
    """The body of every heading of ``level``, up to the next heading of that level or above."""
    bodies: dict[str, str] = {}
    name: str | None = None
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        m = None if fenced else re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
        if m and len(m.group(1)) <= level:
            name = m.group(2).replace("`", "") if len(m.group(1)) == level else None
            if name is not None:
                bodies[name] = ""
            continue
        if name is not None:
            bodies[name] += line + "\n"
    return bodies


def _scanned_files() -> list[Path]:
    files = [REPO / name for name in TOP_FILES if (REPO / name).is_file()]
    for top in SCANNED:
        root = REPO / top
        if root.is_dir():
            files += [
                p
                for p in sorted(root.rglob("*"))
                if p.suffix in SUFFIXES and p.is_file() and "__pycache__" not in p.parts
            ]
    # This file holds broken references on purpose (to show the check fails on them).
    return [p for p in files if p != Path(__file__).resolve()]


def reference_problems(files: list[Path], design_text: str) -> list[str]:
    """Every reference to the design that does not resolve, as ``file: what``."""
    headings = {text for _level, text in _headings(design_text)}
    anchors = {_slug(text) for text in headings}
    problems = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        problems += [
            f"{where}: no section {s!r}" for s in SECTION_REF.findall(text) if s not in headings
        ]
        problems += [
            f"{where}: no heading for #{a}" for a in ANCHOR_REF.findall(text) if a not in anchors
        ]
        problems += [
            f"{where}: {target} does not exist"
            for target in LINK.findall(text)
            if not target.startswith("http") and not (path.parent / target).resolve().is_file()
        ]
        problems += [f"{where}: names {m}, which does not exist" for m in UPPER.findall(text)]
    return problems


def documented_fields(design_text: str) -> dict[str, set[str]]:
    """Record name -> the fields its table in the design lists (``### `Name` `` sections)."""
    tables: dict[str, set[str]] = {}
    current: str | None = None
    for line in design_text.splitlines():
        if line.startswith("#"):
            m = RECORD_HEADING.match(line)
            current = m.group(1) if m and hasattr(records, m.group(1)) else None
            if current is not None:
                tables[current] = set()
        elif current is not None and (row := FIELD_ROW.match(line)):
            tables[current].add(row.group(1))
    return tables


def record_classes() -> dict[str, type[records.Record]]:
    """Every stored record class of ``lsqm.records`` (the base class aside)."""
    return {
        name: cls
        for name, cls in vars(records).items()
        if inspect.isclass(cls)
        and issubclass(cls, records.Record)
        and cls is not records.Record
        and cls.__module__ == records.__name__
    }


def field_problems(design_text: str) -> list[str]:
    tables = documented_fields(design_text)
    problems = []
    for name, cls in sorted(record_classes().items()):
        if name not in tables:
            problems.append(f"{name}: no field table (### `{name}`) in docs/design.md")
            continue
        actual = set(cls.model_fields)
        problems += [f"{name}.{f}: on the record, not in the design" for f in actual - tables[name]]
        problems += [f"{name}.{f}: in the design, not on the record" for f in tables[name] - actual]
    return sorted(problems)


def cli_problems(design_text: str) -> list[str]:
    """Commands, arguments and long options of ``lsqm`` missing from "CLI contract"."""
    section = _sections(design_text, 2).get("CLI contract", "")
    commands = _sections(section, 3)
    problems = []
    for param in cli.params:
        problems += [
            f"global option {opt} not in CLI contract"
            for opt in _long_options(param)
            if f"`{opt}" not in section.split("\n### ")[0]
        ]
    for name, command in sorted(cli.commands.items()):
        body = commands.get(f"lsqm {name}")
        if body is None:
            problems.append(f"lsqm {name}: no section '### `lsqm {name}`' in CLI contract")
            continue
        for param in command.params:
            if isinstance(param, click.Argument) and param.human_readable_name not in body:
                problems.append(f"lsqm {name}: argument {param.human_readable_name} missing")
            problems += [
                f"lsqm {name}: option {opt} missing"
                for opt in _long_options(param)
                if f"`{opt}" not in body and f"/{opt}" not in body
            ]
    problems += [
        f"{heading}: documented, but lsqm has no such command"
        for heading in commands
        if heading.startswith("lsqm ") and heading.removeprefix("lsqm ") not in cli.commands
    ]
    return problems


def _long_options(param: click.Parameter) -> list[str]:
    if not isinstance(param, click.Option):
        return []
    names = [*param.opts, *param.secondary_opts]
    return [o for o in names if o.startswith("--") and o not in ("--help", "--version")]


# -- the checks ---------------------------------------------------------------------------
def test_every_reference_to_the_design_names_a_section_that_exists() -> None:
    files = _scanned_files()
    assert DESIGN in files
    assert reference_problems(files, DESIGN.read_text()) == []


def test_the_design_documents_exactly_the_fields_of_every_record() -> None:
    assert field_problems(DESIGN.read_text()) == []


def test_the_cli_section_has_every_command_argument_and_option() -> None:
    assert cli_problems(DESIGN.read_text()) == []


# -- and each check can fail --------------------------------------------------------------
def test_a_reference_to_a_missing_section_or_file_is_found(tmp_path: Path) -> None:
    doc = "# Title\n\n## What a test sees\n\n```\n## not a heading\n```\n"
    source = tmp_path / "mod.py"
    source.write_text(
        '"""see docs/design.md, "What a test sees"; docs/design.md, "not a heading"."""\n'
        "# [x](design.md#what-a-test-sees) [y](design.md#gone) [z](nowhere/design.md)\n"
        f"# {OLD_NAME}\n"
    )
    (tmp_path / "design.md").write_text(doc)
    problems = reference_problems([source], doc)
    assert problems == [
        f"{source}: no section 'not a heading'",
        f"{source}: no heading for #gone",
        f"{source}: nowhere/design.md does not exist",
        f"{source}: names {OLD_NAME}, which does not exist",
    ]


def test_a_field_missing_from_either_side_is_found() -> None:
    text = DESIGN.read_text()
    row = "| `flaky` | bool | the verdict changed between attempts |\n"
    assert row in text
    dropped = text.replace(row, "")
    assert field_problems(dropped) == ["Result.flaky: on the record, not in the design"]
    added = text.replace(row, row + "| `colour` | str | not a field |\n")
    assert field_problems(added) == ["Result.colour: in the design, not on the record"]
    no_table = text.replace("### `ShardInfo`", "### Shard info")
    assert field_problems(no_table) == [
        "ShardInfo: no field table (### `ShardInfo`) in docs/design.md"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("### `lsqm clean`", "### `lsqm cleanup`", "lsqm clean: no section '### `lsqm clean`' in CLI contract"),
        ("### `lsqm clean`", "### `lsqm cleanup`", "lsqm cleanup: documented, but lsqm has no such command"),
        ("`--rerun-failures N`", "`--rerun N`", "lsqm validate: option --rerun-failures missing"),
        ("ARCH", "A", "lsqm bisect: argument ARCH missing"),
        ("`--dry-run`", "dry run", "global option --dry-run not in CLI contract"),
    ],
)  # fmt: skip
def test_a_command_or_option_missing_from_the_cli_section_is_found(
    old: str, new: str, expected: str
) -> None:
    text = DESIGN.read_text()
    assert old in text
    assert expected in cli_problems(text.replace(old, new))
