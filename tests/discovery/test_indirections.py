"""File references named through variables and locals are checked like literal ones at mine
time: literal defaults, tfvars values and module arguments, and locals built from them
(string literals, ``"${var.x}/file"`` templates, ``path.module`` joins)."""

from __future__ import annotations

from pathlib import Path

from lsqm.discovery.filter import evaluate
from tests.discovery.helpers import S3_TF, write_tree

LAMBDA = """
resource "aws_lambda_function" "f" {
  function_name    = "f"
  role             = "arn:aws:iam::000000000000:role/r"
  handler          = "app.Handler"
  runtime          = "java11"
  filename         = %s
  source_code_hash = filebase64sha256(%s)
}
"""


def reasons(folder: Path, root: Path | None = None) -> list[tuple[str, str]]:
    """(code, detail without its file:line) of every reason."""
    decision = evaluate(folder, root or folder)
    return sorted((r.code.value, r.detail.split(" ", 1)[1]) for r in decision.reasons)


def test_a_jar_named_by_a_variable_default_must_exist(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'variable "jar" {\n  default = "target/app-1.0.jar"\n}\n'
                          + LAMBDA % ("var.jar", "var.jar")})  # fmt: skip
    assert reasons(tmp_path) == [
        ("missing_file", "filename needs var.jar (= target/app-1.0.jar)"),
        ("missing_file", "source_code_hash needs var.jar (= target/app-1.0.jar)"),
    ]
    write_tree(tmp_path, {"target/app-1.0.jar": b"PK\x03\x04"})
    decision = evaluate(tmp_path, tmp_path)
    assert decision.accepted, decision.reasons
    assert tmp_path / "target/app-1.0.jar" in decision.files  # kept with the architecture


def test_tfvars_values_win_over_defaults(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'variable "jar" {\n  default = "present.jar"\n}\nvariable "dir" {}\n'
                   + LAMBDA % ('"${var.dir}/${var.jar}"', '"${var.dir}/${var.jar}"'),
        "present.jar": b"PK",
        "build/present.jar": b"PK",
        "terraform.tfvars": 'dir = "build"\n',
        "prod.auto.tfvars": 'jar = "gone.jar"\n',
    })  # fmt: skip
    assert reasons(tmp_path) == [
        ("missing_file", "filename needs ${var.dir}/${var.jar} (= build/gone.jar)"),
        ("missing_file", "source_code_hash needs ${var.dir}/${var.jar} (= build/gone.jar)"),
    ]


def test_locals_built_from_variables_and_path_module(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
variable "build_dir" {
  default = "dist"
}
locals {
  artifact = "${local.base}/handler.zip"
  base     = "${path.module}/${var.build_dir}"
  policy   = "policies/queue.json"
}
resource "aws_sqs_queue" "q" {
  policy = file(local.policy)
}
""" + LAMBDA % ("local.artifact", "local.artifact")})  # fmt: skip
    assert reasons(tmp_path) == [
        ("missing_file", "filename needs local.artifact (= ./dist/handler.zip)"),
        ("missing_file", "policy needs local.policy (= policies/queue.json)"),
        ("missing_file", "source_code_hash needs local.artifact (= ./dist/handler.zip)"),
    ]


def test_reading_a_host_file_through_a_variable_is_a_path_escape(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(repo, {"app/main.tf": S3_TF + """
variable "dir" {
  default = "."
}
variable "key" {
  default = "/root/.ssh/id_rsa"
}
locals {
  shadow = "${path.module}/../../etc/shadow"
}
resource "aws_ssm_parameter" "a" {
  name  = "a"
  type  = "String"
  value = file("${var.dir}/../../etc/passwd")
}
resource "aws_ssm_parameter" "b" {
  name  = "b"
  type  = "String"
  value = templatefile(local.shadow, {})
}
resource "aws_ssm_parameter" "c" {
  name  = "c"
  type  = "String"
  value = filebase64(var.key)
}
"""})  # fmt: skip
    assert reasons(repo / "app", repo) == [
        ("path_escape", "value reads ${var.dir}/../../etc/passwd (= ./../../etc/passwd) outside"),
        ("path_escape", "value reads local.shadow (= ./../../etc/shadow) outside"),
        ("path_escape", "value reads var.key (= /root/.ssh/id_rsa) outside"),
    ]


def test_module_arguments_carry_the_callers_path_module(tmp_path: Path) -> None:
    """``path.module`` in a module argument is the caller's folder, not the module's."""
    write_tree(tmp_path, {
        "main.tf": 'module "fn" {\n  source   = "./modules/fn"\n'
                   '  artifact = "${path.module}/dist/app.zip"\n}\n',
        "modules/fn/main.tf": 'variable "artifact" {}\n' + LAMBDA % ("var.artifact", "var.artifact"),
        "modules/fn/dist/app.zip": b"PK",  # beside the module: not what the caller names
    })  # fmt: skip
    assert reasons(tmp_path) == [
        ("missing_file", "filename needs var.artifact (= ./dist/app.zip)"),
        ("missing_file", "source_code_hash needs var.artifact (= ./dist/app.zip)"),
    ]
    write_tree(tmp_path, {"dist/app.zip": b"PK"})
    decision = evaluate(tmp_path, tmp_path)
    assert decision.accepted, decision.reasons
    assert tmp_path / "dist/app.zip" in decision.files


def test_what_needs_evaluation_stays_unchecked(tmp_path: Path) -> None:
    """Values no static reading can know (resource attributes, function calls, variables
    without a literal value) are left to terraform, as before."""
    write_tree(tmp_path, {"main.tf": S3_TF + """
variable "from_env" {
  default = null
}
variable "computed" {
  default = "x"
}
locals {
  name = upper(var.computed)
  list = ["a.zip"]
}
resource "aws_s3_object" "o" {
  bucket = aws_s3_bucket.b.id
  key    = "k"
  source = "${aws_s3_bucket.b.id}.zip"
}
resource "aws_s3_object" "p" {
  bucket = aws_s3_bucket.b.id
  key    = "p"
  source = "${local.name}.zip"
}
resource "aws_s3_object" "q" {
  bucket = aws_s3_bucket.b.id
  key    = "q"
  source = coalesce(var.from_env, "fallback.zip")
}
resource "aws_s3_object" "r" {
  bucket = aws_s3_bucket.b.id
  key    = "r"
  source = "%{if var.computed == "x"}a%{endif}.zip"
}
"""})  # fmt: skip
    decision = evaluate(tmp_path, tmp_path)
    assert decision.accepted, decision.reasons
