"""How much of a validate run is lsqm itself, and what its design buys.

Over the bundled examples, in one run (these machines are noisy, so only ratios measured
side by side count):
1. lsqm as shipped, 1 worker: per-stage seconds, and harness overhead = wall time outside
   terraform and pytest processes, as a share of wall time (target <= 10 %);
2. the naive way, written out plainly below: for each architecture a fresh emulator,
   ``terraform init`` unzipping the AWS provider into the workspace, then apply, output,
   show, plan, pytest and destroy one after another, terraform starting its provider as it
   does by default (target: lsqm >= 2x faster). It uses the same commands and flags as lsqm
   and lsqm's fast emulator stop, so it is a conservative baseline;
3. lsqm with 2 workers vs 1 (target >= 1.6x throughput), on the same store's second run;
4. where the difference comes from: lsqm with terraform's own provider processes;
5. what the bwrap sandbox costs: lsqm with it and without it, twice each, interleaved
   (target < 5 % of wall time);
6. what the operation trace costs: lsqm with its recording proxy and without it
   (``trace: false``), twice each, interleaved (target <= 2 % of wall time).

Usage: python benchmarks/validate_overhead.py [--only NAME ...] [--skip-naive]
       [--skip-parallel] [--skip-ablation] [--skip-sandbox] [--skip-trace] [--first-run-ab]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from lsqm import proc
from lsqm.childenv import aws_env, child_env
from lsqm.config import Settings, load_settings
from lsqm.emulator.host import HostLocalStack
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.terraform.provider_schema import aws_capabilities
from lsqm.terraform.runner import Terraform
from lsqm.terraform.workspace import Workspace, prepare, write_provider_overrides
from lsqm.toolchain.localstack_install import ensure_localstack
from lsqm.toolchain.terraform_install import TerraformToolchain, ensure_terraform
from lsqm.validation.run import execute, plan_run

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
    share_provider: bool = True,
    sandbox: str = "auto",
    trace: bool = True,
    hash_order: bool = False,
) -> tuple[float, float, list[dict[str, Any]]]:
    """Validate ``names`` with lsqm as shipped (``share_provider`` off for the ablation,
    ``sandbox`` off for its cost): wall seconds, seconds with a terraform or pytest process
    running, results."""
    settings = load_settings(
        artifacts_dir=root,
        runtime="host",
        parallel=parallel,
        share_provider_process=share_provider,
        sandbox=sandbox,
        trace=trace,
    )
    store, hashes = _store(root, names)
    with proc.record_spans() as spans:
        start = time.monotonic()
        plan = plan_run(store, run_id=None, arch=hashes, shard=None)
        if hash_order:  # a first run's order before cost-based planning
            plan.todo = sorted(plan.todo)
        execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
        end = time.monotonic()
    results = [r.to_json() for r in store.results(plan.run_id).values()]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  ({parallel} worker(s): {end - start:.1f} s; load average now {load} on "
          f"{os.cpu_count()} cores)")  # fmt: skip
    return end - start, spans.busy_seconds(start, end), results


def _packed(toolchain: TerraformToolchain, work: Path) -> TerraformToolchain:
    """The naive layout: the provider as a zip in a mirror, which ``terraform init`` unzips
    into every workspace (lsqm's own mirror holds it unpacked, linked by init)."""
    if toolchain.mirror is None:
        return toolchain
    binaries = sorted(
        toolchain.mirror.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")
    )
    binary = binaries[0]
    version, platform = binary.parent.parent.name, binary.parent.name
    mirror = work / "mirror-packed"
    folder = mirror / "registry.terraform.io" / "hashicorp" / "aws"
    folder.mkdir(parents=True)
    # Deflated, as HashiCorp ships it: init pays the unzip, as it does from the registry.
    zipped = folder / f"terraform-provider-aws_{version}_{platform}.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(binary, binary.name)
    config = work / "cli-packed.tfrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
    )
    return dataclasses.replace(toolchain, cli_config=config, mirror=mirror)


def _naive(
    root: Path, names: list[str], toolchain: TerraformToolchain, settings: Settings
) -> tuple[float, int, list[float]]:
    """Wall seconds, architectures whose tests all passed, and init seconds, the naive way."""
    install = ensure_localstack(settings.cache_dir, settings.localstack_version)
    start, passed, inits = time.monotonic(), 0, []
    for name in names:
        work = root / name
        emulator = HostLocalStack(install, workdir=root / "emulators")
        emulator.start()
        try:
            ws = prepare(EXAMPLES / name, work / "ws", relax=False)
            (work / "home").mkdir()
            env = aws_env(emulator.endpoint, settings.region)
            tf = Terraform(toolchain, work / "home", env)

            def terraform(*args: str, ws: Workspace = ws, tf: Terraform = tf) -> str:
                return tf([*args], cwd=ws.root, timeout=settings.timeout).check().output

            began = time.monotonic()
            terraform("init", "-input=false", "-no-color")
            inits.append(time.monotonic() - began)
            caps = aws_capabilities(tf, ws.root, settings.cache_dir / "provider-schemas", 600)
            assert caps is not None
            write_provider_overrides(ws, caps, emulator.endpoint, settings.region)
            terraform("apply", "-auto-approve", "-input=false", "-no-color")
            (work / "outputs.json").write_text(terraform("output", "-json"))
            (work / "state.json").write_text(terraform("show", "-json"))
            tf(["plan", "-detailed-exitcode", "-lock=false", "-input=false", "-no-color"],
               cwd=ws.root, timeout=settings.timeout)  # fmt: skip
            shutil.copytree(EXAMPLES / name / "tests", work / "tests")
            (work / "pytest.ini").write_text("[pytest]\n")
            tests = proc.run(
                [sys.executable, "-m", "pytest", "-c", str(work / "pytest.ini"), "-q",
                 "-p", "no:cacheprovider", str(work / "tests")],
                env=child_env(work / "home", {
                    **env,
                    "LSQM_TF_OUTPUTS": str(work / "outputs.json"),
                    "LSQM_TF_STATE": str(work / "state.json"),
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                }),
                cwd=work / "tests",
                timeout=settings.timeout,
            )  # fmt: skip
            passed += tests.ok
            terraform("destroy", "-auto-approve", "-refresh=false", "-input=false", "-no-color")
        finally:
            emulator.stop()
    return time.monotonic() - start, passed, inits


def _makespan(order: list[str], seconds: dict[str, float], workers: int) -> float:
    """When the last of ``workers`` ends, each taking the next architecture when free."""
    ends = [0.0] * workers
    for arch_hash in order:
        ends[ends.index(min(ends))] += seconds[arch_hash]
    return max(ends)


def _schedules(root: Path, names: list[str], results: list[dict[str, Any]]) -> None:
    """The first run's order, judged on the 1-worker durations (machine load aside): the
    cost order lsqm uses (estimates from what each architecture declares) against the order
    a first run had before (no history: store order, i.e. by hash)."""
    store, _hashes = _store(root, names)
    seconds = {r["arch_hash"]: r["duration_s"] for r in results}
    total = sum(seconds.values())
    ordered = plan_run(store, run_id=None, arch=None, shard=None).todo
    for label, order in (("cost order (lsqm)", ordered), ("hash order (before)", sorted(ordered))):
        span = _makespan(order, seconds, 2)
        print(f"  first run scheduled on the 1-worker durations, {label}: {span:.1f} s, "
              f"{total / span:.2f}x")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="example names (default: all)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-parallel", action="store_true")
    parser.add_argument("--skip-ablation", action="store_true")
    parser.add_argument("--skip-sandbox", action="store_true")
    parser.add_argument("--skip-trace", action="store_true")
    parser.add_argument(
        "--first-run-ab", action="store_true",
        help="also a first run in hash order then one in cost order, back to back",
    )  # fmt: skip
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in EXAMPLES.iterdir() if any(p.glob("*.tf")))
    settings = load_settings()
    ensure_localstack(settings.cache_dir, settings.localstack_version)
    toolchain = ensure_terraform(settings)
    print(f"{len(names)} examples; {toolchain.describe()}")
    work = Path(tempfile.mkdtemp(prefix="lsqm-bench-"))
    try:
        return _measure(args, names, settings, toolchain, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the naive way unzips 177 MB per workspace


def _measure(
    args: argparse.Namespace,
    names: list[str],
    settings: Settings,
    toolchain: TerraformToolchain,
    work: Path,
) -> int:
    packed = _packed(toolchain, work)

    wall, busy, results = _run(work / "one", names, toolchain, 1)
    bad = [f"{r['name']}={r['status']}" for r in results if r["status"] != "PASSED"]
    print(f"\n1 worker, shared emulator: {wall:.1f} s wall for {len(results)} architectures")
    if bad:
        print(f"  not PASSED: {', '.join(bad)}")
    print("  per-stage seconds (mean / max over architectures):")
    for stage in STAGES:
        values = [r["stages"][stage]["seconds"] for r in results if r["stages"][stage]["ok"]]
        if values:
            print(f"    {stage:<8} {statistics.mean(values):6.2f} / {max(values):6.2f}")
    overhead = (wall - busy) / wall
    print(f"  wall time with a terraform or pytest process running: {busy:.1f} s")
    verdict = "OK" if overhead <= 0.10 else "over target"
    print(f"  harness overhead: {overhead:.1%} of wall time (target <= 10 %: {verdict})")

    if not args.skip_naive:
        naive_wall, passed, inits = _naive(work / "naive", names, packed, settings)
        ratio = naive_wall / wall
        print(f"\nnaive (fresh emulator per architecture, provider unzipped per workspace, "
              f"started by terraform per phase): {naive_wall:.1f} s, "
              f"{passed}/{len(names)} with all tests passed")  # fmt: skip
        print(f"  naive init mean {statistics.mean(inits):.2f} s")
        print(f"  lsqm is {ratio:.2f}x faster (target >= 2x: {'OK' if ratio >= 2 else 'missed'})")

    if not args.skip_parallel:
        # The store's second run, as every run after a store's first: lsqm starts the
        # architectures that took longest last time first (a 1-worker total is the same in
        # any order, so this favours neither side).
        two_wall, _busy, two = _run(work / "one", names, toolchain, 2)
        speedup = wall / two_wall
        print(f"\n2 workers, the store's second run: {two_wall:.1f} s for {len(two)} architectures")
        print(f"  throughput 2 vs 1 workers: {speedup:.2f}x "
              f"(target >= 1.6x: {'OK' if speedup >= 1.6 else 'missed'})")  # fmt: skip
        first_wall, _busy, _first = _run(work / "two-first", names, toolchain, 2)
        print(f"  a store's first run (no durations to order by): {first_wall:.1f} s, "
              f"{wall / first_wall:.2f}x")  # fmt: skip
        _schedules(work / "plan", names, results)
        if args.first_run_ab:
            hash_wall, _busy, _h = _run(work / "two-hash", names, toolchain, 2, hash_order=True)
            again, _busy, _a = _run(work / "two-first-again", names, toolchain, 2)
            print(f"  first run, side by side: hash order {hash_wall:.1f} s "
                  f"({wall / hash_wall:.2f}x), "
                  f"cost order {again:.1f} s ({wall / again:.2f}x)")  # fmt: skip

    if not args.skip_sandbox:
        # Measured twice each way, interleaved, so a machine-wide stall hits both sides.
        walls: dict[str, list[float]] = {"auto": [wall], "off": []}
        for kind in ("off", "auto", "off"):
            kind_wall, _busy, kind_results = _run(
                work / f"sandbox-{kind}-{len(walls[kind])}", names, toolchain, 1, sandbox=kind
            )
            walls[kind].append(kind_wall)
            bad = [r["name"] for r in kind_results if r["status"] != "PASSED"]
            if bad:
                print(f"  sandbox {kind}: not PASSED: {', '.join(bad)}")
        on, off = statistics.mean(walls["auto"]), statistics.mean(walls["off"])
        cost = (on - off) / off
        verdict = "OK" if cost < 0.05 else "missed"
        print(f"\nsandbox (bwrap) on: {on:.1f} s, off: {off:.1f} s (means of 2): "
              f"costs {cost:+.1%} of wall time (target < 5 %: {verdict})")  # fmt: skip

    if not args.skip_trace:
        _trace_cost(work, names, toolchain, wall)

    if not args.skip_ablation:
        own_wall, _busy, _own = _run(work / "own", names, toolchain, 1, share_provider=False)
        print(f"\nlsqm with terraform's own provider processes (one per phase): {own_wall:.1f} s")
        print(f"  one provider process per architecture saves {own_wall - wall:.1f} s "
              f"({own_wall / wall:.2f}x)")  # fmt: skip
        if not args.skip_naive:
            print(f"  shared emulator and unpacked provider alone: {naive_wall / own_wall:.2f}x "
                  "faster than naive")  # fmt: skip
    return 0


def _trace_cost(work: Path, names: list[str], toolchain: TerraformToolchain, wall: float) -> None:
    """The recording proxy's cost: trace off and on, interleaved (off, on, off after the
    first run, which had it on), so a machine-wide stall hits both sides; the same
    verdicts either way."""
    walls: dict[bool, list[float]] = {True: [wall], False: []}
    verdicts: dict[bool, set[tuple[str, str]]] = {True: set(), False: set()}
    for trace in (False, True, False):
        folder = work / f"trace-{'on' if trace else 'off'}-{len(walls[trace])}"
        run_wall, _busy, results = _run(folder, names, toolchain, 1, trace=trace)
        walls[trace].append(run_wall)
        verdicts[trace] |= {(r["name"], r["status"]) for r in results}
        calls = sum(len(r.get("trace") or []) for r in results)
        print(f"  trace {'on' if trace else 'off'}: {run_wall:.1f} s, {calls} kinds of calls")
    on, off = statistics.mean(walls[True]), statistics.mean(walls[False])
    cost = (on - off) / off
    spread = max(walls[False]) - min(walls[False])
    verdict = "OK" if cost <= 0.02 else "over target"
    print(f"\ntrace on: {on:.1f} s, off: {off:.1f} s (means of 2): costs {cost:+.1%} of wall "
          f"time (target <= 2 %: {verdict}); off runs differ by {spread:.1f} s among "
          f"themselves")  # fmt: skip
    same = verdicts[True] == verdicts[False]
    print(f"  verdicts the same with and without the trace: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
