"""Tests for the dynamodb_table example: schema fidelity, put/get, query on table and GSI."""

import json
import os

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def ddb():
    return boto3.client("dynamodb")


@pytest.fixture(scope="module")
def table(outputs):
    return outputs["table_name"]


@pytest.fixture(scope="module")
def seeded(ddb, table):
    items = [
        ("c1", "o-001", "OPEN", 10),
        ("c1", "o-002", "SHIPPED", 25),
        ("c1", "o-003", "OPEN", 7),
        ("c2", "o-004", "OPEN", 99),
    ]
    for customer, order, status, total in items:
        ddb.put_item(
            TableName=table,
            Item={
                "customer_id": {"S": customer},
                "order_id": {"S": order},
                "status": {"S": status},
                "total": {"N": str(total)},
            },
        )
    return items


def test_table_is_active_with_on_demand_billing(ddb, table, outputs):
    desc = ddb.describe_table(TableName=table)["Table"]
    assert desc["TableArn"] == outputs["table_arn"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_key_schema_is_hash_customer_range_order(ddb, table):
    desc = ddb.describe_table(TableName=table)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in desc["KeySchema"]}
    assert keys == {"customer_id": "HASH", "order_id": "RANGE"}
    types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}
    assert types == {"customer_id": "S", "order_id": "S", "status": "S"}


def test_gsi_is_configured(ddb, table, outputs):
    desc = ddb.describe_table(TableName=table)["Table"]
    gsis = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
    assert list(gsis) == [outputs["gsi_name"]]
    gsi = gsis[outputs["gsi_name"]]
    keys = {k["AttributeName"]: k["KeyType"] for k in gsi["KeySchema"]}
    assert keys == {"status": "HASH", "order_id": "RANGE"}
    assert gsi["Projection"]["ProjectionType"] == "ALL"


def test_put_then_get_item_round_trip(ddb, table, seeded):
    got = ddb.get_item(
        TableName=table,
        Key={"customer_id": {"S": "c1"}, "order_id": {"S": "o-002"}},
        ConsistentRead=True,
    )["Item"]
    assert got["status"] == {"S": "SHIPPED"}
    assert got["total"] == {"N": "25"}
    missing = ddb.get_item(
        TableName=table, Key={"customer_id": {"S": "c1"}, "order_id": {"S": "nope"}}
    )
    assert "Item" not in missing


def test_query_by_hash_key_returns_sorted_range(ddb, table, seeded):
    resp = ddb.query(
        TableName=table,
        KeyConditionExpression="customer_id = :c AND begins_with(order_id, :p)",
        ExpressionAttributeValues={":c": {"S": "c1"}, ":p": {"S": "o-"}},
    )
    assert [i["order_id"]["S"] for i in resp["Items"]] == ["o-001", "o-002", "o-003"]
    desc = ddb.query(
        TableName=table,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": "c1"}},
        ScanIndexForward=False,
        Limit=1,
    )
    assert [i["order_id"]["S"] for i in desc["Items"]] == ["o-003"]


def test_query_on_gsi_finds_items_by_status(ddb, table, seeded, outputs):
    resp = ddb.query(
        TableName=table,
        IndexName=outputs["gsi_name"],
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "OPEN"}},
    )
    assert sorted(i["order_id"]["S"] for i in resp["Items"]) == ["o-001", "o-003", "o-004"]
    # Projection ALL: non-key attributes are present on index items.
    assert all("total" in i for i in resp["Items"])
