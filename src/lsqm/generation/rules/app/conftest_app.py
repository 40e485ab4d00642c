"""Fixtures for lsqm's generated tests: the deployment's Terraform state and AWS clients.

``lsqm validate`` runs the tests with LSQM_TF_STATE (``terraform show -json``) and
AWS_ENDPOINT_URL (the emulator) set; see docs/design.md, "What a test sees".
This file is copied verbatim into every generated app; regenerate rather than edit it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any

import boto3
import lsqm_checks
import pytest

_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


class State:
    """Managed resources of ``terraform show -json``, found by address without instance keys
    (``module.m[0].aws_sqs_queue.q["a"]`` is found as ``module.m.aws_sqs_queue.q``)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.resources: list[dict[str, Any]] = []
        self._collect((document.get("values") or {}).get("root_module") or {})

    def _collect(self, module: dict[str, Any]) -> None:
        for resource in module.get("resources") or []:
            if resource.get("mode") == "managed":
                self.resources.append(resource)
        for child in module.get("child_modules") or []:
            self._collect(child)

    def instances(
        self, address: str, *, repeated: bool = False
    ) -> list[dict[str, Any]]:
        """Every instance of ``address``; none fails the test, unless the configuration
        repeats it (count / for_each), which may legitimately make zero."""
        found = [
            r for r in self.resources if _INSTANCE_KEY.sub("", r["address"]) == address
        ]
        if found:
            return found
        if repeated:
            pytest.skip(f"{address} has no instances (count or for_each is zero)")
        pytest.fail(
            f"{address} is not in the Terraform state: the deployment did not create it"
        )

    def find(self, resource_type: str, **match: Any) -> dict[str, Any]:
        """The one resource of ``resource_type`` whose values match ``match``."""
        for resource in self.resources:
            if resource["type"] != resource_type:
                continue
            if all(resource["values"].get(k) == v for k, v in match.items()):
                return resource
        pytest.fail(f"no {resource_type} with {match} in the Terraform state")


@pytest.fixture(scope="session")
def state() -> State:
    path = os.environ.get("LSQM_TF_STATE")
    if not path:
        pytest.fail("LSQM_TF_STATE is not set: run these tests through `lsqm validate`")
    with open(path, encoding="utf-8") as fh:
        return State(json.load(fh))


@pytest.fixture(scope="session")
def aws() -> lsqm_checks.Aws:
    """``aws("sqs", resource)``: a client for the emulator, in the resource's region."""

    @functools.cache
    def client(service: str, region: str | None) -> Any:
        return boto3.client(
            service, region_name=region, config=lsqm_checks.EMULATOR_CLIENT
        )

    def for_resource(service: str, resource: dict[str, Any] | None = None) -> Any:
        return client(service, lsqm_checks.region_of(resource))

    return for_resource
