"""The embedded default: every bundled example deploys offline and its hand-written tests
pass (README command 1 relies on this), and ``lsqm setup`` is idempotent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lsqm.config import Settings
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

from ..conftest import REPO

pytestmark = pytest.mark.e2e

EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if any(p.glob("*.tf")))


def test_every_bundled_example_passes(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    assert len(EXAMPLES) >= 10
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = [add_local(store, p, p / "tests", p.name) for p in EXAMPLES]
    e2e_settings.parallel = 2
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    run = execute(
        e2e_settings, store, plan, on_result=lambda _r: None, toolchain=toolchain
    ).to_json()
    results = [r.to_json() for r in store.results(plan.run_id).values()]
    failures = {
        r["name"]: (r["status"], r["signature"]) for r in results if r["status"] != "PASSED"
    }
    assert failures == {}
    assert run["summary"]["PASSED"] == len(EXAMPLES)
    assert all(r["tests"]["passed"] >= 2 for r in results)  # behaviour and configuration
    assert [r["name"] for r in results if r["drift"]] == []
    assert all(r["stages"]["destroy"]["ok"] for r in results)


def test_setup_is_idempotent_and_says_what_it_found(cache_dir: Path, tmp_path: Path) -> None:
    env_cmd = [sys.executable, "-m", "lsqm.cli", "--artifacts", str(tmp_path), "setup",
               "--runtime", "host", "--format", "json"]  # fmt: skip
    env = {**os.environ, "LSQM_CACHE_DIR": str(cache_dir)}
    first = subprocess.run(
        env_cmd, env=env, capture_output=True, text=True, timeout=900, check=True
    )
    second = subprocess.run(
        env_cmd, env=env, capture_output=True, text=True, timeout=600, check=True
    )
    report = json.loads(second.stdout)
    assert report["runtime"] == "host"
    assert report["localstack"]["installed_now"] is False
    assert report["terraform"]["version"]
    assert "LocalStack" in second.stderr and "Terraform" in second.stderr
    assert json.loads(first.stdout)["terraform"] == report["terraform"]
