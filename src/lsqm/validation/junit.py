"""Read pytest's JUnit XML: counts, each test's outcome, and the text of each failure (for
classification)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.records import TestCase, TestCounts, TestOutcome
from lsqm.redact import redact

# A failure's text kept in the result: enough to read the assertion, not a whole traceback.
MESSAGE_CHARS = 2000


@dataclass
class JUnitCounts:
    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, text)
    cases: list[TestCase] = field(default_factory=list)

    @property
    def ran(self) -> int:
        """Tests that actually executed (skipped ones did not)."""
        return self.passed + self.failed + self.errors

    def record(self) -> TestCounts:
        return TestCounts(
            total=self.total,
            passed=self.passed,
            failed=self.failed,
            errors=self.errors,
            skipped=self.skipped,
        )


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
        seconds = float(case.get("time") or 0.0)
        failure = case.find("failure")
        error = case.find("error")
        text = ""
        outcome: TestOutcome
        if failure is not None:
            counts.failed += 1
            text = _text(failure)
            counts.failures.append((name, text))
            outcome = "failed"
        elif error is not None:
            counts.errors += 1
            text = _text(error)
            counts.failures.append((name, text))
            outcome = "error"
        elif (skipped := case.find("skipped")) is not None:
            counts.skipped += 1
            text = skipped.get("message", "")
            outcome = "skipped"
        else:
            counts.passed += 1
            outcome = "passed"
        counts.cases.append(
            TestCase(
                name=name, outcome=outcome, seconds=seconds, message=redact(text)[:MESSAGE_CHARS]
            )
        )
    return counts


def _text(node: ET.Element) -> str:
    return f"{node.get('message', '')}\n{node.text or ''}"
