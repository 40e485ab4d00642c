"""What keeping the store in git costs: sync and push on a store with 50 runs.

Builds a store of the bundled examples with 50 weekly runs (results and logs of the size a
real run of them leaves, ~50 kB of logs per architecture), pushed run by run to a local bare
repository, then measures, on that history: a fresh ``sync`` (clone), a ``sync`` that
fast-forwards one new run, a ``push`` of one new run, and a ``push`` that must first rebase
over another writer's run.

Usage: python benchmarks/store_sync_push.py [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lsqm.config import load_settings
from lsqm.ingest import add_local
from lsqm.pipeline import stages
from lsqm.records import Result, Run, RunStatus, Status, summarize
from lsqm.store import ArtifactStore, new_run_id

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LOG_LINE = "2026-12-06T00:00:00Z [INFO] aws_sqs_queue.orders: Still creating... [10s elapsed]\n"


def _write_run(store: ArtifactStore, hashes: list[str], when: datetime) -> str:
    run_id = new_run_id(when)
    results = []
    for index, arch_hash in enumerate(hashes):
        status = Status.PASSED if index % 5 else Status.FAILED
        result = Result(run_id=run_id, arch_hash=arch_hash, status=status, duration_s=9.5)
        store.write_result(result)
        results.append(result)
        logs = store.logs_dir(run_id, arch_hash)
        for name, lines in (("terraform.log", 400), ("pytest.log", 120), ("emulator.log", 150)):
            (logs / name).write_text(f"{run_id} {arch_hash}\n" + LOG_LINE * lines)
    store.write_run(Run(run_id=run_id, status=RunStatus.COMPLETE, architectures=hashes,
                        summary=summarize(results)))  # fmt: skip
    return run_id


def _timed(label: str, action: object) -> float:
    start = time.monotonic()
    report = action() if callable(action) else None
    seconds = time.monotonic() - start
    detail = report.describe() if hasattr(report, "describe") else ""
    print(f"  {label:<44} {seconds:6.2f} s   {detail}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lsqm-bench-git-"))
    try:
        remote = work / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
        os.environ["ARTIFACT_REPO"] = str(remote)
        settings = load_settings()
        writer = ArtifactStore(work / "writer")
        stages.sync(settings, writer)
        names = sorted(p.name for p in EXAMPLES.iterdir() if any(p.glob("*.tf")))
        hashes = [add_local(writer, EXAMPLES / n, EXAMPLES / n / "tests", n) for n in names]
        when = datetime(2026, 1, 4, tzinfo=UTC)
        start = time.monotonic()
        pushes = []
        for week in range(args.runs):
            _write_run(writer, hashes, when + timedelta(weeks=week))
            began = time.monotonic()
            stages.push(settings, writer)
            pushes.append(time.monotonic() - began)
        built = time.monotonic() - start
        size = sum(p.stat().st_size for p in remote.rglob("*") if p.is_file())
        files = len(list((work / "writer").rglob("*")))
        print(f"{args.runs} runs of {len(hashes)} architectures, {files} files in the store; "
              f"the remote holds {size / 1e6:.1f} MB; built in {built:.0f} s")  # fmt: skip
        print(f"  each weekly push while building: median {sorted(pushes)[len(pushes) // 2]:.2f} s")
        reader = ArtifactStore(work / "reader")
        _timed("sync: fresh clone", lambda: stages.sync(settings, reader))
        _write_run(writer, hashes, when + timedelta(weeks=args.runs))
        _timed("push: one new run", lambda: stages.push(settings, writer))
        _timed("sync: fast-forward one run", lambda: stages.sync(settings, reader))
        _timed("sync: up to date", lambda: stages.sync(settings, reader))
        _write_run(writer, hashes, when + timedelta(weeks=args.runs + 1))
        stages.push(settings, writer)
        _write_run(reader, hashes, when + timedelta(weeks=args.runs + 2))
        _timed("push: one run over another writer's (rebase)",
               lambda: stages.push(settings, reader))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
