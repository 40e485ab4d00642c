"""The gate every generated app passes before it is stored, whoever wrote it.

Generated code is hostile until shown otherwise (an LLM can be talked into anything by the
Terraform it reads). The gate refuses: files that do not parse, names that are not flat
``.py`` module names, imports beyond the standard library + pytest + boto3, ways of starting
processes or installing packages, dynamic code (eval/exec/__import__), URLs of anything but
the emulator; and an app where ``pytest --collect-only`` (run through :mod:`lsqm.proc` in a
scrubbed environment) collects no test.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lsqm import proc
from lsqm.childenv import aws_env, child_env

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,80}\.py$")
MAX_FILES = 40
MAX_FILE_BYTES = 200_000
COLLECT_TIMEOUT_S = 60.0

ALLOWED_THIRD_PARTY = {"boto3", "botocore", "pytest", "_pytest", "lsqm_checks", "conftest"}
CHECKS_PREFIX = "lsqm_checks_"  # the per-service checks modules lsqm_checks gathers
FORBIDDEN_MODULES = {
    "subprocess", "socket", "ctypes", "multiprocessing", "pty", "pip", "ensurepip",
    "venv", "shutil", "signal", "importlib", "runpy", "http.server", "http.client", "socketserver",
    "ftplib", "smtplib", "telnetlib", "paramiko", "requests", "httpx", "urllib3",
}  # fmt: skip
FORBIDDEN_CALLS = {
    "eval", "exec", "compile", "__import__", "breakpoint", "input",
    "os.system", "os.popen", "os.fork", "os.kill", "os.killpg", "os.remove", "os.unlink",
    "os.rmdir", "os.removedirs", "os.putenv", "os.execv", "os.execve", "os.execvp",
    "os.execl", "os.execlp", "os.spawnv", "os.spawnl", "os.posix_spawn", "os.startfile",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
}  # fmt: skip
EMULATOR_HOSTS = ("localhost", "127.0.0.1", "localhost.localstack.cloud")
URL = re.compile(r"\b(?:https?|wss?|ftp)://([^/\s:'\"]+)", re.IGNORECASE)
INSTALL = re.compile(r"\b(?:pip|pip3|uv|conda|apt-get|apt|npm)\s+(?:install|add)\b")


@dataclass
class GateReport:
    files: list[str]
    collected: int = 0
    problems: list[str] = field(default_factory=list)
    collect_output: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "syntax": "ok" if not any("syntax" in p for p in self.problems) else "failed",
            "collected": self.collected,
            "problems": self.problems,
            "passed": self.ok,
        }


def check_names(files: dict[str, str]) -> list[str]:
    problems = []
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} files; at most {MAX_FILES}")
    for name in files:
        if not NAME.match(name):
            problems.append(f"file name {name!r} is not a flat lower-case .py module name")
    if not any(n.startswith("test_") for n in files):
        problems.append("no test_*.py module")
    return problems


def check_source(name: str, text: str) -> list[str]:
    """Static checks of one module: it parses, and uses nothing forbidden."""
    if len(text.encode()) > MAX_FILE_BYTES:
        return [f"{name}: larger than {MAX_FILE_BYTES} bytes"]
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        return [f"{name}: syntax error at line {exc.lineno}: {exc.msg}"]
    problems: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems += _check_import(name, node, aliases)
        elif isinstance(node, ast.Call):
            dotted = _dotted(node.func, aliases)
            if dotted in FORBIDDEN_CALLS or (dotted or "").startswith(("os.exec", "os.spawn")):
                problems.append(f"{name}:{node.lineno}: calls {dotted}")
        elif isinstance(node, ast.Attribute) and node.attr in ("system", "popen", "__subclasses__"):
            problems.append(f"{name}:{node.lineno}: uses .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            problems += _check_string(name, node.lineno, node.value)
    return problems


def _check_import(
    name: str, node: ast.Import | ast.ImportFrom, aliases: dict[str, str]
) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return [f"{name}:{node.lineno}: relative import"]
        modules = [node.module or ""]
        for alias in node.names:
            aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            modules.append(f"{node.module}.{alias.name}")
    else:
        modules = [a.name for a in node.names]
        for alias in node.names:
            aliases[alias.asname or alias.name.split(".")[0]] = alias.name
    problems = []
    for module in modules:
        top = module.split(".")[0]
        if module in FORBIDDEN_MODULES or top in FORBIDDEN_MODULES:
            problems.append(f"{name}:{node.lineno}: imports {module}")
        elif not _allowed(top):
            problems.append(f"{name}:{node.lineno}: imports {top}, not in the test Python")
        if isinstance(node, ast.ImportFrom):
            break  # the names imported from an allowed module are checked where called
    return problems


def _allowed(top: str) -> bool:
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or top.startswith(CHECKS_PREFIX)
    )


def _check_string(name: str, line: int, value: str) -> list[str]:
    problems = []
    for host in URL.findall(value):
        if host.lower() not in EMULATOR_HOSTS and not host.lower().endswith(".localhost"):
            problems.append(f"{name}:{line}: URL of {host}; tests may call only the emulator")
    if INSTALL.search(value):
        problems.append(f"{name}:{line}: installs packages")
    return problems


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    head = aliases.get(node.id, node.id)
    return ".".join([head, *reversed(parts)])


def collect(files: dict[str, str], timeout: float = COLLECT_TIMEOUT_S) -> tuple[int, str]:
    """Run ``pytest --collect-only`` on the files in a scratch folder; (tests, output)."""
    with tempfile.TemporaryDirectory(prefix="lsqm-gate-") as tmp:
        root = Path(tmp)
        app = root / "app"
        home = root / "home"
        app.mkdir()
        home.mkdir()
        for name, text in files.items():
            (app / name).write_text(text, encoding="utf-8")
        env = child_env(
            home,
            {**aws_env("http://127.0.0.1:9", "us-east-1"), "PYTHONDONTWRITEBYTECODE": "1"},
        )
        argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        done = proc.run([*argv, "."], env=env, cwd=app, timeout=timeout)
    ids = [line for line in done.output.splitlines() if "::" in line and line.startswith("test_")]
    if done.timed_out or done.exit_code not in (0, 5):
        return -1, done.output
    return len(ids), done.output


def gate(files: dict[str, str], *, run_collect: bool = True) -> GateReport:
    report = GateReport(files=sorted(files))
    report.problems += check_names(files)
    for name, text in sorted(files.items()):
        if NAME.match(name):
            report.problems += check_source(name, text)
    if report.problems or not run_collect:
        return report
    count, output = collect(files)
    report.collect_output = output[-4000:]
    if count < 0:
        tail = " | ".join(output.strip().splitlines()[-3:])
        report.problems.append(f"pytest --collect-only failed: {tail}")
    elif count == 0:
        report.problems.append("pytest --collect-only collected no test")
    report.collected = max(count, 0)
    return report
