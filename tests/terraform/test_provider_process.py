"""One provider process per architecture: when it is used, how terraform attaches to it, and
that a provider which dies under it never yields a verdict of its own."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from lsqm.childenv import child_env
from lsqm.config import Settings
from lsqm.errors import ProviderNotShared
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.terraform.provider_process import SharedProvider, _reattach_config, unshareable_reason
from lsqm.terraform.workspace import prepare
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS

SDK_V2_LINE = (
    '\tTF_REATTACH_PROVIDERS=\'{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc",'
    '"Pid":27004,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin518972323"}}}\''
)
FRAMEWORK_LINE = (
    '\t\texport TF_REATTACH_PROVIDERS=\'{"registry.terraform.io/hashicorp/aws":{"Protocol":'
    '"grpc","ProtocolVersion":5,"Pid":4242,"Test":true,"Addr":{"Network":"unix",'
    '"String":"/tmp/plugin1"}}}\''
)


def test_reattach_lines_of_both_provider_generations_are_read() -> None:
    old = _reattach_config(SDK_V2_LINE)
    assert old == {
        "Protocol": "grpc",
        "Pid": 27004,
        "Test": True,
        "Addr": {"Network": "unix", "String": "/tmp/plugin518972323"},
    }
    new = _reattach_config(FRAMEWORK_LINE)
    assert new is not None and new["ProtocolVersion"] == 5
    assert _reattach_config("Provider started, to attach Terraform set ...") is None
    assert _reattach_config("TF_REATTACH_PROVIDERS='{not json'") is None
    two = '{"a":{"Addr":{}},"b":{"Addr":{}}}'
    assert _reattach_config(f"TF_REATTACH_PROVIDERS='{two}'") is None


def test_only_a_single_aws_configuration_shares_a_process(tmp_path: Path) -> None:
    single = prepare(ARCHS / "sqs_ok", tmp_path / "one", relax=False)
    assert unshareable_reason(single) is None
    # Two configurations in the root plus one in a local module: one process would hold one
    # configured client for all three.
    several = prepare(ARCHS / "local_module", tmp_path / "three", relax=False)
    assert unshareable_reason(several) == "3 AWS provider configurations"


@pytest.mark.e2e
def test_shared_provider_attaches_and_a_kill_is_a_crash(
    toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    assert toolchain.mirror is not None
    binary = next(toolchain.mirror.rglob("terraform-provider-aws*"))
    source = "registry.opentofu.org/hashicorp/aws"
    home = tmp_path / "home"
    home.mkdir()
    provider = SharedProvider(
        binary, source, cwd=tmp_path, env=child_env(home), log_path=tmp_path / "provider.log"
    )
    try:
        config = json.loads(provider.env()["TF_REATTACH_PROVIDERS"])
        assert list(config) == [source]  # keyed by the address the workspace locked
        assert Path(config[source]["Addr"]["String"]).exists()
        assert provider.alive() and not provider.crashed
        os.kill(config[source]["Pid"], signal.SIGKILL)
        deadline = time.monotonic() + 120  # ends when the killed provider is seen gone
        while provider.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert provider.crashed
    finally:
        provider.stop()
    assert not provider.crashed  # stopped by us from here on


def test_a_provider_without_debug_mode_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "terraform-provider-fake"
    fake.write_text("#!/bin/sh\necho 'flag provided but not defined: -debug' >&2\nexit 2\n")
    fake.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(ProviderNotShared, match="flag provided but not defined"):
        SharedProvider(
            fake, "x/y", cwd=tmp_path, env=child_env(home), log_path=tmp_path / "provider.log"
        )


def _validate(settings: Settings, *names: str) -> tuple[ArtifactStore, dict[str, dict[str, Any]]]:
    store = ArtifactStore(settings.artifacts_dir)
    hashes = [add_local(store, ARCHS / n, ARCHS / n / "tests", n) for n in names]
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    execute(settings, store, plan, on_result=lambda _r: None)
    return store, {r.name: r.to_json() for r in store.results(plan.run_id).values()}


@pytest.mark.e2e
def test_a_provider_that_dies_is_rerun_with_terraforms_own_processes(
    e2e_settings: Settings,
) -> None:
    # The fixture's test kills the provider by its pid, which the sandbox rightly hides from
    # a test (a process namespace of its own).
    e2e_settings.sandbox = "off"
    store, by_name = _validate(e2e_settings, "kill_provider", "provider_crash", "sqs_ok")

    killed = by_name["kill_provider"]
    # The first attempt lost its provider: only the rerun's verdict counts, and says so.
    assert killed["status"] == "PASSED", killed["message"]
    assert killed["provider_rerun"].startswith("the shared provider process exited")
    assert killed["provider"]["process"] == "per-command"
    logs = store.logs_dir(killed["run_id"], killed["arch_hash"])
    assert "plugin address" in (logs / "shared-provider.log").read_text()  # what it had said

    crash = by_name["provider_crash"]
    assert (crash["status"], crash["category"]) == ("FAILED", "provider_crash")
    assert crash["signature"].startswith("provider crashed in resourceAwsApiGatewayDomainNameRead")
    assert crash["provider_rerun"]

    ok = by_name["sqs_ok"]  # the next architecture shares a provider again
    assert ok["status"] == "PASSED" and ok["provider"]["process"] == "shared"
    assert ok["provider_rerun"] is None


@pytest.mark.e2e
def test_terraforms_own_provider_processes_on_request(e2e_settings: Settings) -> None:
    e2e_settings.share_provider_process = False
    ok = _validate(e2e_settings, "sqs_ok")[1]["sqs_ok"]
    assert ok["status"] == "PASSED" and ok["provider"]["process"] == "per-command"
