"""``ISSUE.md``: a reduced failure written as an upstream issue a maintainer can act on —
title naming the service and operation, version, the configuration, steps against a stock
LocalStack, expected vs actual with the emulator's log excerpt."""

from __future__ import annotations

import re
from typing import Any

from lsqm.records import Category, Output, Result, TraceCall
from lsqm.reduction.search import Candidate
from lsqm.terraform.inventory import service_of
from lsqm.validation.classify import broken

_FAILED = frozenset({"failed", "error"})
_EXPECTED: dict[Category, str] = {
    Category.EMULATOR_UNSUPPORTED: "AWS implements this operation: the resource is created "
    "and `terraform apply` completes.",
    Category.EMULATOR_ERROR: "AWS answers the request (2xx, or a 4xx naming a problem with "
    "it), never an internal error: `terraform apply` completes.",
    Category.EMULATOR_REJECTED: "AWS accepts this request as the provider makes it: "
    "`terraform apply` completes.",
    Category.EMULATOR_UNAVAILABLE: "The service keeps answering.",
}


def _services(candidate: Candidate) -> list[str]:
    configs = [candidate.config, *(config for _, config in candidate.live_modules())]
    addresses = [a for config in configs for a in config.resources()]
    types = {a.split(".")[-2] for a in addresses if a.count(".") >= 1}
    found = {service_of(t) for t in types}
    return sorted(s for s in found if s)


def _operation(signature: str, message: str) -> str:
    """``CreateUserPool`` (or the first Pascal-case operation the error names), if any."""
    for text in (signature, message):
        match = re.search(r"\b([A-Z][a-z]+(?:[A-Z][a-z0-9]+)+)\b", text)
        if match:
            return match.group(1)
    return ""


def culprit(result: Result) -> TraceCall | None:
    """The call behind the failure, from the operation trace: the first the emulator
    answered with a fault, else the failing test's last call (None: no trace recorded)."""
    faults = [c for c in result.trace if broken(c) and c.operation]
    if faults:
        return min(faults, key=lambda c: c.first)
    failing = {re.split(r"::|\.", c.name)[-1] for c in result.test_cases if c.outcome in _FAILED}
    calls = [c for c in result.trace if c.caller == "test" and c.test in failing and c.operation]
    return max(calls, key=lambda c: c.last) if calls else None


def _provider_block(services: list[str], region: str) -> str:
    endpoints = "\n".join(
        f'    {s.replace("-", "")} = "http://localhost:4566"' for s in services or ["sts"]
    )
    return (
        'provider "aws" {\n'
        f'  region                      = "{region}"\n'
        '  access_key                  = "test"\n'
        '  secret_key                  = "test"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = true\n"
        "  s3_use_path_style           = true\n"
        "  endpoints {\n"
        f"{endpoints}\n"
        "  }\n"
        "}\n"
    )


def issue_markdown(
    reduction: Output,
    facts: dict[str, Any],
    final: Result,
    best: Candidate,
    log: str,
    region: str,
) -> str:
    """The issue text for a confirmed (or explicitly unconfirmed) reduction."""
    data = reduction.to_json()
    services = _services(best)
    call = culprit(final)
    operation = call.operation if call else _operation(final.signature, final.message)
    service = call.service if call else ", ".join(services) or "AWS"
    title = f"{service}: {operation or final.signature[:60]} fails"
    if final.category == Category.EMULATOR_UNSUPPORTED:
        title = (
            f"{service}: {operation or 'an operation'} is not implemented ({final.signature[:60]})"
        )
    version = f"{facts['emulator']} {facts['version']}"
    first_bad = facts.get("first_bad_version")
    failing_test = next((c for c in final.test_cases if c.outcome in _FAILED), None)
    expected = _EXPECTED.get(final.category or Category.EMULATOR_ERROR, "")
    if final.category == Category.EMULATOR_BEHAVIOUR:
        expected = "What the test asserts holds on AWS (the assertion below)."
    tests = [f"- `{t}`" for t in best.tests.test_ids()]
    # Terraform overrides only a provider block that exists; without one, this is the block.
    has_provider = any(u.kind == "provider" for u in best.config.units)
    provider_file = "provider_override.tf" if has_provider else "provider.tf"
    lines = [
        f"# {title}",
        "",
        f"- Emulator: {version}" + (f" (first bad version: {first_bad})" if first_bad else ""),
        f"- Found by lsqm on `{facts['name']}` (run {facts['run_id']}), reduced from "
        f"{data['resources_before']} to {data['resources_after']} resources and "
        f"{data['lines_before']} to {data['lines_after']} lines in {data['probes']} probes",
        f"- Verdict: {data['status']}/{data['category']}, signature `{data['signature']}`"
        + ("" if facts.get("confirmed") else " (NOT confirmed by the final probe)"),
        "",
        "## Minimal configuration (`main.tf`)",
        "",
        "```hcl",
        best.main_tf.rstrip(),
        "```",
        "",
    ]
    for path, text in best.module_files():
        lines += [f"The local module it calls (`{path}`):", "", "```hcl", text.rstrip(), "```", ""]
    if tests:
        lines += ["The failing test (in `tests/`):", "", *tests, ""]
    lines += [
        "## Steps to reproduce",
        "",
        "1. Start a stock LocalStack: `localstack start -d` "
        f"(or `docker run -p 4566:4566 localstack/localstack:{facts['version']}`).",
        f"2. Point the AWS provider at it: save this as `{provider_file}` beside `main.tf`:",
        "",
        "```hcl",
        _provider_block(services, region).rstrip(),
        "```",
        "",
        "3. `terraform init && terraform apply -auto-approve`",
    ]
    if tests:
        lines.append(
            "4. With `terraform output -json > outputs.json` and `LSQM_TF_OUTPUTS=outputs.json "
            "AWS_ENDPOINT_URL=http://localhost:4566`, run `pytest tests/`."
        )
    lines += [
        "",
        "## Expected",
        "",
        expected,
        "",
        "## Actual",
        "",
        f"- Status: {final.status.value} ({final.category.value if final.category else '-'})",
        f"- Error: `{final.signature}`",
    ]
    if call is not None:
        answer = " ".join(x for x in (str(call.status or "no answer"), call.error_code) if x)
        lines.append(f"- The call: `{call.service}.{call.operation}` answered {answer}")
    lines += [
        "",
        "```",
        (failing_test.message if failing_test else final.message).strip()[:2000],
        "```",
    ]
    if log.strip():
        lines += ["", "Emulator log excerpt:", "", "```", log.strip(), "```"]
    return "\n".join(lines) + "\n"
