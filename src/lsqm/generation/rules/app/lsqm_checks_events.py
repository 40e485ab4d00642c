"""The checks of events resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from lsqm_checks_core import (
    Aws,
    Resource,
    delivery_blocker,
    expected,
    json_equal,
    marker,
    state_resources,
    values,
)
from lsqm_checks_sqs import sqs_find_message, sqs_no_message


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
        sqs_find_message(aws, wanted["arn"], text, expect=_same_event(entry, wanted))


def _same_event(entry: dict[str, Any], target: dict[str, Any]) -> Callable[[str], None]:
    """What AWS delivers for the entry put: the event (its source, detail type and detail
    unchanged), or only its detail where the target's input path is ``$.detail``."""
    detail = json.loads(entry["Detail"])
    only_detail = target.get("input_path") == "$.detail"

    def expect(body: str) -> None:
        event = json.loads(body)
        got = event if only_detail else event.get("detail")
        assert got == detail, (
            f"the event's detail arrived as {got!r}, put as {detail!r}"
        )
        if not only_detail:
            assert (event.get("source"), event.get("detail-type")) == (
                entry["Source"],
                entry["DetailType"],
            ), f"the event arrived as {event.get('source')}/{event.get('detail-type')}"

    return expect


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
    elif state.get("state"):  # the provider's recorded state (``state`` since 5.x)
        wanted = state["state"]
    else:  # an older provider: is_enabled, true unless the configuration says otherwise
        wanted = "ENABLED" if state.get("is_enabled", True) else "DISABLED"
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
