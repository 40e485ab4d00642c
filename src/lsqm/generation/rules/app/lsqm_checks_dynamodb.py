"""The checks of dynamodb resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import base64
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

from lsqm_checks_core import Aws, Resource, expected, marker, values


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
            ConsistentRead=True,
        )
        # The hash key is a fresh marker: the item put is the only one that has it.
        assert found["Items"] == [item], (
            f"query on {name} by {state['hash_key']} returned {found['Items']},"
            " not exactly the item put"
        )
        assert found["Count"] == 1, f"query on {name} counted {found['Count']}, not 1"
    finally:
        ddb.delete_item(TableName=name, Key=key)
    assert "Item" not in ddb.get_item(TableName=name, Key=key, ConsistentRead=True)


def dynamodb_table_as_configured(
    aws: Aws, table: Resource, declared: dict[str, Any]
) -> None:
    """Key schema, billing mode and global secondary indexes are what was configured, and
    the table is ACTIVE (terraform's apply waits for that)."""
    state = values(table)
    got = aws("dynamodb", table).describe_table(TableName=state["name"])["Table"]
    assert got.get("TableStatus") == "ACTIVE", (
        f"table {state['name']} is {got.get('TableStatus')} after apply, not ACTIVE"
    )
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
