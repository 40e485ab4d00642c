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
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []
IDS = [p.name for p in EXAMPLE_DIRS]

MIN_EXAMPLES = 13
STDLIB_OK = {
    "base64", "datetime", "hashlib", "json", "os", "re", "time", "urllib", "uuid",
    "collections", "functools", "itertools", "typing", "__future__", "contextlib",
}  # fmt: skip
TEST_DEPS = {"boto3", "botocore", "pytest"}


def strip_comments(text: str) -> str:
    """Remove HCL comments (``#``, ``//`` and ``/* */``) outside of string literals."""
    out, i, n = [], 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blocks(text: str, keyword: str) -> list[tuple[str, str]]:
    """Top-level-or-nested ``keyword ... { body }`` blocks as (header, body), brace-matched."""
    found = []
    for m in re.finditer(rf"(?m)^\s*{keyword}\b([^{{\n]*)\{{", text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        found.append((m.group(1).strip(), text[m.end() : j - 1]))
    return found


def tf_text(example: Path) -> str:
    return "\n".join(strip_comments(p.read_text(encoding="utf-8")) for p in example.glob("*.tf"))


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
    assert blocks(tf_text(example), "output"), "no output blocks"
    assert blocks(tf_text(example), "resource"), "no resources"


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
    for _, body in blocks(tf_text(example), "terraform"):
        assert not re.search(r"\bbackend\b|\bcloud\s*\{", body)


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_requires_hashicorp_aws_provider(example: Path):
    text = tf_text(example)
    (terraform,) = blocks(text, "terraform")
    assert "required_providers" in terraform[1]
    assert re.search(r'source\s*=\s*"hashicorp/aws"', terraform[1])


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_provider_blocks_have_no_endpoints_or_credentials(example: Path):
    providers = blocks(tf_text(example), "provider")
    assert providers, 'expected a plain provider "aws" block'
    for header, body in providers:
        assert header.strip('" ') == "aws", header
        assert "endpoints" not in body
        for arg in ("access_key", "secret_key", "alias", "assume_role", "profile"):
            assert not re.search(rf"\b{arg}\b", body), arg
        assert re.search(r'region\s*=\s*"us-east-1"', body)


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_every_variable_has_a_default(example: Path):
    for header, body in blocks(tf_text(example), "variable"):
        assert re.search(r"(?m)^\s*default\s*=", body), f"variable {header} has no default"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_nothing_needs_docker_real_aws_or_local_commands(example: Path):
    text = tf_text(example)
    assert not re.search(r'"aws_lambda_\w+"', text), "Lambda needs Docker"
    for banned in ("local-exec", "remote-exec", '"external"', "module "):
        assert banned not in text, banned
    # data sources would ask the emulator (or AWS) for things that were never created here
    assert not re.search(r'(?m)^\s*data\s+"', text)


def test_resource_names_are_prefixed_per_example():
    for example in EXAMPLE_DIRS:
        prefix = "lsqm-" + example.name.replace("_", "-")
        names = re.findall(r'(?m)^\s*(?:name|bucket|alarm_name)\s*=\s*"([^"$]+)"', tf_text(example))
        top_level = [n for n in names if n.startswith(("lsqm", "/lsqm", "alias/lsqm"))]
        assert top_level, example.name
        for n in top_level:
            assert prefix in n or n.startswith("/lsqm/" + example.name.replace("_", "-")), (
                example.name,
                n,
            )


def test_strip_comments_keeps_strings():
    text = 'a = "x # not a comment" # comment\n/* block\n */ b = "//"\n// line'
    assert strip_comments(text) == 'a = "x # not a comment" \n b = "//"\n'


def test_blocks_are_brace_matched():
    text = 'provider "aws" {\n  region = "us-east-1"\n  endpoints {\n    s3 = "x"\n  }\n}\n'
    ((header, body),) = blocks(text, "provider")
    assert header == '"aws"'
    assert "endpoints" in body and body.rstrip().endswith("}")
