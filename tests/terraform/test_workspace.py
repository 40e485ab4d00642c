"""The workspace: provider overrides follow the installed schema and reach aliases and local
modules; nothing outside the architecture is copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.terraform.provider_schema import ProviderCapabilities
from lsqm.terraform.workspace import prepare, render_provider, write_provider_overrides

CAPS_3 = ProviderCapabilities(
    "registry.terraform.io/hashicorp/aws", "3.39.0",
    frozenset({"region", "s3_force_path_style", "skip_get_ec2_platforms", "max_retries",
               "skip_credentials_validation", "skip_metadata_api_check",
               "skip_requesting_account_id"}),
    ("s3", "sqs"),
)  # fmt: skip


CAPS_5 = ProviderCapabilities(
    "registry.terraform.io/hashicorp/aws",
    "5.80.0",
    frozenset({"region", "s3_use_path_style", "skip_credentials_validation"}),
    ("s3", "sqs", "sfn"),
)


def test_provider_override_follows_the_installed_schema() -> None:
    three = render_provider(CAPS_3, "http://127.0.0.1:9", "us-east-1")
    assert "s3_force_path_style = true" in three and "skip_get_ec2_platforms" in three
    five = render_provider(CAPS_5, "http://127.0.0.1:9", "us-east-1", alias="west")
    assert "s3_use_path_style = true" in five and "s3_force_path_style" not in five
    assert "skip_get_ec2_platforms" not in five and 'alias = "west"' in five
    assert 'sfn = "http://127.0.0.1:9"' in five and "region" not in five


def test_workspace_overrides_cover_backend_aliases_and_modules(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    (arch / "modules" / "m").mkdir(parents=True)
    (arch / "main.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n'
        '  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n  }\n}\n'
        'provider "aws" {\n  alias = "west"\n  region = "us-west-2"\n}\n'
        'module "m" {\n  source = "./modules/m"\n}\n'
    )
    module_tf = 'provider "aws" {\n  region = "eu-west-1"\n}\n'
    (arch / "modules" / "m" / "main.tf").write_text(module_tf)
    ws = prepare(arch, tmp_path / "ws", relax=True)
    assert 'backend "local"' in (ws.root / "lsqm_backend_override.tf").read_text()
    assert ">= 0.1" in (ws.root / "lsqm_relax_override.tf").read_text()
    write_provider_overrides(ws, CAPS_3, "http://127.0.0.1:9", "us-east-1")
    root_override = (ws.root / "lsqm_provider_override.tf").read_text()
    assert 'alias = "west"' in root_override
    assert (ws.root / "lsqm_provider.tf").is_file()  # no default provider block to override
    module_override = (ws.root / "modules" / "m" / "lsqm_provider_override.tf").read_text()
    assert 'sqs = "http://127.0.0.1:9"' in module_override
    assert (arch / "main.tf").read_text().count("override") == 0  # originals untouched


def test_workspace_never_follows_symlinks_or_escapes(tmp_path: Path) -> None:
    from lsqm.errors import StoreError

    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    arch = tmp_path / "arch"
    arch.mkdir()
    (arch / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (arch / "leak.txt").symlink_to(secret)
    ws = prepare(arch, tmp_path / "ws", relax=False)
    assert not (ws.root / "leak.txt").exists()
    with pytest.raises(StoreError):
        prepare(arch, tmp_path / "ws2", "../..", relax=False)
