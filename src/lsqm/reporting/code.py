"""Code as the report shows it: the Terraform files and test code of each architecture,
redacted, highlighted by Pygments, and what the tests exercise.

Highlighting is the report's most expensive step (Pygments lexes Python at a few hundred kB
a second; a generated app carries a 45 kB support module), and it depends only on a file's
content. Architectures and apps are stored by content hash and rarely change from one run to
the next, so highlighted files are kept by the digest of their redacted text: in memory for
one report, on disk (``<cache>/report-code/``) across reports. A miss is highlighted by
whichever process writes the page that shows it: the report's page workers share the work.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from lsqm.files import atomic_write_text
from lsqm.reporting.render import RedactedMarkup, Redactor

CODE_BYTES = 200_000  # a longer file keeps its beginning

FORMATTER = HtmlFormatter(cssclass="code", linenos="table", wrapcode=True)


@dataclass(frozen=True)
class Source:
    """One file as the report reads it: its name in the architecture or app, its redacted
    text, and that text's digest (which names its highlighting)."""

    name: str
    text: str
    digest: str
    lexer: str


@functools.lru_cache(maxsize=256)
def lexer_name(name: str) -> str:
    """The Pygments lexer for a file name (by its last part, as Pygments matches)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".tf", ".tfvars", ".hcl"):
        return "terraform"
    try:
        return str(get_lexer_for_filename(name).aliases[0])
    except (ClassNotFound, IndexError):
        return "text"


_LEXERS: dict[str, Lexer] = {}


def _highlight(text: str, lexer: str) -> str:
    if lexer not in _LEXERS:
        _LEXERS[lexer] = get_lexer_by_name(lexer)
    return str(highlight(text, _LEXERS[lexer], FORMATTER))


def _head(path: Path) -> bytes:
    """What the report shows of a file: its first :data:`CODE_BYTES` (one more says more)."""
    with path.open("rb") as fh:
        return fh.read(CODE_BYTES + 1)


def raw_digest(path: Path) -> str:
    """The digest of what the report shows of a file, before redaction (cheap: no regex)."""
    return hashlib.sha256(_head(path)).hexdigest()


class CodeShelf:
    """Sources read once per content, and their highlighting (memory, then disk, then
    Pygments)."""

    def __init__(self, redactor: Redactor, cache: Path | None = None) -> None:
        self.redactor = redactor
        self.cache = cache
        self._by_raw: dict[tuple[str, str], Source] = {}
        self._html: dict[str, str] = {}
        self._facts: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
        self.highlighted = 0  # files Pygments highlighted here (not found in a cache)

    def read(self, path: Path, name: str) -> Source:
        raw = _head(path)
        key = (hashlib.sha256(raw).hexdigest(), name.rsplit("/", 1)[-1])
        known = self._by_raw.get(key)
        if known is not None:
            return Source(name, known.text, known.digest, known.lexer)
        text = raw[:CODE_BYTES].decode("utf-8", errors="replace")
        if len(raw) > CODE_BYTES:
            text += f"\n# … the rest is left out: the file is over {CODE_BYTES // 1000} kB\n"
        text = self.redactor.text(text)
        lexer = lexer_name(key[1])
        tag = f"{pygments.__version__}\0{lexer}\0".encode()
        source = Source(name, text, hashlib.sha256(tag + text.encode()).hexdigest(), lexer)
        self._by_raw[key] = source
        return source

    def _path(self, digest: str) -> Path | None:
        return self.cache / digest[:2] / f"{digest}.html" if self.cache else None

    def _keep(self, digest: str, html: str) -> None:
        path = self._path(digest)
        if path is None:
            self._html[digest] = html
        else:
            atomic_write_text(path, html)

    def html(self, source: Source) -> RedactedMarkup:
        """The highlighted file (from memory, the disk cache, or Pygments now): made from
        redacted text, under the digest of that text."""
        html = self._html.get(source.digest)
        path = self._path(source.digest)
        if html is None and path is not None:
            try:
                html = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                html = None
        if html is None:
            html = _highlight(source.text, source.lexer)
            self._keep(source.digest, html)
            self.highlighted += 1
        return RedactedMarkup(html)

    def facts(self, source: Source) -> tuple[list[str], list[tuple[str, str]]]:
        """What a test module exercises (:func:`operations_and_use_cases`), once per content
        (kept beside its highlighting)."""
        if source.digest in self._facts:
            return self._facts[source.digest]
        path = self._path(source.digest)
        facts_path = path.with_suffix(".json") if path is not None else None
        facts: tuple[list[str], list[tuple[str, str]]] | None = None
        if facts_path is not None and facts_path.is_file():
            try:
                data = json.loads(facts_path.read_text(encoding="utf-8"))
                facts = (list(data["operations"]), [(n, d) for n, d in data["use_cases"]])
            except (ValueError, KeyError, TypeError):
                facts = None  # a cache: recomputed
        if facts is None:
            facts = operations_and_use_cases(source.text)
            if facts_path is not None:
                data = {"operations": facts[0], "use_cases": facts[1]}
                atomic_write_text(facts_path, json.dumps(data))
        self._facts[source.digest] = facts
        return facts


def operations_and_use_cases(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """AWS operations a test module calls (``sqs.send_message``: methods called on what
    ``boto3.client("sqs")`` returns), and each test with the first line of its docstring."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [], []
    nodes = list(ast.walk(tree))
    clients: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and (service := _client_service(node.value)):
            clients.update({t.id: service for t in node.targets if isinstance(t, ast.Name)})
    operations: set[str] = set()
    use_cases: list[tuple[str, str]] = []
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            service = (
                clients.get(target.id) if isinstance(target, ast.Name) else _client_service(target)
            )
            if service and not node.func.attr.startswith("_"):
                operations.add(f"{service}.{node.func.attr}")
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
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


def pygments_css() -> str:
    """Pygments' light style, and its dark one for the report's dark theme (the system's
    when no theme was chosen with the toggle, or the one chosen)."""
    light = str(FORMATTER.get_style_defs(".code"))  # type: ignore[no-untyped-call]  # untyped stub
    dark = HtmlFormatter(cssclass="code", style="github-dark")

    def scoped(selector: str) -> str:
        rules = dark.get_background_style_defs(selector)  # type: ignore[no-untyped-call]
        rules += dark.get_token_style_defs(selector)  # type: ignore[no-untyped-call]
        return "\n".join(rules)

    chosen = scoped(':root[data-theme="dark"] .code')
    system = scoped(':root:not([data-theme="light"]) .code')
    return f"{light}\n{chosen}\n@media (prefers-color-scheme: dark) {{\n{system}\n}}\n"
