"""Checks called by the tests that lsqm's rules generator writes.

Each check exercises one deployed resource through the emulator's AWS API and fails with a
message saying what differed. Identifiers (bucket names, queue URLs, ARNs) always come from
the Terraform state the test receives (``resource["values"]``), never from resource names.

A ``declared`` mapping holds what the Terraform configuration asked for: a literal from the
HCL, or ``FROM_STATE`` when the HCL computes the value (then Terraform's recorded value is
the expectation).

This file is copied verbatim into every generated app; regenerate rather than edit it.
It needs only the standard library, pytest and boto3.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import datetime
import decimal
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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


# -- S3 --------------------------------------------------------------------------------
def s3_object_roundtrip(aws: Aws, state: Any, bucket: Resource) -> None:
    """Put, get, list and delete an object: the bucket keeps exactly what it is given
    (put with the encryption headers its policy demands, as an AWS client must)."""
    s3 = aws("s3", bucket)
    name = values(bucket)["bucket"]
    key = f"lsqm/{marker()}.txt"
    terms = s3_put_terms(state, name, key)
    if isinstance(terms, str):
        pytest.skip(terms)
    body = f"written by lsqm to {name}".encode()
    s3.put_object(Bucket=name, Key=key, Body=body, **terms)
    try:
        got = s3.get_object(Bucket=name, Key=key)["Body"].read()
        assert got == body, f"s3://{name}/{key} returned {got!r}, not what was put"
        listed = s3.list_objects_v2(Bucket=name, Prefix="lsqm/").get("Contents", [])
        assert key in [o["Key"] for o in listed], f"listing {name} does not show {key}"
    finally:
        s3.delete_object(Bucket=name, Key=key)
    listed = s3.list_objects_v2(Bucket=name, Prefix=key).get("Contents", [])
    assert key not in [o["Key"] for o in listed], f"{key} is still listed after delete"


def s3_put_terms(state: Any, bucket: str, key: str) -> dict[str, str] | str:
    """PutObject arguments that the bucket's policy lets through on AWS (an HTTPS client:
    transport and TLS conditions hold), or why no put would be allowed or is beyond this
    check. Denying unencrypted or wrongly encrypted uploads is common; the check then
    encrypts as demanded."""
    denials = []
    for document in _bucket_policies(state, bucket):
        try:
            statements = normalize_policy(document).get("Statement") or []
        except (ValueError, AttributeError):
            return "the bucket policy cannot be read"
        for statement in statements:
            applies = _denies_put(statement, f"arn:aws:s3:::{bucket}/{key}")
            if applies is None:
                return f"the bucket policy denies in ways this check does not follow: {statement}"
            if applies:
                denials.append(statement.get("Condition") or {})
    terms: dict[str, str] = {}
    for header, argument in S3_DEMANDED_HEADERS.items():
        demanded = {
            str(_single(v))
            for c in denials
            for op, pairs in c.items()
            if op.startswith("StringNotEquals")
            for k, v in (pairs or {}).items()
            if k.lower() == header
        }
        if len(demanded) > 1:
            return f"the bucket policy demands {header} be each of {sorted(demanded)}"
        terms.update({argument: demanded.pop()} if demanded else {})
    if any(not _escapes(c, terms) for c in denials):
        return "the bucket policy denies this put on AWS"
    return terms


# Encryption headers a bucket policy may demand, and the PutObject argument that sends each.
S3_DEMANDED_HEADERS = {
    "s3:x-amz-server-side-encryption": "ServerSideEncryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
}


def _bucket_policies(state: Any, bucket: str) -> list[str]:
    found = [
        values(r).get("policy")
        for kind in ("aws_s3_bucket_policy", "aws_s3_bucket")
        for r in state_resources(state, kind)
        if values(r).get("bucket") == bucket
    ]
    return [p for p in found if p]


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _denies_put(statement: dict[str, Any], object_arn: str) -> bool | None:
    """Whether a statement denies anyone's PutObject on the object (None: cannot tell)."""
    if statement.get("Effect") != "Deny":
        return False
    if {"NotAction", "NotPrincipal", "NotResource"} & set(statement):
        return None
    principal = statement.get("Principal")
    anyone = principal == "*" or (
        isinstance(principal, dict) and principal.get("AWS") == "*"
    )
    return (
        anyone
        and _matches(statement.get("Action"), "s3:PutObject", ignore_case=True)
        and _matches(statement.get("Resource", "*"), object_arn)
    )


def _escapes(conditions: dict[str, Any], terms: dict[str, str]) -> bool:
    """Whether some condition of a Deny statement is false for an HTTPS put sending
    ``terms`` (a statement applies only when all its conditions hold). An unencrypted put
    a statement forbids gets AES256, unless a demanded algorithm is already in ``terms``."""
    for operator, pairs in conditions.items():
        for key, wanted in (pairs or {}).items():
            name, value = key.lower(), str(_single(wanted))
            argument = S3_DEMANDED_HEADERS.get(name)
            if (
                name == "aws:securetransport"
                and operator == "Bool"
                and value == "false"
            ):
                return True
            if name == "s3:tlsversion" and operator.startswith("NumericLessThan"):
                return True  # AWS clients speak TLS 1.2 or newer
            if argument and operator.startswith("StringNotEquals"):
                if terms.get(argument) == value:
                    return True
            elif argument == "ServerSideEncryption" and (operator, value) == (
                "Null",
                "true",
            ):
                terms.setdefault(argument, "AES256")
                return True
    return False


def s3_versioning_as_configured(
    aws: Aws, bucket: Resource, declared: dict[str, Any]
) -> None:
    """The bucket's versioning status is what the configuration asked for."""
    enabled = declared.get("enabled", FROM_STATE)
    if enabled == FROM_STATE:
        blocks = values(bucket).get("versioning") or [{}]
        enabled = bool(blocks[0].get("enabled"))
    name = values(bucket)["bucket"]
    status = aws("s3", bucket).get_bucket_versioning(Bucket=name).get("Status")
    if enabled:
        assert status == "Enabled", (
            f"versioning of {name} is {status!r}, configured Enabled"
        )
    else:
        assert status in (None, "Suspended"), (
            f"versioning of {name} is {status!r}, not off"
        )


def s3_versioning_resource_as_configured(aws: Aws, versioning: Resource) -> None:
    """An ``aws_s3_bucket_versioning`` resource's status is what the bucket reports."""
    config = (values(versioning).get("versioning_configuration") or [{}])[0]
    name = values(versioning)["bucket"]
    status = aws("s3", versioning).get_bucket_versioning(Bucket=name).get("Status")
    wanted = config.get("status")
    if wanted == "Disabled":
        assert status in (None, "Suspended"), f"versioning of {name} is {status!r}"
    else:
        assert status == wanted, (
            f"versioning of {name} is {status!r}, configured {wanted!r}"
        )


def _sse_algorithm(rules: list[dict[str, Any]]) -> str | None:
    for rule in rules or []:
        for default in rule.get("apply_server_side_encryption_by_default") or []:
            return default.get("sse_algorithm")
    return None


def s3_encryption_as_configured(
    aws: Aws, resource: Resource, declared: dict[str, Any]
) -> None:
    """Default encryption reports the configured algorithm (a bucket or its SSE resource)."""
    wanted = declared.get("sse_algorithm", FROM_STATE)
    state = values(resource)
    if wanted == FROM_STATE:
        sse = (state.get("server_side_encryption_configuration") or [{}])[0]
        wanted = _sse_algorithm(sse.get("rule") or state.get("rule") or [])
    name = state["bucket"]
    config = aws("s3", resource).get_bucket_encryption(Bucket=name)
    rules = config["ServerSideEncryptionConfiguration"]["Rules"]
    got = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules]
    assert wanted in got, f"encryption of {name} is {got}, configured {wanted!r}"


def s3_lifecycle_as_configured(
    aws: Aws, resource: Resource, declared: dict[str, Any]
) -> None:
    """The lifecycle rules the bucket reports are the ones configured (count and ids)."""
    state = values(resource)
    rules = state.get("lifecycle_rule") or state.get("rule") or []
    wanted_ids = sorted(r.get("id") for r in rules if r.get("id"))
    wanted_count = declared.get("rules", len(rules))
    name = state["bucket"]
    try:
        got = aws("s3", resource).get_bucket_lifecycle_configuration(Bucket=name)[
            "Rules"
        ]
    except ClientError as exc:
        pytest.fail(f"lifecycle configuration of {name} is not readable: {exc}")
    assert len(got) == wanted_count, (
        f"{name} has {len(got)} lifecycle rules, configured {wanted_count}"
    )
    got_ids = sorted(r.get("ID") for r in got if r.get("ID"))
    if wanted_ids:
        assert got_ids == wanted_ids, (
            f"lifecycle rule ids of {name}: {got_ids} != {wanted_ids}"
        )


def s3_object_as_uploaded(aws: Aws, obj: Resource, declared: dict[str, Any]) -> None:
    """The object Terraform uploaded is there, with the configured content."""
    state = values(obj)
    bucket, key = state["bucket"], state["key"]
    try:
        got = aws("s3", obj).get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        pytest.fail(f"s3://{bucket}/{key} is not readable: {exc}")
    body = got["Body"].read()
    content = expected(obj, declared, "content")
    if content is not None:
        assert body.decode(errors="replace") == content, (
            f"s3://{bucket}/{key} content differs"
        )
    elif state.get("etag") and "-" not in state["etag"]:
        etag = got["ETag"].strip('"')
        assert etag == state["etag"], (
            f"s3://{bucket}/{key} etag {etag} != {state['etag']}"
        )
    content_type = (
        expected(obj, declared, "content_type") if "content_type" in declared else None
    )
    if isinstance(content_type, str):
        assert got.get("ContentType") == content_type, f"content type of {key} differs"


def s3_bucket_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The bucket policy the API returns is the configured document."""
    state = values(policy)
    got = aws("s3", policy).get_bucket_policy(Bucket=state["bucket"])["Policy"]
    assert normalize_policy(got) == normalize_policy(state["policy"]), (
        "bucket policy differs"
    )


def s3_notification_reaches_queue(aws: Aws, state: Any, notification: Resource) -> None:
    """An object created (or deleted) to match a queue notification's filter and events
    puts an event on the queue, where AWS would deliver it."""
    bucket = values(notification)["bucket"]
    configs = values(notification).get("queue") or []
    assert configs, f"{notification['address']} has no queue notification in the state"
    s3 = aws("s3", notification)
    reasons = []
    for config in configs:
        action = _s3_trigger(config.get("events") or [])
        blocker = delivery_blocker(
            state, config["queue_arn"], "s3.amazonaws.com", f"arn:aws:s3:::{bucket}"
        )
        prefix = config.get("filter_prefix") or ""
        suffix = config.get("filter_suffix") or ""
        if action is None:
            blocker = f"no event the check can cause in {config.get('events')}"
        elif not S3_PLAIN_KEY.fullmatch(prefix + suffix):
            # S3 matches filters against the URL-encoded key: which keys fit is uncertain
            blocker = f"the filter {prefix!r}/{suffix!r} holds characters S3 encodes"
        if blocker:
            reasons.append(blocker)
            continue
        # S3 URL-encodes the key in the event: look for the marker alone
        text = marker()
        key = f"{prefix}{text}{suffix}"
        version = s3.put_object(Bucket=bucket, Key=key, Body=b"lsqm").get("VersionId")
        by_version = {"VersionId": version} if version else {}
        try:
            if action == "remove":  # a version deleted for good: ObjectRemoved:Delete
                s3.delete_object(Bucket=bucket, Key=key, **by_version)
            sqs_find_message(aws, config["queue_arn"], text)
        finally:
            s3.delete_object(Bucket=bucket, Key=key, **by_version)
    if len(reasons) == len(configs):
        pytest.skip("; ".join(reasons))


S3_PLAIN_KEY = re.compile(r"[A-Za-z0-9/._~-]*")  # what S3 leaves as is in event keys


def _s3_trigger(events: list[str]) -> str | None:
    """What the check does to cause one of ``events``: create or remove an object."""
    if {"s3:ObjectCreated:*", "s3:ObjectCreated:Put"} & set(events):
        return "create"
    if {"s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete"} & set(events):
        return "remove"
    return None


def s3_website_as_configured(aws: Aws, resource: Resource) -> None:
    """The website configuration reports the configured index document."""
    state = values(resource)
    index = state.get("index_document")
    if isinstance(index, list):
        index = (index or [{}])[0].get("suffix")
    if not index:
        website = (state.get("website") or [{}])[0]
        index = website.get("index_document")
    got = aws("s3", resource).get_bucket_website(Bucket=state["bucket"])
    assert got.get("IndexDocument", {}).get("Suffix") == index, (
        f"index document is not {index}"
    )


# -- SQS -------------------------------------------------------------------------------
def queue_url(aws: Aws, queue_arn: str) -> str:
    parts = queue_arn.split(":")
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    return sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
        "QueueUrl"
    ]


def sqs_find_message(
    aws: Aws, queue_arn: str, text: str, timeout: float = WAIT_S
) -> str:
    """Receive from the queue until a message containing ``text`` arrives; delete it."""
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    url = queue_url(aws, queue_arn)

    def probe() -> str | None:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in got.get("Messages", []):
            if text in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return message["Body"]
        return None

    return wait_for(
        f"no message containing {text!r} arrived on {queue_arn}", probe, timeout
    )


def sqs_no_message(
    aws: Aws, queue_arn: str, text: str, why: str, wait: float = 5.0
) -> None:
    """Nothing containing ``text`` arrives on the queue within ``wait`` seconds."""
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    url = queue_url(aws, queue_arn)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in got.get("Messages", []):
            if text in message["Body"]:
                pytest.fail(
                    f"a message containing {text!r} arrived on {queue_arn}: {why}"
                )


def sqs_send_receive_delete(aws: Aws, tf_state: Any, queue: Resource) -> None:
    """Send a message, receive it back, delete it: the queue delivers what it is given
    (unless the configuration gives its messages to another reader first)."""
    state = values(queue)
    consumer = queue_consumer(tf_state, state["arn"])
    if consumer:
        pytest.skip(f"{consumer} reads this queue; the check would race it")
    sqs = aws("sqs", queue)
    url = state.get("url") or state["id"]
    body = marker()
    extra = {}
    if state.get("fifo_queue"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": body}
    sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
    delay = float(state.get("delay_seconds") or 0)
    sqs_find_message(aws, state["arn"], body, timeout=WAIT_S + delay)


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


SQS_ATTRIBUTES = {
    "visibility_timeout_seconds": "VisibilityTimeout",
    "message_retention_seconds": "MessageRetentionPeriod",
    "delay_seconds": "DelaySeconds",
    "max_message_size": "MaximumMessageSize",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
}


def sqs_attributes_as_configured(
    aws: Aws, queue: Resource, declared: dict[str, Any]
) -> None:
    """Queue attributes (timeouts, sizes, FIFO, redrive policy) are what was configured."""
    state = values(queue)
    url = state.get("url") or state["id"]
    got = aws("sqs", queue).get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    got = got.get("Attributes", {})
    assert got.get("QueueArn") == state["arn"], (
        f"queue ARN {got.get('QueueArn')} != state"
    )
    for key, attribute in SQS_ATTRIBUTES.items():
        if key not in declared:
            continue
        wanted = expected(queue, declared, key)
        if isinstance(wanted, bool):
            wanted = str(wanted).lower()
        assert str(got.get(attribute, "false")).lower() == str(wanted).lower(), (
            f"{attribute} of {state['name']} is {got.get(attribute)!r}, configured {wanted!r}"
        )
    if "redrive_policy" in declared:
        wanted = json.loads(expected(queue, declared, "redrive_policy") or "{}")
        actual = json.loads(got.get("RedrivePolicy") or "{}")
        assert actual.get("deadLetterTargetArn") == wanted.get("deadLetterTargetArn"), (
            f"dead-letter target of {state['name']} differs: {actual}"
        )
        assert int(actual.get("maxReceiveCount", 0)) == int(
            wanted.get("maxReceiveCount", 0)
        )


def sqs_queue_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The queue's Policy attribute is the configured document."""
    state = values(policy)
    got = aws("sqs", policy).get_queue_attributes(
        QueueUrl=state["queue_url"], AttributeNames=["Policy"]
    )
    document = got.get("Attributes", {}).get("Policy")
    assert document, f"queue {state['queue_url']} has no policy"
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "queue policy differs"
    )


# -- SNS -------------------------------------------------------------------------------
def sns_publish(aws: Aws, topic: Resource) -> None:
    """Publishing to the topic is accepted and returns a message id."""
    state = values(topic)
    extra = {}
    if state.get("fifo_topic"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": marker()}
    got = aws("sns", topic).publish(TopicArn=state["arn"], Message=marker(), **extra)
    assert got.get("MessageId"), "publish returned no MessageId"


def sns_topic_as_configured(
    aws: Aws, topic: Resource, declared: dict[str, Any]
) -> None:
    """The topic's attributes (ARN, display name, FIFO) are what was configured."""
    state = values(topic)
    got = aws("sns", topic).get_topic_attributes(TopicArn=state["arn"])["Attributes"]
    assert got.get("TopicArn") == state["arn"]
    if "display_name" in declared:
        wanted = expected(topic, declared, "display_name") or ""
        assert got.get("DisplayName", "") == wanted, (
            f"display name is {got.get('DisplayName')}"
        )
    if "fifo_topic" in declared:
        wanted = str(bool(expected(topic, declared, "fifo_topic"))).lower()
        assert str(got.get("FifoTopic", "false")).lower() == wanted


def sns_delivers_to_queue(aws: Aws, tf_state: Any, subscription: Resource) -> None:
    """A message published to the topic arrives on the subscribed SQS queue, where AWS
    would deliver it (the queue's policy lets the topic send)."""
    state = values(subscription)
    if state.get("filter_policy"):
        pytest.skip("a filter policy decides delivery; delivery is not exercised")
    topic_arn = state["topic_arn"]
    blocker = delivery_blocker(
        tf_state, state["endpoint"], "sns.amazonaws.com", topic_arn
    )
    if blocker:
        pytest.skip(blocker)
    text = marker()
    topic = {"values": {"arn": state["topic_arn"]}}
    extra = {}
    if state["topic_arn"].endswith(".fifo"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": text}
    aws("sns", topic).publish(TopicArn=state["topic_arn"], Message=text, **extra)
    sqs_find_message(aws, state["endpoint"], text)


def sns_subscription_as_configured(aws: Aws, subscription: Resource) -> None:
    """The subscription's protocol and endpoint are what was configured."""
    state = values(subscription)
    got = aws("sns", subscription).get_subscription_attributes(
        SubscriptionArn=state["arn"]
    )
    attributes = got["Attributes"]
    assert attributes.get("Protocol") == state["protocol"], f"protocol is {attributes}"
    assert attributes.get("Endpoint") == state["endpoint"], f"endpoint is {attributes}"
    if state.get("raw_message_delivery"):
        assert str(attributes.get("RawMessageDelivery")).lower() == "true"


# -- DynamoDB --------------------------------------------------------------------------
def _sample(kind: str, text: str) -> dict[str, Any]:
    if kind == "N":
        return {"N": str(uuid.uuid4().int % 1_000_000)}
    if kind == "B":
        return {"B": text.encode()}
    return {"S": text}


def dynamodb_put_get_query(aws: Aws, table: Resource) -> None:
    """Put an item by the key schema, read it back, query it by its hash key, delete it."""
    state = values(table)
    types = {a["name"]: a["type"] for a in state.get("attribute") or []}
    key = {state["hash_key"]: _sample(types.get(state["hash_key"], "S"), marker())}
    if state.get("range_key"):
        key[state["range_key"]] = _sample(types.get(state["range_key"], "S"), marker())
    item = {**key, "lsqm_note": {"S": "written by lsqm"}}
    ddb = aws("dynamodb", table)
    name = state["name"]
    ddb.put_item(TableName=name, Item=item)
    try:
        got = ddb.get_item(TableName=name, Key=key, ConsistentRead=True).get("Item")
        assert got == item, f"get_item on {name} returned {got}, not the item put"
        found = ddb.query(
            TableName=name,
            KeyConditionExpression="#h = :h",
            ExpressionAttributeNames={"#h": state["hash_key"]},
            ExpressionAttributeValues={":h": key[state["hash_key"]]},
        )
        assert found["Count"] >= 1, (
            f"query on {name} by {state['hash_key']} found nothing"
        )
    finally:
        ddb.delete_item(TableName=name, Key=key)
    assert "Item" not in ddb.get_item(TableName=name, Key=key, ConsistentRead=True)


def dynamodb_table_as_configured(
    aws: Aws, table: Resource, declared: dict[str, Any]
) -> None:
    """Key schema, billing mode and global secondary indexes are what was configured."""
    state = values(table)
    got = aws("dynamodb", table).describe_table(TableName=state["name"])["Table"]
    schema = {k["KeyType"]: k["AttributeName"] for k in got["KeySchema"]}
    assert schema.get("HASH") == expected(table, declared, "hash_key"), (
        f"key schema {schema}"
    )
    if state.get("range_key"):
        assert schema.get("RANGE") == expected(table, declared, "range_key")
    billing = got.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    wanted = expected(table, declared, "billing_mode") or "PROVISIONED"
    assert billing == wanted, (
        f"billing mode of {state['name']} is {billing}, not {wanted}"
    )
    if wanted == "PROVISIONED" and "read_capacity" in declared:
        throughput = got.get("ProvisionedThroughput", {})
        assert throughput.get("ReadCapacityUnits") == expected(
            table, declared, "read_capacity"
        )
        assert throughput.get("WriteCapacityUnits") == expected(
            table, declared, "write_capacity"
        )
    indexes = sorted(i["IndexName"] for i in got.get("GlobalSecondaryIndexes", []))
    wanted_indexes = sorted(
        i["name"] for i in state.get("global_secondary_index") or []
    )
    assert indexes == wanted_indexes, (
        f"global secondary indexes {indexes} != {wanted_indexes}"
    )


def dynamodb_item_as_configured(aws: Aws, item: Resource) -> None:
    """The item Terraform wrote can be read back by its key, with the configured attributes
    (as DynamoDB keeps them: numbers by value, sets in any order, binaries as bytes)."""
    state = values(item)
    wanted = {k: dynamodb_value(v) for k, v in json.loads(state["item"]).items()}
    key = {state["hash_key"]: _wire(wanted[state["hash_key"]])}
    if state.get("range_key"):
        key[state["range_key"]] = _wire(wanted[state["range_key"]])
    got = aws("dynamodb", item).get_item(
        TableName=state["table_name"], Key=key, ConsistentRead=True
    )
    found = {k: dynamodb_value(v) for k, v in (got.get("Item") or {}).items()}
    assert found == wanted, f"item {key} in {state['table_name']} is {got.get('Item')}"


def dynamodb_value(value: dict[str, Any]) -> Any:
    """An attribute value, canonical: as a (type, value) pair comparable across spellings
    (the item's JSON has base64 text for binaries, boto3 gives bytes)."""
    kind, raw = next(iter(value.items()))

    def binary(v: Any) -> bytes:
        return v if isinstance(v, bytes) else base64.b64decode(v)

    if kind == "N":
        return kind, decimal.Decimal(raw)
    if kind == "B":
        return kind, binary(raw)
    if kind in ("SS", "NS", "BS"):
        converters: dict[str, Callable[[Any], Any]] = {
            "SS": str, "NS": decimal.Decimal, "BS": binary
        }  # fmt: skip
        convert = converters[kind]
        return kind, frozenset(convert(v) for v in raw)
    if kind == "L":
        return kind, tuple(dynamodb_value(v) for v in raw)
    if kind == "M":
        return kind, tuple(sorted((k, dynamodb_value(v)) for k, v in raw.items()))
    return kind, raw


def _wire(canonical: Any) -> dict[str, Any]:
    """A key attribute back in boto3's shape (keys are S, N or B)."""
    kind, value = canonical
    return {kind: str(value) if kind == "N" else value}


# -- IAM -------------------------------------------------------------------------------
def iam_role_can_be_assumed(aws: Aws, role: Resource) -> None:
    """STS issues credentials for the role, naming it in the assumed-role ARN, where its
    trust policy lets the test's caller assume it (as AWS would check)."""
    state = values(role)
    caller = aws("sts").get_caller_identity()
    external_id = trust_admits(
        state["assume_role_policy"], caller["Arn"], caller["Account"]
    )
    if external_id is False:
        pytest.skip(
            f"the trust policy of {state['name']} does not admit {caller['Arn']}"
        )
    extra = {"ExternalId": external_id} if isinstance(external_id, str) else {}
    got = aws("sts").assume_role(RoleArn=state["arn"], RoleSessionName="lsqm", **extra)
    assert state["name"] in got["AssumedRoleUser"]["Arn"], (
        f"assumed {got['AssumedRoleUser']}"
    )
    assert got["Credentials"]["AccessKeyId"], "assume_role returned no credentials"


def trust_admits(document: Any, caller: str, account: str) -> bool | str:
    """Whether a trust policy lets ``caller`` (of ``account``) assume the role: True, an
    external id the call must carry, or False (also when the policy's conditions or deny
    statements are beyond this check)."""
    try:
        statements = normalize_policy(document).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    admitted: bool | str = False
    for statement in statements:
        if {"NotAction", "NotPrincipal"} & set(statement):
            return False
        if not _matches(statement.get("Action"), "sts:AssumeRole", ignore_case=True):
            continue
        principal = statement.get("Principal")
        aws_principals = (
            principal.get("AWS", []) if isinstance(principal, dict) else principal
        )
        listed = (
            aws_principals if isinstance(aws_principals, list) else [aws_principals]
        )
        names = {"*", account, f"arn:aws:iam::{account}:root", caller}
        if not names & set(listed):
            continue
        if statement.get("Effect") == "Deny":
            return False
        condition = statement.get("Condition") or {}
        external = _external_id_only(condition)
        if not condition:
            admitted = True
        elif external is not None and admitted is False:
            admitted = external
    return admitted


def iam_role_as_configured(aws: Aws, role: Resource) -> None:
    """The role exists with the configured trust policy."""
    state = values(role)
    got = aws("iam").get_role(RoleName=state["name"])["Role"]
    assert got["Arn"] == state["arn"], f"role ARN {got['Arn']} != {state['arn']}"
    trust = got["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(urllib.parse.unquote(trust))
    assert normalize_policy(trust) == normalize_policy(state["assume_role_policy"]), (
        f"trust policy of {state['name']} differs: {trust}"
    )


def iam_policy_attached(aws: Aws, attachment: Resource) -> None:
    """The managed policy is attached to the role."""
    state = values(attachment)
    got = aws("iam").list_attached_role_policies(RoleName=state["role"])[
        "AttachedPolicies"
    ]
    arns = [p["PolicyArn"] for p in got]
    assert state["policy_arn"] in arns, (
        f"{state['policy_arn']} not attached to {state['role']}"
    )


def iam_policy_attachment_as_configured(aws: Aws, attachment: Resource) -> None:
    """Every role named by an ``aws_iam_policy_attachment`` has the policy attached."""
    state = values(attachment)
    for role in state.get("roles") or []:
        got = aws("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        assert state["policy_arn"] in [p["PolicyArn"] for p in got], (
            f"not attached to {role}"
        )


def iam_role_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The inline role policy returns the configured document."""
    state = values(policy)
    got = aws("iam").get_role_policy(RoleName=state["role"], PolicyName=state["name"])
    document = got["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "inline policy differs"
    )


def iam_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The managed policy's default version is the configured document."""
    state = values(policy)
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=state["arn"])["Policy"]["DefaultVersionId"]
    got = iam.get_policy_version(PolicyArn=state["arn"], VersionId=version)[
        "PolicyVersion"
    ]
    document = got["Document"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "policy differs"
    )


# -- KMS -------------------------------------------------------------------------------
def kms_encrypt_decrypt(
    aws: Aws, key: Resource, key_id_attribute: str = "key_id"
) -> None:
    """Encrypting then decrypting with the key (or alias) returns the plaintext; a disabled
    key refuses to encrypt, as AWS's does."""
    state = values(key)
    kms = aws("kms", key)
    key_id = state[key_id_attribute]
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    spec = (
        meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    )
    if (
        meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"
        or spec != "SYMMETRIC_DEFAULT"
    ):
        pytest.skip(f"key usage {meta.get('KeyUsage')} / {spec} does not encrypt")
    plaintext = marker().encode()
    refusal = KMS_REFUSALS.get(meta.get("KeyState", "Enabled"))
    if refusal:
        with pytest.raises(ClientError) as refused:
            kms.encrypt(KeyId=key_id, Plaintext=plaintext)
        code = refused.value.response["Error"]["Code"]
        assert code == refusal, (
            f"encrypting with a {meta['KeyState']} key failed with {code}, not {refusal}"
        )
        return
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    assert blob != plaintext, "ciphertext equals the plaintext"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext, (
        "decrypt lost the text"
    )


def _external_id_only(condition: dict[str, Any]) -> str | None:
    """The external id a condition asks for, when that is all it asks."""
    equals = condition.get("StringEquals")
    if not isinstance(equals, dict) or list(condition) != ["StringEquals"]:
        return None
    if list(equals) != ["sts:ExternalId"]:
        return None
    wanted = equals["sts:ExternalId"]
    return wanted if isinstance(wanted, str) else None


# What AWS KMS answers an Encrypt with a key in these states.
KMS_REFUSALS = {
    "Disabled": "DisabledException",
    "PendingDeletion": "KMSInvalidStateException",
    "PendingImport": "KMSInvalidStateException",
    "Unavailable": "KMSInvalidStateException",
}


def kms_key_as_configured(aws: Aws, key: Resource, declared: dict[str, Any]) -> None:
    """The key's state, usage and description are what was configured."""
    state = values(key)
    got = aws("kms", key).describe_key(KeyId=state["key_id"])["KeyMetadata"]
    assert got["Arn"] == state["arn"], f"key ARN {got['Arn']} != {state['arn']}"
    enabled = expected(key, declared, "is_enabled")
    assert got["Enabled"] is (enabled is not False), f"key Enabled is {got['Enabled']}"
    if "description" in declared:
        assert got.get("Description", "") == (
            expected(key, declared, "description") or ""
        )
    if "key_usage" in declared:
        assert got["KeyUsage"] == expected(key, declared, "key_usage")


def kms_alias_as_configured(aws: Aws, alias: Resource) -> None:
    """The alias points at the configured key."""
    state = values(alias)
    pages = aws("kms", alias).get_paginator("list_aliases").paginate()
    found = [a for p in pages for a in p["Aliases"] if a["AliasName"] == state["name"]]
    assert found, f"alias {state['name']} is not listed"
    target = state["target_key_id"]
    assert found[0].get("TargetKeyId") and target.endswith(found[0]["TargetKeyId"]), (
        f"alias {state['name']} targets {found[0].get('TargetKeyId')}, configured {target}"
    )


# -- SSM and Secrets Manager -----------------------------------------------------------
def _read_parameter(aws: Aws, param: Resource) -> dict[str, Any]:
    name = values(param)["name"]
    return aws("ssm", param).get_parameter(Name=name, WithDecryption=True)["Parameter"]


def ssm_parameter_value_as_configured(
    aws: Aws, param: Resource, declared: dict[str, Any]
) -> None:
    """Reading the parameter returns the configured value."""
    state = values(param)
    got = _read_parameter(aws, param)
    wanted = expected(param, declared, "value")
    if wanted is None:
        wanted = state.get("insecure_value")
    assert got["Value"] == str(wanted), f"parameter {state['name']} holds another value"


def ssm_parameter_type_as_configured(
    aws: Aws, param: Resource, declared: dict[str, Any]
) -> None:
    """The parameter has the configured type."""
    state = values(param)
    got = _read_parameter(aws, param)
    wanted = expected(param, declared, "type")
    assert got["Type"] == wanted, (
        f"parameter {state['name']} is {got['Type']}, not {wanted}"
    )


def secret_as_configured(aws: Aws, secret: Resource, declared: dict[str, Any]) -> None:
    """The secret exists under its name, with the configured description."""
    state = values(secret)
    got = aws("secretsmanager", secret).describe_secret(SecretId=state["arn"])
    assert got["Name"] == state["name"], f"secret name {got['Name']} != {state['name']}"
    if "description" in declared:
        assert got.get("Description", "") == (
            expected(secret, declared, "description") or ""
        )


def secret_value_as_configured(aws: Aws, version: Resource) -> None:
    """Reading the secret version returns the configured value."""
    state = values(version)
    got = aws("secretsmanager", version).get_secret_value(
        SecretId=state["secret_id"], VersionId=state["version_id"]
    )
    if state.get("secret_string"):
        assert got.get("SecretString") == state["secret_string"], (
            "secret string differs"
        )
    else:
        assert base64.b64encode(got["SecretBinary"]).decode() == state["secret_binary"]


# -- Kinesis ---------------------------------------------------------------------------
def kinesis_put_get(aws: Aws, stream: Resource) -> None:
    """A record put on the stream can be read back from its shard."""
    state = values(stream)
    kinesis = aws("kinesis", stream)
    name = state["name"]

    def active() -> bool:
        summary = kinesis.describe_stream_summary(StreamName=name)[
            "StreamDescriptionSummary"
        ]
        return summary["StreamStatus"] in ("ACTIVE", "UPDATING")

    wait_for(f"stream {name} did not become ACTIVE", active)
    data = marker().encode()
    put = kinesis.put_record(StreamName=name, Data=data, PartitionKey="lsqm")
    iterator = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]

    def read() -> bool:
        records = kinesis.get_records(ShardIterator=iterator, Limit=10)["Records"]
        return any(r["Data"] == data for r in records)

    wait_for(f"the record put on {name} was not returned by get_records", read)


def kinesis_stream_as_configured(
    aws: Aws, stream: Resource, declared: dict[str, Any]
) -> None:
    """Shard count and retention are what was configured."""
    state = values(stream)
    got = aws("kinesis", stream).describe_stream_summary(StreamName=state["name"])
    summary = got["StreamDescriptionSummary"]
    assert summary["StreamARN"] == state["arn"], f"stream ARN {summary['StreamARN']}"
    mode = (summary.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "PROVISIONED" and expected(stream, declared, "shard_count"):
        wanted = int(expected(stream, declared, "shard_count"))
        assert summary["OpenShardCount"] == wanted, (
            f"{summary['OpenShardCount']} open shards"
        )
    if "retention_period" in declared:
        wanted = int(expected(stream, declared, "retention_period"))
        assert summary["RetentionPeriodHours"] == wanted, "retention period differs"


# -- EventBridge -----------------------------------------------------------------------
def _event_field(spec: Any, text: str) -> Any:
    """A value that matches one field of an event pattern, or None when it cannot be made."""
    if isinstance(spec, dict):
        nested = {k: _event_field(v, text) for k, v in spec.items()}
        return None if None in nested.values() else nested
    if not isinstance(spec, list) or not spec:
        return None
    first = spec[0]
    if isinstance(first, str | int | float | bool):
        return first
    if isinstance(first, dict) and isinstance(first.get("prefix"), str):
        return f"{first['prefix']}{text}"
    if isinstance(first, dict) and isinstance(first.get("suffix"), str):
        return f"{text}{first['suffix']}"
    if isinstance(first, dict) and first.get("exists") is True:
        return text
    return None


def event_matching(pattern: dict[str, Any], text: str) -> dict[str, Any] | None:
    """A PutEvents entry that the pattern matches, with ``text`` in its detail."""
    source = _event_field(pattern.get("source", ["lsqm.test"]), text)
    detail_type = _event_field(pattern.get("detail-type", ["lsqm"]), text)
    detail = _event_field(pattern.get("detail", {}), text)
    if source is None or detail_type is None or detail is None:
        return None
    if set(pattern) - {"source", "detail-type", "detail"}:
        return None
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps({**detail, "lsqm_marker": text}),
    }


def events_reach_queue(aws: Aws, state: Any, target: Resource) -> None:
    """An event matching the rule's pattern, put on its bus, arrives on the target queue
    where AWS would deliver it; through a disabled or a scheduled rule, AWS matches no event,
    and none may arrive."""
    wanted = values(target)
    bus = wanted.get("event_bus_name") or "default"
    rule = _event_rule(state, wanted["rule"], bus)
    pattern = json.loads(values(rule).get("event_pattern") or "null")
    text = marker()
    entry = event_matching(pattern or {}, text)
    if entry is None:
        pytest.skip(f"cannot build an event matching {pattern}")
    if entry["Source"].startswith("aws."):
        pytest.skip(
            f"AWS refuses events with source {entry['Source']} put by an account"
        )
    if wanted.get("input_path") not in (None, "", "$", "$.detail"):
        pytest.skip(
            f"the target passes on {wanted['input_path']}, not the marked event"
        )
    silent = _rule_silence(values(rule), pattern)
    if silent and _other_rules_deliver(state, rule, wanted["arn"], bus):
        pytest.skip(f"the rule is {silent}, but another rule sends to the same queue")
    blocker = delivery_blocker(
        state, wanted["arn"], "events.amazonaws.com", values(rule)["arn"]
    )
    if blocker and not silent:
        pytest.skip(blocker)
    got = aws("events", rule).put_events(Entries=[{**entry, "EventBusName": bus}])
    assert got["FailedEntryCount"] == 0, f"put_events failed: {got['Entries']}"
    if silent:
        why = f"the rule is {silent}: AWS matches no event against it"
        sqs_no_message(aws, wanted["arn"], text, why)
    else:
        sqs_find_message(aws, wanted["arn"], text)


def _event_rule(state: Any, name: str, bus: str) -> Resource:
    rules = [
        r
        for r in state_resources(state, "aws_cloudwatch_event_rule")
        if values(r).get("name") == name
        and (values(r).get("event_bus_name") or "default") in (bus, _bus_name(bus))
    ]
    if not rules:
        pytest.skip(
            f"the rule {name} is not in this configuration: its pattern is unknown"
        )
    return rules[0]


def _bus_name(bus: str) -> str:
    return bus.split("/")[-1] if bus.startswith("arn:") else bus


def _rule_silence(rule: dict[str, Any], pattern: Any) -> str | None:
    """Why the rule matches no event at all (disabled, or only a schedule), if it does not."""
    if rule.get("is_enabled") is False or rule.get("state") == "DISABLED":
        return "disabled"
    if pattern is None and rule.get("schedule_expression"):
        return f"scheduled ({rule['schedule_expression']})"
    return None


def _other_rules_deliver(state: Any, rule: Resource, queue_arn: str, bus: str) -> bool:
    """Another rule on the bus that targets the same queue and might match."""
    for target in state_resources(state, "aws_cloudwatch_event_target"):
        other = values(target)
        if other.get("arn") != queue_arn or other.get("rule") == values(rule)["name"]:
            continue
        if (other.get("event_bus_name") or "default") not in (bus, _bus_name(bus)):
            continue
        found = [
            values(r)
            for r in state_resources(state, "aws_cloudwatch_event_rule")
            if values(r).get("name") == other.get("rule")
        ]
        if not found:
            return True
        pattern = json.loads(found[0].get("event_pattern") or "null")
        if _rule_silence(found[0], pattern) is None:
            return True
    return False


def events_rule_as_configured(
    aws: Aws, rule: Resource, declared: dict[str, Any]
) -> None:
    """The rule's pattern, schedule and state are what was configured."""
    state = values(rule)
    got = aws("events", rule).describe_rule(
        Name=state["name"], EventBusName=state.get("event_bus_name") or "default"
    )
    assert got["Arn"] == state["arn"], f"rule ARN {got['Arn']} != {state['arn']}"
    if state.get("event_pattern"):
        assert json_equal(got.get("EventPattern"), state["event_pattern"]), (
            "pattern differs"
        )
    if state.get("schedule_expression"):
        assert got.get("ScheduleExpression") == state["schedule_expression"]
    if "is_enabled" in declared:
        wanted = "ENABLED" if expected(rule, declared, "is_enabled") else "DISABLED"
        assert got.get("State") == wanted, f"rule state {got.get('State')} != {wanted}"


def events_target_as_configured(aws: Aws, target: Resource) -> None:
    """The rule lists the target with the configured ARN."""
    state = values(target)
    got = aws("events", target).list_targets_by_rule(
        Rule=state["rule"], EventBusName=state.get("event_bus_name") or "default"
    )["Targets"]
    arns = {t["Id"]: t["Arn"] for t in got}
    assert arns.get(state["target_id"]) == state["arn"], (
        f"targets of {state['rule']}: {arns}"
    )


# -- Step Functions --------------------------------------------------------------------
# What an execution does is in its definition. For the states whose behaviour the
# definition fixes (Pass, Wait, Choice, Succeed, Fail) the check works the outcome out for
# an input it builds from the Choice rules, preferring one that reaches success, and
# expects exactly that. Where a state's behaviour is not in the definition (a Task calls
# another service, Map and Parallel run branches), it expects only that the execution
# starts: anything more would be an invented expectation.
JSON_PATH = re.compile(r"(?<![$\w])\$((?:\.[A-Za-z_]\w*)+)")
SFN_WAIT_LIMIT_S = 10.0  # longest total Wait a check sits through
SFN_MAX_STEPS = 100  # transitions simulated before a loop counts as unpredictable
SFN_TRIES = 40  # inputs tried in search of one that reaches success
SFN_STATUSES = {
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
}
_SFN_FIELDS = {
    "Type",
    "Comment",
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "QueryLanguage",
}
_SFN_STATE_FIELDS = {
    "Pass": {"Result", "ResultPath", "Parameters"},
    "Wait": {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Choice": {"Choices", "Default"},
    "Succeed": set(),
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
}
_SFN_TOP_FIELDS = {
    "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage",
}  # fmt: skip
_CONTEXT_PATHS = {
    "$$.Execution.Id", "$$.Execution.Input", "$$.Execution.Name", "$$.Execution.RoleArn",
    "$$.Execution.StartTime", "$$.State.Name", "$$.State.EnteredTime",
    "$$.State.RetryCount", "$$.StateMachine.Id", "$$.StateMachine.Name",
}  # fmt: skip
# The form AWS documents for Choice rules (UTC, whole seconds, "Z"): how offsets and
# fractions compare is not assumed (LocalStack 2026.3.0 fails on both).
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_PATH_STEP = re.compile(r"\.([^.\[\]*@?()'\"\s]+)|\['([^'\]]+)'\]|\[(\d+)\]")
_MISSING = object()  # "no value at this path" in a built input


class Unknown:
    """A value no definition fixes (an execution id, a UUID): it matches anything."""

    def __repr__(self) -> str:
        return "<unknown>"

    def __deepcopy__(self, _memo: Any) -> Unknown:
        return self


UNKNOWN = Unknown()


class Unpredictable(Exception):
    """What happens next is not fixed by the definition (or not by this reading of it)."""


class Absent(Unpredictable):
    """No value at a path (AWS fails the execution, unless the rule is IsPresent)."""


@dataclass
class SfnRun:
    """An execution worked out from the definition: ``status`` None when unpredictable."""

    status: str | None = None
    path: list[str] = dataclasses.field(default_factory=list)
    output: Any = UNKNOWN
    error: Any = None  # None: not asserted
    cause: Any = None
    reason: str = ""
    # each Choice state passed, with its input
    choices: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    waited: float = 0.0


@dataclass
class SfnPlan:
    input: Any
    run: SfnRun


def sample_input(definition: str) -> dict[str, Any]:
    """An execution input holding every ``$.a.b`` path the definition reads, so a machine
    that reshapes its input is not failed for want of a field."""
    sample: dict[str, Any] = {}
    for path in sorted(set(JSON_PATH.findall(definition or "")), key=len):
        node = sample
        *parents, leaf = path.strip(".").split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node.setdefault(leaf, "lsqm")
    return sample


def _path_steps(path: Any) -> list[str | int]:
    if not isinstance(path, str) or not path.startswith("$") or path.startswith("$$"):
        raise Unpredictable(f"path {path!r} is not a plain JSONPath")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        found = _PATH_STEP.match(path, position)
        if not found:
            raise Unpredictable(
                f"path {path!r} uses JSONPath this check does not follow"
            )
        name, quoted, index = found.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = found.end()
    return steps


def _present(data: Any, path: Any) -> bool:
    try:
        _get(data, path)
    except Absent:
        return False
    return True


def _get(data: Any, path: Any) -> Any:
    """The value at ``path``; Unpredictable when absent (AWS fails the execution)."""
    node = data
    for step in _path_steps(path):
        if isinstance(node, Unknown):
            raise Unpredictable(
                f"{path} reads into a value the definition does not fix"
            )
        if isinstance(step, int) and isinstance(node, list) and step < len(node):  # noqa: SIM114 (mypy narrows each branch)
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict) and step in node:
            node = node[step]
        else:
            raise Absent(f"{path} is not in the state's input")
    return node


def _select(state: dict[str, Any], data: Any, key: str) -> Any:
    """InputPath / OutputPath: absent keeps everything, null keeps nothing."""
    if key not in state:
        return data
    return {} if state[key] is None else copy.deepcopy(_get(data, state[key]))


def _merge(state: dict[str, Any], data: Any, result: Any) -> Any:
    """ResultPath: where the state's result goes in its raw input."""
    if "ResultPath" not in state or state["ResultPath"] == "$":
        return result
    if state["ResultPath"] is None:
        return data
    *parents, leaf = _path_steps(state["ResultPath"])
    merged = copy.deepcopy(data)
    node = merged
    for step in parents:
        node = (
            node.get(step) if isinstance(node, dict) and isinstance(step, str) else None
        )
    if not isinstance(node, dict) or not isinstance(leaf, str):
        raise Unpredictable(
            f"ResultPath {state['ResultPath']} has no object to write to"
        )
    node[leaf] = result
    return merged


def _template(node: Any, data: Any) -> Any:
    """Parameters: keys ending in ``.$`` take a value from the input."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key.endswith(".$"):
                out[key[:-2]] = _dynamic(value, data)
            else:
                out[key] = _template(value, data)
        return out
    if isinstance(node, list) and ".$" in json.dumps(node):
        raise Unpredictable("a template with dynamic values inside a list")
    return copy.deepcopy(node)


def _dynamic(expression: Any, data: Any) -> Any:
    if not isinstance(expression, str):
        raise Unpredictable(f"dynamic value {expression!r}")
    if expression.startswith("$$"):
        if expression in _CONTEXT_PATHS or expression == "$$":
            return UNKNOWN
        raise Unpredictable(f"context path {expression}")
    if expression.startswith("States."):
        return _intrinsic(expression, data)
    return copy.deepcopy(_get(data, expression))


def _intrinsic(expression: str, data: Any) -> Any:
    """The intrinsic functions whose result the input fixes; others are unpredictable."""
    call = re.fullmatch(r"States\.(\w+)\((.*)\)", expression.strip(), re.DOTALL)
    if call is None:
        raise Unpredictable(f"intrinsic {expression}")
    name, args = call.group(1), _intrinsic_args(call.group(2), data)
    if name == "UUID" and not args:
        return UNKNOWN
    if name == "JsonToString" and len(args) == 1:
        return UNKNOWN  # the argument exists; its exact spelling is AWS's business
    if name == "Array":
        return args
    if name == "Format" and args and isinstance(args[0], str):
        return _format(args[0], args[1:])
    raise Unpredictable(f"intrinsic States.{name}")


def _intrinsic_args(text: str, data: Any) -> list[Any]:
    tokens = (
        re.findall(r"\s*('(?:[^'\\]|\\.)*'|[^,]+)\s*(?:,|$)", text)
        if text.strip()
        else []
    )
    args: list[Any] = []
    for token in tokens:
        token = token.strip()
        if token.startswith("'") and "\\" not in token:
            args.append(token[1:-1])
        elif token.startswith("$"):
            args.append(_dynamic(token, data))
        elif re.fullmatch(r"-?\d+", token):
            args.append(int(token))
        elif token in ("true", "false", "null"):
            args.append(json.loads(token))
        else:
            raise Unpredictable(f"intrinsic argument {token}")
    return args


def _format(template: str, args: list[Any]) -> Any:
    if "\\" in template or template.count("{}") != len(args):
        raise Unpredictable(f"States.Format template {template!r}")
    text = template
    for arg in args:
        if isinstance(arg, Unknown | bool) or arg is None:
            return UNKNOWN  # formatted, but how exactly is AWS's business
        if not isinstance(arg, str | int):
            raise Unpredictable(f"States.Format of {arg!r}")
        text = text.replace("{}", str(arg), 1)
    return text


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return datetime.datetime.fromisoformat(value)
    return None


def _sfn_string_pattern(pattern: str) -> re.Pattern[str]:
    """A Step Functions ``StringMatches`` operand: ``*`` any run of characters, and
    ``\\*`` / ``\\\\`` a literal star / backslash; ``?`` is literal."""
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    escaped = {"\\\\": re.escape("\\"), "\\*": re.escape("*"), "*": ".*"}
    return re.compile("".join(escaped.get(p, re.escape(p)) for p in parts), re.DOTALL)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_KINDS: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Numeric": _number,
    "Boolean": lambda v: isinstance(v, bool),
}
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsString": lambda v: isinstance(v, str),
    "IsNumeric": _number,
    "IsBoolean": lambda v: isinstance(v, bool),
}


def choice_rule_matches(rule: dict[str, Any], data: Any) -> bool:
    """A JSONPath Choice rule on well-typed values; Unpredictable where AWS's answer would
    depend on a detail (a missing variable, mismatched types) this check does not model.
    Every branch of And/Or is evaluated, so no error hides behind a short circuit."""
    if "And" in rule or "Or" in rule:
        results = [choice_rule_matches(r, data) for r in rule.get("And") or rule["Or"]]
        return all(results) if "And" in rule else any(results)
    if "Not" in rule:
        return not choice_rule_matches(rule["Not"], data)
    operators = [k for k in rule if k not in ("Variable", "Next", "Comment")]
    if len(operators) != 1 or "Variable" not in rule:
        raise Unpredictable(f"choice rule {rule}")
    operator, operand = operators[0], rule[operators[0]]
    if operator == "IsPresent":
        return _present(data, rule["Variable"]) is operand
    value = _get(data, rule["Variable"])
    if isinstance(value, Unknown):
        raise Unpredictable(f"{rule['Variable']} is not fixed by the definition")
    if operator in _TYPE_TESTS:
        return _TYPE_TESTS[operator](value) is operand
    if operator == "IsTimestamp":
        if isinstance(value, str) and _timestamp(value) is None and value[:1].isdigit():
            raise Unpredictable(f"is {value!r} a timestamp")
        return (_timestamp(value) is not None) is operand
    if operator == "StringMatches":
        _same_kind(value, operand, _KINDS["String"], rule)
        return _sfn_string_pattern(operand).fullmatch(value) is not None
    if operator.endswith("Path"):
        operator, operand = operator[:-4], _get(data, operand)
    for kind, fits in _KINDS.items():
        if operator.startswith(kind) and operator[len(kind) :] in _ORDER:
            _same_kind(value, operand, fits, rule)
            return _ORDER[operator[len(kind) :]](value, operand)
    if operator.startswith("Timestamp") and operator[9:] in _ORDER:
        left, right = _timestamp(value), _timestamp(operand)
        if left is None or right is None:
            raise Unpredictable(f"timestamps {value!r}, {operand!r}")
        return _ORDER[operator[9:]](left, right)
    raise Unpredictable(f"choice operator {operator}")


def _same_kind(
    value: Any, operand: Any, fits: Callable[[Any], bool], rule: dict[str, Any]
) -> None:
    if not (fits(value) and fits(operand)):
        raise Unpredictable(
            f"{rule.get('Variable')} is {value!r}, compared with {operand!r}"
        )


def sfn_simulate(definition: Any, given: Any) -> SfnRun:
    """Run the definition on ``given`` as Step Functions would, as far as it is fixed."""
    run = SfnRun()
    try:
        _run_states(definition, copy.deepcopy(given), run)
    except Unpredictable as exc:
        run.status, run.reason = None, str(exc)
    return run


def _run_states(definition: Any, data: Any, run: SfnRun) -> None:
    if not isinstance(definition, dict) or set(definition) - _SFN_TOP_FIELDS:
        raise Unpredictable("the definition uses fields this check does not model")
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise Unpredictable("a JSONata definition")
    states, name = definition.get("States"), definition.get("StartAt")
    if not isinstance(states, dict):
        raise Unpredictable("the definition has no States")
    for _ in range(SFN_MAX_STEPS):
        state = states.get(name) if isinstance(name, str) else None
        if not isinstance(state, dict) or not isinstance(name, str):
            raise Unpredictable(f"no state {name!r}")
        run.path.append(name)
        kind = state.get("Type")
        extra = set(state) - _SFN_FIELDS - _SFN_STATE_FIELDS.get(str(kind), set())
        if kind not in _SFN_STATE_FIELDS:
            raise Unpredictable(
                f"{kind} state {name}: what it does is not in the definition"
            )
        if extra or state.get("QueryLanguage", "JSONPath") != "JSONPath":
            raise Unpredictable(f"state {name} uses {sorted(extra) or 'JSONata'}")
        if kind == "Fail":
            run.status = "FAILED"
            run.error = _fail_field(state, data, "Error")
            run.cause = _fail_field(state, data, "Cause")
            return
        effective = _select(state, data, "InputPath")
        if kind == "Choice":
            run.choices.append((name, effective))
            name = _next_of_choice(state, effective, run)
            if name is None:
                return
            data = _select(state, effective, "OutputPath")
            continue
        if kind == "Pass":
            if "Parameters" in state:
                effective = _template(state["Parameters"], effective)
            result = copy.deepcopy(state["Result"]) if "Result" in state else effective
            effective = _merge(state, data, result)
        elif kind == "Wait":
            run.waited += _wait_seconds(state, effective)
            limit = definition.get("TimeoutSeconds")
            if run.waited > SFN_WAIT_LIMIT_S or (
                isinstance(limit, int | float)
                and _number(limit)
                and run.waited >= limit - 1
            ):
                raise Unpredictable(f"the execution waits {run.waited:.0f}s")
        data = _select(state, effective, "OutputPath")
        if kind == "Succeed" or state.get("End") is True:
            run.status, run.output = "SUCCEEDED", data
            return
        name = state.get("Next")
    raise Unpredictable(f"more than {SFN_MAX_STEPS} transitions")


def _next_of_choice(state: dict[str, Any], data: Any, run: SfnRun) -> str | None:
    for rule in state.get("Choices") or []:
        if choice_rule_matches(rule, data):
            return rule.get("Next")
    if "Default" in state:
        return state["Default"]
    # AWS documents the error as States.NoChoiceMatched; which name an execution reports
    # is not asserted (LocalStack 2026.3.0 says States.Runtime)
    run.status, run.reason = "FAILED", f"no choice of {run.path[-1]} matched"
    return None


def _fail_field(state: dict[str, Any], data: Any, key: str) -> Any:
    if f"{key}Path" in state:
        value = _dynamic(state[f"{key}Path"], data)
        return value if isinstance(value, str) else UNKNOWN
    return state.get(key)


def _wait_seconds(state: dict[str, Any], data: Any) -> float:
    if "Seconds" in state or "SecondsPath" in state:
        seconds = (
            state["Seconds"] if "Seconds" in state else _get(data, state["SecondsPath"])
        )
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise Unpredictable(f"a Wait of {seconds!r} seconds")
        return float(seconds)
    if "Timestamp" in state:
        when = _timestamp(state["Timestamp"])
    else:
        when = _timestamp(_get(data, state.get("TimestampPath")))
    if when is None:
        raise Unpredictable("a Wait without a timestamp this check can read")
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


# -- building an input: values that make a Choice rule true (or false) -----------------
def _succeeding_states(states: dict[str, Any]) -> set[str]:
    """States from which success is reachable through states the definition fixes."""
    good: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, state in states.items():
            if name in good or not isinstance(state, dict):
                continue
            kind = state.get("Type")
            targets = [state.get("Next")]
            if kind == "Choice":
                targets = [r.get("Next") for r in state.get("Choices") or []]
                targets.append(state.get("Default"))
            reaches = kind == "Succeed" or (
                kind in ("Pass", "Wait") and state.get("End") is True
            )
            if reaches or (kind in ("Pass", "Wait", "Choice") and good & set(targets)):
                good.add(name)
                changed = True
    return good


def _shift(value: Any, up: bool) -> Any:
    """A value of the same kind just above (or below) ``value``."""
    if _number(value):
        return value + 1 if up else value - 1
    stamp = _timestamp(value)
    if stamp is not None:
        moved = stamp + datetime.timedelta(days=1 if up else -1)
        return moved.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        if up:
            return value + "~"
        if value:
            return value[:-1]
    raise Unpredictable(f"nothing below {value!r}")


_SAMPLES = {
    "String": "lsqm",
    "Numeric": 1,
    "Boolean": True,
    "Timestamp": "2020-01-01T00:00:00Z",
}
_TYPE_SAMPLES = {
    "IsNull": (None, "lsqm"),
    "IsString": ("lsqm", 0),
    "IsNumeric": (0, "lsqm"),
    "IsBoolean": (True, "lsqm"),
    "IsTimestamp": ("2020-01-01T00:00:00Z", "lsqm"),
    "IsPresent": ("lsqm", _MISSING),
}


def _values_for(rule: dict[str, Any], want: bool) -> list[tuple[str, Any]]:
    """(path, value) pairs that make ``rule`` evaluate to ``want`` (checked afterwards by
    simulating, so a guess that misses costs a try, never a wrong expectation)."""
    if "And" in rule or "Or" in rule:
        # every part gets a value (all are evaluated); all decide, or the last alone (it
        # is written last, so it wins where parts share a variable)
        parts = rule.get("And") or rule["Or"]
        every = ("And" in rule) == want
        wants = [want] * len(parts) if every else [not want] * (len(parts) - 1) + [want]
        return [
            pair
            for p, w in zip(parts, wants, strict=True)
            for pair in _values_for(p, w)
        ]
    if "Not" in rule:
        return _values_for(rule["Not"], not want)
    operators = [k for k in rule if k not in ("Variable", "Next", "Comment")]
    if len(operators) != 1 or not isinstance(rule.get("Variable"), str):
        raise Unpredictable(f"choice rule {rule}")
    variable, operator = rule["Variable"], operators[0]
    operand = rule[operator]
    if operator in _TYPE_SAMPLES:
        yes, no = _TYPE_SAMPLES[operator]
        return [(variable, yes if operand is want else no)]
    if operator == "StringMatches" and isinstance(operand, str):
        literal = re.sub(r"\\(.)|\*", lambda m: m.group(1) or "", operand)
        return [(variable, literal if want else literal + "\u0001")]
    pairs: list[tuple[str, Any]] = []
    if operator.endswith("Path"):
        operator = operator[:-4]
        kind = next((k for k in _SAMPLES if operator.startswith(k)), None)
        if kind is None:
            raise Unpredictable(f"choice operator {operator}Path")
        pairs.append((operand, _SAMPLES[kind]))
        operand = _SAMPLES[kind]
    test = (
        operator[9:]
        if operator.startswith("Timestamp")
        else re.sub(r"^(String|Numeric|Boolean)", "", operator)
    )
    if test == "Equals":
        value = (
            operand
            if want
            else (not operand if isinstance(operand, bool) else _shift(operand, True))
        )
    elif test in ("LessThan", "GreaterThanEquals"):
        value = _shift(operand, False) if (test == "LessThan") == want else operand
    elif test in ("GreaterThan", "LessThanEquals"):
        value = _shift(operand, True) if (test == "GreaterThan") == want else operand
    else:
        raise Unpredictable(f"choice operator {operator}")
    return [*pairs, (variable, value)]


def _with_values(given: Any, pairs: list[tuple[str, Any]]) -> Any:
    """``given`` with each path set (created where missing) or removed."""
    out = copy.deepcopy(given) if isinstance(given, dict) else {}
    for path, value in pairs:
        steps = _path_steps(path)
        if not steps or not all(isinstance(s, str) for s in steps):
            raise Unpredictable(f"cannot build an input with {path}")
        node = out
        for step in steps[:-1]:
            if not isinstance(node.get(step), dict):
                node[step] = {}
            node = node[step]
        if value is _MISSING:
            node.pop(steps[-1], None)
        else:
            node[steps[-1]] = copy.deepcopy(value)
    return out


def _alternatives(definition: dict[str, Any], given: Any, run: SfnRun) -> list[Any]:
    """Inputs that send one Choice the run went through down another branch: first the
    branches from which success is reachable, in rule order."""
    states = definition.get("States") or {}
    good = _succeeding_states(states)
    ranked: list[tuple[bool, Any]] = []
    for name, _data in run.choices:
        rules = states[name].get("Choices") or []
        options = [(i, r.get("Next")) for i, r in enumerate(rules)]
        if "Default" in states[name]:
            options.append((len(rules), states[name]["Default"]))
        for index, target in options:
            try:
                pairs = [p for r in rules[:index] for p in _values_for(r, False)]
                if index < len(rules):
                    pairs += _values_for(rules[index], True)
                ranked.append((target not in good, _with_values(given, pairs)))
            except Unpredictable:
                continue
    return [candidate for _bad, candidate in sorted(ranked, key=lambda c: c[0])]


def _seed(definition: dict[str, Any], text: str) -> Any:
    """The first input: every path the definition reads, waits that need not wait."""
    pairs: list[tuple[Any, Any]] = []
    for state in (definition.get("States") or {}).values():
        if isinstance(state, dict) and state.get("Type") == "Wait":
            if isinstance(state.get("SecondsPath"), str):
                pairs.append((state["SecondsPath"], 0))
            if isinstance(state.get("TimestampPath"), str):
                pairs.append((state["TimestampPath"], "2000-01-01T00:00:00Z"))
    try:
        return _with_values(sample_input(text), pairs)
    except Unpredictable:
        return sample_input(text)


def sfn_plan(text: str) -> SfnPlan:
    """An input and what the definition makes of it: success where some input reaches it,
    else a failure the definition fixes, else unpredictable (with the reason)."""
    try:
        definition = json.loads(text)
    except ValueError:
        return SfnPlan({}, SfnRun(reason="the definition is not JSON"))
    if not isinstance(definition, dict):
        return SfnPlan({}, SfnRun(reason="the definition is not a JSON object"))
    queue = [_seed(definition, text)]
    seen: set[str] = set()
    first: SfnPlan | None = None
    failing: SfnPlan | None = None
    while queue and len(seen) < SFN_TRIES:
        given = queue.pop(0)
        key = json.dumps(given, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        run = sfn_simulate(definition, given)
        first = first or SfnPlan(given, run)
        if run.status == "SUCCEEDED":
            return SfnPlan(given, run)
        if run.status == "FAILED" and failing is None:
            failing = SfnPlan(given, run)
        queue += _alternatives(definition, given, run)
    assert first is not None
    return failing or first


def conforms(actual: Any, wanted: Any) -> bool:
    """``actual`` is ``wanted``, where an Unknown part of ``wanted`` matches anything."""
    if isinstance(wanted, Unknown):
        return True
    if isinstance(wanted, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(wanted)
            and all(conforms(actual[k], v) for k, v in wanted.items())
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(conforms(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted
    return bool(actual == wanted)


def sfn_execution_as_defined(aws: Aws, machine: Resource) -> None:
    """An execution ends as the definition says it must, for an input chosen to reach
    success where one can (its output and error too); where the definition does not fix the
    outcome (a Task, Map or Parallel state), the execution is only expected to start."""
    state = values(machine)
    sfn = aws("stepfunctions", machine)
    arn = state.get("arn") or state["id"]
    plan = sfn_plan(state.get("definition") or "")
    given = json.dumps(plan.input)
    express = state.get("type") == "EXPRESS"
    if plan.run.status is None:
        _sfn_starts(sfn, arn, given, express)
        return
    if express:
        got = sfn.start_sync_execution(stateMachineArn=arn, input=given)
    else:
        execution = sfn.start_execution(stateMachineArn=arn, input=given)[
            "executionArn"
        ]

        def finished() -> dict[str, Any] | None:
            got = sfn.describe_execution(executionArn=execution)
            return got if got["status"] != "RUNNING" else None

        got = wait_for(f"execution of {state['name']} did not finish", finished, 60)
    _sfn_ended_as_planned(state["name"], given, plan.run, got)


def _sfn_starts(sfn: Client, arn: str, given: str, express: bool) -> None:
    started = sfn.start_execution(stateMachineArn=arn, input=given)
    assert started.get("executionArn"), f"start_execution returned {started}"
    if express:
        return  # express executions are not described; starting is what is known
    got = sfn.describe_execution(executionArn=started["executionArn"])
    assert got["status"] in SFN_STATUSES, f"execution status {got['status']}"
    if got["status"] == "RUNNING":  # clean up; it may have ended meanwhile
        with contextlib.suppress(ClientError):
            sfn.stop_execution(executionArn=started["executionArn"], cause="lsqm")


def _sfn_ended_as_planned(
    name: str, given: str, run: SfnRun, got: dict[str, Any]
) -> None:
    ended = f"{got['status']} ({got.get('error')}: {got.get('cause')})"
    route = " -> ".join(run.path)
    assert got["status"] == run.status, (
        f"execution of {name} with input {given} ended {ended}; "
        f"the definition leads to {run.status} through {route}"
    )
    for key in ("error", "cause"):
        wanted = getattr(run, key)
        if isinstance(wanted, str):
            assert got.get(key) == wanted, (
                f"execution of {name} failed with {key} {got.get(key)!r}, "
                f"the definition's Fail state {run.path[-1]} says {wanted!r}"
            )
    if run.status == "SUCCEEDED" and not isinstance(run.output, Unknown):
        output = json.loads(got.get("output") or "null")
        assert conforms(output, run.output), (
            f"execution of {name} with input {given} output {output}; "
            f"the definition makes {run.output} through {route}"
        )


def sfn_machine_as_configured(aws: Aws, machine: Resource) -> None:
    """The state machine's definition and role are what was configured."""
    state = values(machine)
    arn = state.get("arn") or state["id"]
    got = aws("stepfunctions", machine).describe_state_machine(stateMachineArn=arn)
    assert json_equal(got["definition"], state["definition"]), "definition differs"
    assert got["roleArn"] == state["role_arn"], (
        f"role {got['roleArn']} != {state['role_arn']}"
    )


# -- API Gateway -----------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """An API's redirect is its answer: following it would leave the emulator."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_call(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One HTTP request to the emulator; the status code and body, also for error codes
    and redirects (not followed)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def emulator_url(path: str) -> str:
    """``path`` on the emulator endpoint lsqm gives the test (any host: an external
    emulator need not be local)."""
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    assert endpoint.startswith(("http://", "https://")), endpoint
    return endpoint + path


def concrete_path(path: str) -> str:
    """A request path for a resource path template (``/items/{id}`` -> ``/items/lsqm``)."""
    parts = ["lsqm" if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


def apigateway_method_answers(aws: Aws, state: Any, method: Resource) -> None:
    """Calling the method through a deployed stage answers with the status its MOCK
    integration selects. Any other integration answers as its backend does (a Lambda's
    code, an HTTP service), which the configuration does not fix: not asserted."""
    wanted = values(method)
    status = _mock_answer(state, wanted)
    api = aws("apigateway", method)
    api_id = wanted["rest_api_id"]
    stages = api.get_stages(restApiId=api_id).get("item", [])
    if not stages:
        pytest.skip(
            f"REST API {api_id} has no stage to call (a deployment without one)"
        )
    path = api.get_resource(restApiId=api_id, resourceId=wanted["resource_id"])["path"]
    verb = "GET" if wanted["http_method"] == "ANY" else wanted["http_method"]
    body = b"{}" if verb in ("POST", "PUT", "PATCH") else None
    stage = stages[0]["stageName"]
    url = emulator_url(f"/_aws/execute-api/{api_id}/{stage}{concrete_path(path)}")
    got, payload = http_call(verb, url, body)
    assert got == status, (
        f"{verb} {path} on stage {stage} answered {got} ({payload[:200]!r}); "
        f"its MOCK integration selects {status}"
    )


def _mock_answer(state: Any, method: dict[str, Any]) -> int:
    """The status the method's MOCK integration answers with, from the configuration:
    the request template's statusCode, then the integration response it selects."""
    same = ("rest_api_id", "resource_id", "http_method")

    def of_method(resource_type: str) -> list[dict[str, Any]]:
        found = state_resources(state, resource_type)
        return [
            values(r) for r in found if all(values(r).get(k) == method[k] for k in same)
        ]

    integrations = of_method("aws_api_gateway_integration")
    if not integrations:
        pytest.skip("the method's integration is not in this configuration")
    integration = integrations[0]
    if integration.get("type") != "MOCK":
        backend = integration.get("uri") or ""
        pytest.skip(
            f"a {integration.get('type')} integration {backend} decides the answer"
        )
    blocker = _call_blocker(state, method)
    if blocker:
        pytest.skip(blocker)
    template = (integration.get("request_templates") or {}).get("application/json")
    try:
        status = json.loads(template or "")["statusCode"]
    except (ValueError, KeyError, TypeError):
        status = None
    if not isinstance(status, int) or isinstance(status, bool):
        pytest.skip("the MOCK request template does not fix a status code")
    responses = of_method("aws_api_gateway_integration_response")
    chosen = _selected_response(responses, status)
    if chosen is None:
        pytest.skip(f"no integration response is selected for status {status}")
    return int(chosen["status_code"])


def _selected_response(
    responses: list[dict[str, Any]], status: int
) -> dict[str, Any] | None:
    """The integration response whose selection pattern matches the status, else the
    default one (no pattern)."""
    try:
        for response in responses:
            pattern = response.get("selection_pattern") or ""
            if pattern and re.fullmatch(pattern, str(status)):
                return response
    except re.error:
        return None
    return next((r for r in responses if not r.get("selection_pattern")), None)


def _call_blocker(state: Any, method: dict[str, Any]) -> str | None:
    """What stands between an anonymous caller and the method on AWS, if anything."""
    if method.get("authorization") != "NONE" or method.get("api_key_required"):
        return "the method needs authorization or an API key"
    apis = [
        values(r)
        for r in state_resources(state, "aws_api_gateway_rest_api")
        if values(r).get("id") == method["rest_api_id"]
    ]
    policies = [
        r
        for r in state_resources(state, "aws_api_gateway_rest_api_policy")
        if values(r).get("rest_api_id") == method["rest_api_id"]
    ]
    if policies or (apis and apis[0].get("policy")):
        return "a resource policy decides who may call the API"
    endpoint = (apis[0].get("endpoint_configuration") or [{}])[0] if apis else {}
    if "PRIVATE" in (endpoint.get("types") or []):
        return "a private API answers only inside its VPC"
    required = any((method.get("request_parameters") or {}).values())
    if method.get("request_validator_id") and (
        required or method.get("request_models")
    ):
        return "a request validator checks parameters or a body the check does not send"
    return None


def apigateway_method_as_configured(aws: Aws, method: Resource) -> None:
    """The method's authorization and API key requirement are what was configured."""
    state = values(method)
    got = aws("apigateway", method).get_method(
        restApiId=state["rest_api_id"],
        resourceId=state["resource_id"],
        httpMethod=state["http_method"],
    )
    assert got["authorizationType"] == state["authorization"], got["authorizationType"]
    assert bool(got.get("apiKeyRequired")) == bool(state.get("api_key_required"))


def apigateway_rest_api_as_configured(aws: Aws, rest_api: Resource) -> None:
    """The REST API exists under its configured name."""
    state = values(rest_api)
    got = aws("apigateway", rest_api).get_rest_api(restApiId=state["id"])
    assert got["name"] == state["name"], (
        f"REST API name {got['name']} != {state['name']}"
    )


# -- Lambda ----------------------------------------------------------------------------
def lambda_invoke(aws: Aws, function: Resource) -> None:
    """Invoking the active function is answered with 200. Whether its code raises for an
    empty event is the code's business (AWS then answers 200 with a FunctionError and the
    error as JSON), not a promise of the configuration."""
    state = values(function)
    client = aws("lambda", function)
    name = state["function_name"]
    if state.get("reserved_concurrent_executions") == 0:
        pytest.skip(
            f"{name} has reserved concurrency 0: AWS throttles every invocation"
        )

    def settled() -> dict[str, Any] | None:
        config = client.get_function_configuration(FunctionName=name)
        return config if config.get("State", "Active") != "Pending" else None

    config = wait_for(f"function {name} stayed Pending", settled, timeout=60)
    if config.get("State") == "Failed":
        pytest.fail(
            f"function {name} is in state Failed ({config.get('StateReasonCode')}): "
            f"{config.get('StateReason')}"
        )
    got = client.invoke(FunctionName=name, Payload=b"{}")
    payload = got["Payload"].read()
    assert got["StatusCode"] == 200, f"invoke returned {got['StatusCode']}"
    if got.get("FunctionError"):
        problem = invoke_error_problem(payload)
        assert problem is None, f"{got['FunctionError']} error of {name}: {problem}"


def invoke_error_problem(payload: bytes) -> str | None:
    """What is wrong with a function error's payload, if anything: AWS reports the error
    as a JSON object with an ``errorMessage``."""
    try:
        error = json.loads(payload or b"null")
    except ValueError:
        return f"the error is not JSON: {payload[:200]!r}"
    if not isinstance(error, dict) or "errorMessage" not in error:
        return f"the error has no errorMessage: {payload[:200]!r}"
    return None


def lambda_function_as_configured(
    aws: Aws, function: Resource, declared: dict[str, Any]
) -> None:
    """Runtime, handler, memory and timeout are what was configured."""
    state = values(function)
    got = aws("lambda", function).get_function_configuration(
        FunctionName=state["function_name"]
    )
    for key, field in (
        ("runtime", "Runtime"),
        ("handler", "Handler"),
        ("memory_size", "MemorySize"),
        ("timeout", "Timeout"),
    ):
        wanted = expected(function, declared, key)
        if wanted is not None:
            assert got.get(field) == wanted, (
                f"{field} is {got.get(field)!r}, not {wanted!r}"
            )


# -- CloudWatch ------------------------------------------------------------------------
def logs_put_get(aws: Aws, group: Resource) -> None:
    """An event written to a new stream of the log group can be read back."""
    state = values(group)
    logs = aws("logs", group)
    stream = marker()
    logs.create_log_stream(logGroupName=state["name"], logStreamName=stream)
    try:
        logs.put_log_events(
            logGroupName=state["name"],
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": stream}],
        )

        def read() -> bool:
            got = logs.get_log_events(logGroupName=state["name"], logStreamName=stream)
            return any(e["message"] == stream for e in got["events"])

        wait_for(f"the event written to {state['name']} was not returned", read)
    finally:
        logs.delete_log_stream(logGroupName=state["name"], logStreamName=stream)


def log_group_as_configured(
    aws: Aws, group: Resource, declared: dict[str, Any]
) -> None:
    """The log group exists with the configured retention."""
    state = values(group)
    got = aws("logs", group).describe_log_groups(logGroupNamePrefix=state["name"])
    found = [g for g in got["logGroups"] if g["logGroupName"] == state["name"]]
    assert found, f"log group {state['name']} is not listed"
    wanted = expected(group, declared, "retention_in_days") or None
    assert found[0].get("retentionInDays") == wanted, (
        f"retention {found[0].get('retentionInDays')}"
    )


def alarm_as_configured(aws: Aws, alarm: Resource, declared: dict[str, Any]) -> None:
    """The alarm watches the configured metric with the configured threshold."""
    state = values(alarm)
    got = aws("cloudwatch", alarm).describe_alarms(AlarmNames=[state["alarm_name"]])
    found = got["MetricAlarms"]
    assert found, f"alarm {state['alarm_name']} is not listed"
    for key, field in (
        ("metric_name", "MetricName"),
        ("namespace", "Namespace"),
        ("comparison_operator", "ComparisonOperator"),
        ("evaluation_periods", "EvaluationPeriods"),
    ):
        wanted = expected(alarm, declared, key)
        if wanted is not None:
            assert found[0].get(field) == wanted, f"{field} is {found[0].get(field)!r}"
    threshold = expected(alarm, declared, "threshold")
    if "threshold" in declared:  # an anomaly band alarm has a threshold metric instead
        assert float(found[0]["Threshold"]) == float(threshold), (
            f"threshold is {found[0].get('Threshold')}"
        )
    if state.get("threshold_metric_id"):
        assert found[0].get("ThresholdMetricId") == state["threshold_metric_id"]


def alarm_state_can_be_set(aws: Aws, alarm: Resource) -> None:
    """Setting the alarm's state is reflected when it is described."""
    state = values(alarm)
    cloudwatch = aws("cloudwatch", alarm)
    name = state["alarm_name"]
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="lsqm")
    got = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert got and got[0]["StateValue"] == "ALARM", f"alarm {name} state is not ALARM"
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="lsqm")
