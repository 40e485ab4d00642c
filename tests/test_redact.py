"""Secrets never reach a log: redacted as the child writes, and in any text shown."""

from __future__ import annotations

import os
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.redact import redact


def test_logs_are_redacted(tmp_path: Path) -> None:
    token = os.environ["GITHUB_TOKEN"]
    log = tmp_path / "out.log"
    result = proc.run(["echo", f"token={token} key=sk-ant-abcdefghijklmnop"],
                      env=child_env(tmp_path), log_path=log)  # fmt: skip
    assert token not in result.output and token not in log.read_text()
    assert "sk-ant-abcdefghijklmnop" not in log.read_text()
    assert "[REDACTED]" in redact("hook https://hooks.slack.com/services/A/B/C")
