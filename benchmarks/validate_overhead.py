"""How much of a validate run is lsqm itself, and what its design buys.

Over the bundled examples, in one run (these machines are noisy, so only ratios measured
side by side count):
1. lsqm as shipped, 1 worker: per-stage seconds, and harness overhead = wall time outside
   terraform and pytest processes, as a share of wall time (target <= 10 %);
2. the naive way: a fresh emulator per architecture and the AWS provider unpacked from its
   zip into every workspace (target: lsqm >= 2x faster);
3. lsqm with 2 workers vs 1 (target >= 1.6x throughput).

Usage: python benchmarks/validate_overhead.py [--only NAME ...] [--skip-naive] [--skip-parallel]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsqm.commands.add import add_local
from lsqm.config import load_settings
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack import ensure_localstack
from lsqm.toolchain.terraform import TerraformToolchain, ensure_terraform
from lsqm.validation.pool import execute, plan_run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STAGES = ("init", "apply", "plan", "test", "destroy")


def _store(root: Path, names: list[str]) -> tuple[ArtifactStore, list[str]]:
    store = ArtifactStore(root)
    hashes = [add_local(store, EXAMPLES / n, EXAMPLES / n / "tests", n) for n in names]
    return store, hashes


def _run(
    root: Path,
    names: list[str],
    toolchain: TerraformToolchain,
    parallel: int,
    *,
    fresh: bool,
    share_provider: bool = True,
) -> tuple[float, list[dict[str, Any]]]:
    """Validate ``names``; ``fresh`` starts a new emulator for every architecture."""
    settings = load_settings(
        artifacts_dir=root,
        runtime="host",
        parallel=parallel,
        share_provider_process=share_provider,
    )
    store, hashes = _store(root, names)
    start = time.monotonic()
    groups = [[h] for h in hashes] if fresh else [hashes]
    for group in groups:
        plan = plan_run(store, run_id=None, arch=group, shard=None)
        execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    wall = time.monotonic() - start
    results = [r for run_id in store.run_ids() for r in store.results(run_id).values()]
    return wall, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="example names (default: all)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-parallel", action="store_true")
    parser.add_argument("--skip-ablation", action="store_true")
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in EXAMPLES.iterdir() if any(p.glob("*.tf")))
    settings = load_settings()
    ensure_localstack(settings.cache_dir, settings.localstack_version)
    toolchain = ensure_terraform(settings)
    packed = ensure_terraform(settings, packed=True) if toolchain.mirror else toolchain
    print(f"{len(names)} examples; {toolchain.describe()}")
    work = Path(tempfile.mkdtemp(prefix="lsqm-bench-"))

    wall, results = _run(work / "one", names, toolchain, 1, fresh=False)
    bad = [f"{r['name']}={r['status']}" for r in results if r["status"] != "PASSED"]
    print(f"\n1 worker, shared emulator: {wall:.1f} s wall for {len(results)} architectures")
    if bad:
        print(f"  not PASSED: {', '.join(bad)}")
    print("  per-stage seconds (mean / max over architectures):")
    for stage in STAGES:
        values = [r["stages"][stage]["seconds"] for r in results if r["stages"][stage]["ok"]]
        if values:
            print(f"    {stage:<8} {statistics.mean(values):6.2f} / {max(values):6.2f}")
    children = sum(r["child_process_s"] for r in results)
    overhead = (wall - children) / wall
    print(f"  time in terraform + pytest processes: {children:.1f} s")
    verdict = "OK" if overhead <= 0.10 else "over target"
    print(f"  harness overhead: {overhead:.1%} of wall time (target <= 10 %: {verdict})")

    if not args.skip_naive:
        naive_wall, naive = _run(work / "naive", names, packed, 1, fresh=True, share_provider=False)
        ratio = naive_wall / wall
        print(f"\nnaive (fresh emulator per architecture, provider unzipped per workspace): "
              f"{naive_wall:.1f} s")  # fmt: skip
        inits = [r["stages"]["init"]["seconds"] for r in naive if r["stages"]["init"]["ok"]]
        if inits:
            print(f"  naive init mean {statistics.mean(inits):.2f} s")
        print(f"  lsqm is {ratio:.2f}x faster (target >= 2x: {'OK' if ratio >= 2 else 'missed'})")

    if not args.skip_parallel:
        two_wall, two = _run(work / "two", names, toolchain, 2, fresh=False)
        speedup = wall / two_wall
        print(f"\n2 workers: {two_wall:.1f} s for {len(two)} architectures")
        print(f"  throughput 2 vs 1 workers: {speedup:.2f}x "
              f"(target >= 1.6x: {'OK' if speedup >= 1.6 else 'missed'})")  # fmt: skip

    if not args.skip_ablation:
        own_wall, _own = _run(work / "own", names, toolchain, 1, fresh=False, share_provider=False)
        print(f"\nlsqm with terraform's own provider processes (one per phase): {own_wall:.1f} s")
        print(f"  one provider process per architecture saves {own_wall - wall:.1f} s "
              f"({own_wall / wall:.2f}x)")  # fmt: skip
        if not args.skip_naive:
            print(f"  shared emulator and unpacked provider alone: {naive_wall / own_wall:.2f}x "
                  "faster than naive")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
