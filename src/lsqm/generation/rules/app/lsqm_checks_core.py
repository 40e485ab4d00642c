"""Shared by every service's checks: reading Terraform's state and what the configuration declared, waiting, policies in one canonical shape, and who may deliver to a queue.

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

Resource = dict[str, Any]
Client = Any
Aws = Callable[..., Client]

FROM_STATE = "<from terraform state>"
WAIT_S = 20.0

# Every request goes to AWS_ENDPOINT_URL as given: no host prefix (StartSyncExecution would
# go to ``sync-127.0.0.1``, which does not resolve), no bucket in the host name.
EMULATOR_CLIENT = Config(inject_host_prefix=False, s3={"addressing_style": "path"})


# -- helpers ---------------------------------------------------------------------------
def values(resource: Resource) -> dict[str, Any]:
    return resource.get("values") or {}


def expected(resource: Resource, declared: dict[str, Any], key: str) -> Any:
    """What the configuration asked for ``key``: the HCL literal, else the recorded value;
    None where the HCL leaves the attribute unset and the provider recorded its empty
    placeholder (the API reports nothing for it, and nothing was asked)."""
    value = declared.get(key, FROM_STATE)
    if value != FROM_STATE:
        return value
    recorded = values(resource).get(key)
    return None if key not in declared and recorded == "" else recorded


def marker() -> str:
    return f"lsqm-{uuid.uuid4().hex[:12]}"


def region_of(resource: Resource | None) -> str | None:
    """The region in the resource's ARN (else its ``region`` attribute, which an S3 bucket
    has and its ARN lacks), so a stack deployed elsewhere is asked where it lives rather
    than redirected there."""
    arn = str(values(resource).get("arn") or "") if resource else ""
    parts = arn.split(":")
    if len(parts) > 3 and parts[3]:
        return parts[3]
    region = values(resource).get("region") if resource else None
    return region if isinstance(region, str) and region else None


def name_from_arn(arn: str) -> str:
    return arn.split(":")[-1]


def normalize_policy(document: Any) -> Any:
    """An IAM policy in one canonical shape. AWS and Terraform spell the same policy in
    several ways: a single statement or a list, a string or a one-element list, an empty
    Sid or none, a condition value as a JSON boolean or a string, an account as its id or
    as its root ARN (which AWS writes back for S3, SQS and trust policies)."""
    if isinstance(document, str):
        text = document.strip()
        text = urllib.parse.unquote(text) if text.startswith("%") else text
        document = json.loads(text) if text else {}
    return _canonical(document)


_ACCOUNT_ID = re.compile(r"\d{12}")


def _context_of(key: str, outer: str) -> str:
    """Where a value sits, as far as its spelling matters: an AWS principal, a condition."""
    if key in ("Principal", "Condition"):
        return key
    if outer == "Principal":
        return "AWS" if key == "AWS" else "Service"
    return outer


def _canonical(node: Any, context: str = "") -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "Statement" and isinstance(value, dict):
                value = [value]
            if key == "Sid" and value == "":
                continue
            out[key] = _canonical(value, _context_of(key, context))
        return out
    if isinstance(node, list):
        items = [_canonical(v, context) for v in node]
        if len(items) == 1 and not isinstance(items[0], dict):
            return items[0]
        if all(isinstance(i, str) for i in items):
            return sorted(items)
        return items
    if context == "AWS" and isinstance(node, str) and _ACCOUNT_ID.fullmatch(node):
        return f"arn:aws:iam::{node}:root"
    if context == "Condition" and isinstance(node, bool | int | float):
        return json.dumps(node)
    return node


def json_equal(actual: Any, wanted: Any) -> bool:
    def load(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value.strip() else value

    return load(actual) == load(wanted)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    """Call ``probe`` until it returns something truthy; fail saying ``what`` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:.0f}s")
        time.sleep(0.5)


def exists(
    aws: Aws, resource: Resource, service: str, operation: str, **params: Any
) -> None:
    """Call a read API with identifiers from the state; it must answer without an error."""
    args = read_arguments(values(resource), params)
    missing = [p for p, v in args.items() if v in (None, "", [None])]
    assert not missing, f"{resource['address']}: the state has no value for {missing}"
    client = aws(service, resource)
    try:
        getattr(client, operation)(**args)
    except ClientError as exc:
        pytest.fail(
            f"{service}.{operation}({args}) for {resource['address']} failed: {exc}"
        )


def read_arguments(state: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """API arguments from state attributes: ``params`` map a parameter to an attribute
    name (a list wraps the value; a name ending in ``?`` is passed only when the state has
    a value, e.g. a Lambda qualifier)."""
    args: dict[str, Any] = {}
    for param, key in params.items():
        if isinstance(key, list):
            args[param] = [state.get(k) for k in key]
        elif key.endswith("?"):
            if state.get(key[:-1]) not in (None, ""):
                args[param] = state[key[:-1]]
        else:
            args[param] = state.get(key)
    return args


# -- who may deliver to a queue --------------------------------------------------------
# SNS, EventBridge and S3 deliver to a queue only where its policy lets the service send
# for that source, its key lets the service encrypt, and nothing else in the configuration
# reads the message first. LocalStack does not evaluate queue policies by default: a check
# expecting delivery regardless would expect what AWS refuses.
def state_resources(state: Any, resource_type: str) -> list[Resource]:
    return [
        r for r in getattr(state, "resources", []) if r.get("type") == resource_type
    ]


def queue_consumer(state: Any, queue_arn: str) -> str | None:
    """The resource that reads the queue's messages (a Lambda mapping, a pipe), if any."""
    for kind, key in (
        ("aws_lambda_event_source_mapping", "event_source_arn"),
        ("aws_pipes_pipe", "source"),
    ):
        for resource in state_resources(state, kind):
            if values(resource).get(key) == queue_arn:
                return str(resource["address"])
    return None


def delivery_blocker(
    state: Any, queue_arn: str, service: str, source_arn: str
) -> str | None:
    """Why AWS would not deliver ``service``'s message from ``source_arn`` to the queue,
    or why the configuration does not tell; None when AWS would deliver it."""
    consumer = queue_consumer(state, queue_arn)
    if consumer:
        return f"{consumer} reads the queue's messages before the check could"
    queues = [
        q
        for q in state_resources(state, "aws_sqs_queue")
        if values(q).get("arn") == queue_arn
    ]
    if not queues:
        return f"{queue_arn} is not in this configuration: its policy is unknown"
    queue = values(queues[0])
    if queue.get("kms_master_key_id") == "alias/aws/sqs":
        return f"the queue's key is AWS managed: {service} may not use it"
    url = queue.get("url") or queue.get("id")
    attached = [
        values(p).get("policy")
        for p in state_resources(state, "aws_sqs_queue_policy")
        if values(p).get("queue_url") == url
    ]
    document = (attached or [queue.get("policy")])[-1]
    if not document:
        return f"no queue policy lets {service} send: AWS would not deliver"
    account = queue_arn.split(":")[4]
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": account}
    verdict = policy_verdict(document, service, "sqs:SendMessage", queue_arn, context)
    if verdict == "allow":
        return None
    if verdict == "deny":
        return f"the queue policy does not let {service} send for {source_arn}"
    return f"the queue policy's conditions decide whether {service} may send"


def policy_verdict(
    document: Any, service: str, action: str, resource: str, context: dict[str, str]
) -> str:
    """``allow``, ``deny`` or ``unknown`` for a request by a service principal, from the
    statements this check can evaluate (an unknown condition never counts as allowing)."""
    try:
        statements = normalize_policy(document).get("Statement") or []
    except (ValueError, AttributeError):
        return "unknown"
    allowed = unknown = False
    for statement in statements if isinstance(statements, list) else [statements]:
        applies = _statement_applies(statement, service, action, resource, context)
        if statement.get("Effect") == "Deny" and applies is not False:
            return "deny" if applies else "unknown"
        if statement.get("Effect") == "Allow":
            allowed = allowed or applies is True
            unknown = unknown or applies is None
    return "allow" if allowed else ("unknown" if unknown else "deny")


def _iam_pattern(pattern: str) -> re.Pattern[str]:
    """An IAM policy pattern: ``*`` any run of characters, ``?`` any one; no escapes."""
    parts = re.split(r"([*?])", pattern)
    return re.compile(
        "".join({"*": ".*", "?": "."}.get(p, re.escape(p)) for p in parts)
    )


def _matches(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    subject = value.lower() if ignore_case else value
    return any(
        isinstance(p, str)
        and _iam_pattern(p.lower() if ignore_case else p).fullmatch(subject) is not None
        for p in listed
    )


def _statement_applies(
    statement: dict[str, Any],
    service: str,
    action: str,
    resource: str,
    context: dict[str, str],
) -> bool | None:
    if {"NotAction", "NotPrincipal", "NotResource"} & set(statement):
        return None
    principal = statement.get("Principal")
    if isinstance(principal, dict):  # {"AWS": "*"} is anyone; else the named services
        anyone = principal.get("AWS") == "*"
        principal = "*" if anyone else principal.get("Service", [])
    if not (principal == "*" or _matches(principal, service)):
        return False
    if not _matches(statement.get("Action"), action, ignore_case=True):
        return False
    if not _matches(statement.get("Resource", "*"), resource):
        return False
    return _conditions_hold(statement.get("Condition") or {}, context)


def _conditions_hold(
    conditions: dict[str, Any], context: dict[str, str]
) -> bool | None:
    """Arn/String Equals/Like on the keys a service request carries; None otherwise."""
    for operator, pairs in conditions.items():
        base = operator.removesuffix("IfExists")
        if base not in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            return None
        for key, wanted in (pairs or {}).items():
            actual = context.get(key.lower())
            if actual is None:
                return None
            listed = wanted if isinstance(wanted, list) else [wanted]
            if base.endswith("Like"):
                hit = _matches(listed, actual)
            else:
                hit = actual in listed
            if not hit:
                return False
    return True
