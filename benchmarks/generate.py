"""Benchmark of the rules generator over a corpus of Terraform architectures.

Prints, per architecture, the time to generate and the time of the gate (which runs
``pytest --collect-only``), the coverage of its resources; then totals: behavioural /
existence / no coverage over all AWS resources, and the types left uncovered most often.

With ``--deploy`` it also validates the corpus (real Terraform + LocalStack, through the
same pipeline as ``lsqm validate``) and reports, over the architectures that deployed, the
share of generated test modules that collected and ran without a fixture, import or
collection error (a failing assertion still counts as having run).

    python benchmarks/generate.py [--corpus DIR] [--deploy [--endpoint URL]] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from lsqm.config import Settings
from lsqm.generation.architecture import load_architecture
from lsqm.generation.gate import gate
from lsqm.generation.metrics import measure
from lsqm.generation.rules.generator import RulesGenerator
from lsqm.records import ArchitectureRecord, Result
from lsqm.store import ArtifactStore
from lsqm.terraform.hcl import parse_module

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "localstack-terraform-samples"


def corpus_folders(root: Path) -> list[Path]:
    """Every folder declaring resources that is not a module of another (``modules/``)."""
    found = sorted({p.parent for p in root.rglob("*.tf")})
    return [
        f
        for f in found
        if "modules" not in f.relative_to(root).parts and parse_module(f).blocks("resource")
    ]


def generate_all(store: ArtifactStore, folders: list[Path], root: Path) -> list[dict[str, Any]]:
    rows = []
    generator = RulesGenerator()
    for folder in folders:
        name = str(folder.relative_to(root))
        arch_hash = store.add_architecture(folder, ArchitectureRecord(name=name))
        t0 = time.perf_counter()
        arch = load_architecture(store, arch_hash)
        app = generator.generate(arch)
        t1 = time.perf_counter()
        report = gate(app.files)
        t2 = time.perf_counter()
        metrics = measure(app.files, app.coverage)
        if report.ok:
            store.write_app(
                arch_hash,
                app.files,
                {"generator": "rules", "metrics": metrics,
                 "coverage": [c.to_json() for c in app.coverage]},
            )  # fmt: skip
        rows.append({
            "name": name, "hash": arch_hash, "generate_ms": (t1 - t0) * 1000,
            "gate_ms": (t2 - t1) * 1000, "gate_ok": report.ok, "problems": report.problems,
            "metrics": metrics, "modules": [n for n in app.files if n.startswith("test_")],
            "uncovered": [c.type for c in app.coverage
                          if c.level == "none" and c.type.startswith("aws_")],
        })  # fmt: skip
    return rows


def deploy_all(store: ArtifactStore, endpoint: str | None) -> dict[str, dict[str, Any]]:
    from lsqm.validation.run import execute, plan_run

    settings = Settings(
        artifacts_dir=store.root,
        runtime="external" if endpoint else "host",
        endpoint=endpoint,
        timeout=240,
    )
    plan = plan_run(store, run_id=None, arch=None, shard=None)
    done = 0

    def progress(result: Result) -> None:
        nonlocal done
        done += 1
        print(f"  [{done}/{len(plan.todo)}] {result.status:8} {result.name}", file=sys.stderr)

    execute(settings, store, plan, on_result=progress)
    results = {h: r.to_json() for h, r in store.results(plan.run_id).items()}
    for arch_hash, result in results.items():
        junit = store.run_dir(plan.run_id) / "logs" / arch_hash / "junit.xml"
        result["module_outcomes"] = module_outcomes(junit) if junit.is_file() else {}
    return results


def module_outcomes(junit: Path) -> dict[str, str]:
    """Per test module: ``ran`` (tests ran; failures allowed) or ``error`` (a collection,
    import or fixture error in any of its tests)."""
    out: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = (case.get("classname") or case.get("file") or "").split(".")[0]
        errored = any(child.tag == "error" for child in case)
        if errored:
            out[module] = "error"
        else:
            out.setdefault(module, "ran")
    return out


def summarise(rows: list[dict[str, Any]], deployed: dict[str, dict[str, Any]] | None) -> dict:
    totals = Counter()
    for row in rows:
        for key in ("resources_total", "resources_covered", "resources_behavioural", "tests"):
            totals[key] += row["metrics"][key]
    gen = [r["generate_ms"] for r in rows]
    gates = [r["gate_ms"] for r in rows]
    aws = totals["resources_total"] or 1
    summary: dict[str, Any] = {
        "architectures": len(rows),
        "gate_passed": sum(r["gate_ok"] for r in rows),
        "tests": totals["tests"],
        "generate_ms": {"median": statistics.median(gen), "max": max(gen), "total": sum(gen)},
        "gate_ms": {"median": statistics.median(gates), "max": max(gates)},
        "aws_resources": totals["resources_total"],
        "behavioural_share": totals["resources_behavioural"] / aws,
        "existence_share": (totals["resources_covered"] - totals["resources_behavioural"]) / aws,
        "uncovered_share": (aws - totals["resources_covered"]) / aws,
        "top_uncovered": Counter(t for r in rows for t in r["uncovered"]).most_common(8),
    }
    if deployed is not None:
        ok = [r for r in deployed.values() if r["stages"]["apply"]["ok"]]
        by_hash = {r["hash"]: r for r in rows}
        modules = ran = 0
        for result in ok:
            expected = by_hash[result["arch_hash"]]["modules"]
            outcomes = result["module_outcomes"]
            modules += len(expected)
            ran += sum(1 for m in expected if outcomes.get(m.removesuffix(".py")) == "ran")
        summary["deploy"] = {
            "validated": len(deployed),
            "deployed": len(ok),
            "statuses": dict(Counter(r["status"] for r in deployed.values())),
            "test_modules": modules,
            "modules_collected_and_ran": ran,
            "share": ran / modules if modules else None,
            "deployed_behavioural_share": _behavioural([by_hash[r["arch_hash"]] for r in ok]),
        }
    return summary


def _behavioural(rows: list[dict[str, Any]]) -> float | None:
    total = sum(r["metrics"]["resources_total"] for r in rows)
    behavioural = sum(r["metrics"]["resources_behavioural"] for r in rows)
    return behavioural / total if total else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--deploy", action="store_true", help="validate on LocalStack too")
    parser.add_argument("--endpoint", help="an emulator already running (external runtime)")
    parser.add_argument("--store", type=Path, help="keep the artifact store here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = args.corpus.resolve()
    with tempfile.TemporaryDirectory(prefix="lsqm-bench-") as tmp:
        store = ArtifactStore(args.store or Path(tmp) / "store")
        rows = generate_all(store, corpus_folders(root), root)
        deployed = deploy_all(store, args.endpoint) if args.deploy else None
        summary = summarise(rows, deployed)
    if args.json:
        print(json.dumps({"summary": summary, "architectures": rows}, indent=2, default=str))
        return 0
    print(f"{'architecture':58} {'gen ms':>7} {'gate ms':>8} {'tests':>5} {'behav/aws':>9}")
    for row in rows:
        m = row["metrics"]
        flag = "" if row["gate_ok"] else "  GATE: " + "; ".join(row["problems"][:2])
        cover = f"{m['resources_behavioural']:>4}/{m['resources_total']:<4}"
        print(f"{row['name'][:58]:58} {row['generate_ms']:7.1f} {row['gate_ms']:8.0f} "
              f"{m['tests']:5} {cover}{flag}")  # fmt: skip
    s = summary
    print()
    print(f"architectures: {s['architectures']} (gate passed: {s['gate_passed']}), "
          f"tests: {s['tests']}")  # fmt: skip
    print(f"rules generator per architecture: median {s['generate_ms']['median']:.1f} ms, "
          f"max {s['generate_ms']['max']:.1f} ms; gate (pytest --collect-only) median "
          f"{s['gate_ms']['median']:.0f} ms")  # fmt: skip
    print(f"AWS resources: {s['aws_resources']}: behavioural {s['behavioural_share']:.1%}, "
          f"existence only {s['existence_share']:.1%}, "
          f"none {s['uncovered_share']:.1%}")  # fmt: skip
    print("most often uncovered: " + ", ".join(f"{t} ({n})" for t, n in s["top_uncovered"]))
    if "deploy" in s:
        d = s["deploy"]
        share = f"{d['share']:.1%}" if d["share"] is not None else "n/a"
        print(f"deployed {d['deployed']}/{d['validated']} ({d['statuses']}); test modules "
              f"that collected and ran: {d['modules_collected_and_ran']}/{d['test_modules']}"
              f" = {share}")  # fmt: skip
        if d["deployed_behavioural_share"] is not None:
            print(f"behavioural coverage on deployed: {d['deployed_behavioural_share']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
