"""The gate refuses what generated code must not do, and passes an honest test module.
Collection runs a real ``pytest --collect-only`` subprocess through lsqm.proc."""

from __future__ import annotations

import pytest

from lsqm.generation.gate import check_names, check_source, gate

GOOD = """
import boto3


def test_queue_exists(state):
    sqs = boto3.client("sqs")
    assert sqs.list_queues() is not None
"""


def test_an_honest_module_passes_and_is_collected() -> None:
    report = gate({"test_ok.py": GOOD})
    assert report.ok, report.problems
    assert report.collected == 1


@pytest.mark.parametrize(
    "name",
    ["../test_x.py", "sub/test_x.py", "/etc/test_x.py", "Test-X.py", "test_x.sh", ".test.py",
     "test_x.py\x00.txt", "..\\test_x.py"],
)  # fmt: skip
def test_file_names_must_be_flat_module_names(name: str) -> None:
    problems = check_names({name: GOOD, "test_ok.py": GOOD})
    assert any(repr(name) in p for p in problems), problems


@pytest.mark.parametrize(
    ("source", "finding"),
    [
        ("import subprocess\n", "imports subprocess"),
        ("from subprocess import run\n", "imports subprocess"),
        ("import os\nos.system('id')\n", "calls os.system"),
        ("from os import system as s\ns('id')\n", "calls os.system"),
        ("import os\nos.execv('/bin/sh', [])\n", "calls os.execv"),
        ("import socket\n", "imports socket"),
        ("import http.client\n", "imports http.client"),
        ("eval('1')\n", "calls eval"),
        ("__import__('subprocess')\n", "calls __import__"),
        ("import importlib\n", "imports importlib"),
        ("import requests\n", "imports requests"),
        ("import yaml\n", "imports yaml, not in the test Python"),
        ("URL = 'https://sqs.us-east-1.amazonaws.com/1/q'\n", "URL of sqs.us-east-1.amazonaws.com"),
        ("X = 'http://169.254.169.254/latest/meta-data'\n", "URL of 169.254.169.254"),
        ("CMD = 'pip install requests'\n", "installs packages"),
        ("def test_x(:\n", "syntax error"),
        ("from . import x\n", "relative import"),
    ],
)  # fmt: skip
def test_forbidden_constructs_are_refused(source: str, finding: str) -> None:
    problems = check_source("test_x.py", source)
    assert any(finding in p for p in problems), problems


def test_urls_of_the_emulator_are_allowed() -> None:
    ok = "A = 'http://127.0.0.1:4566/_aws/execute-api/x/dev/'\nB = 'http://localhost:4566'\n"
    assert check_source("test_x.py", ok) == []


def test_an_app_that_collects_nothing_is_refused() -> None:
    report = gate({"test_empty.py": "def helper():\n    return 1\n"})
    assert not report.ok
    assert report.problems == ["pytest --collect-only collected no test"]


def test_an_app_that_fails_to_import_is_refused() -> None:
    report = gate(
        {"test_boom.py": "raise RuntimeError('boom at import')\n\ndef test_a():\n    pass\n"}
    )
    assert not report.ok
    assert "pytest --collect-only failed" in report.problems[0]
    assert "boom at import" in report.collect_output


def test_static_refusal_skips_collection() -> None:
    """Forbidden code is never executed, not even by the collector."""
    report = gate({"test_bad.py": "import subprocess\nsubprocess.run(['touch', '/tmp/x'])\n"})
    assert not report.ok and report.collected == 0 and report.collect_output == ""
