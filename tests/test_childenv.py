"""Children get an allow-listed environment: test credentials, a private HOME, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.childenv import aws_env, child_env


def test_child_environment_holds_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret-key-value")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    env = child_env(tmp_path, aws_env("http://127.0.0.1:1", "us-east-1"))
    assert env["AWS_SECRET_ACCESS_KEY"] == "test" and "AWS_PROFILE" not in env
    for name in ("GITHUB_TOKEN", "ANTHROPIC_API_KEY", "SLACK_WEBHOOK_URL"):
        assert name not in env
    assert env["HOME"] == str(tmp_path)
    with pytest.raises(ValueError):
        child_env(tmp_path, {"GITHUB_TOKEN": "x"})
