"""What one architecture's page shows, read from the store: its verdict and the failure's
analysis, the stage logs and the emulator's log lines of its window (``logs/<hash>/``), a
log excerpt around the failure, the Terraform files and test code (highlighted), what the
tests exercise, and the commands that reproduce it.

Everything read from a file is redacted again here (:class:`~lsqm.reporting.render.Redactor`):
a report is published, and a log written by an older lsqm may predate a redaction rule.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from lsqm.records import AppRecord, ArchitectureRecord, Result
from lsqm.reporting.code import CodeShelf, Source, raw_digest
from lsqm.reporting.render import Redacted, Redactor
from lsqm.store import ArtifactStore

# Logs longer than this keep their last lines (the end is where failures are).
LOG_LINES = 1500
LOG_BYTES = 512_000
EXCERPT_LINES = 30
TERRAFORM_FILES = (".tf", ".tfvars", ".json", ".tpl", ".yaml", ".yml")
TEST_FILES = (".py", ".json", ".txt", ".ini", ".cfg")

# Stage logs, in the order the stages run (validate writes <stage>.log and pytest.log).
STAGE_LOGS = ("init.log", "apply.log", "plan.log", "pytest.log", "destroy.log")
EMULATOR_LOG = "emulator.log"
_STAGE_LOG = {
    "init": "init.log",
    "apply": "apply.log",
    "plan": "plan.log",
    "test": "pytest.log",
    "destroy": "destroy.log",
}

_TF_ERROR = re.compile(r"^\W{0,3}Error: ")
# An emulator line worth seeing first: an error, or a request answered 4xx/5xx.
_EMULATOR_BAD = re.compile(r"\b(ERROR|WARN(ING)?)\b| => [45]\d\d\b")


@dataclass(frozen=True)
class LogLine:
    number: int
    text: str
    marked: bool = False


@dataclass
class LogText:
    """A log as shown: its (last) lines, and whether lines were left out before them."""

    name: str
    lines: list[LogLine]
    omitted: int = 0

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def marked(self) -> int:
        return sum(1 for line in self.lines if line.marked)


@dataclass(frozen=True)
class Listing:
    """A file on an architecture's page: embedded (``html``), or on a page of its own that
    ``href`` names when many architectures share it (a generated app's support module)."""

    path: str
    html: Markup | None
    href: str | None = None


@dataclass
class Details:
    result: Result
    architecture: ArchitectureRecord
    app: AppRecord | None
    excerpt: LogText | None
    emulator_log: LogText | None
    stage_logs: list[LogText]
    terraform_files: list[Listing]
    test_files: list[Listing]
    operations: list[str] = field(default_factory=list)
    use_cases: list[tuple[str, str]] = field(default_factory=list)  # (test, what it checks)
    reduction: Reduced | None = None


@dataclass(frozen=True)
class Reduced:
    """A confirmed ``lsqm reduce`` of this very failure: its figures, main.tf and issue."""

    facts: dict[str, Any]
    main_tf: str
    issue: str


def reduced(store: ArtifactStore, result: Result, redactor: Redactor) -> Reduced | None:
    """The architecture's reduction when it keeps this result's failure (same signature)."""
    facts = store.reduction(result.arch_hash)
    if facts is None or facts.get("signature") != result.signature:
        return None
    folder = store.reduction_dir(result.arch_hash)
    main = folder / "main.tf"
    issue = folder / "ISSUE.md"
    return Reduced(
        facts,
        redactor.text(main.read_text(errors="replace")) if main.is_file() else "",
        redactor.text(issue.read_text(errors="replace")) if issue.is_file() else "",
    )


def read_text(path: Path, redactor: Redactor, limit: int = LOG_BYTES) -> tuple[str, bool]:
    """A file's text (its tail beyond ``limit`` bytes), redacted; and whether it was cut."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(size - limit, 0))
        data = fh.read()
    return redactor.text(data.decode("utf-8", errors="replace")), size > limit


def log_text(path: Path, redactor: Redactor, mark: re.Pattern[str] | None = None) -> LogText | None:
    if not path.is_file():
        return None
    text, cut = read_text(path, redactor)
    lines = text.splitlines()
    if cut and lines:
        lines = lines[1:]  # the first line read may start mid-line
    omitted = max(len(lines) - LOG_LINES, 0)
    keep = lines[omitted:]
    first = omitted + 1
    return LogText(
        path.name,
        [
            LogLine(first + i, Redacted(t), bool(mark and mark.search(t)))
            for i, t in enumerate(keep)
        ],
        omitted + (1 if cut else 0),
    )


def excerpt(result: Result, logs: Path, redactor: Redactor) -> LogText | None:
    """The lines around the failure in the failing stage's log: from terraform's first
    ``Error:``, or pytest's failures section, else the log's last lines."""
    stage = result.failing_stage
    if stage is None or stage not in _STAGE_LOG:
        return None
    path = logs / _STAGE_LOG[stage]
    if not path.is_file():
        return None
    text, _cut = read_text(path, redactor)
    lines = text.splitlines()
    start = next((i for i, t in enumerate(lines) if _TF_ERROR.match(t)), None)
    if start is None:
        start = next((i for i, t in enumerate(lines) if "= FAILURES =" in t), None)
    if start is None:
        start = max(len(lines) - EXCERPT_LINES, 0)
    chosen = lines[start : start + EXCERPT_LINES]
    while chosen and not chosen[-1].strip():
        chosen.pop()
    return LogText(
        path.name,
        [
            LogLine(start + 1 + i, Redacted(t), bool(_TF_ERROR.match(t) or t.startswith("E ")))
            for i, t in enumerate(chosen)
        ],
    )


def _files(folder: Path, wanted: tuple[str, ...], skip: frozenset[str]) -> list[tuple[Path, int]]:
    """The files shown from ``folder`` and their sizes, in path order. Symbolic links are
    neither shown nor followed: the files come from strangers."""
    return sorted(_walk(folder, wanted, skip))


def _walk(
    folder: Path, wanted: tuple[str, ...], skip: frozenset[str]
) -> Iterator[tuple[Path, int]]:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            yield from _walk(Path(entry.path), wanted, skip)
        elif entry.is_file() and entry.name not in skip and _shown(entry.name, wanted):
            yield Path(entry.path), entry.stat().st_size


def _shown(name: str, wanted: tuple[str, ...]) -> bool:
    return os.path.splitext(name)[1] in wanted or name in wanted


def _terraform_files(store: ArtifactStore, arch_hash: str) -> tuple[Path, list[tuple[Path, int]]]:
    folder = store.architecture_dir(arch_hash)
    return folder, _files(folder, TERRAFORM_FILES, frozenset({"architecture.json"}))


def _test_files(store: ArtifactStore, arch_hash: str) -> tuple[Path, list[tuple[Path, int]]]:
    folder = store.app_dir(arch_hash)
    return folder, _files(folder, TEST_FILES, frozenset({"app.json"}))


def _read(shelf: CodeShelf, folder: Path, files: list[tuple[Path, int]]) -> list[Source]:
    return [shelf.read(p, p.relative_to(folder).as_posix()) for p, _size in files]


def terraform_sources(store: ArtifactStore, arch_hash: str, shelf: CodeShelf) -> list[Source]:
    return _read(shelf, *_terraform_files(store, arch_hash))


def test_sources(store: ArtifactStore, arch_hash: str, shelf: CodeShelf) -> list[Source]:
    return _read(shelf, *_test_files(store, arch_hash))


def shared_sources(
    store: ArtifactStore, hashes: Iterable[str], shelf: CodeShelf
) -> dict[str, tuple[Source, int]]:
    """Files that several architectures or apps hold alike (a generated app's support
    module), by digest, with how many hold each: shown on a page of their own, linked from
    each. Only a file whose name and size another architecture's file has is read here, and
    only one whose bytes another's has is redacted; every file is read again, once, by
    whichever process writes its architecture's page."""
    alike: dict[tuple[str, int], list[tuple[str, Path, Path]]] = defaultdict(list)
    for arch_hash in hashes:
        for folder, files in (_terraform_files(store, arch_hash), _test_files(store, arch_hash)):
            for path, size in files:
                alike[(path.name, size)].append((arch_hash, folder, path))
    same: dict[str, list[tuple[str, Path, Path]]] = defaultdict(list)  # by raw content
    for held in alike.values():
        if _several(held):
            for arch_hash, folder, path in held:
                same[raw_digest(path)].append((arch_hash, folder, path))
    by_digest: dict[str, tuple[Source, set[str]]] = {}
    for held in filter(_several, same.values()):
        for arch_hash, folder, path in held:
            source = shelf.read(path, path.relative_to(folder).as_posix())
            by_digest.setdefault(source.digest, (source, set()))[1].add(arch_hash)
    return {d: (s, len(held)) for d, (s, held) in by_digest.items() if len(held) > 1}


def _several(held: list[tuple[str, Path, Path]]) -> bool:
    """Whether files of more than one architecture are among ``held``."""
    return len({arch_hash for arch_hash, _, _ in held}) > 1


def listing(source: Source, shelf: CodeShelf, shared: Container[str]) -> Listing:
    if source.digest in shared:
        return Listing(source.name, None, shared_page(source))
    return Listing(source.name, shelf.html(source))


def shared_page(source: Source) -> str:
    """The site's page of a file that several architectures or apps hold alike."""
    return f"code/{source.digest[:20]}.html"


def load_details(
    store: ArtifactStore,
    result: Result,
    architecture: ArchitectureRecord,
    shelf: CodeShelf,
    shared: Container[str] = frozenset(),
) -> Details:
    """``shared``: digests of files shown on pages of their own (linked, not embedded)."""
    redactor = shelf.redactor
    logs = store.run_dir(result.run_id) / "logs" / result.arch_hash
    stage_logs = [
        log for name in STAGE_LOGS if (log := log_text(logs / name, redactor)) and not log.empty
    ]
    tests = test_sources(store, result.arch_hash, shelf)
    operations: set[str] = set()
    use_cases: list[tuple[str, str]] = []
    for source in tests:
        if Path(source.name).name.startswith("test_") and source.name.endswith(".py"):
            ops, cases = shelf.facts(source)
            operations.update(ops)
            use_cases += cases
    return Details(
        result=result,
        architecture=architecture,
        app=store.app(result.arch_hash),
        excerpt=excerpt(result, logs, redactor),
        emulator_log=log_text(logs / EMULATOR_LOG, redactor, _EMULATOR_BAD),
        stage_logs=stage_logs,
        terraform_files=[
            listing(s, shelf, shared) for s in terraform_sources(store, result.arch_hash, shelf)
        ],
        test_files=[listing(s, shelf, shared) for s in tests],
        operations=sorted(operations),
        use_cases=use_cases,
        reduction=reduced(store, result, redactor),
    )
