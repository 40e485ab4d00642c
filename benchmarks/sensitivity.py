"""What the rules generator's tests catch, and what a fault costs (``lsqm sensitivity``).

The bundled examples (without their hand-written tests) get rules-generated apps in a
scratch store. First a plain ``validate`` of them (the baseline, same machine, same run,
``--workers`` emulators), then ``measure``: each example deployed once, its tests run clean
and once per exercised fault, on host LocalStack. Printed per example: the score, per
service, the surviving faults, and the cost: seconds per fault (the session's seconds after
the control, i.e. fault runs, clean reruns, redeploys, the final checks and destroy, over the
faults run) against that example's validate (target <= 1.5x), and the whole catalogue's wall
time (target < 10 minutes for the 14 examples on 2 cores).

``--checks-from REF`` replaces the apps' ``lsqm_checks*.py`` with those of a git ref (the
checks before a change), so a score before and after is measured the same way.

Usage: python benchmarks/sensitivity.py [--only NAME ...] [--faults N] [--workers N]
                                        [--checks-from REF]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsqm.config import load_settings
from lsqm.generation.rules.generator import RulesGenerator
from lsqm.generation.run import generate_apps
from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore
from lsqm.validation.run import execute, plan_run
from lsqm.validation.sensitivity import measure

REPO = Path(__file__).resolve().parent.parent
APP = "src/lsqm/generation/rules/app"


def _old_checks(ref: str) -> dict[str, str]:
    names = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", f"{ref}:{APP}"],
                           capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return {
        n: subprocess.run(
            ["git", "-C", str(REPO), "show", f"{ref}:{APP}/{n}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in names
        if n.startswith("lsqm_checks")
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None, help="example names")
    parser.add_argument("--faults", type=int, default=None, help="at most N per example")
    parser.add_argument("--workers", type=int, default=3, help="emulators at once")
    parser.add_argument("--checks-from", default=None, metavar="REF")
    args = parser.parse_args()
    examples = sorted(p for p in (REPO / "examples").iterdir() if any(p.glob("*.tf")))
    if args.only:
        examples = [p for p in examples if p.name in args.only]
    scratch = Path(tempfile.mkdtemp(prefix="lsqm-bench-sens-"))
    try:
        settings = load_settings(
            None, artifacts_dir=scratch / "store", runtime="host", parallel=args.workers
        )
        store = ArtifactStore(settings.artifacts_dir)
        hashes = []
        for folder in examples:
            copy = scratch / folder.name
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("tests"))
            hashes.append(store.add_architecture(copy, ArchitectureRecord(name=folder.name)))
        generate_apps(store, RulesGenerator(), hashes)
        if args.checks_from:
            old = _old_checks(args.checks_from)
            for arch in hashes:
                for stale in store.app_dir(arch).glob("lsqm_checks*.py"):
                    stale.unlink()
                for name, text in old.items():
                    (store.app_dir(arch) / name).write_text(text)
        say = lambda m: print(m, file=sys.stderr)  # noqa: E731
        t0 = time.monotonic()
        plan = plan_run(store, run_id=None, arch=hashes, shard=None)
        execute(settings, store, plan, on_result=lambda _r: None, say=say)
        results = store.results(plan.run_id)
        validate_wall = time.monotonic() - t0
        t0 = time.monotonic()
        report = measure(settings, store, hashes, say=say, faults_limit=args.faults,
                         workers=args.workers)  # fmt: skip
        wall = time.monotonic() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows, ratios = [], []
    for a in report["architectures"]:
        validate_s = results[a["arch_hash"]].duration_s
        n = len(a["faults"])
        per_fault = (a["stack"]["seconds"] - a["control"]["seconds"]) / n if n else None
        ratio = per_fault and validate_s and round(per_fault / validate_s, 2)
        if ratio:
            ratios.append(ratio)
        rows.append({
            "example": a["name"], "control": a["control"]["status"], "score": a["score"],
            "by_service": a["by_service"], "surviving": [s["id"] for s in a["surviving"]],
            "not_applicable": [f["id"] for f in a["faults"] if f["outcome"] == "not_applicable"],
            "faults": n, "validate_s": validate_s, "control_s": a["control"]["seconds"],
            "session_s": a["stack"]["seconds"], "per_fault_s": per_fault and round(per_fault, 1),
            "ratio_to_validate": ratio, "stack": a["stack"],
        })  # fmt: skip
    faults = sum(r["faults"] for r in rows)
    print(json.dumps({
        "checks_from": args.checks_from or "HEAD", "workers": report["workers"],
        "validate_wall_s": round(validate_wall, 1), "catalogue_wall_s": round(wall, 1),
        "catalogue_to_validate": round(wall / validate_wall, 2),
        "faults": faults, "wall_s_per_fault": faults and round(wall / faults, 2),
        "max_ratio": max(ratios, default=None),
        "mean_ratio": round(sum(ratios) / len(ratios), 2) if ratios else None,
        "score": report["score"], "examples": rows,
        "classification_bugs": report["classification_bugs"],
    }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
