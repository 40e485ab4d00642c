"""The fault injector: the recording proxy's :class:`~lsqm.trace.proxy.Interceptor` that
gives the tests exactly one wrong answer per run (one :class:`~lsqm.trace.faults.Fault`).

Only the tests' requests (caller ``test``) are touched: terraform's (init, apply, plan,
destroy) and anyone else's pass unchanged, so what is measured is what the tests notice,
never a deployment broken by the fault. A data fault changes the first answer it applies
to; an error fault every matching answer (an SDK would retry a single one away).
"""

from __future__ import annotations

import threading

from lsqm.trace.faults import Fault
from lsqm.trace.names import OperationNames
from lsqm.trace.proxy import Answer, Call

TEST_CALLER = "test"


class FaultInjector:
    """Injects ``fault`` into the tests' matching answers; counts what it did (thread-safe)."""

    def __init__(self, fault: Fault, names: OperationNames) -> None:
        self.fault = fault
        self.names = names
        self.matched = 0  # the tests' calls of the fault's operation
        self.injected = 0  # answers it changed
        self._lock = threading.Lock()

    def instead(self, call: Call) -> Answer | None:
        """The fault's own answer, when it keeps the request from the emulator."""
        if self.fault.instead is None or not self._mine(call):
            return None
        with self._lock:
            self.matched += 1
            if self.injected and not self.fault.every_call:
                return None
            made_up = self.fault.instead(call)
            if made_up is not None:
                self.injected += 1
            return made_up

    def _mine(self, call: Call) -> bool:
        return call.caller == TEST_CALLER and self.names.name(call) == (
            self.fault.service,
            self.fault.operation,
        )

    def __call__(self, call: Call, answer: Answer) -> Answer | None:
        if self.fault.instead is not None or not self._mine(call):
            return None
        with self._lock:
            self.matched += 1
            if self.injected and not self.fault.every_call:
                return None
            replaced = self.fault.mutate(answer)
            if replaced is not None:
                self.injected += 1
            return replaced
