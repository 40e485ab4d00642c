"""Throughput of a two-shard run against one process on the same architectures.

One store of the bundled examples is copied three times: ``lsqm validate`` in one process
(1 worker) on the first; ``validate --shard 1/2`` and ``--shard 2/2`` of one run id as two
concurrent processes (1 worker each, as two machines would run them) on the others, then
``lsqm merge``. Prints both wall times, the throughput ratio, how evenly the shards ended
(cost-based parts), and whether the merged verdicts equal the unsharded ones.

Usage: python benchmarks/shards.py [--only NAME ...] [--first-run]
(``--first-run``: no earlier run in the store, so shards are cut by estimates; by default the
store holds one earlier run, as every week after the first.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from lsqm.ingest import add_local
from lsqm.store import ArtifactStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LSQM = Path(sys.executable).parent / "lsqm"


def _validate(store: Path, *extra: str) -> subprocess.Popen[str]:
    argv = [str(LSQM), "--artifacts", str(store), "validate", "--parallel", "1", *extra]
    return subprocess.Popen([*argv, "--format", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"validate failed: {err}")
    data: dict[str, object] = json.loads(out)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--first-run", action="store_true")
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in EXAMPLES.iterdir() if any(p.glob("*.tf")))
    work = Path(tempfile.mkdtemp(prefix="lsqm-bench-shards-"))
    try:
        seed = ArtifactStore(work / "seed")
        for name in names:
            add_local(seed, EXAMPLES / name, EXAMPLES / name / "tests", name)
        if not args.first_run:
            _finish(_validate(seed.root))  # the earlier run whose durations cut the shards
        for copy in ("one", "s1", "s2", "merged"):
            shutil.copytree(seed.root, work / copy)
        start = time.monotonic()
        whole = _finish(_validate(work / "one"))
        one_wall = time.monotonic() - start
        run_id = "20261206T000000Z-bench"
        start = time.monotonic()
        shards = [_validate(work / f"s{i}", "--shard", f"{i}/2", "--run-id", run_id)
                  for i in (1, 2)]  # fmt: skip
        ends: dict[int, float] = {}

        def wait(index: int) -> None:  # each read on its own, so both end when they end
            _finish(shards[index])
            ends[index] = time.monotonic() - start

        readers = [threading.Thread(target=wait, args=(i,)) for i in range(len(shards))]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        subprocess.run([str(LSQM), "--artifacts", str(work / "merged"), "merge",
                        str(work / "s1"), str(work / "s2")], check=True)  # fmt: skip
        two_wall = time.monotonic() - start
        merged = ArtifactStore(work / "merged")
        verdicts = {h: r.status.value for h, r in merged.results(run_id).items()}
        expected = {r["arch_hash"]: r["status"] for r in whole["results"]}  # type: ignore[attr-defined]
        print(f"{len(names)} architectures ({'first run' if args.first_run else 'second run'})")
        print(f"  one process, 1 worker:            {one_wall:6.1f} s")
        print(f"  two shards, concurrent, + merge:  {two_wall:6.1f} s "
              f"(shards ended at {ends[0]:.1f} s and {ends[1]:.1f} s)")  # fmt: skip
        print(f"  throughput two shards vs one process: {one_wall / two_wall:.2f}x")
        print(f"  merged verdicts equal the unsharded ones: {verdicts == expected}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
