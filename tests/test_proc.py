"""The process door: time limits kill whole process groups, busy time is counted once, an
abort stops a command early."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '300']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(300)"
    )
    start = time.monotonic()
    result = proc.run([sys.executable, "-c", script], env=child_env(tmp_path), timeout=2)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - start < 60  # the 300 s sleeps did not run out
    pid = int(marker.read_text())
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + 60  # SIGKILL was sent: wait for the grandchild to be gone
    while stat.exists() and stat.read_text().split()[2] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stat.exists() or stat.read_text().split()[2] == "Z"  # gone, or a dead zombie


def test_busy_time_counts_children_running_side_by_side_once(tmp_path: Path) -> None:
    with proc.record_spans() as recorder:
        start = time.monotonic()
        side = threading.Thread(target=proc.run, args=(["sleep", "1"],), kwargs={"env": {}})
        side.start()
        proc.run(["sleep", "1"], env=child_env(tmp_path))
        side.join()
        time.sleep(0.5)  # nothing runs now
        end = time.monotonic()
    busy = recorder.busy_seconds(start, end)
    # One second of children side by side, not two (a loaded machine may start one late).
    assert 0.9 < busy < 1.9, busy
    assert end - start - busy >= 0.45
    proc.run(["true"], env=child_env(tmp_path))  # after the block: nothing more is recorded
    assert len(recorder.spans) == 2


def test_abort_check_stops_a_command_early(tmp_path: Path) -> None:
    start = time.monotonic()
    result = proc.run(["sleep", "60"], env=child_env(tmp_path), timeout=30, abort=lambda: True)
    assert result.aborted and time.monotonic() - start < 30  # well before the 60 s sleep
