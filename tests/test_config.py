"""Settings: every one can be given as ``LSQM_<NAME>``, a bad value is one sentence naming
the file or variable it came from, secrets come only from the environment, and the config
file has one name everywhere."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr

from lsqm.cli import main
from lsqm.config import CONFIG_FILE, DiscoverySettings, EmulatorProfile, Settings, load_settings

from .conftest import REPO


def _sample(annotation: Any, default: Any) -> tuple[str, Any]:
    """A value different from the default, as environment text and as expected."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    kind = (
        args[0] if typing.get_origin(annotation) in (typing.Union, types.UnionType) else annotation
    )
    if typing.get_origin(kind) is Literal:
        choice = next(v for v in typing.get_args(kind) if v != default)
        return str(choice), choice
    if typing.get_origin(kind) is list:
        return "alpha, beta", ["alpha", "beta"]
    if typing.get_origin(kind) is dict:  # emulator_profiles: JSON
        text = '{"fc": {"emulator": "fakecloud", "endpoint": "http://127.0.0.1:5000"}}'
        return text, {"fc": EmulatorProfile(emulator="fakecloud", endpoint="http://127.0.0.1:5000")}
    if kind is bool:
        return ("false", False) if default else ("true", True)
    if kind is int:
        value = default + 1 if isinstance(default, int) else 7
        return str(value), value
    if kind is float:
        value = default + 0.5 if isinstance(default, float) else 7.5
        return str(value), value
    if kind is Path:
        return "/tmp/lsqm-env-path", Path("/tmp/lsqm-env-path")
    if kind is SecretStr:
        return "not-a-real-secret", "not-a-real-secret"
    if kind is str:
        return "main-env", "main-env"
    raise AssertionError(f"no sample for {annotation}")


def _cases() -> list[tuple[str, str, Any, tuple[str, ...]]]:
    cases = []
    for name, field in Settings.model_fields.items():
        if name == "discovery":
            continue
        text, value = _sample(field.annotation, field.get_default(call_default_factory=True))
        cases.append((f"LSQM_{name.upper()}", text, value, (name,)))
    for name, field in DiscoverySettings.model_fields.items():
        text, value = _sample(field.annotation, field.get_default(call_default_factory=True))
        cases.append((f"LSQM_DISCOVERY_{name.upper()}", text, value, ("discovery", name)))
    return cases


@pytest.mark.parametrize(("var", "text", "expected", "path"), _cases())
def test_every_setting_has_an_lsqm_variable(
    var: str, text: str, expected: Any, path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, text)
    value: Any = load_settings()
    for part in path:
        value = getattr(value, part)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    assert value == expected


@pytest.mark.parametrize(
    ("file_text", "env", "option", "needle"),
    [
        ("parallel: 0\n", {}, {}, "setting 'parallel' (in {file}) is invalid"),
        ("", {"LSQM_PARALLEL": "many"}, {}, "setting 'parallel' (from LSQM_PARALLEL) is invalid"),
        ("", {"LSQM_PARALLEL": "many"}, {"parallel": 2}, None),  # the option wins
        ("discovery:\n  http_retries: 99\n", {}, {}, "'discovery.http_retries' (in {file})"),
        ("", {"LSQM_DISCOVERY_HTTP_RETRIES": "x"}, {}, "(from LSQM_DISCOVERY_HTTP_RETRIES)"),
        ("discovery:\n  colour: red\n", {}, {}, "unknown setting 'discovery.colour' (in {file})"),
        ("timeout: -1\n", {}, {}, "(got '-1')"),
        ("artifact_branch: 'a b'\n", {}, {}, "setting 'artifact_branch' (in {file})"),
        ("slack_webhook_url: https://hooks.example/x\n", {}, {},
         "'slack_webhook_url' is a secret; set SLACK_WEBHOOK_URL in the environment"),
        ("anthropic_api_key: sk-x\n", {}, {}, "set ANTHROPIC_API_KEY in the environment"),
    ],
)  # fmt: skip
def test_a_bad_value_names_where_it_came_from(
    file_text: str, env: dict[str, str], option: dict[str, Any], needle: str | None,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = tmp_path / CONFIG_FILE
    config.write_text(file_text)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if needle is None:
        assert load_settings(config, **option).parallel == 2
        return
    from lsqm.errors import UsageError

    with pytest.raises(UsageError) as caught:
        load_settings(config, **option)
    assert needle.format(file=config) in caught.value.message
    assert caught.value.message.count(". ") == 0  # one sentence


def test_unknown_discovery_key_lists_discoverys_settings(tmp_path: Path) -> None:
    from lsqm.errors import UsageError

    config = tmp_path / CONFIG_FILE
    config.write_text("discovery:\n  colour: red\n")
    with pytest.raises(UsageError, match="known settings: allow_exec, allowed_providers"):
        load_settings(config)


def test_the_config_file_read_by_default_is_lsqm_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("timout: 5\n")
    assert main(["status"]) == 2
    assert "unknown setting 'timout' (in lsqm.yaml)" in capsys.readouterr().err
    # one name for it everywhere: the code, the README and the docs never say another
    texts = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
             *sorted((REPO / "src").rglob("*.py"))]  # fmt: skip
    other = re.compile(r"\b(config\.ya?ml|lsqm\.yml|\.lsqm\.ya?ml)\b")
    assert [str(p) for p in texts if other.search(p.read_text())] == []


def test_github_actions_step_summary_is_read_through_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert load_settings(None).step_summary is None
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert load_settings(None).step_summary == tmp_path / "summary.md"
