"""An app's test files as removable test functions (read with :mod:`ast`, cut by line)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AppTests:
    """The app's ``test_*.py`` files by name; other app files are kept as they are."""

    files: tuple[tuple[str, str], ...]

    def test_ids(self) -> list[str]:
        """``file::function`` of every test function (top level and in ``Test*`` classes)."""
        return [f"{name}::{fn}" for name, text in self.files for fn, _, _ in _tests(text)]

    def without(self, ids: Iterable[str]) -> AppTests:
        drop = set(ids)
        kept = []
        for name, text in self.files:
            lines = text.splitlines(keepends=True)
            spans = [(fn, a, b) for fn, a, b in _tests(text) if f"{name}::{fn}" in drop]
            for fn, start, end in sorted(spans, key=lambda s: s[1], reverse=True):
                indent = lines[start - 1][: len(lines[start - 1]) - len(lines[start - 1].lstrip())]
                # a method leaves ``pass`` behind, so a class it empties stays valid Python
                lines[start - 1 : end] = [f"{indent}pass\n"] if "::" in fn else []
            kept.append((name, "".join(lines)))
        return AppTests(tuple(kept))

    @property
    def lines(self) -> int:
        return sum(len(text.splitlines()) for _, text in self.files)


def _tests(text: str) -> list[tuple[str, int, int]]:
    """(name, first line incl. decorators, last line) of each test function."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        members = [node]
        prefix = ""
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            members, prefix = list(node.body), f"{node.name}::"
        for item in members:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith(
                "test"
            ):
                first = min([item.lineno, *(d.lineno for d in item.decorator_list)])
                found.append((prefix + item.name, first, item.end_lineno or item.lineno))
    return found
