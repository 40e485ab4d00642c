"""How far ``lsqm reduce`` cuts real failing Terraform, in how many probes and seconds.

The shared corpus's failing architectures (docs/verdicts-on-real-terraform.md: five
``emulator_unsupported``, one ``provider_crash``) are copied to a scratch folder, then
mined, generated and validated with lsqm's defaults, and every failure that blames the
emulator is reduced (``lsqm reduce --budget``). Prints one row per architecture (resources
and lines before and after, probes, seconds, ending) and the medians.

Measured 2026-12-06 (LocalStack 2026.3.0, --budget 180, 1 worker, 2 cores with a load of
8-15 from other work; "before" is main's reducer, run in the same hour):

    architecture                        res     lines  probes  s      before: probes  s
    apigatewayv2-lambda-request-auth..  7->1    93->4   6      97.0   8               141.9
    apigatewayv2-lambda-proxy           5->1    57->4   6      93.6   8               140.6
    apigatewayv2-lambda-proxy-binary    5->1    57->4   6      70.0   8               173.4
    apigateway-custom-domain           12->1   127->5   8     172.8   6 (12->4)       249.8
    cognito-group-example               3->1    39->3   4      59.8   6               112.4
    acm-route53                         5->2    48->25  9     167.9   3 (nothing cut) 356.7

Every reduction now ends within its 180 s (before: 250 s and 357 s on a 180 s budget); median
95 s (before 158 s), 14.2x fewer lines, 5x fewer resources, 6 probes. custom-domain and
acm-route53 end "budget" in the nested-arguments pass, after their resource cut. An
acm-route53 probe cost ~100 s: its apigatewayv2 501 comes at 4 s, but terraform waits for
the in-flight Route53 zone and record (the provider's change waiter polls after 30 s each:
65 s of apply) and destroy waited again (32 s); probes now skip destroy, and the hint pass
drops the Route53 resources at once.

Usage: python benchmarks/reduce.py [--corpus DIR] [--budget S] [--workers N] [--only NAME ...]
       [--save ROWS.json] [--before ROWS.json]
``--save`` keeps the rows; ``--before`` (rows saved by an earlier run, e.g. of another
commit) adds that run's seconds and probes beside each architecture's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LSQM = Path(sys.executable).parent / "lsqm"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "localstack-terraform-samples"
FAILING = [
    "acm-route53",
    "apigatewayv2-lambda-proxy",
    "apigatewayv2-lambda-proxy-handling-binary",
    "apigatewayv2-lambda-request-authorizer-2.0",
    "cognito-group-example",
    "sample-archive/apigateway-custom-domain",
]


Row = dict[str, Any]


def _lsqm(store: Path, *args: str, ok: tuple[int, ...] = (0, 1)) -> Row:
    argv = [str(LSQM), "--artifacts", str(store), *args, "--format", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    data: Row = json.loads(done.stdout) if done.stdout.strip() else {}
    if done.returncode not in (0, 1):
        data["error"] = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--budget", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--show", type=Path, help="print the table of saved rows; run nothing")
    args = parser.parse_args()
    before = {r["name"]: r for r in json.loads(args.before.read_text())} if args.before else {}
    if args.show:
        _table(json.loads(args.show.read_text()), before)
        return 0
    chosen = [f for f in FAILING if not args.only or Path(f).name in args.only]
    rows = _measure(args.corpus, chosen, args.budget, args.workers)
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))
    _table(rows, before)
    return 0


def _measure(corpus: Path, chosen: list[str], budget: float, workers: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="lsqm-bench-reduce-") as tmp:
        source, store = Path(tmp) / "corpus", Path(tmp) / "store"
        source.mkdir()
        for folder in chosen:
            shutil.copytree(corpus / folder, source / Path(folder).name)
        for extra in ("provider.tf",):
            if (corpus / extra).is_file():
                shutil.copy2(corpus / extra, source / extra)
        _lsqm(store, "mine", "--source", str(source))
        _lsqm(store, "generate")
        validated = _lsqm(store, "validate", "--parallel", "1")
        print(f"validated: {json.dumps(validated.get('summary', validated))[:300]}", flush=True)
        rows = []
        results = sorted((store / "runs").glob("*/results/*.json"))
        for path in results:
            result = json.loads(path.read_text())
            if result["status"] == "PASSED":
                continue
            t0 = time.monotonic()
            reduced = _lsqm(
                store, "reduce", result["arch_hash"], "--budget", str(budget),
                "--workers", str(workers), ok=(0, 1, 2),
            )  # fmt: skip
            reduced.setdefault("seconds", round(time.monotonic() - t0, 1))
            reduced["name"] = result["name"]
            reduced["verdict"] = f"{result['status']}/{result['category']}"
            rows.append(reduced)
            print(json.dumps(reduced), flush=True)
    return rows


def _table(rows: list[Row], before: dict[str, Row]) -> None:
    print()
    print(
        f"{'architecture':44} {'verdict':30} {'res':>7} {'lines':>9} {'probes':>6} {'s':>6}"
        + (f" {'before: probes':>14} {'s':>6}" if before else "")
    )
    for r in rows:
        if "error" in r:
            print(f"{r['name'][:44]:44} {r['verdict'][:30]:30} refused: {r['error'][:80]}")
            continue
        res = f"{r['resources_before']}->{r['resources_after']}"
        lines = f"{r['lines_before']}->{r['lines_after']}"
        old = before.get(str(r["name"]))
        then = f" {old.get('probes', '-'):>14} {old.get('seconds', '-'):>6}" if old else ""
        print(
            f"{r['name'][:44]:44} {r['verdict'][:30]:30} {res:>7} {lines:>9} "
            f"{r['probes']:>6} {r['seconds']:>6}{then} {r.get('ending', '')}"
        )
    done = [r for r in rows if "error" not in r and r.get("lines_after")]
    if done:
        ratio = [r["lines_before"] / r["lines_after"] for r in done]
        fewer = [r["resources_before"] / max(1, r["resources_after"]) for r in done]
        print(
            f"median lines ratio {statistics.median(ratio):.1f}x, resources ratio "
            f"{statistics.median(fewer):.1f}x, "
            f"probes {statistics.median(r['probes'] for r in done)}, "
            f"seconds {statistics.median(r['seconds'] for r in done)}"
        )
    earlier = [float(before[r["name"]]["seconds"]) for r in rows if r["name"] in before]
    if earlier:
        print(f"before: median seconds {statistics.median(earlier)}, max {max(earlier)}")


if __name__ == "__main__":
    sys.exit(main())
