"""The catalog and the checks module agree: every check the catalog names exists in
``lsqm_checks`` and accepts the arguments the generator writes, and every read API of the
existence table is a real operation of its service, called with that operation's parameters.
A typo here would make a generated test crash in its own code and blame the emulator."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import boto3
import pytest

from lsqm.generation.architecture import TfResource, read_architecture
from lsqm.generation.rules.catalog import EXISTENCE, SPECS, Check, module_name_for
from lsqm.generation.rules.generator import call_arguments
from tests.generation.rules.checks_module import lsqm_checks

EXISTS = Check("exists", "existence", "exists")


def _resources(tmp: Path, types: list[str]) -> dict[str, TfResource]:
    (tmp / "main.tf").write_text("".join(f'resource "{t}" "x" {{}}\n' for t in types))
    return {r.type: r for r in read_architecture(tmp, "h", {}).resources}


def _bind(call: str, args: list[str]) -> inspect.BoundArguments:
    """Bind the generated call's arguments to the check's signature, as Python would."""
    node = ast.parse(f"f({', '.join(args)})", mode="eval").body
    assert isinstance(node, ast.Call)
    positional = [ast.unparse(a) for a in node.args]
    keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    function = getattr(lsqm_checks, call, None)
    assert callable(function), f"lsqm_checks has no check {call}"
    return inspect.signature(function).bind(*positional, **keywords)


@pytest.mark.parametrize("resource_type", sorted(SPECS))
def test_every_catalog_check_exists_and_takes_the_generated_arguments(
    resource_type: str, tmp_path: Path
) -> None:
    resource = _resources(tmp_path, [resource_type])[resource_type]
    for check in SPECS[resource_type].checks:
        _bind(check.call, call_arguments(resource, check))


def test_every_existence_read_is_a_real_operation_called_with_its_parameters(
    tmp_path: Path,
) -> None:
    resources = _resources(tmp_path, sorted(EXISTENCE))
    problems = []
    for resource_type, (service, operation, params) in sorted(EXISTENCE.items()):
        bound = _bind("exists", call_arguments(resources[resource_type], EXISTS))
        assert ast.literal_eval(bound.arguments["service"]) == service
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")  # fmt: skip
        api = client.meta.method_to_api_mapping.get(operation)
        if api is None:
            problems.append(f"{resource_type}: {service} has no operation {operation}")
            continue
        shape = client.meta.service_model.operation_model(api).input_shape
        members = set(shape.members) if shape else set()
        required = set(shape.required_members) if shape else set()
        names = {p.rstrip("?") for p in params}
        if names - members:
            problems.append(f"{resource_type}: {operation} takes no {sorted(names - members)}")
        if required - names:
            problems.append(f"{resource_type}: {operation} needs {sorted(required - names)}")
    assert not problems, "\n".join(problems)


def test_tests_of_a_type_go_to_its_service_module() -> None:
    assert module_name_for("aws_sqs_queue") == "sqs"
    assert module_name_for("aws_cognito_user_pool") == "cognitoidp"
    assert module_name_for("aws_glacier_vault") == "other"
