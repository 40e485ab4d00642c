"""Benchmark of the report at scale: a synthetic store of 5,000 architectures x 52 weekly
runs (260,000 result files), then

- report generation time (target < 20 s), cold (no run index yet: every result file is
  read once and each run's index written) and warm (the indexes validate writes), the warm
  one against the same report written by one process (worker processes write the
  architecture pages while the main one writes the index, coverage, comparisons and matrix);
- size of index.html with its embedded data (target < 5 MB);
- time to first render of the index in Chromium: navigation start to the table's first
  rows (the page's ``lsqm-table-rendered`` mark) and to first contentful paint (< 2 s);
- compare of the last two runs (target < 1 s), in-process and as a ``lsqm`` command;
- ``lsqm coverage`` (the latest run of each of the year's 8 LocalStack releases, from the
  run indexes and the ``calls.json`` beside each, which holds each result's trace in brief;
  target < 5 s), in-process and as a command; every result has a trace of 5 to 40 kinds of
  calls;
- the run caches' sizes, and reading every run's index in today's layout against the
  layout before ``calls.json`` (format 1: each row carrying its calls inline), made from the
  same indexes in the same run: what the readers of every run (history, the report) save;
- baselines: reading every result file of a run with pydantic versus its index, and the
  whole history either way.

The store is written directly in the artifact store's layout (plain writes, no fsync, made-up
hashes): it is a fixture of the benchmark, not what ``lsqm add`` would do 5,000 times. Its
Terraform and tests are the bundled examples' (real sizes), one per architecture; a third of
the apps carry the rules generator's support files, the same in each. Highlighted code is
cached by content (``report-code`` in the cache folder): the cold report starts with an empty
cache, the warm one finds it filled, as a weekly report does.

    python benchmarks/report_scale.py [--archs 5000] [--runs 52] [--store DIR] [--cold] [--json]

``--store DIR`` keeps the synthetic store there and reuses it on the next call (writing it
takes a minute or two).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from lsqm.config import Settings
from lsqm.pipeline.stages import compare_runs, report
from lsqm.records import Category, RunIndex, Status
from lsqm.reporting.coverage import load_coverage
from lsqm.reporting.history import History
from lsqm.reporting.site import build_site
from lsqm.store import ArtifactStore

T = TypeVar("T")

SERVICES = [
    "s3",
    "sqs",
    "sns",
    "dynamodb",
    "lambda",
    "iam",
    "kms",
    "kinesis",
    "events",
    "logs",
    "cloudwatch",
    "ssm",
    "secretsmanager",
    "stepfunctions",
    "apigateway",
    "apigatewayv2",
    "ec2",
    "ecs",
    "ecr",
    "rds",
    "elasticache",
    "cognito-idp",
    "route53",
    "acm",
    "firehose",
    "glue",
    "athena",
    "sts",
    "cloudfront",
    "wafv2",
    "elbv2",
    "autoscaling",
    "efs",
    "backup",
    "appsync",
    "ses",
    "opensearch",
    "redshift",
    "eks",
    "scheduler",
]
# LocalStack releases over a year of weekly runs: SemVer, then CalVer (sorted together).
VERSIONS = ["4.10.0"] * 8 + ["4.11.0"] * 8 + ["4.12.0"] * 8 + ["4.13.0"] * 6 + ["4.14.0"] * 6
VERSIONS += ["2026.3.0"] * 6 + ["2026.4.0"] * 5 + ["2026.5.0"] * 5
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if (p / "tests").is_dir())
RULES_APP = REPO / "src" / "lsqm" / "generation" / "rules" / "app"
# What a rules-generated app carries besides its test module (the same in every such app).
SUPPORT = {
    "conftest.py": (RULES_APP / "conftest_app.py").read_text(),
    "lsqm_checks.py": (RULES_APP / "lsqm_checks.py").read_text(),
}


def _example(i: int) -> tuple[str, str]:
    """Terraform and a test module of bundled example ``i``, as templates: real sizes and
    real syntax (about 1.4 kB of HCL and 3 kB of Python), made unique per architecture."""
    folder = EXAMPLES[i % len(EXAMPLES)]
    tf = "\n".join(p.read_text() for p in sorted(folder.glob("*.tf")))
    test = next(iter(sorted((folder / "tests").glob("test_*.py")))).read_text()
    return tf, test


CPU: dict[str, float] = {}  # CPU seconds of each timed step, worker processes included


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], T], name: str = "") -> tuple[T, float]:
    """``fn()`` and its wall time; its CPU time (this process and its workers) goes to
    :data:`CPU` under ``name`` (wall time depends on what else the machine runs)."""
    start, cpu = time.perf_counter(), _cpu()
    value = fn()
    if name:
        CPU[name] = _cpu() - cpu
    return value, time.perf_counter() - start


# -- the synthetic store -------------------------------------------------------------------
NOUNS = {
    "s3": "Bucket",
    "sqs": "Queue",
    "sns": "Topic",
    "dynamodb": "Table",
    "lambda": "Function",
    "iam": "Role",
    "kms": "Key",
    "kinesis": "Stream",
    "events": "Rule",
    "logs": "LogGroup",
    "ssm": "Parameter",
    "secretsmanager": "Secret",
    "stepfunctions": "StateMachine",
    "apigatewayv2": "Api",
}
# What terraform and the tests call per resource: (caller, verb, calls) in order.
TERRAFORM_CALLS = [("apply", "Create", 1), ("apply", "Describe", 3), ("apply", "Tag", 1)]
TERRAFORM_CALLS += [("plan", "Describe", 2), ("plan", "List", 1), ("destroy", "Delete", 1)]
TEST_VERBS = ["Get", "List", "Describe", "Put", "Update"]


def _operation(service: str, verb: str) -> str:
    noun = NOUNS.get(service, "Resource")
    return f"{verb}{noun}s" if verb == "List" else f"{verb}{noun}"


def _trace(rng: random.Random, services: list[str]) -> list[dict[str, Any]]:
    """5 to 40 kinds of calls, as validate records them: the caller identity at init, each
    service's resource created, read back, tagged, planned and deleted by terraform, and a
    few calls of each test."""
    rows: list[dict[str, Any]] = [
        {"service": "sts", "operation": "GetCallerIdentity", "caller": caller, "status": 200}
        for caller in ("init", "apply")
    ]
    for service in services:
        for caller, verb, count in TERRAFORM_CALLS[: rng.randint(3, len(TERRAFORM_CALLS))]:
            rows.append(
                {
                    "service": service,
                    "operation": _operation(service, verb),
                    "caller": caller,
                    "status": 200,
                    "count": count,
                }
            )
        for test in range(rng.randint(0, 2)):
            for verb in rng.sample(TEST_VERBS, rng.randint(1, 3)):
                rows.append(
                    {
                        "service": service,
                        "operation": _operation(service, verb),
                        "caller": "test",
                        "test": f"test_app::test_{service.replace('-', '_')}_{test}",
                        "status": 200,
                    }
                )
    rows = rows[:40]
    for first, row in enumerate(rows):
        row |= {"first": first, "seconds": round(0.004 * row.get("count", 1), 3)}
    return rows


def _failing_call(signature: str, first: int) -> dict[str, Any] | None:
    """The trace row of the call a signature names (``sqs.CreateQueue 501 ...``)."""
    head = signature.split(":")[0].split(" ")
    if "." not in head[0] or " " in head[0] or len(head) not in (1, 3):
        return None
    service, operation = head[0].split(".", 1)
    answered = len(head) == 1  # a test's assertion failed on what the call answered
    caller = "test" if answered or operation.startswith(("Get", "List")) else "apply"
    return {
        "service": service,
        "operation": operation,
        "caller": caller,
        "test": "test_app::test_role_exists" if caller == "test" else None,
        "status": 200 if answered else int(head[1]),
        "error_code": None if answered else head[2],
        "first": first,
        "seconds": 0.01,
    }


def _signatures(rng: random.Random) -> list[tuple[Category, str]]:
    kinds = [
        (
            Category.EMULATOR_UNSUPPORTED,
            "{s}.{op} 501 InternalFailure: The API for service {s} is "
            "either not included in your current license plan or has not yet been emulated",
        ),
        (Category.EMULATOR_ERROR, "{s}.{op} 500 InternalError: exception while calling {s}.{op}"),
        (Category.EMULATOR_REJECTED, "{s}.{op} 400 ValidationException: invalid parameter"),
        (Category.EMULATOR_BEHAVIOUR, "{s}.{op}: test_{t}: AssertionError: assert <*> == <*>"),
        (Category.PROVIDER_CRASH, "aws_{t}: provider crashed reading {op}"),
        (Category.ENVIRONMENT, "{s} cannot execute without Docker"),
        (Category.TERRAFORM_CONFIG, "init: Unsupported argument {op}"),
        (Category.NO_TESTS, "no tests collected"),
    ]
    verbs = [verb for _, verb, _ in TERRAFORM_CALLS] + TEST_VERBS
    out = []
    for i in range(240):
        category, text = kinds[i % len(kinds)]
        svc = SERVICES[rng.randrange(len(SERVICES))]
        op = _operation(svc, verbs[i % len(verbs)])
        out.append((category, text.format(t=f"{svc}_thing", s=svc, op=op)))
    return out


def _result(
    run_id: str,
    arch_hash: str,
    name: str,
    status: Status,
    cat: Category | None,
    sig: str,
    duration: float,
    flaky: bool,
    trace: list[dict[str, Any]],
) -> dict[str, Any]:
    deployed = status in (Status.PASSED, Status.PARTIAL)
    ok = status is Status.PASSED
    stage = {"ok": True, "seconds": 1.2, "exit_code": 0, "timed_out": False}
    stages = {"init": stage, "apply": {**stage, "ok": deployed, "exit_code": 0 if deployed else 1}}
    if deployed:
        stages |= {
            "plan": stage,
            "test": {**stage, "ok": ok, "exit_code": 0 if ok else 1},
            "destroy": stage,
        }
    tests = (
        {"total": 2, "passed": 2 if ok else 1, "failed": 0 if ok else 1, "errors": 0, "skipped": 0}
        if deployed
        else {"total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    )
    return {
        "arch_hash": arch_hash,
        "name": name,
        "run_id": run_id,
        "status": status.value,
        "category": cat.value if cat else None,
        "signature": sig,
        "message": sig,
        "tests": tests,
        "stages": stages,
        "started_at": run_id,
        "duration_s": duration,
        "child_process_s": duration * 0.9,
        "drift": False,
        "flaky": flaky,
        "provider": {
            "source": "registry.terraform.io/hashicorp/aws",
            "version": "3.39.0",
            "process": "shared",
        },
        "emulator": {"runtime": "host", "restarts": 0},
        "test_cases": [
            {"name": "test_app::test_exists", "outcome": "passed", "seconds": 0.4, "message": ""},
            {
                "name": "test_app::test_role_exists",
                "outcome": "passed" if ok else "failed",
                "seconds": 0.3,
                "message": "" if ok else sig,
            },
        ]
        if deployed
        else [],
        "attempts": [{"status": "PASSED", "duration_s": duration}] if flaky else [],
        "trace": trace,
    }


def build_store(root: Path, archs: int, runs: int, seed: int = 7) -> ArtifactStore:
    rng = random.Random(seed)
    store = ArtifactStore(root)
    signatures = _signatures(rng)
    weights = [1 / (i + 1) for i in range(len(signatures))]  # a few gaps hurt most
    hashes = [f"{i:04x}{rng.getrandbits(48):012x}" for i in range(archs)]
    templates = [_example(i) for i in range(len(EXAMPLES))]
    names: dict[str, str] = {}
    traces: dict[str, list[dict[str, Any]]] = {}
    for i, arch_hash in enumerate(hashes):
        services = sorted(set(rng.sample(SERVICES, rng.randint(1, 4))) | {"iam"})
        svc = services[0]
        name = f"{rng.choice(['acme', 'infra', 'tf', 'demo', 'prod'])}-{svc}-{i:04d}"
        names[arch_hash] = name
        traces[arch_hash] = _trace(rng, services)
        folder = store.architecture_dir(arch_hash)
        folder.mkdir(parents=True)
        tf, test = templates[i % len(templates)]
        (folder / "main.tf").write_text(f"# {name}\n{tf}")
        record = {
            "hash": arch_hash,
            "name": name,
            "services": services,
            "resource_types": [f"aws_{s.replace('-', '_')}_thing" for s in services],
            "source": {"kind": "github", "url": f"https://github.com/example/{name}"},
            "origin": {"stars": int(rng.paretovariate(1.2)) - 1},
        }
        (folder / "architecture.json").write_text(json.dumps(record))
        app = store.app_dir(arch_hash)
        app.mkdir(parents=True)
        (app / "test_app.py").write_text(f'"""Tests of {name}."""\n{test}')
        generated = i % 3 == 0  # a third from the rules generator, with its support files
        if generated:
            for support, text in SUPPORT.items():
                (app / support).write_text(text)
        (app / "app.json").write_text(
            json.dumps(
                {
                    "generator": "rules" if generated else "hand-written",
                    "metrics": {"tests": 2, "api_calls": 2, "assertions": 2},
                }
            )
        )
    # Each architecture has a "quality" that improves over the year; its failure, when it
    # fails, keeps its signature for a while (gaps persist), sometimes flakes.
    quality = {h: rng.random() for h in hashes}
    gap = {h: rng.choices(range(len(signatures)), weights)[0] for h in hashes}
    start = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
    for week in range(runs):
        when = start + timedelta(weeks=week)
        run_id = when.strftime("%Y%m%dT%H%M%SZ") + f"-{week:06x}"
        folder = store.run_dir(run_id) / "results"
        folder.mkdir(parents=True)
        threshold = 0.6 - 0.3 * week / max(runs - 1, 1)
        counts = dict.fromkeys((s.value for s in Status), 0)
        present = hashes[: archs - (archs // 10) * (runs - 1 - week) // max(runs - 1, 1)]
        for arch_hash in present:
            if rng.random() < 0.02:
                gap[arch_hash] = rng.choices(range(len(signatures)), weights)[0]
            flaky = rng.random() < 0.01
            if quality[arch_hash] > threshold and not (flaky and rng.random() < 0.5):
                status, cat, sig = Status.PASSED, None, ""
            else:
                cat, sig = signatures[gap[arch_hash]]
                status = {
                    Category.EMULATOR_BEHAVIOUR: Status.PARTIAL,
                    Category.ENVIRONMENT: Status.ERROR,
                    Category.NO_TESTS: Status.ERROR,
                    Category.TERRAFORM_CONFIG: Status.ERROR,
                }.get(cat, Status.FAILED)
            counts[status.value] += 1
            trace = traces[arch_hash]
            failing = _failing_call(sig, len(trace)) if status is not Status.PASSED else None
            data = _result(
                run_id,
                arch_hash,
                names[arch_hash],
                status,
                cat,
                sig,
                round(rng.uniform(3, 90), 1),
                flaky,
                [*trace, failing] if failing else trace,
            )
            (folder / f"{arch_hash}.json").write_text(json.dumps(data, indent=2))
            if week == runs - 1 and status is not Status.PASSED:
                _logs(store.run_dir(run_id) / "logs" / arch_hash, sig)
        run = {
            "run_id": run_id,
            "started_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "finished_at": (when + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": "complete",
            "architectures": sorted(present),
            "settings": {"parallel": 8},
            "terraform": {"version": "1.11.4", "providers": {"hashicorp/aws": "3.39.0"}},
            "emulator": {
                "kind": "localstack",
                "runtime": "host",
                "version": VERSIONS[week % len(VERSIONS)],
            },
            "summary": {**counts, "total": len(present)},
        }
        (store.run_dir(run_id) / "run.json").write_text(json.dumps(run, indent=2))
    return store


def _logs(folder: Path, signature: str) -> None:
    folder.mkdir(parents=True)
    (folder / "init.log").write_text("Terraform has been successfully initialized!\n" * 3)
    apply = (
        "aws_thing.main: Creating...\n" * 10 + f"\nError: {signature}\n\n  with aws_thing.main\n"
    )
    (folder / "apply.log").write_text(apply)
    lines = [
        f"2026-11-30T04:01:{i:02d}.000  INFO --- [asgi_gw_{i % 4}] localstack.request.aws"
        f"     : AWS sts.GetCallerIdentity => 200"
        for i in range(30)
    ]
    lines.append(
        "2026-11-30T04:01:59.000  INFO --- [asgi_gw_0] localstack.request.aws     : "
        "AWS s3.CreateBucket => 500 (InternalError)"
    )
    (folder / "emulator.log").write_text("\n".join(lines) + "\n")


# -- measurements --------------------------------------------------------------------------
def drop_indexes(store: ArtifactStore) -> None:
    """No run cache at all: every reader starts from the result files."""
    for name in ("index.json", "calls.json"):
        for path in store.runs_dir.glob(f"*/{name}"):
            path.unlink()


def old_layout(store: ArtifactStore, folder: Path) -> list[Path]:
    """Each run's index as lsqm wrote it before ``calls.json`` (format 1, every row with
    its ``calls``), written under ``folder``; the same rows, so only the layout differs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run_dir in sorted(store.runs_dir.iterdir()):
        index = json.loads((run_dir / "index.json").read_bytes())
        calls = json.loads((run_dir / "calls.json").read_bytes())["results"]
        index["version"] = 1
        for arch_hash, row in index["results"].items():
            row["calls"] = calls[arch_hash]
        path = folder / f"{run_dir.name}.json"
        path.write_text(json.dumps(index, indent=2))
        paths.append(path)
    return paths


def read_indexes(paths: list[Path]) -> list[RunIndex]:
    return [RunIndex.model_validate_json(p.read_bytes()) for p in paths]


def sizes(paths: list[Path]) -> dict[str, float]:
    found = [p.stat().st_size for p in paths]
    return {
        "files": len(found),
        "mean_mb": sum(found) / len(found) / 1e6,
        "max_mb": max(found) / 1e6,
    }


def first_render(index: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        figures: dict[str, float] = {}
        for attempt in ("cold", "warm"):
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            start = time.perf_counter()
            page.goto(index.as_uri())
            page.wait_for_function("performance.getEntriesByName('lsqm-table-rendered').length")
            figures[f"{attempt}_wall_s"] = time.perf_counter() - start
            page.wait_for_function(
                "performance.getEntriesByName('first-contentful-paint').length", timeout=5000
            )
            marks = page.evaluate(
                """() => ({
                  table: performance.getEntriesByName('lsqm-table-rendered')[0].startTime,
                  fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
                  dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                })"""
            )
            figures[f"{attempt}_table_s"] = marks["table"] / 1000
            figures[f"{attempt}_fcp_s"] = (marks["fcp"] or 0) / 1000
            figures[f"{attempt}_dom_s"] = marks["dom"] / 1000
            if attempt == "warm":
                page.screenshot(path=str(index.parent / "benchmark-index.png"))
                start = time.perf_counter()
                page.fill("#search", "s3")
                page.wait_for_timeout(0)
                page.select_option("#f-status", label="FAILED")
                figures["filter_s"] = time.perf_counter() - start
            page.close()
        browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=52)
    parser.add_argument("--store", type=Path, default=None, help="keep (and reuse) the store")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--cold", action="store_true", help="also time a report with no run index at all"
    )
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="lsqm-report-scale-"))
    root = args.store or tmp / "store"
    figures: dict[str, Any] = {"archs": args.archs, "runs": args.runs}
    try:
        if (root / "runs").is_dir():
            store = ArtifactStore(root)
            figures["store_reused"] = str(root)
        else:
            store, figures["write_store_s"] = timed(
                lambda: build_store(root, args.archs, args.runs)
            )
        settings = Settings(artifacts_dir=root, cache_dir=tmp / "cache")
        ids = store.run_ids()

        # Baselines: one run, and the whole history, from the result files vs the index.
        drop_indexes(store)
        _, figures["read_run_results_s"] = timed(lambda: store.results(ids[-1]))
        _, figures["compare_cold_s"] = timed(lambda: compare_runs(store, None, None))
        _, figures["compare_warm_s"] = timed(
            lambda: compare_runs(store, None, None), "compare_warm_s"
        )
        code_cache = settings.cache_dir / "report-code"
        site = tmp / "site"
        if args.cold:
            drop_indexes(store)
            shutil.rmtree(code_cache, ignore_errors=True)
            cold, figures["report_cold_s"] = timed(
                lambda: report(settings, store, site), "report_cold_s"
            )
            figures["report_cold_parts_s"] = cold.timings
        drop_indexes(store)
        _, figures["build_indexes_s"] = timed(
            lambda: [store.run_index(i) for i in ids], "build_indexes_s"
        )
        indexes = sorted(store.runs_dir.glob("*/index.json"))
        figures["index_json"] = sizes(indexes)
        figures["calls_json"] = sizes(sorted(store.runs_dir.glob("*/calls.json")))
        old = old_layout(store, tmp / "old-layout")
        figures["index_json_old_layout"] = sizes(old)
        _, figures["read_indexes_s"] = timed(lambda: read_indexes(indexes), "read_indexes_s")
        _, figures["read_indexes_old_layout_s"] = timed(
            lambda: read_indexes(old), "read_indexes_old_layout_s"
        )
        shutil.rmtree(code_cache, ignore_errors=True)
        fresh, figures["report_no_code_cache_s"] = timed(
            lambda: report(settings, store, site), "report_no_code_cache_s"
        )
        figures["report_no_code_cache_parts_s"] = fresh.timings
        figures["report_cold_highlighted"] = fresh.highlighted
        _, figures["history_from_index_s"] = timed(lambda: History.load(store))
        _, figures["read_run_index_s"] = timed(lambda: store.run_index(ids[-1]))
        warm, figures["report_warm_s"] = timed(
            lambda: report(settings, store, site), "report_warm_s"
        )
        figures["report_warm_parts_s"] = warm.timings
        figures["report_warm_highlighted"] = warm.highlighted
        # The baseline: the same report written by one process, nothing overlapped.
        _, figures["report_one_process_s"] = timed(
            lambda: build_site(
                store,
                site,
                schemas=settings.cache_dir / "provider-schemas",
                code_cache=code_cache,
                workers=1,
            ),
            "report_one_process_s",
        )
        figures["pages"] = warm.pages
        figures["index_html_bytes"] = warm.index_bytes
        figures["site_bytes"] = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        cli, figures["compare_cli_s"] = timed(
            lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "lsqm.cli",
                    "--artifacts",
                    str(root),
                    "compare",
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        )
        figures["compare_cli_exit"] = cli.returncode
        coverage, figures["coverage_s"] = timed(lambda: load_coverage(store), "coverage_s")
        figures["coverage_targets"] = len(coverage.targets)
        figures["coverage_operations"] = len(coverage.operations)
        cli, figures["coverage_cli_s"] = timed(
            lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "lsqm.cli",
                    "--artifacts",
                    str(root),
                    "coverage",
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                check=False,
            ),
            "coverage_cli_s",
        )
        figures["coverage_cli_exit"] = cli.returncode
        figures["chromium"] = first_render(site / "index.html")
        shot = site / "benchmark-index.png"
        if shot.is_file():
            kept = Path.cwd() / "test-artifacts"  # ignored by git
            kept.mkdir(exist_ok=True)
            figures["screenshot"] = str(shutil.copy(shot, kept / "report-scale-index.png"))
    finally:
        if args.store is None:
            shutil.rmtree(tmp, ignore_errors=True)
    figures["cpu_s"] = dict(CPU)
    figures["ratios"] = {
        "compare_index_vs_result_files": figures["compare_cold_s"] / figures["compare_warm_s"],
        "run_results_vs_run_index": figures["read_run_results_s"] / figures["read_run_index_s"],
        "report_no_code_cache_vs_warm": figures["report_no_code_cache_s"]
        / figures["report_warm_s"],
        "report_one_process_vs_warm": figures["report_one_process_s"] / figures["report_warm_s"],
        "read_indexes_old_layout_vs_new": figures["read_indexes_old_layout_s"]
        / figures["read_indexes_s"],
        "index_size_old_layout_vs_new": figures["index_json_old_layout"]["mean_mb"]
        / figures["index_json"]["mean_mb"],
    }
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    else:
        _print(figures)
    return 0


def _print(f: dict[str, Any]) -> None:
    def line(label: str, value: str, target: str = "") -> None:
        print(f"{label:<48} {value:>12}  {target}")

    print(f"store: {f['archs']:,} architectures x {f['runs']} runs")
    if "write_store_s" in f:
        line("writing the synthetic store", f"{f['write_store_s']:.1f} s")
    cpu = f["cpu_s"]
    line("report, warm (run indexes, code cache)", f"{f['report_warm_s']:.1f} s", "target < 20 s")
    line("  CPU, workers included", f"{cpu['report_warm_s']:.1f} s")
    print("  (architecture pages are written by workers during index .. matrix)")
    for part, seconds in f["report_warm_parts_s"].items():
        line(f"  {part}", f"{seconds:.2f} s")
    line(
        "  baseline: the same report by one process",
        f"{f['report_one_process_s']:.1f} s",
        f"{f['ratios']['report_one_process_vs_warm']:.2f}x the warm report",
    )
    line("report, run indexes but empty code cache", f"{f['report_no_code_cache_s']:.1f} s")
    line("  CPU, workers included", f"{cpu['report_no_code_cache_s']:.1f} s")
    for part, seconds in f["report_no_code_cache_parts_s"].items():
        line(f"  {part}", f"{seconds:.2f} s")
    if "report_cold_s" in f:
        line("report, cold (no index, no code cache)", f"{f['report_cold_s']:.1f} s")
    line("run indexes of every run from result files", f"{f['build_indexes_s']:.1f} s")
    line(
        "  files highlighted, empty cache / warm",
        f"{f['report_cold_highlighted']:,} / {f['report_warm_highlighted']:,}",
    )
    line("pages written", f"{f['pages']:,}")
    line("index.html with its data", f"{f['index_html_bytes'] / 1e6:.2f} MB", "target < 5 MB")
    line("whole site", f"{f['site_bytes'] / 1e6:.0f} MB")
    chromium = f["chromium"]
    if chromium:
        line(
            "Chromium: table rendered (from navigation)",
            f"{chromium['warm_table_s']:.2f} s",
            "target < 2 s",
        )
        line("Chromium: first contentful paint", f"{chromium['warm_fcp_s']:.2f} s")
        line("Chromium: first open, table rendered", f"{chromium['cold_table_s']:.2f} s")
        line("Chromium: search + status filter", f"{chromium['filter_s'] * 1000:.0f} ms")
    else:
        line("Chromium", "not installed")
    line("compare last two runs (indexes)", f"{f['compare_warm_s'] * 1000:.0f} ms", "target < 1 s")
    line("compare last two runs (result files)", f"{f['compare_cold_s'] * 1000:.0f} ms")
    line("lsqm compare --format json (process)", f"{f['compare_cli_s']:.2f} s")
    line(
        f"coverage: {f['coverage_targets']} releases, {f['coverage_operations']} operations",
        f"{f['coverage_s']:.2f} s",
        "target < 5 s",
    )
    line("  CPU", f"{cpu['coverage_s']:.2f} s")
    line("lsqm coverage --format json (process)", f"{f['coverage_cli_s']:.2f} s", "target < 5 s")
    line("  CPU", f"{cpu['coverage_cli_s']:.2f} s")
    line("history of every run from indexes", f"{f['history_from_index_s']:.2f} s")
    for name, label in (
        ("index_json", "run index (index.json), mean / max"),
        ("calls_json", "calls.json beside it, mean / max"),
        ("index_json_old_layout", "index with calls inline (before), mean / max"),
    ):
        line(label, f"{f[name]['mean_mb']:.2f} / {f[name]['max_mb']:.2f} MB")
    line(
        f"read {f['index_json']['files']} run indexes: today / calls inline",
        f"{f['read_indexes_s']:.2f} / {f['read_indexes_old_layout_s']:.2f} s",
    )
    line(
        "  CPU",
        f"{cpu['read_indexes_s']:.2f} / {cpu['read_indexes_old_layout_s']:.2f} s",
    )
    line(
        "one run: result files / its index",
        f"{f['read_run_results_s']:.2f} s / {f['read_run_index_s'] * 1000:.0f} ms",
    )
    for name, ratio in f["ratios"].items():
        line(f"ratio {name}", f"{ratio:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
