"""Layout checks for the bundled examples (lsqm's embedded default); no emulator needed.

Every ``examples/<name>/`` must be a self-contained Terraform architecture with hand-written
tests that lsqm can deploy offline: Terraform files with outputs, a ``tests/test_<name>.py``
with at least one test function, no backend, no provider endpoints (lsqm writes the provider
override itself), no variable without a default, and nothing that needs Docker or runs
local commands.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsqm.terraform.hcl import Block, ModuleInfo, parse_module

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []
IDS = [p.name for p in EXAMPLE_DIRS]

MIN_EXAMPLES = 13
STDLIB_OK = {
    "base64", "datetime", "hashlib", "json", "os", "re", "time", "urllib", "uuid",
    "collections", "functools", "itertools", "typing", "__future__", "contextlib",
}  # fmt: skip
TEST_DEPS = {"boto3", "botocore", "pytest"}


def module(example: Path) -> ModuleInfo:
    """The example's Terraform, parsed by lsqm's own HCL reader (tree-sitter)."""
    info = parse_module(example)
    assert not info.issues, info.issues
    return info


def walk(blocks: list[Block]) -> Iterator[Block]:
    """Every block, nested ones included."""
    for block in blocks:
        yield block
        yield from walk(block.blocks)


def all_blocks(example: Path) -> list[Block]:
    return list(walk([b for f in module(example).files for b in f.blocks]))


def test_there_are_enough_examples():
    assert len(EXAMPLE_DIRS) >= MIN_EXAMPLES, IDS


def test_example_names_are_unique_python_identifiers():
    for name in IDS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_has_terraform_files_with_outputs(example: Path):
    tf_files = sorted(p.name for p in example.glob("*.tf"))
    assert "main.tf" in tf_files
    assert "outputs.tf" in tf_files
    assert module(example).blocks("output"), "no output blocks"
    assert module(example).blocks("resource"), "no resources"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_main_tf_starts_with_a_description_comment(example: Path):
    first = (example / "main.tf").read_text(encoding="utf-8").lstrip().splitlines()[0]
    assert first.startswith(("#", "//")) and len(first.lstrip("#/ ").strip()) > 10, first


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_has_a_test_module_with_test_functions(example: Path):
    module = example / "tests" / f"test_{example.name}.py"
    assert module.is_file(), f"missing {module.relative_to(EXAMPLES)}"
    tree = ast.parse(module.read_text(encoding="utf-8"))
    tests = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
    ]
    assert tests, "no test functions"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_tests_use_only_stdlib_pytest_and_boto3(example: Path):
    for module in (example / "tests").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in STDLIB_OK | TEST_DEPS, f"{module.name} imports {name}"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_tests_read_identifiers_from_terraform_outputs(example: Path):
    text = (example / "tests" / f"test_{example.name}.py").read_text(encoding="utf-8")
    assert "LSQM_TF_OUTPUTS" in text or "LSQM_TF_STATE" in text
    # no emulator address baked in: the environment's AWS_ENDPOINT_URL is used
    assert "endpoint_url=" not in text
    assert not re.search(r"localhost|127\.0\.0\.1|:4566", text)


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_no_backend_block(example: Path):
    for terraform in module(example).blocks("terraform"):
        assert not terraform.children("backend") and not terraform.children("cloud")


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_requires_hashicorp_aws_provider(example: Path):
    assert len(module(example).blocks("terraform")) == 1
    assert module(example).required_providers["aws"]["source"] == "hashicorp/aws"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_provider_blocks_have_no_endpoints_or_credentials(example: Path):
    providers = module(example).provider_blocks
    assert providers, 'expected a plain provider "aws" block'
    for provider in providers:
        assert provider.labels == ["aws"], provider.labels
        assert not provider.children("endpoints") and not provider.children("assume_role")
        for arg in ("access_key", "secret_key", "alias", "assume_role", "profile"):
            assert arg not in provider.attributes, arg
        assert provider.literal("region") == "us-east-1"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_every_variable_has_a_default(example: Path):
    for variable in module(example).blocks("variable"):
        assert "default" in variable.attributes, f"variable {variable.labels} has no default"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_nothing_needs_docker_real_aws_or_local_commands(example: Path):
    info = module(example)
    types = [b.labels[0] for b in info.blocks("resource")]
    assert not [t for t in types if t.startswith("aws_lambda_")], "Lambda needs Docker"
    provisioners = [b.labels for b in all_blocks(example) if b.type == "provisioner"]
    assert provisioners == [], provisioners  # local-exec, remote-exec run commands
    assert not info.module_calls
    # data sources would ask the emulator (or AWS) for things that were never created here
    assert not info.blocks("data")


def test_resource_names_are_prefixed_per_example():
    for example in EXAMPLE_DIRS:
        prefix = "lsqm-" + example.name.replace("_", "-")
        names = [
            value
            for block in all_blocks(example)
            for key in ("name", "bucket", "alarm_name")
            if isinstance(value := block.literal(key), str) and "${" not in value
        ]
        top_level = [n for n in names if n.startswith(("lsqm", "/lsqm", "alias/lsqm"))]
        assert top_level, example.name
        for n in top_level:
            assert prefix in n or n.startswith("/lsqm/" + example.name.replace("_", "-")), (
                example.name,
                n,
            )
