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
from lsqm.emulator.probe import capability_line, probe_localstack, probe_notes
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
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.localstack_install import (
    available_versions,
    ensure_localstack,
    installed_versions,
    release_range,
)
from lsqm.toolchain.moto_install import ensure_moto
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.validation.bisect import Bisection, BisectWorkspace, bisect, confirmed, localstack_probe
from lsqm.validation.run import RunPlan, execute, plan_run
from lsqm.versions import sort_versions

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default listener: says nothing."""


# -- setup ---------------------------------------------------------------------------------
def provision(
    settings: Settings,
    say: Say = _quiet,
    *,
    versions: list[str] | None = None,
    probe: bool = True,
) -> dict[str, Any]:
    """Find or install what validate needs (emulator runtime, terraform + provider).

    ``versions``: LocalStack versions to install side by side (default: the setting's);
    each is probed once for what lsqm's plugin gives on it (cached per plugin)."""
    chosen = resolve_runtime(settings)
    report: dict[str, Any] = {"runtime": chosen, "cache_dir": str(settings.cache_dir)}
    if (chosen == "host" and settings.emulator == "localstack") or versions:
        installs = [
            _provision_localstack(settings, version, say, probe)
            for version in dict.fromkeys(versions or [settings.localstack_version])
        ]
        report["localstack"] = installs[0]
        report["localstack_versions"] = installs
    if settings.emulator == "moto" and chosen == "host":
        moto = ensure_moto(settings.cache_dir, settings.moto_version)
        say(moto.describe())
        report["moto"] = {
            "version": moto.version,
            "venv": str(moto.venv),
            "installed_now": moto.installed_now,
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


def _provision_localstack(
    settings: Settings, version: str, say: Say, probe: bool
) -> dict[str, Any]:
    say(f"LocalStack {version}: checking the host runtime …")
    install = ensure_localstack(settings.cache_dir, version)
    say(install.describe())
    entry: dict[str, Any] = {
        "version": install.version,
        "venv": str(install.venv),
        "installed_now": install.installed_now,
        "python": install.python_version,
        "install_seconds": install.meta.get("install_seconds"),
    }
    if probe:
        found = probe_localstack(install)
        say(f"LocalStack {version}: {capability_line(found)}")
        entry["probe"] = found
        entry["notes"] = probe_notes(install)
    return entry


def list_versions(settings: Settings, *, prereleases: bool = False) -> dict[str, Any]:
    """Installed LocalStack versions (python, disk, probe) and those PyPI offers, in one
    release order (SemVer 4.x before CalVer 2026.x); dev builds only with ``prereleases``."""
    installed = {v.version: v for v in installed_versions(settings.cache_dir)}
    try:
        offered = available_versions(settings.cache_dir, prereleases=prereleases)
        index_error = None
    except ToolMissing as exc:
        offered, index_error = [], exc.message
    rows: dict[str, dict[str, Any]] = {}
    for release in offered:
        rows[release.version] = {
            "version": release.version,
            "released": release.day,
            "yanked": release.yanked,
            "installed": False,
        }
    for version, found in installed.items():
        rows.setdefault(version, {"version": version, "released": found.released, "yanked": False})
        rows[version].update(
            installed=True,
            python=found.python_version,
            disk_bytes=found.disk_bytes,
            own_bytes=found.own_bytes,
            install_seconds=found.install_seconds,
            probe=found.probe,
            capabilities=capability_line(found.probe) if found.probe else "not probed yet",
        )
    ordered = [rows[v] for v in sort_versions(rows)]
    return {
        "default": settings.localstack_version,
        "versions": ordered,
        "installed": [r["version"] for r in ordered if r["installed"]],
        "installed_disk_bytes": sum(r.get("disk_bytes", 0) for r in ordered),
        "index_error": index_error,
    }


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
    group: str | None = None,
) -> Run:
    """Validate a planned run; Ctrl-C/SIGTERM/SIGHUP become :class:`Interrupted` saying how
    to resume (children are killed and every result written so far is kept)."""
    try:
        return execute(settings, store, plan, on_result=on_result, on_status=say, group=group)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted: results written so far are kept; resume with "
            f"'lsqm validate --run-id {plan.run_id}'"
        ) from None


# -- several emulators and versions side by side --------------------------------------------
@dataclass(frozen=True)
class Target:
    """One emulator (and LocalStack version) a validate command runs the architectures on."""

    emulator: str = "localstack"
    version: str | None = None  # LocalStack's; None: the setting's

    @property
    def label(self) -> str:
        return self.emulator + (f" {self.version}" if self.version else "")


def targets(emulators: list[str], versions: list[str]) -> list[Target]:
    """``--emulator localstack,moto`` x ``--localstack-version A,B``: one run each."""
    found: list[Target] = []
    for emulator in dict.fromkeys(emulators or ["localstack"]):
        if emulator == "moto":
            found.append(Target("moto"))
        else:
            chosen: list[str | None] = list(dict.fromkeys(versions)) or [None]
            found.extend(Target("localstack", v) for v in chosen)
    return found


def new_group(count: int) -> str | None:
    """Runs made together over several targets share this id (compare pairs them by it)."""
    return f"group-{new_run_id()}" if count > 1 else None


# -- bisect --------------------------------------------------------------------------------
def resolve_architecture(store: ArtifactStore, text: str) -> str:
    """An architecture named by hash, hash prefix or name (unique)."""
    hashes = store.architecture_hashes()
    if text in hashes:
        return text
    matches = [h for h in hashes if h.startswith(text)] or [
        h for h in hashes if store.architecture(h).name == text
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(
            f"no architecture {text!r} in {store.architectures_dir}; see 'lsqm status'"
        )
    raise UsageError(f"{text!r} names {len(matches)} architectures; give more of the hash")


def bisect_versions(
    settings_for: Callable[[str], Settings],
    store: ArtifactStore,
    arch: str,
    good: str,
    bad: str,
    *,
    confirm: int = 2,
    prereleases: bool = False,
    say: Say = _quiet,
) -> tuple[Bisection, Path]:
    """The first LocalStack release between ``good`` and ``bad`` where ``arch``'s verdict
    changes; installs only the versions it probes. Returns the answer and its folder."""
    settings = settings_for(good)
    if settings.emulator != "localstack" or resolve_runtime(settings) != "host":
        raise UsageError("bisect installs LocalStack releases: it needs --runtime host")
    arch_hash = resolve_architecture(store, arch)
    versions = release_range(settings.cache_dir, good, bad, prereleases=prereleases)
    say(f"bisect {arch_hash} over {len(versions)} releases, {versions[0]} .. {versions[-1]}")
    toolchain = ensure_terraform(settings)
    workspace = BisectWorkspace.create(store, arch_hash)
    probe = confirmed(localstack_probe(workspace, settings_for, toolchain, say), agree=confirm)
    try:
        found = bisect(versions, probe)
    except KeyboardInterrupt:
        raise Interrupted(f"bisect interrupted; its runs so far are in {workspace.root}") from None
    workspace.save(found, {"arch_hash": arch_hash, "good": good, "bad": bad, "confirm": confirm})
    return found, workspace.root


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
    "Target",
    "bisect_versions",
    "clean",
    "compare_runs",
    "generate",
    "list_versions",
    "make_generator",
    "mine",
    "plan_validation",
    "provision",
    "report",
    "resolve_architecture",
    "run_all",
    "run_report",
    "status",
    "targets",
    "validate",
]
