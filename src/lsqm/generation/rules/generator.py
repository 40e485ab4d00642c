"""The built-in generator: deterministic tests from the catalog, no API key needed.

Each test is one behaviour of one resource and reads like its name::

    def test_sqs_queue_orders_send_receive_delete(state, aws):
        for queue in state.instances("aws_sqs_queue.orders"):
            checks.sqs_send_receive_delete(aws, state, queue)

The checks themselves live in ``lsqm_checks.py`` and its per-service modules (copied into
the app) so the generated modules stay short; the same input always gives byte-identical output.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from importlib import resources
from typing import Any

from lsqm.generation.architecture import Architecture, TfResource
from lsqm.generation.interface import CoverageLevel, GeneratedApp, ResourceCoverage
from lsqm.generation.rules.catalog import EXISTENCE, SPECS, Check, module_name_for

LINE = 88  # ruff's default, which is what a reader of an app will run
MAX_LITERAL = 60  # longer strings are taken from the state, so lines stay short
MAX_TEST_NAME = LINE - len("def (state, aws):")


def _support(name: str) -> str:
    """A file copied into every app (``app/conftest_app.py`` becomes ``conftest.py``)."""
    folder = resources.files("lsqm.generation.rules").joinpath("app")
    return folder.joinpath(name).read_text(encoding="utf-8")


def support_files() -> dict[str, str]:
    """The conftest and every checks module (``lsqm_checks.py`` gathers the per-service
    ``lsqm_checks_<service>.py``), copied flat beside the tests."""
    folder = resources.files("lsqm.generation.rules").joinpath("app")
    checks = sorted(f.name for f in folder.iterdir() if f.name.startswith("lsqm_checks"))
    return {"conftest.py": _support("conftest_app.py"), **{name: _support(name) for name in checks}}


def py(value: Any) -> str:
    """A Python literal in the formatter's style (double quotes)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"not a scalar literal: {value!r}")


def call(name: str, args: list[str], indent: int, end: str = "") -> list[str]:
    """A call on one line when it fits, else one argument per line (magic trailing comma),
    which ``ruff format`` leaves as it is."""
    pad = " " * indent
    line = f"{pad}{name}({', '.join(args)}){end}"
    if len(line) <= LINE:
        return [line]
    return [f"{pad}{name}(", *[f"{pad}    {a}," for a in args], f"{pad}){end}"]


def identifier(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", text.lower())).strip("_") or "x"


class RulesGenerator:
    name = "rules"

    def generate(self, arch: Architecture) -> GeneratedApp:
        modules: dict[str, list[str]] = defaultdict(list)
        uses_from_state: set[str] = set()
        coverage: list[ResourceCoverage] = []
        taken: set[str] = set()
        declared_types = {r.type for r in arch.resources}
        for resource in sorted(arch.resources, key=lambda r: r.address):
            tests: list[str] = []
            kinds: set[str] = set()
            service = module_name_for(resource.type)
            for check in _checks_for(resource, declared_types):
                test_name = _unique(_test_name(resource, check.slug), taken)
                body, from_state = _render_test(test_name, resource, check)
                modules[service].append(body)
                uses_from_state.update([service] if from_state else [])
                tests.append(test_name)
                kinds.add(check.kind)
            coverage.append(_coverage(resource, tests, kinds))
        files = support_files()
        for service, tests in sorted(modules.items()):
            files[f"test_{service}.py"] = _module(arch, service, tests, service in uses_from_state)
        return GeneratedApp(files=files, coverage=coverage, meta={})


def _checks_for(resource: TfResource, declared_types: set[str]) -> list[Check]:
    if resource.type in SPECS:
        return [
            c
            for c in SPECS[resource.type].checks
            if (c.when is None or c.when(resource))
            and (not c.needs_any or declared_types.intersection(c.needs_any))
        ]
    if resource.type in EXISTENCE:
        return [Check("exists", "existence", "exists")]
    return []


def _coverage(resource: TfResource, tests: list[str], kinds: set[str]) -> ResourceCoverage:
    level: CoverageLevel = "none"
    reason = ""
    if "behaviour" in kinds:
        level = "behavioural"
    elif kinds:
        level = "existence"
    elif not resource.is_aws:
        reason = "not an AWS resource"
    else:
        reason = "no read API known for this type"
    return ResourceCoverage(resource.address, resource.type, level, tests, reason)


def _test_name(resource: TfResource, slug: str) -> str:
    kind = identifier(resource.type.removeprefix("aws_"))
    modules = re.findall(r"module\.([^.]+)\.", resource.address)
    name = "_".join(identifier(p) for p in [*modules, resource.name])
    room = MAX_TEST_NAME - len(f"test_{kind}__{slug}")
    if len(name) > room:  # keep the end of the name, which tells resources apart
        name = name[-max(room, 8) :].lstrip("_")
    return f"test_{kind}_{name}_{slug}"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _declared(resource: TfResource, check: Check) -> tuple[dict[str, str], bool]:
    """HCL values the check verifies, as Python source; FROM_STATE when HCL computes them.
    Attributes in ``lifecycle { ignore_changes }`` are left out: the configuration says
    something else manages them (an autoscaler, an operator), so they are no promise."""
    out: dict[str, str] = {}
    from_state = False
    ignored = ignored_changes(resource)
    for key in check.declare:
        attr = resource.block.attributes.get(key)
        if attr is None or key in ignored or "all" in ignored:
            continue
        value = attr.value
        if value is None or (isinstance(value, str) and _not_inline(value)):
            out[key] = "FROM_STATE"
            from_state = True
        else:
            out[key] = py(value)
    blocks_ignored = "all" in ignored or any(resource.block.children(n) for n in ignored)
    if check.nested is not None and not blocks_ignored:
        out.update({k: py(v) for k, v in check.nested(resource).items()})
    return out, from_state


def ignored_changes(resource: TfResource) -> set[str]:
    """The top-level attribute names ``lifecycle { ignore_changes = [...] }`` lists
    (``all`` for everything)."""
    names: set[str] = set()
    for lifecycle in resource.block.children("lifecycle"):
        attr = lifecycle.attributes.get("ignore_changes")
        if attr is not None:
            text = attr.text.strip()
            items = text[1:-1].split(",") if text.startswith("[") else [text]
            for item in items:
                found = re.match(r'\s*"?([A-Za-z_][\w-]*)', item)
                if found:
                    names.add(found.group(1))
    return names


def _not_inline(text: str) -> bool:
    """Long strings and URLs are compared from the state: lines stay short, and the gate
    (which refuses URLs of anything but the emulator) never sees data as a call target."""
    return len(text) > MAX_LITERAL or "://" in text


def _render_test(name: str, resource: TfResource, check: Check) -> tuple[str, bool]:
    var = _loop_variable(resource)
    lines = [f"def {name}(state, aws):"]
    from_state = False
    if check.takes_declared:
        declared, from_state = _declared(resource, check)
        if declared:
            lines.append("    declared = {")
            lines += [f"        {py(k)}: {v}," for k, v in declared.items()]
            lines.append("    }")
        else:
            lines.append("    declared = {}")
    where = [py(resource.address), *(["repeated=True"] if resource.repeated else [])]
    lines += call(f"for {var} in state.instances", where, indent=4, end=":")
    lines += call(f"checks.{check.call}", call_arguments(resource, check), indent=8)
    return "\n".join(lines) + "\n", from_state


def _loop_variable(resource: TfResource) -> str:
    spec = SPECS.get(resource.type)
    return spec.var if spec else "resource"


def call_arguments(resource: TfResource, check: Check) -> list[str]:
    """The arguments of the generated ``checks.<call>(...)``, as Python source: the names
    ``aws``, ``state``, the loop variable and ``declared``, then keyword arguments."""
    args = ["aws", *(["state"] if check.needs_state else []), _loop_variable(resource)]
    if check.takes_declared:
        args.append("declared")
    if check.call == "exists":
        service, operation, params = EXISTENCE[resource.type]
        args += [py(service), py(operation)]
        for param, key in params.items():
            value = f"[{py(key[0])}]" if isinstance(key, list) else py(key)
            args.append(f"{param}={value}")
    return args + [f"{k}={v}" for k, v in check.kwargs]


SERVICE_TITLES = {
    "s3": "S3", "sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB", "iam": "IAM", "kms": "KMS",
    "ssm": "SSM Parameter Store", "secretsmanager": "Secrets Manager", "kinesis": "Kinesis",
    "events": "EventBridge", "stepfunctions": "Step Functions", "apigateway": "API Gateway",
    "apigatewayv2": "API Gateway v2", "lambda": "Lambda", "logs": "CloudWatch Logs",
    "cloudwatch": "CloudWatch",
}  # fmt: skip


def _module(arch: Architecture, service: str, tests: list[str], from_state: bool) -> str:
    title = SERVICE_TITLES.get(service, service)
    header = [
        f'"""{title}: tests of the {title} resources of {_safe(arch.name)}.',
        "",
        "Generated by lsqm's rules generator. Identifiers come from the Terraform state;",
        "``declared`` holds what the configuration asked for.",
        '"""',
        "",
        "import lsqm_checks as checks",
    ]
    if from_state:
        header.append("from lsqm_checks import FROM_STATE")
    return "\n".join(header) + "\n\n\n" + "\n\n".join(tests)


def _safe(text: str) -> str:
    """A name fit for a docstring (no quotes or backslashes from untrusted metadata)."""
    return re.sub(r"[^\w .:/@+-]", "_", text)[:80]
