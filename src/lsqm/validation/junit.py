"""Read pytest's JUnit XML: counts and the text of each failure (for classification)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class JUnitCounts:
    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, text)

    @property
    def ran(self) -> int:
        """Tests that actually executed (skipped ones did not)."""
        return self.passed + self.failed + self.errors

    def to_json(self) -> dict[str, int]:
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
        }


def read_junit(path: Path) -> JUnitCounts:
    """Counts from a JUnit file; a missing or broken file counts as nothing run."""
    counts = JUnitCounts()
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return counts
    for case in root.iter("testcase"):
        counts.total += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        failure = case.find("failure")
        error = case.find("error")
        if failure is not None:
            counts.failed += 1
            counts.failures.append((name, _text(failure)))
        elif error is not None:
            counts.errors += 1
            counts.failures.append((name, _text(error)))
        elif case.find("skipped") is not None:
            counts.skipped += 1
        else:
            counts.passed += 1
    return counts


def _text(node: ET.Element) -> str:
    return f"{node.get('message', '')}\n{node.text or ''}"
