"""The stages as library calls, and ``lsqm run`` chaining them through the store.

Each command is a thin layer over one function here; ``run`` calls the same functions in
order (never other click commands), so a stage behaves the same alone and in the chain.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.config import Settings
from lsqm.discovery import sources as source_config
from lsqm.discovery.filter import Policy
from lsqm.discovery.miner import Miner
from lsqm.discovery.miner import Summary as MineSummary
from lsqm.emulator import resolve_runtime
from lsqm.errors import Interrupted, ToolMissing, UsageError
from lsqm.generation.interface import Generator
from lsqm.generation.metrics import quality_summary
from lsqm.generation.run import Outcome, generate_apps
from lsqm.ingest import add_bundled_examples
from lsqm.records import Result, Run
from lsqm.reporting.clean import CleanPlan, plan_clean
from lsqm.reporting.clean import clean as remove_runs
from lsqm.reporting.compare import Comparison, compare
from lsqm.reporting.formats import RunReport
from lsqm.reporting.history import History, load_run, require_runs, resolve_run
from lsqm.reporting.overview import overview
from lsqm.reporting.site import SiteReport, build_site
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import ensure_localstack
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.validation.run import RunPlan, execute, plan_run

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default listener: says nothing."""


# -- setup ---------------------------------------------------------------------------------
def provision(settings: Settings, say: Say = _quiet) -> dict[str, Any]:
    """Find or install what validate needs (emulator runtime, terraform + provider)."""
    chosen = resolve_runtime(settings)
    report: dict[str, Any] = {"runtime": chosen, "cache_dir": str(settings.cache_dir)}
    if chosen == "host":
        say(f"LocalStack {settings.localstack_version}: checking the host runtime …")
        install = ensure_localstack(settings.cache_dir, settings.localstack_version)
        say(install.describe())
        report["localstack"] = {
            "version": install.version,
            "venv": str(install.venv),
            "installed_now": install.installed_now,
        }
    say("Terraform: checking …")
    toolchain = ensure_terraform(settings)
    say(toolchain.describe())
    report["terraform"] = {
        "binary": str(toolchain.binary),
        "version": toolchain.version,
        "mirror": str(toolchain.mirror) if toolchain.mirror else None,
        "offline_providers": toolchain.offline_providers,
        "describe": toolchain.describe(),
    }
    return report


# -- mine ----------------------------------------------------------------------------------
def mine(
    settings: Settings,
    store: ArtifactStore,
    *,
    source_names: tuple[str, ...] = (),
    limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str, MineSummary], None] = lambda _m, _s: None,
    say: Say = _quiet,
) -> MineSummary:
    """Discover architectures from sources.yaml (or the bundled examples) into the store."""
    config = source_config.sources_file(settings)
    specs = source_config.load_specs(config) if config else source_config.default_specs()
    chosen = source_config.select(specs, list(source_names))
    built = [source_config.build(spec, settings, say) for spec in chosen]
    miner = Miner(
        store, Policy.from_settings(settings.discovery), limit=limit, dry_run=dry_run,
        progress=progress,
    )  # fmt: skip
    return miner.run(built)


# -- generate ------------------------------------------------------------------------------
def select_architectures(store: ArtifactStore, hashes: list[str] | None) -> list[str]:
    """``hashes`` if all are stored (a UsageError names those that are not), else all."""
    known = store.architecture_hashes()
    unknown = [h for h in hashes or [] if h not in known]
    if unknown:
        raise UsageError(f"no architecture {', '.join(unknown)} in {store.architectures_dir}")
    return list(hashes or known)


def make_generator(settings: Settings, kind: str, budget: int | None = None) -> Generator:
    """The built-in rules generator, or Claude when asked for (it needs the API key)."""
    if kind == "rules":
        from lsqm.generation.rules.generator import RulesGenerator

        return RulesGenerator()
    if settings.anthropic_api_key is None:
        raise ToolMissing(
            "--generator claude needs ANTHROPIC_API_KEY in the environment; "
            "or use the built-in --generator rules"
        )
    from lsqm.generation.claude import ClaudeGenerator, TokenBudget

    return ClaudeGenerator(
        api_key=settings.anthropic_api_key.get_secret_value(),
        model=settings.anthropic_model,
        base_url=settings.anthropic_base_url,
        budget=TokenBudget(limit=budget if budget is not None else settings.generate_budget_tokens),
        max_tokens=settings.anthropic_max_tokens,
        prompt_bytes=settings.prompt_bytes,
    )


@dataclass
class GenerateReport:
    generator: str
    outcomes: list[Outcome]
    tokens: dict[str, int] | None = None

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "generator": self.generator,
            "counts": dict(self.counts),
            "results": [o.as_json() for o in self.outcomes],
        }
        if self.tokens is not None:
            data["tokens"] = self.tokens
            data["budget_exhausted"] = self.counts.get("not_attempted", 0) > 0
        return data


def generate(
    settings: Settings,
    store: ArtifactStore,
    *,
    kind: str | None = None,
    budget: int | None = None,
    hashes: list[str] | None = None,
    force: bool = False,
    progress: Callable[[Outcome], None] = lambda _o: None,
) -> GenerateReport:
    """Write apps for stored architectures that have none (or all, with ``force``)."""
    chosen = select_architectures(store, hashes)
    kind = kind or settings.generator
    generator = make_generator(settings, kind, budget)
    outcomes = generate_apps(store, generator, chosen, force=force, progress=progress)
    spent = getattr(generator, "budget", None)
    tokens = (
        {"input": spent.input_tokens, "output": spent.output_tokens} if spent is not None else None
    )
    return GenerateReport(kind, outcomes, tokens)


# -- validate ------------------------------------------------------------------------------
def plan_validation(
    store: ArtifactStore,
    *,
    run_id: str | None = None,
    arch: list[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> RunPlan:
    plan = plan_run(store, run_id=run_id, arch=arch or None, shard=shard)
    if not plan.todo and not plan.done:
        raise UsageError(
            f"no architectures in {store.architectures_dir}; add some with 'lsqm add PATH' "
            "or 'lsqm mine'"
        )
    return plan


def validate(
    settings: Settings,
    store: ArtifactStore,
    plan: RunPlan,
    *,
    on_result: Callable[[Result], None] = lambda _r: None,
    say: Say = _quiet,
) -> Run:
    """Validate a planned run; Ctrl-C/SIGTERM/SIGHUP become :class:`Interrupted` saying how
    to resume (children are killed and every result written so far is kept)."""
    try:
        return execute(settings, store, plan, on_result=on_result, on_status=say)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted: results written so far are kept; resume with "
            f"'lsqm validate --run-id {plan.run_id}'"
        ) from None


# -- status, compare, clean ------------------------------------------------------------------
def status(store: ArtifactStore) -> dict[str, Any]:
    """The store at a glance, with the quality of its tests (``lsqm status``)."""
    apps = {h: store.app(h) for h in store.architecture_hashes()}
    data = overview(store, apps)
    data["quality"] = quality_summary([a for a in apps.values() if a])
    return data


def compare_runs(store: ArtifactStore, base: str | None, head: str | None) -> Comparison:
    """``base`` -> ``head`` (full ids or unique prefixes); default the previous run -> the
    latest, and with only ``base`` given, ``base`` -> the latest."""
    ids = require_runs(store)
    if base is None:
        if len(ids) < 2:
            raise UsageError(
                f"compare needs two runs and {store.runs_dir} has {len(ids)}; "
                "name them or validate again"
            )
        base, head = ids[-2], ids[-1]
    base = resolve_run(store, base)
    head = resolve_run(store, head) if head is not None else ids[-1]
    return compare(load_run(store, base), load_run(store, head))


def report(
    settings: Settings,
    store: ArtifactStore,
    output: Path,
    run_id: str | None = None,
    *,
    templates: Path | None = None,
    say: Say = _quiet,
) -> SiteReport:
    """Write the static report of ``run_id`` (default: the latest run) to ``output``."""
    chosen = resolve_run(store, run_id) if run_id else require_runs(store)[-1]
    return build_site(
        store,
        output,
        chosen,
        templates=templates,
        schemas=settings.cache_dir / "provider-schemas",
        code_cache=settings.cache_dir / "report-code",
        say=say,
    )


def run_report(store: ArtifactStore, run_id: str | None = None) -> RunReport:
    """A run with what changed since the run before it and its gaps (markdown, JSON)."""
    chosen = resolve_run(store, run_id) if run_id else require_runs(store)[-1]
    return RunReport.of(History.load(store, upto=chosen))


def clean(store: ArtifactStore, keep: int, *, dry_run: bool = False) -> CleanPlan:
    """Keep the newest ``keep`` runs, delete the older runs' folders (not with ``dry_run``)."""
    plan = plan_clean(store, keep)
    if not dry_run:
        remove_runs(store, plan)
    return plan


# -- run -----------------------------------------------------------------------------------
@dataclass
class StageLog:
    """One line per stage start and end, with counts and time (a CI log reads as a story)."""

    say: Say
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, Any]]:
        self.say(f"== {name}")
        facts: dict[str, Any] = {}
        start = time.monotonic()
        try:
            yield facts
        finally:
            seconds = time.monotonic() - start
            self.timings[name] = seconds
            detail = ", ".join(f"{k} {v}" for k, v in facts.items())
            self.say(f"== {name} done in {seconds:.1f}s" + (f": {detail}" if detail else ""))


def run_all(
    settings: Settings,
    store: ArtifactStore,
    *,
    limit: int | None = None,
    on_result: Callable[[Result], None] = lambda _r: None,
    say: Say = _quiet,
) -> Run:
    """setup -> mine -> generate -> validate, each through the store. Without a sources.yaml
    the embedded default: the bundled examples with their hand-written tests, the built-in
    generator for anything without tests, LocalStack as a host process, the offline
    Terraform toolchain."""
    log = StageLog(say)
    with log.stage("setup") as facts:
        report = provision(settings, say)
        facts["runtime"] = report["runtime"]
    with log.stage("mine") as facts:
        if source_config.sources_file(settings) is None:
            hashes = add_bundled_examples(store)
            facts["bundled examples"] = len(hashes)
        else:
            summary = mine(settings, store, limit=limit, say=say)
            facts.update(accepted=summary.accepted, rejected=summary.rejected)
    with log.stage("generate") as facts:
        generated = generate(settings, store, kind="rules")
        facts.update(generated.counts)
    with log.stage("validate") as facts:
        run = validate(settings, store, plan_validation(store), on_result=on_result, say=say)
        facts.update({k: v for k, v in run.summary.to_json().items() if v})
    return run


__all__ = [
    "GenerateReport",
    "clean",
    "compare_runs",
    "generate",
    "make_generator",
    "mine",
    "plan_validation",
    "provision",
    "report",
    "run_all",
    "run_report",
    "status",
    "validate",
]
