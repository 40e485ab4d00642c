"""Tests for the s3_bucket example: object lifecycle and bucket configuration."""

import json
import os

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def s3():
    return boto3.client("s3")


@pytest.fixture(scope="module")
def bucket(outputs):
    return outputs["bucket_name"]


def test_bucket_exists_and_arn_matches_name(s3, outputs, bucket):
    s3.head_bucket(Bucket=bucket)
    assert outputs["bucket_arn"] == f"arn:aws:s3:::{bucket}"
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in names


def test_put_get_list_delete_object_round_trip(s3, bucket):
    key = "lsqm/round-trip.txt"
    body = b"hello from lsqm\n"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")

    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == len(body)

    listed = s3.list_objects_v2(Bucket=bucket, Prefix="lsqm/")
    assert [o["Key"] for o in listed.get("Contents", [])] == [key]

    s3.delete_object(Bucket=bucket, Key=key)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="lsqm/")
    assert listed.get("KeyCount", 0) == 0
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.get_object(Bucket=bucket, Key=key)
    assert err.value.response["Error"]["Code"] in ("NoSuchKey", "404")


def test_versioning_is_enabled_and_keeps_old_versions(s3, bucket):
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
    key = "versions/doc.txt"
    first = s3.put_object(Bucket=bucket, Key=key, Body=b"v1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key=key, Body=b"v2")["VersionId"]
    assert first and second and first != second

    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"v2"
    old = s3.get_object(Bucket=bucket, Key=key, VersionId=first)
    assert old["Body"].read() == b"v1"

    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert {v["VersionId"] for v in versions} >= {first, second}


def test_default_encryption_is_aes256(s3, bucket):
    conf = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    algos = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in conf["Rules"]]
    assert algos == ["AES256"]
    s3.put_object(Bucket=bucket, Key="enc/check.txt", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="enc/check.txt")
    assert head.get("ServerSideEncryption") == "AES256"


def test_tags_are_as_configured(s3, bucket):
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"Project": "lsqm", "Example": "s3_bucket"}
