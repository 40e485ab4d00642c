"""What one architecture's page shows, read from the store: its verdict and the failure's
analysis, the stage logs and the emulator's log lines of its window (``logs/<hash>/``), a
log excerpt around the failure, the Terraform files and test code (highlighted), what the
tests exercise, and the commands that reproduce it.

Everything read from a file is redacted again here (:func:`lsqm.redact.redact`): a report is
published, and a log written by an older lsqm may predate a redaction rule.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from lsqm.records import AppRecord, ArchitectureRecord, Result
from lsqm.redact import redact
from lsqm.store import ArtifactStore

# Logs longer than this keep their last lines (the end is where failures are).
LOG_LINES = 1500
LOG_BYTES = 512_000
CODE_BYTES = 200_000
EXCERPT_LINES = 30

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

FORMATTER = HtmlFormatter(cssclass="code", linenos="table", lineanchors="", wrapcode=True)


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
class CodeFile:
    path: str
    html: Markup


@dataclass
class Details:
    result: Result
    architecture: ArchitectureRecord
    app: AppRecord | None
    excerpt: LogText | None
    emulator_log: LogText | None
    stage_logs: list[LogText]
    terraform_files: list[CodeFile]
    test_files: list[CodeFile]
    operations: list[str] = field(default_factory=list)
    use_cases: list[tuple[str, str]] = field(default_factory=list)  # (test, what it checks)


def read_text(path: Path, limit: int = LOG_BYTES) -> tuple[str, bool]:
    """A file's text (its tail beyond ``limit`` bytes), redacted; and whether it was cut."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(size - limit, 0))
        data = fh.read()
    return redact(data.decode("utf-8", errors="replace")), size > limit


def log_text(path: Path, mark: re.Pattern[str] | None = None) -> LogText | None:
    if not path.is_file():
        return None
    text, cut = read_text(path)
    lines = text.splitlines()
    if cut and lines:
        lines = lines[1:]  # the first line read may start mid-line
    omitted = max(len(lines) - LOG_LINES, 0)
    keep = lines[omitted:]
    first = omitted + 1
    return LogText(
        path.name,
        [LogLine(first + i, t, bool(mark and mark.search(t))) for i, t in enumerate(keep)],
        omitted + (1 if cut else 0),
    )


def excerpt(result: Result, logs: Path) -> LogText | None:
    """The lines around the failure in the failing stage's log: from terraform's first
    ``Error:``, or pytest's failures section, else the log's last lines."""
    stage = result.failing_stage
    if stage is None or stage not in _STAGE_LOG:
        return None
    path = logs / _STAGE_LOG[stage]
    if not path.is_file():
        return None
    text, _cut = read_text(path)
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
            LogLine(start + 1 + i, t, bool(_TF_ERROR.match(t) or t.startswith("E ")))
            for i, t in enumerate(chosen)
        ],
    )


_LEXERS: dict[str, Lexer] = {}


def _lexer(name: str) -> Lexer:
    suffix = Path(name).suffix or name
    if suffix not in _LEXERS:
        try:
            _LEXERS[suffix] = (
                get_lexer_by_name("terraform")
                if suffix in (".tf", ".tfvars", ".hcl")
                else get_lexer_for_filename(name)
            )
        except ClassNotFound:
            _LEXERS[suffix] = get_lexer_by_name("text")
    return _LEXERS[suffix]


def highlighted(path: Path, name: str) -> CodeFile:
    text, cut = read_text(path, CODE_BYTES)
    if cut:
        text = f"# (first part left out: the file is over {CODE_BYTES // 1000} kB)\n" + text
    return CodeFile(name, Markup(highlight(text, _lexer(name), FORMATTER)))


def _files(folder: Path, wanted: tuple[str, ...], skip: frozenset[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and p.name not in skip
        and (p.suffix in wanted or p.name in wanted)
    )


def operations_and_use_cases(files: list[Path]) -> tuple[list[str], list[tuple[str, str]]]:
    """AWS operations the tests call (``sqs.send_message``: methods called on what
    ``boto3.client("sqs")`` returns), and each test with the first line of its docstring."""
    operations: set[str] = set()
    use_cases: list[tuple[str, str]] = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        clients: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and (service := _client_service(node.value)):
                clients.update({t.id: service for t in node.targets if isinstance(t, ast.Name)})
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                service = (
                    clients.get(target.id)
                    if isinstance(target, ast.Name)
                    else _client_service(target)
                )
                if service and not node.func.attr.startswith("_"):
                    operations.add(f"{service}.{node.func.attr}")
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                doc = (ast.get_docstring(node) or "").strip().splitlines()
                use_cases.append((node.name, doc[0] if doc else ""))
    return sorted(operations), use_cases


def _client_service(node: ast.expr) -> str | None:
    """ "sqs" for ``boto3.client("sqs")``, ``aws("sqs")`` and ``session.client("sqs")``."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    first = node.args[0]
    if name in ("client", "aws") and isinstance(first, ast.Constant):
        return str(first.value)
    return None


def load_details(store: ArtifactStore, result: Result, architecture: ArchitectureRecord) -> Details:
    logs = store.run_dir(result.run_id) / "logs" / result.arch_hash
    stage_logs = [log for name in STAGE_LOGS if (log := log_text(logs / name)) and not log.empty]
    arch_dir = store.architecture_dir(result.arch_hash)
    tf = _files(
        arch_dir,
        (".tf", ".tfvars", ".json", ".tpl", ".yaml", ".yml"),
        frozenset({"architecture.json"}),
    )
    app_dir = store.app_dir(result.arch_hash)
    tests = _files(app_dir, (".py", ".json", ".txt", ".ini", ".cfg"), frozenset({"app.json"}))
    operations, use_cases = operations_and_use_cases([p for p in tests if p.suffix == ".py"])
    return Details(
        result=result,
        architecture=architecture,
        app=store.app(result.arch_hash),
        excerpt=excerpt(result, logs),
        emulator_log=log_text(logs / EMULATOR_LOG, _EMULATOR_BAD),
        stage_logs=stage_logs,
        terraform_files=[highlighted(p, p.relative_to(arch_dir).as_posix()) for p in tf],
        test_files=[highlighted(p, p.relative_to(app_dir).as_posix()) for p in tests],
        operations=operations,
        use_cases=use_cases,
    )


def pygments_css() -> str:
    return str(FORMATTER.get_style_defs(".code"))  # type: ignore[no-untyped-call]  # untyped stub
