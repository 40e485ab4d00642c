"""The rules generator's tests against real Terraform and a real LocalStack process.

Bundled examples go through the lead's validation pipeline (``plan_run`` / ``execute``),
exactly as ``lsqm validate`` runs them. The mutation check needs a moment between apply
and the tests, so it drives the same parts (workspace, provider overrides, the terraform
runner, the host emulator) step by step.
"""

from __future__ import annotations

import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest

from lsqm import proc
from lsqm.childenv import aws_env, child_env
from lsqm.config import Settings
from lsqm.emulator.host import HostLocalStack
from lsqm.generation.architecture import read_architecture
from lsqm.generation.rules.generator import RulesGenerator
from lsqm.generation.run import generate_apps
from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore
from lsqm.terraform.provider_schema import aws_capabilities
from lsqm.terraform.runner import Terraform
from lsqm.terraform.workspace import prepare, write_provider_overrides
from lsqm.toolchain.localstack_install import LocalStackInstall
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REGION = "us-east-1"


def _examples(tmp: Path) -> list[Path]:
    """The bundled examples without their hand-written tests (the generator writes them)."""
    out = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if any(p.glob("*.tf"))):
        copy = tmp / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("tests"))
        out.append(copy)
    return out


def test_rules_tests_pass_on_every_bundled_example(
    e2e_settings: Settings, toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = [
        store.add_architecture(p, ArchitectureRecord(name=p.name)) for p in _examples(tmp_path)
    ]
    generated = generate_apps(store, RulesGenerator(), hashes)
    assert [o.status for o in generated] == ["generated"] * len(hashes)

    e2e_settings.parallel = 2
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    execute(e2e_settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    results = store.results(plan.run_id)
    assert len(results) == len(hashes)
    for result in results.values():
        assert result.status == "PASSED", f"{result.name}: {result.message}"
        assert result.tests.total >= 2


def _outcomes(junit: Path) -> dict[str, str]:
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        out[case.get("name", "")] = next(
            (k for k in ("failure", "error", "skipped") if k in kinds), "passed"
        )
    return out


def _run_tests(app: Path, endpoint: str, state: Path, home: Path, junit: Path) -> dict[str, str]:
    env = child_env(
        home,
        {**aws_env(endpoint, REGION), "LSQM_TF_STATE": str(state), "LSQM_TF_OUTPUTS": str(state),
         "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    proc.run([*argv, str(app)], env=env, cwd=app, timeout=300)
    return _outcomes(junit)


def test_breaking_the_deployment_makes_the_generated_tests_fail(
    e2e_settings: Settings,
    toolchain: TerraformToolchain,
    localstack: LocalStackInstall,
    tmp_path: Path,
) -> None:
    arch = read_architecture(FIXTURES / "mutable", "mutable", {"name": "mutable"})
    app = tmp_path / "app"
    app.mkdir()
    for name, text in RulesGenerator().generate(arch).files.items():
        (app / name).write_text(text)
    home = tmp_path / "home"
    home.mkdir()

    emulator = HostLocalStack(localstack, workdir=tmp_path / "emulator")
    emulator.start()
    try:
        ws = prepare(FIXTURES / "mutable", tmp_path / "ws", ".", relax=False)
        tf = Terraform(toolchain, home, aws_env(emulator.endpoint, REGION))
        assert tf(["init", "-input=false"], cwd=ws.root, timeout=120).ok
        caps = aws_capabilities(tf, ws.root, e2e_settings.cache_dir / "provider-schemas", 120)
        assert caps is not None
        write_provider_overrides(ws, caps, emulator.endpoint, REGION)
        applied = tf(["apply", "-auto-approve", "-input=false", "-no-color"], cwd=ws.root,
                     timeout=300)  # fmt: skip
        assert applied.ok, applied.output[-2000:]
        state = tmp_path / "state.json"
        state.write_text(tf(["show", "-json"], cwd=ws.root, timeout=60).check().output)

        before = _run_tests(app, emulator.endpoint, state, home, tmp_path / "before.xml")
        assert before and set(before.values()) == {"passed"}, before

        # Break it behind Terraform's back: the state still says all is well.
        client = lambda service: boto3.client(  # noqa: E731
            service, endpoint_url=emulator.endpoint, region_name=REGION,
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        sqs = client("sqs")
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="lsqm-mutation-jobs")["QueueUrl"])
        client("ssm").put_parameter(Name="/lsqm/mutation/mode", Value="green", Type="String",
                                    Overwrite=True)  # fmt: skip
        client("s3").delete_object(Bucket="lsqm-mutation-assets", Key="index.html")

        after = _run_tests(app, emulator.endpoint, state, home, tmp_path / "after.xml")
    finally:
        emulator.stop()
    broken = {name for name, outcome in after.items() if outcome in ("failure", "error")}
    assert broken == {
        "test_sqs_queue_jobs_send_receive_delete",
        "test_sqs_queue_jobs_attributes_as_configured",
        "test_ssm_parameter_mode_value_as_configured",
        # every read of a parameter is whole (a garbled read is wrong whichever check made
        # it), so the type check's read of the changed value fails too, saying so
        "test_ssm_parameter_mode_type_as_configured",
        "test_s3_bucket_object_index_content_as_uploaded",
    }
    # what was not broken still passes: the failures point at what changed
    assert after["test_s3_bucket_assets_stores_put_get_list_delete"] == "passed"
