"""The checks of cloudwatch resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

from typing import Any

from lsqm_checks_core import Aws, Resource, expected, values


# -- CloudWatch alarms ---------------------------------------------------------------
def alarm_as_configured(aws: Aws, alarm: Resource, declared: dict[str, Any]) -> None:
    """The alarm watches the configured metric with the configured threshold."""
    state = values(alarm)
    got = aws("cloudwatch", alarm).describe_alarms(AlarmNames=[state["alarm_name"]])
    found = got["MetricAlarms"]
    assert found, f"alarm {state['alarm_name']} is not listed"
    assert found[0].get("StateValue") in ("OK", "ALARM", "INSUFFICIENT_DATA"), (
        f"the alarm's state is {found[0].get('StateValue')!r}"
    )
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
