"""What `mine` keeps, carried through the real flow: mine -> generate (rules) -> validate with
real Terraform against a real LocalStack process, through the CLI as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lsqm.cli import main
from lsqm.config import Settings
from lsqm.toolchain.terraform_install import TerraformToolchain

from ..conftest import ARCHS

pytestmark = pytest.mark.e2e


def _lsqm(config: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), *args, "--format", "json"])
    assert code in (0, 1), out.getvalue()
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _mine_generate_validate(
    settings: Settings, toolchain: TerraformToolchain, tmp_path: Path, *folders: Path
) -> dict[str, Any]:
    """Results by architecture name, after the default mine/generate/validate of ``folders``
    with the offline toolchain (also where the registry answers: what is measured is what
    lsqm does without it)."""
    config = tmp_path / "lsqm.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "artifacts_dir": str(settings.artifacts_dir),
                "cache_dir": str(settings.cache_dir),
                "runtime": "host",
                "timeout": settings.timeout,
                "offline_toolchain": True,
                "terraform": str(toolchain.binary),
            }
        )
    )
    sources = [a for folder in folders for a in ("--source", str(folder))]
    mined = _lsqm(config, "mine", *sources)
    assert mined["accepted"] == len(folders), mined
    _lsqm(config, "generate")
    run = _lsqm(config, "validate")
    return {r["name"].rsplit("/", 1)[-1]: r for r in run["results"]}


def test_a_service_the_emulator_lacks_is_kept_and_fails_naming_it(
    e2e_settings: Settings, toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    """Cognito is outside LocalStack's community edition: mined by default, it deploys to a
    501 that the verdict blames on the emulator, naming the service and the operation."""
    results = _mine_generate_validate(e2e_settings, toolchain, tmp_path, ARCHS / "cognito")
    cognito = results["cognito"]
    assert (cognito["status"], cognito["category"]) == ("FAILED", "emulator_unsupported")
    assert cognito["signature"] == "cognito-idp.CreateUserPool 501 InternalFailure"
    stored = json.loads(
        (e2e_settings.artifacts_dir / "architectures" / cognito["arch_hash"] / "architecture.json")
        .read_text()
    )  # fmt: skip
    assert stored["unsupported_services"] == ["cognito-idp"]


def test_utility_providers_null_offline_and_random_missing_named(
    e2e_settings: Settings, toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    """Both are kept by default. Offline, null comes from lsqm's mirror and the architecture
    passes; random cannot be installed: ERROR/environment naming it, not the emulator."""
    results = _mine_generate_validate(
        e2e_settings, toolchain, tmp_path, ARCHS / "null_sqs", ARCHS / "random_offline"
    )
    null = results["null_sqs"]
    assert null["status"] == "PASSED", null["message"]
    assert null["tests"]["passed"] >= 1
    random = results["random_offline"]
    assert (random["status"], random["category"]) == ("ERROR", "environment")
    assert random["signature"] == (
        "provider not available offline: registry.terraform.io/hashicorp/random"
    )
    assert "hashicorp/null 2.1.2" in random["message"]  # what the mirror offers
    assert "relax_provider_constraints" not in random["message"]  # relaxing cannot help
    assert random["stages"]["init"]["ok"] is False
