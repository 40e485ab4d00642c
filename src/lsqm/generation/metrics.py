"""Quality signal of a generated app, measured from its code (the same way for every
generator): tests, AWS API calls and assertions each test makes (following calls into
helpers defined in the app), and resources covered / total.

An API call is a method call on a boto3 client: an object made by ``boto3.client(...)``
or by the ``aws(...)`` fixture of generated apps; an HTTP request to the emulator
(``urlopen``) counts too. Counts are of call sites, not of calls made at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from lsqm.generation.interface import ResourceCoverage
from lsqm.records import AppRecord

CLIENT_FACTORIES = {"client", "aws", "resource"}


@dataclass
class _Function:
    api_calls: int
    assertions: int
    callees: set[str]


def _is_client_factory(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in CLIENT_FACTORIES


def _measure(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> _Function:
    clients: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and _is_client_factory(node.value):
            clients.update(t.id for t in node.targets if isinstance(t, ast.Name))
    api = assertions = 0
    callees: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            assertions += 1
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                target = func.value
                if isinstance(target, ast.Name) and target.id in clients:
                    api += 1
                elif _is_client_factory(target):
                    api += 1  # aws("sqs").send_message(...)
                elif func.attr == "urlopen":
                    api += 1
                else:
                    callees.add(func.attr)
            elif isinstance(func, ast.Name):
                if func.id == "urlopen":
                    api += 1
                else:
                    callees.add(func.id)
            elif (
                isinstance(func, ast.Call)
                and getattr(func.func, "id", "") == "getattr"
                and func.args
                and isinstance(func.args[0], ast.Name)
                and func.args[0].id in clients
            ):
                api += 1  # getattr(client, operation)(**args)
    return _Function(api, assertions, callees)


def measure(files: dict[str, str], coverage: list[ResourceCoverage]) -> dict[str, Any]:
    """Metrics for app.json: per app totals over its tests."""
    functions: dict[str, _Function] = {}
    tests: list[str] = []
    for name, text in files.items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.setdefault(node.name, _measure(node))
                if name.startswith("test_") and node.name.startswith("test"):
                    tests.append(node.name)
    api = assertions = 0
    for test in tests:
        a, s = _totals(test, functions, set())
        api += a
        assertions += s
    aws = [c for c in coverage if c.type.startswith("aws_")]
    behavioural = sum(1 for c in aws if c.level == "behavioural")
    covered = sum(1 for c in aws if c.level != "none")
    return {
        "tests": len(tests),
        "api_calls": api,
        "assertions": assertions,
        "resources_total": len(aws),
        "resources_covered": covered,
        "resources_behavioural": behavioural,
    }


def _totals(name: str, functions: dict[str, _Function], seen: set[str]) -> tuple[int, int]:
    if name in seen or name not in functions:
        return 0, 0
    seen.add(name)
    fn = functions[name]
    api, assertions = fn.api_calls, fn.assertions
    for callee in sorted(fn.callees):
        a, s = _totals(callee, functions, seen)
        api += a
        assertions += s
    return api, assertions


def quality_summary(apps: list[AppRecord]) -> dict[str, Any]:
    """Totals over stored apps' ``metrics`` (for ``status`` and the report): apps by
    generator, tests, API calls, assertions, and AWS resources covered / behavioural."""
    totals: dict[str, Any] = {
        "apps": len(apps),
        "by_generator": {},
        "tests": 0,
        "api_calls": 0,
        "assertions": 0,
        "resources_total": 0,
        "resources_covered": 0,
        "resources_behavioural": 0,
    }
    for app in apps:
        kind = app.generator or "unknown"
        totals["by_generator"][kind] = totals["by_generator"].get(kind, 0) + 1
        for key, value in app.metrics.items():
            if key in totals and isinstance(value, int):
                totals[key] += value
    return totals
