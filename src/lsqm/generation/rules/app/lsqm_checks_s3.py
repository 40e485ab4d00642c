"""The checks of s3 resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lsqm_checks_core import (
    FROM_STATE,
    Aws,
    Resource,
    _matches,
    delivery_blocker,
    expected,
    marker,
    normalize_policy,
    state_resources,
    values,
)
from lsqm_checks_sqs import sqs_find_message


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
            expect = _s3_event(bucket, key, action)
            sqs_find_message(aws, config["queue_arn"], text, expect=expect)
        finally:
            s3.delete_object(Bucket=bucket, Key=key, **by_version)
    if len(reasons) == len(configs):
        pytest.skip("; ".join(reasons))


def _s3_event(bucket: str, key: str, action: str | None) -> Callable[[str], None]:
    """What S3 puts on the queue: one JSON record of the bucket's event for the key."""
    kind = "ObjectRemoved:" if action == "remove" else "ObjectCreated:"

    def expect(body: str) -> None:
        records = json.loads(body).get("Records") or [{}]
        record = records[0]
        assert record.get("eventSource") == "aws:s3", f"not an S3 event: {body[:300]}"
        assert str(record.get("eventName", "")).startswith(kind), record.get(
            "eventName"
        )
        where = record.get("s3") or {}
        assert (where.get("bucket") or {}).get("name") == bucket, (
            f"bucket in {body[:300]}"
        )
        assert (where.get("object") or {}).get("key") == key, f"key in {body[:300]}"

    return expect


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
