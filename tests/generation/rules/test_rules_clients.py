"""The clients a generated test gets talk to the emulator endpoint and nothing else.

Against an endpoint override some botocore behaviour meant for AWS's own hosts breaks the
test in its own client: operations with a host prefix (``sync-`` for StartSyncExecution)
turn ``127.0.0.1`` into a name that does not resolve; S3 virtual-host addressing puts the
bucket in the host name; an HTTP redirect from an API leads away from the emulator. Each
would end as a failure blamed on the emulator although no request reached it.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsqm.generation.rules.generator import support_files
from tests.generation.rules.checks_module import lsqm_checks

ENDPOINT = "http://localhost:4566"

# A generated-style test module: the first request each client would send is stopped before
# it leaves (no emulator needed) and its URL checked against the endpoint.
APP_TEST = """
import pytest

ENDPOINT = "http://localhost:4566"


class Sent(Exception):
    pass


def first_url(client, call):
    def stop(request, **_):
        raise Sent(request.url)

    client.meta.events.register("before-send", stop)
    with pytest.raises(Sent) as sent:
        call(client)
    return str(sent.value)


def test_start_sync_execution_goes_to_the_endpoint(aws):
    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    url = first_url(aws("stepfunctions"), lambda c: c.start_sync_execution(stateMachineArn=arn))
    assert url.startswith(ENDPOINT + "/"), url


def test_s3_addresses_buckets_by_path(aws):
    url = first_url(aws("s3"), lambda c: c.list_objects_v2(Bucket="lsqm-bucket"))
    assert url.startswith(ENDPOINT + "/lsqm-bucket"), url
"""


def test_clients_of_the_aws_fixture_send_every_request_to_the_endpoint(tmp_path: Path) -> None:
    for name, text in support_files().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "test_urls.py").write_text(APP_TEST)
    # a user's config asking for virtual-host addressing must not move the bucket into the host
    config = tmp_path / "aws-config"
    config.write_text("[default]\ns3 =\n  addressing_style = virtual\n")
    env = {"AWS_ENDPOINT_URL": ENDPOINT, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_CONFIG_FILE": str(config), "LSQM_TF_STATE": "unused", "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_urls.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout


class _Redirecting(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://lsqm-unreachable.invalid/elsewhere")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def redirecting_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_api_that_redirects_answers_with_the_redirect(redirecting_server: str) -> None:
    """API Gateway's answer is the 302 itself; following it leaves the emulator."""
    status, _ = lsqm_checks.http_call("GET", f"{redirecting_server}/dev/moved")
    assert status == 302


def test_a_bucket_is_asked_in_its_own_region() -> None:
    """An S3 ARN has no region; the bucket's ``region`` attribute says where it lives."""
    bucket = {"values": {"arn": "arn:aws:s3:::b", "region": "eu-west-1"}}
    assert lsqm_checks.region_of(bucket) == "eu-west-1"
    queue = {"values": {"arn": "arn:aws:sqs:ap-south-1:000000000000:q", "region": "x"}}
    assert lsqm_checks.region_of(queue) == "ap-south-1"
    assert lsqm_checks.region_of({"values": {"arn": "arn:aws:iam::000000000000:role/r"}}) is None
