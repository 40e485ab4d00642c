"""Naming calls from the wire: real boto3 clients send through the proxy to a local server, and
the recorded requests are named as botocore names them (JSON, query, REST and CBOR protocols,
S3 path-style, virtual-host style and presigned)."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lsqm.trace.names import OperationNames, error_code
from lsqm.trace.proxy import Call, RecordingProxy

from .test_proxy import Upstream, upstream  # noqa: F401 - the fixture

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


@pytest.fixture(scope="session")
def names(cache_dir: Path) -> OperationNames:
    return OperationNames(cache_dir / "trace")


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[RecordingProxy]:  # noqa: F811
    recorder = RecordingProxy(lambda: upstream.url)
    yield recorder
    recorder.stop()


def _client(proxy: RecordingProxy, service: str, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=proxy.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def _named(
    proxy: RecordingProxy, names: OperationNames, call: Callable[[], object]
) -> tuple[str, str]:
    before = len(proxy.recording.calls())
    with contextlib.suppress(Exception):  # the stand-in answers nothing a client can parse
        call()
    made = proxy.recording.calls()[before:]
    assert made, "the client made no call"
    return names.name(made[0])


def test_boto3_calls_are_named_as_botocore_names_them(
    proxy: RecordingProxy, names: OperationNames
) -> None:
    sqs, sts = _client(proxy, "sqs"), _client(proxy, "sts")
    s3 = _client(proxy, "s3", s3={"addressing_style": "path"})
    cases: list[tuple[Callable[[], object], tuple[str, str]]] = [
        (lambda: sqs.receive_message(QueueUrl=proxy.url + "/000000000000/q"),
         ("sqs", "ReceiveMessage")),
        (lambda: sts.get_caller_identity(), ("sts", "GetCallerIdentity")),
        (lambda: s3.create_bucket(Bucket="b"), ("s3", "CreateBucket")),
        (lambda: s3.get_bucket_policy(Bucket="b"), ("s3", "GetBucketPolicy")),
        (lambda: s3.list_objects_v2(Bucket="b"), ("s3", "ListObjectsV2")),
        (lambda: s3.list_objects(Bucket="b"), ("s3", "ListObjects")),
        (lambda: s3.put_object(Bucket="b", Key="a/b.txt", Body=b"x"), ("s3", "PutObject")),
        (lambda: s3.head_object(Bucket="b", Key="a/b.txt"), ("s3", "HeadObject")),
        (lambda: s3.delete_bucket(Bucket="b"), ("s3", "DeleteBucket")),
        (lambda: _client(proxy, "apigatewayv2").create_api(Name="a", ProtocolType="HTTP"),
         ("apigatewayv2", "CreateApi")),
        (lambda: _client(proxy, "apigateway").create_rest_api(name="a"),
         ("apigateway", "CreateRestApi")),
        (lambda: _client(proxy, "lambda").invoke(FunctionName="f"), ("lambda", "Invoke")),
        (lambda: _client(proxy, "dynamodb").describe_table(TableName="t"),
         ("dynamodb", "DescribeTable")),
        (lambda: _client(proxy, "stepfunctions").list_state_machines(),
         ("stepfunctions", "ListStateMachines")),
        (lambda: _client(proxy, "cloudwatch").list_metrics(), ("cloudwatch", "ListMetrics")),
        (lambda: _client(proxy, "cognito-idp").create_user_pool(PoolName="p"),
         ("cognito-idp", "CreateUserPool")),
    ]  # fmt: skip
    for call, expected in cases:
        assert _named(proxy, names, call) == expected


def test_a_presigned_url_is_named_by_its_credential(
    upstream: Upstream,  # noqa: F811
    proxy: RecordingProxy,
    names: OperationNames,
) -> None:
    s3 = _client(proxy, "s3", s3={"addressing_style": "path"}, signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    conn.request("GET", url.removeprefix(proxy.url))
    conn.getresponse().read()
    conn.close()
    assert names.name(proxy.recording.calls()[-1]) == ("s3", "GetObject")


def test_api_invocations_are_named_execute_api_invoke(
    upstream: Upstream,  # noqa: F811
    proxy: RecordingProxy,
    names: OperationNames,
) -> None:
    """Unsigned calls of a deployed stage, in LocalStack's two path forms and by the API's
    own host name, are ``execute-api`` ``Invoke``; the control plane stays ``apigateway``."""
    port = proxy.url.rsplit(":", 1)[1]
    invocations = [
        ("GET", "/_aws/execute-api/abc123/dev/ping", f"127.0.0.1:{port}"),
        ("POST", "/restapis/abc123/dev/_user_request_/items/1?x=1", f"127.0.0.1:{port}"),
        ("GET", "/dev/ping", f"abc123.execute-api.localhost.localstack.cloud:{port}"),
        ("PUT", "/prod/", "abc123.execute-api.us-east-1.amazonaws.com"),
    ]
    for method, path, host in invocations:
        conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
        conn.request(method, path, body=b"{}" if method != "GET" else None, headers={"Host": host})
        conn.getresponse().read()
        conn.close()
        assert names.name(proxy.recording.calls()[-1]) == ("execute-api", "Invoke"), path
    api = _client(proxy, "apigateway")
    assert _named(proxy, names, lambda: api.get_stage(restApiId="abc123", stageName="dev")) == (
        "apigateway", "GetStage",
    )  # fmt: skip
    assert names.name(_call("GET", "/restapis/abc123/stages/dev", "apigateway")) == (
        "apigateway", "GetStage",
    )  # fmt: skip


def _call(method: str, target: str, service: str = "", **extra: Any) -> Call:
    headers = {"authorization": AUTH.format(service=service)} if service else {}
    return Call(
        index=0, method=method, target=target, host=extra.pop("host", "127.0.0.1:4566"),
        headers=headers, body_head=extra.pop("body", b""), caller="apply", test=None, **extra,
    )  # fmt: skip


def test_calls_built_by_hand(names: OperationNames) -> None:
    virtual = "b.s3.localhost.localstack.cloud:4566"
    assert names.name(_call("GET", "/k/x.txt", "s3", host=virtual)) == ("s3", "GetObject")
    assert names.name(_call("GET", "/?policy", "s3", host=virtual)) == ("s3", "GetBucketPolicy")
    assert names.name(_call("PUT", "/", "s3", host="b.localhost:4566")) == ("s3", "CreateBucket")
    # The Go SDK's query protocol (terraform's AWS provider 3.x), Action in the form body.
    form = b"Action=CreateQueue&QueueName=q&Version=2012-11-05"
    assert names.name(_call("POST", "/", "sqs", body=form)) == ("sqs", "CreateQueue")
    assert names.name(_call("GET", "/?Action=ListUsers&Version=2010-05-08", "iam")) == (
        "iam", "ListUsers",
    )  # fmt: skip
    # Unknown: counted all the same, with what can be told.
    assert names.name(_call("GET", "/_localstack/health")) == ("", "")
    assert names.name(_call("GET", "/nothing/here", "sqs")) == ("sqs", "")


def test_error_codes_from_headers_json_and_xml() -> None:
    assert error_code(_call("GET", "/", status=200)) is None
    typed = _call(
        "GET", "/", status=400, answer_headers={"x-amzn-errortype": "Throttling:http://x"}
    )
    assert error_code(typed) == "Throttling"
    json_body = _call("GET", "/", status=400,
                      error_head=b'{"__type": "com.amazonaws.sqs#QueueDoesNotExist"}')  # fmt: skip
    assert error_code(json_body) == "QueueDoesNotExist"
    xml = b"<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>"
    assert error_code(_call("GET", "/", status=501, error_head=xml)) == "InternalFailure"
    assert error_code(_call("GET", "/", status=500, error_head=b"oops")) is None
