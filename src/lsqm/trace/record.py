"""Fold a listener's calls into :class:`~lsqm.records.TraceCall` rows: one row per service,
operation, caller, test, status and error code, with a count, the total latency, and where
the first and the last of them came in the architecture's work."""

from __future__ import annotations

from collections.abc import Iterable

from lsqm.records import TraceCall
from lsqm.trace.names import OperationNames, error_code
from lsqm.trace.proxy import Call

TraceKey = tuple[str, str, str, str | None, int, str | None]


def aggregate(calls: Iterable[Call], names: OperationNames) -> list[TraceCall]:
    """The trace rows of ``calls``, in the order each kind first appeared."""
    rows: dict[TraceKey, TraceCall] = {}
    for position, call in enumerate(calls):
        service, operation = names.name(call)
        key = (service, operation, call.caller, call.test, call.status, error_code(call))
        row = rows.get(key)
        if row is None:
            rows[key] = TraceCall(
                service=service,
                operation=operation,
                caller=call.caller,
                test=call.test,
                status=call.status,
                error_code=key[5],
                count=1,
                seconds=call.seconds,
                first=position,
                last=position,
            )
        else:
            row.count += 1
            row.seconds += call.seconds
            row.last = position
    for row in rows.values():
        row.seconds = round(row.seconds, 4)
    return sorted(rows.values(), key=lambda r: r.first)
