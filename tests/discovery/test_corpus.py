"""End to end: mine the shared corpus (localstack-terraform-samples, read-only) and check
decisions verified by reading the files."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.store import ArtifactStore
from tests.conftest import corpus_dir


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, dict]:
    """One mine of the corpus, shared by the checks below (it takes well under a second)."""
    corpus = corpus_dir("localstack-terraform-samples")
    tmp = tmp_path_factory.mktemp("corpus")
    config = tmp / "lsqm.yaml"
    config.write_text(f"artifacts_dir: {tmp / 'art'}\ncache_dir: {tmp / 'cache'}\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), "mine", "--source", str(corpus), "--format", "json"])
    assert code == 0
    summary = json.loads(out.getvalue())
    ledger = ArtifactStore(tmp / "art").discovery_ledger()
    decisions = {key.split("#", 1)[1]: entry for key, entry in ledger.items()}
    archs = {}
    for path in (tmp / "art/architectures").iterdir():
        meta = json.loads((path / "architecture.json").read_text())
        archs[meta["source"]["path"]] = meta | {"dir": str(path)}
    return summary, decisions, archs


def codes(decisions: dict, folder: str) -> dict[str, str]:
    """code -> its details joined (a code may come with several details)."""
    found: dict[str, list[str]] = {}
    for reason in decisions[folder]["reasons"]:
        found.setdefault(reason["code"], []).append(reason["detail"])
    return {code: " | ".join(details) for code, details in found.items()}


def test_summary(mined: tuple[dict, dict, dict]) -> None:
    summary, decisions, archs = mined
    assert summary["candidates_seen"] == 56 == len(decisions)
    # 16 plain AWS folders within the community services; 9 more that use other services
    # (apigatewayv2, cognito-idp, kafka) and 24 more that use hashicorp/random are kept too
    assert summary["accepted"] == len(archs) == 49
    assert summary["tf_files_parsed"] >= 80
    assert not any(k.startswith("demo-deploy/modules") for k in decisions)  # modules, not roots


def test_accepted_api_gateway_dynamodb_with_its_inventory(mined: tuple[dict, dict, dict]) -> None:
    _, decisions, archs = mined
    arch = archs["apigateway-dynamodb"]
    # main.tf: api_gateway_*, cloudwatch_log_*, dynamodb_table, iam_*, caller_identity
    assert arch["services"] == ["apigateway", "dynamodb", "iam", "logs", "sts"]
    assert "aws_dynamodb_table" in arch["resource_types"]
    assert decisions["apigateway-dynamodb"]["accepted"] is True


def test_referenced_certificate_files_are_kept(mined: tuple[dict, dict, dict]) -> None:
    _, _, archs = mined
    # main.tf:100-102 reads ${path.module}/sslcert/{server.crt,rootCA.key,ssl.key}
    stored = Path(archs["sample-archive/apigateway-custom-domain"]["dir"])
    assert {"server.crt", "rootCA.key", "ssl.key"} <= {
        p.name for p in (stored / "sslcert").iterdir()
    }


def test_required_variable_without_default(mined: tuple[dict, dict, dict]) -> None:
    _, decisions, _ = mined
    # variables.tf:3 `variable "bucket_name"` has no default and there is no tfvars file
    assert codes(decisions, "s3-static-website") == {
        "required_variable": 's3-static-website/variables.tf:3 variable "bucket_name" has no '
        "default and no tfvars value"
    }


def test_missing_lambda_zip(mined: tuple[dict, dict, dict]) -> None:
    _, decisions, _ = mined
    # main.tf:134 filename = "lambda.zip" (no zip in the folder, no archive_file); its
    # random_pet is allowed (a hashicorp utility provider)
    found = codes(decisions, "sample-archive/apigateway-rest-lambda-selection-patterns")
    assert set(found) == {"missing_file"}
    assert "main.tf:134 filename needs lambda.zip" in found["missing_file"]


@pytest.mark.parametrize("as_link", [False, True], ids=["stored-as-text", "real-symlink"])
def test_a_symlinked_provider_file_is_never_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_link: bool
) -> None:
    """The corpus has provider.tf as a git symlink to ``../provider.tf``. Checked out without
    ``core.symlinks`` it is a 14-byte text file (a parse error); with it, a real symlink that
    lsqm never follows out of the folder. Built here, so the test does not depend on how the
    corpus was copied."""
    repo = tmp_path / "repo"
    arch = repo / "apigateway-custom-id"
    arch.mkdir(parents=True)
    (repo / "provider.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n')
    (arch / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    if as_link:
        (arch / "provider.tf").symlink_to("../provider.tf")
    else:
        (arch / "provider.tf").write_text("../provider.tf")
    code = main(["mine", "--explain", str(arch), "--format", "json"])
    decision = json.loads(capsys.readouterr().out)
    assert code == 0
    reasons = {r["code"]: r["detail"] for r in decision["reasons"]}
    if as_link:
        assert set(reasons) == {"path_escape"} and "provider.tf" in reasons["path_escape"]
    else:
        assert reasons == {"parse_error": "provider.tf:1: unexpected syntax"}


def test_services_the_community_edition_lacks_are_kept(mined: tuple[dict, dict, dict]) -> None:
    """The gaps validate measures: kept, and architecture.json says which services they are."""
    _, decisions, archs = mined
    assert decisions["managed-streaming-kafka-cluster"]["accepted"] is True
    assert archs["managed-streaming-kafka-cluster"]["unsupported_services"] == ["kafka"]
    # demo-deploy: five local modules followed, variables from terraform.tfvars; only the
    # cognito module's user pool is out of the emulator's list. Its commented-out local-exec
    # is not code.
    assert decisions["demo-deploy"]["accepted"] is True
    assert archs["demo-deploy"]["unsupported_services"] == ["cognito-idp"]
    assert decisions["demo-deploy"]["deps"] == [
        "demo-deploy/modules/apigateway", "demo-deploy/modules/cognito",
        "demo-deploy/modules/dynamodb", "demo-deploy/modules/lambda", "demo-deploy/modules/s3",
        "demo-deploy/modules/sqs",
    ]  # fmt: skip
    # acm-route53: an HTTP API custom domain (apigatewayv2, not in the community edition)
    assert archs["acm-route53"]["unsupported_services"] == ["apigatewayv2"]
    assert archs["cognito-group-example"]["unsupported_services"] == ["cognito-idp"]
    assert not any(
        r["code"] == "service_not_supported" for d in decisions.values() for r in d["reasons"]
    )


def test_template_provider_is_not_a_default(mined: tuple[dict, dict, dict]) -> None:
    _, decisions, _ = mined
    # data "template_file": hashicorp/template, archived, not among the utility providers
    found = codes(decisions, "sample-archive/apigateway-aws-transfer")
    assert found == {"provider_not_allowed": "provider template (template_file) is not allowed"}


def test_repository_root_only_configures_a_provider(mined: tuple[dict, dict, dict]) -> None:
    _, decisions, _ = mined
    assert set(codes(decisions, ".")) == {"no_aws_resources"}
