"""Fixtures for discovery tests: the CLI bound to temp folders, and a fake GitHub served by
a real local HTTP server (pytest-httpserver)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.discovery.helpers import FakeGitHub, FakeRegistry, Lsqm


@pytest.fixture
def lsqm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Lsqm:
    return Lsqm(tmp_path, capsys)


@pytest.fixture
def github(httpserver: Any) -> FakeGitHub:
    fake = FakeGitHub()
    fake.base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request(re.compile(r"^/(repos|orgs|_codeload)/.*")).respond_with_handler(fake)
    return fake


@pytest.fixture
def registry(httpserver: Any) -> FakeRegistry:
    fake = FakeRegistry()
    fake.base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request(re.compile(r"^/(v1|archives)/.*")).respond_with_handler(fake)
    return fake
