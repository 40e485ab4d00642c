"""The checks of logs resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import time
from typing import Any

from lsqm_checks_core import Aws, Resource, expected, marker, values, wait_for


# -- CloudWatch ------------------------------------------------------------------------
def logs_put_get(aws: Aws, group: Resource) -> None:
    """An event written to a new stream of the log group is read back as written (the
    stream is the check's own: any event in it must be that one). Reading is eventually
    consistent on AWS: an empty read is retried, a wrong one fails."""
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
            messages = [e["message"] for e in got["events"]]
            assert messages in ([], [stream]), (
                f"the new stream holds {messages!r}; the one event written was {stream!r}"
            )
            return bool(messages)

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
