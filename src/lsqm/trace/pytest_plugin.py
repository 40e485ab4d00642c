"""lsqm's pytest plugin for the operation trace, loaded into the app's test run with
``-p lsqm_trace_plugin`` (copied beside the tests, on PYTHONPATH; imports nothing of lsqm).

At the start of each test it tells the recording proxy (``LSQM_TRACE_URL``) which test is
running, so the calls that follow are attributed to it; at its end, that none is.
"""

from __future__ import annotations

import os
import urllib.request

_URL = os.environ.get("LSQM_TRACE_URL", "").rstrip("/")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via HTTP_PROXY


def _tell(name: str) -> None:
    if not _URL:
        return
    request = urllib.request.Request(
        _URL + "/_lsqm/trace/test", data=name.encode("utf-8"), method="POST"
    )
    try:
        with _DIRECT.open(request, timeout=10):
            pass
    except OSError:
        pass  # no trace attribution is better than a failed test


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _tell(nodeid.rsplit("::", 1)[-1])


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _tell("")
