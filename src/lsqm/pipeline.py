"""The stages as library calls, and ``lsqm run`` chaining them through the store.

Each command is a thin layer over one function here; ``run`` calls the same functions in
order (never other click commands), so a stage behaves the same alone and in the chain:

    sync -> mine -> generate -> setup -> validate -> report -> compare -> push -> notify

:data:`RUN_STAGES` lists them; each takes the :class:`RunContext` and returns the facts its
end-of-stage line shows, or raises :class:`Skip` saying why it did not run (not
configured, nothing to do, or :class:`StageUnavailable`: not in this build).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm import artifact_repo
from lsqm.artifact_repo import PushReport, SyncReport
from lsqm.config import Settings, github_token
from lsqm.discovery import sources as source_config
from lsqm.discovery.filter import Policy
from lsqm.discovery.miner import Miner
from lsqm.discovery.miner import Summary as MineSummary
from lsqm.emulator import describe_target, resolve_runtime, target_version
from lsqm.emulator.probe import capability_line, probe_localstack, probe_notes
from lsqm.errors import ActionNeeded, Interrupted, LsqmError, ToolMissing, UsageError
from lsqm.generation.interface import Generator
from lsqm.generation.metrics import quality_summary
from lsqm.generation.run import Outcome, generate_apps
from lsqm.ingest import add_bundled_examples
from lsqm.notify import STEP_SUMMARY_VAR, Delivery, notify
from lsqm.records import Result, Run, RunStatus
from lsqm.reporting.clean import CleanPlan, plan_clean
from lsqm.reporting.clean import clean as remove_runs
from lsqm.reporting.compare import Comparison, compare
from lsqm.reporting.formats import RunReport
from lsqm.reporting.history import History, load_run, require_runs, resolve_run
from lsqm.reporting.overview import overview
from lsqm.reporting.site import SiteReport, build_site
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.emulator_install import PACKAGES as PYPI_EMULATORS
from lsqm.toolchain.emulator_install import available_versions as emulator_releases
from lsqm.toolchain.emulator_install import ensure_emulator
from lsqm.toolchain.emulator_install import installed_versions as emulator_installs
from lsqm.toolchain.emulator_install import release_range as emulator_release_range
from lsqm.toolchain.localstack_install import (
    available_versions,
    ensure_localstack,
    installed_versions,
    release_range,
)
from lsqm.toolchain.moto_install import ensure_moto
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.validation.bisect import Bisection, BisectWorkspace, bisect, confirmed, localstack_probe
from lsqm.validation.merge import MergeReport, merge_shards
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
    if settings.emulator == "localstack" and (chosen == "host" or versions):
        installs = [
            _provision_localstack(settings, version, say, probe)
            for version in dict.fromkeys(versions or [settings.localstack_version])
        ]
        report["localstack"] = installs[0]
        report["localstack_versions"] = installs
    if settings.emulator in PYPI_EMULATORS and chosen == "host":
        report[settings.emulator] = [
            _provision_pypi_emulator(settings, version, say)
            for version in dict.fromkeys(versions or [target_version(settings)])
        ]
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


def _provision_pypi_emulator(settings: Settings, version: str, say: Say) -> dict[str, Any]:
    say(f"{settings.emulator} {version}: checking …")
    found = ensure_emulator(settings.cache_dir, settings.emulator, version)
    say(found.describe())
    return {
        "version": found.version,
        "venv": str(found.venv),
        "installed_now": found.installed_now,
        "python": found.meta.get("python_version"),
        "released": found.meta.get("released"),
        "install_seconds": found.meta.get("install_seconds"),
    }


def list_emulator_versions(settings: Settings, *, prereleases: bool = False) -> dict[str, Any]:
    """MiniStack's or LocalEmu's installed versions (python, disk) and those PyPI offers."""
    name = settings.emulator
    rows: dict[str, dict[str, Any]] = {}
    try:
        offered = emulator_releases(settings.cache_dir, name, prereleases=prereleases)
        index_error = None
    except ToolMissing as exc:
        offered, index_error = [], exc.message
    for release in offered:
        rows[release.version] = {
            "version": release.version,
            "released": release.day,
            "yanked": release.yanked,
            "installed": False,
        }
    for found in emulator_installs(settings.cache_dir, name):
        row = rows.setdefault(found["version"], {"version": found["version"], "yanked": False})
        row.update(found, installed=True, capabilities="")
    ordered = [rows[v] for v in sort_versions(rows)]
    return {
        "emulator": name,
        "default": target_version(settings),
        "versions": ordered,
        "installed": [r["version"] for r in ordered if r["installed"]],
        "installed_disk_bytes": sum(r.get("disk_bytes", 0) for r in ordered),
        "index_error": index_error,
    }


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
    release order (SemVer 4.x before CalVer 2026.x); dev builds only with ``prereleases``.
    With ``emulator`` MiniStack or LocalEmu, that emulator's versions instead."""
    if settings.emulator in PYPI_EMULATORS:
        return list_emulator_versions(settings, prereleases=prereleases)
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
    return mine_sources(
        settings, store, chosen, limit=limit, dry_run=dry_run, progress=progress, say=say
    )


def mine_sources(
    settings: Settings,
    store: ArtifactStore,
    specs: list[source_config.SourceSpec],
    *,
    limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str, MineSummary], None] = lambda _m, _s: None,
    say: Say = _quiet,
) -> MineSummary:
    """Mine the given sources into the store."""
    built = [source_config.build(spec, settings, say) for spec in specs]
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
    # A shard may get no architecture (more shards than architectures): it still records
    # itself, so that merge sees every shard.
    if not plan.todo and not plan.done and not (shard and store.architecture_hashes()):
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
    """One emulator (and version) a validate command runs the architectures on."""

    emulator: str = "localstack"
    version: str | None = None  # None: the setting's

    @property
    def label(self) -> str:
        return self.emulator + (f" {self.version}" if self.version else "")

    def settings(self) -> dict[str, str | None]:
        """The settings this target sets (``<emulator>_version``; an external emulator's
        version is what it reports, or ``--emulator-version``)."""
        found: dict[str, str | None] = {"emulator": self.emulator}
        if self.version:
            known = ("localstack", "moto", "ministack", "localemu")
            key = f"{self.emulator}_version" if self.emulator in known else "emulator_version"
            found[key] = self.version
        return found


def targets(emulators: list[str], versions: list[str]) -> list[Target]:
    """``--emulator localstack,moto,ministack:1.5.33`` x ``--localstack-version A,B``: one run
    each (``NAME:VERSION`` pins one emulator's version)."""
    found: list[Target] = []
    for item in dict.fromkeys(emulators or ["localstack"]):
        emulator, _, pinned = item.partition(":")
        if emulator == "localstack" and not pinned:
            chosen: list[str | None] = list(dict.fromkeys(versions)) or [None]
            found.extend(Target("localstack", v) for v in chosen)
        else:
            found.append(Target(emulator, pinned or None))
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
    """The first release (of LocalStack, MiniStack or LocalEmu) between ``good`` and ``bad``
    where ``arch``'s verdict changes; installs only the versions it probes. Returns the
    answer and its folder."""
    settings = settings_for(good)
    if settings.emulator not in ("localstack", *PYPI_EMULATORS):
        raise UsageError(f"bisect installs releases: {settings.emulator} is not installed by lsqm")
    if resolve_runtime(settings) != "host":
        raise UsageError("bisect installs releases: it needs --runtime host")
    arch_hash = resolve_architecture(store, arch)
    if settings.emulator == "localstack":
        versions = release_range(settings.cache_dir, good, bad, prereleases=prereleases)
    else:
        versions = emulator_release_range(
            settings.cache_dir, settings.emulator, good, bad, prereleases=prereleases
        )
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
    # Shards validated here whose run has no run.json yet: 'lsqm merge' makes it.
    data["unmerged_runs"] = store.unmerged_run_ids()
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


# -- sync, push, merge ---------------------------------------------------------------------
def sync(settings: Settings, store: ArtifactStore, *, dry_run: bool = False) -> SyncReport:
    """Clone or fast-forward the store from its git remote (``artifact_repo``)."""
    return artifact_repo.sync(settings, store.root, dry_run=dry_run)


def push(
    settings: Settings, store: ArtifactStore, *, message: str | None = None, dry_run: bool = False
) -> PushReport:
    """Commit what the stages wrote and push it, rebasing over writers that pushed first."""
    return artifact_repo.push(settings, store.root, message=message, dry_run=dry_run)


def merge(store: ArtifactStore, sources: list[Path], run_id: str | None = None) -> MergeReport:
    """Combine the shards of one run (validated on different machines) into one run."""
    return merge_shards(store, sources, run_id)


# -- run -----------------------------------------------------------------------------------
class Skip(Exception):
    """A stage did not run; the message says why (one sentence)."""


class StageUnavailable(Skip):
    """A stage whose implementation is not in this build."""

    def __init__(self, stage: str) -> None:
        super().__init__(f"{stage} is not available in this build")


@dataclass
class RunOptions:
    """What ``lsqm run`` was asked for beyond the settings."""

    limit: int | None = None  # mine at most N new architectures
    generator: str | None = None  # None: the setting, falling back to rules without a key
    budget: int | None = None  # tokens for the claude generator
    message: str | None = None  # the push's commit message
    report_dir: Path = Path("lsqm-report")
    dry_run: bool = False


ProgressFactory = Callable[[int], AbstractContextManager[Callable[[Result], None]]]


def _no_progress(_total: int) -> AbstractContextManager[Callable[[Result], None]]:
    return nullcontext(lambda _r: None)


@dataclass
class StageOutcome:
    status: str  # ran, skipped, failed, would (a dry run)
    seconds: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "seconds": round(self.seconds, 1)}
        if self.facts:
            data["facts"] = self.facts
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class RunContext:
    """What the stages of one ``lsqm run`` share. Stages talk through the store; this carries
    only what a later stage needs to know about an earlier one's outcome."""

    settings: Settings
    store: ArtifactStore
    options: RunOptions = field(default_factory=RunOptions)
    say: Say = _quiet
    validate_progress: ProgressFactory = _no_progress
    run: Run | None = None  # set by validate
    report: Any = None  # set by report (reporting's site report)
    comparison: Any = None  # set by compare (reporting's comparison with the previous run)
    attention: list[str] = field(default_factory=list)  # exit 1 at the end, after push
    stages: dict[str, StageOutcome] = field(default_factory=dict)
    failure: BaseException | None = None  # the stage failure, raised by check()

    @property
    def dry_run(self) -> bool:
        return self.options.dry_run

    def check(self) -> None:
        """Raise what the run ends with: a stage's failure, else ActionNeeded (exit 1) when
        something needs a person (regressions, source errors, failed generations)."""
        if self.failure is not None:
            raise self.failure
        if self.attention:
            raise ActionNeeded("; ".join(self.attention))

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "run_id": self.run.run_id if self.run else None,
            "stages": {name: outcome.to_json() for name, outcome in self.stages.items()},
            "attention": self.attention,
        }


Stage = Callable[[RunContext], dict[str, Any]]


@dataclass
class StageLog:
    """One line per stage start and end, with counts and time (a CI log reads as a story).
    A fact named ``what`` is a sentence and shows alone; others show as "name value"."""

    say: Say
    timings: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, Any]]:
        if not self.dry_run:
            self.say(f"== {name}")
        facts: dict[str, Any] = {}
        start = time.monotonic()
        outcome = "done"
        try:
            yield facts
        except Skip as skip:
            outcome = f"skipped: {skip}"
            raise
        except (LsqmError, KeyboardInterrupt) as exc:
            message = exc.message if isinstance(exc, LsqmError) else "interrupted"
            outcome = f"failed: {message}"
            raise
        finally:
            seconds = time.monotonic() - start
            self.timings[name] = seconds
            detail = ", ".join(str(v) if k == "what" else f"{k} {v}" for k, v in facts.items())
            if outcome == "done" and self.dry_run:
                self.say(f"== {name} (dry run): {detail}")
            elif outcome == "done":
                self.say(f"== {name} done in {seconds:.1f}s" + (f": {detail}" if detail else ""))
            else:
                self.say(f"== {name} {outcome} ({seconds:.1f}s)")


def run_all(
    settings: Settings,
    store: ArtifactStore,
    *,
    options: RunOptions | None = None,
    validate_progress: ProgressFactory = _no_progress,
    say: Say = _quiet,
    check: bool = True,
) -> RunContext:
    """sync -> mine -> generate -> setup -> validate -> report -> compare -> push -> notify.

    Without a sources.yaml the embedded default: the bundled examples with their
    hand-written tests. A stage that fails keeps what earlier stages wrote (each writes the
    store as it goes); the stages after it are skipped, except push, which still saves the
    work to the remote (not after an interrupt). The failure is raised at the end; running
    again resumes (an unfinished latest run is continued under its own id). With ``check``
    (the default) the outcome is raised at the end (:meth:`RunContext.check`).
    """
    ctx = RunContext(settings, store, options or RunOptions(), say, validate_progress)
    log = StageLog(say, dry_run=ctx.dry_run)
    for name, stage in RUN_STAGES:
        failure = ctx.failure
        if failure is not None and (name != "push" or _interrupt(failure)):
            reason = f"{_failed_stage(ctx)} failed"
            say(f"== {name} skipped: {reason}")
            ctx.stages[name] = StageOutcome("skipped", reason=reason)
            continue
        start = time.monotonic()
        try:
            with log.stage(name) as facts:
                facts.update(stage(ctx))
        except Skip as skip:
            ctx.stages[name] = StageOutcome("skipped", time.monotonic() - start, reason=str(skip))
        except (LsqmError, KeyboardInterrupt) as exc:
            ctx.failure = exc
            message = exc.message if isinstance(exc, LsqmError) else "interrupted"
            ctx.stages[name] = StageOutcome("failed", time.monotonic() - start, reason=message)
        else:
            status = "would" if ctx.dry_run else "ran"
            ctx.stages[name] = StageOutcome(status, time.monotonic() - start, dict(facts))
    if check:
        ctx.check()
    return ctx


def _interrupt(failure: BaseException) -> bool:
    return isinstance(failure, Interrupted | KeyboardInterrupt)


def _failed_stage(ctx: RunContext) -> str:
    return next((n for n, o in ctx.stages.items() if o.status == "failed"), "a stage")


def _sync_stage(ctx: RunContext) -> dict[str, Any]:
    if artifact_repo.configured_remote(ctx.settings) is None:
        raise Skip(
            "no artifact repository (ARTIFACT_REPO or the setting artifact_repo): "
            f"a local store at {ctx.store.root}"
        )
    report = sync(ctx.settings, ctx.store, dry_run=ctx.dry_run)
    return {"what": report.describe()}


def _mine_stage(ctx: RunContext) -> dict[str, Any]:
    config = source_config.sources_file(ctx.settings)
    if config is None:
        if ctx.dry_run:
            return {"what": "would store the bundled examples (no sources.yaml)"}
        before = set(ctx.store.architecture_hashes())
        hashes = add_bundled_examples(ctx.store)
        return {"bundled examples": len(hashes), "new": len(set(hashes) - before)}
    specs = source_config.load_specs(config)
    skipped = (
        [] if github_token(ctx.settings) else [s for s in specs if source_config.needs_github(s)]
    )
    if skipped:
        names = ", ".join(s.name for s in skipped)
        ctx.say(
            f"GitHub sources skipped, no {ctx.settings.discovery.github_token_env}: {names} "
            "(local, git and registry sources are still mined)"
        )
    chosen = [s for s in specs if s not in skipped]
    if not chosen:
        raise Skip(
            f"every source needs GitHub and {ctx.settings.discovery.github_token_env} is unset"
        )
    if ctx.dry_run:
        return {"what": "would mine " + ", ".join(f"{s.name} ({s.kind})" for s in chosen)}

    def progress(message: str, _summary: MineSummary) -> None:
        if message.startswith(("source ", "error:")):
            ctx.say(message)

    summary = mine_sources(
        ctx.settings, ctx.store, chosen, limit=ctx.options.limit, progress=progress, say=ctx.say
    )
    ctx.attention.extend(f"mine: {e}" for e in summary.errors)
    facts = {"new": summary.accepted, "unchanged": summary.unchanged_accepted}
    facts.update(rejected=summary.rejected, errors=len(summary.errors))
    if skipped:
        facts["skipped sources"] = len(skipped)
    return facts


def _generate_stage(ctx: RunContext) -> dict[str, Any]:
    kind = ctx.options.generator or ctx.settings.generator
    if kind == "claude" and ctx.settings.anthropic_api_key is None:
        ctx.say("generate: the rules generator (no ANTHROPIC_API_KEY for claude)")
        kind = "rules"
    todo = [h for h in ctx.store.architecture_hashes() if not ctx.store.has_app(h)]
    if ctx.dry_run:
        return {"what": f"would write tests with the {kind} generator for {len(todo)} stored "
                        "architecture(s) without tests and those mine adds"}  # fmt: skip
    if not todo:
        raise Skip(f"every architecture has tests ({len(ctx.store.architecture_hashes())})")
    report = generate(ctx.settings, ctx.store, kind=kind, budget=ctx.options.budget, hashes=todo)
    if report.counts.get("failed"):
        ctx.attention.append(f"generate: {report.counts['failed']} app(s) failed")
    return {"generator": kind, **report.counts}


def _setup_stage(ctx: RunContext) -> dict[str, Any]:
    if ctx.dry_run:
        name = describe_target(ctx.settings, "host")
        return {"what": f"would find or install {name.kind} {name.version} and Terraform"}
    report = provision(ctx.settings, ctx.say)
    return {"runtime": report["runtime"], "terraform": report["terraform"]["version"]}


def unfinished_run(settings: Settings, store: ArtifactStore) -> str | None:
    """The latest run, when it did not finish and ran the configured emulator and version:
    ``run`` continues it rather than starting another."""
    ids = store.run_ids()
    if not ids:
        return None
    latest = store.run(ids[-1])
    if latest.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED) or latest.shards:
        return None
    if latest.emulator is not None and latest.emulator.kind != settings.emulator:
        return None
    version = latest.emulator_version
    return latest.run_id if version in (None, target_version(settings)) else None


def _validate_stage(ctx: RunContext) -> dict[str, Any]:
    resume = unfinished_run(ctx.settings, ctx.store)
    if ctx.dry_run:
        plan = plan_run(ctx.store, run_id=resume, arch=None, shard=None)
        again = f", resuming run {plan.run_id} ({len(plan.done)} done)" if plan.resumed else ""
        return {"what": f"would validate {len(plan.todo)} stored architecture(s) and those "
                        f"mine adds{again}"}  # fmt: skip
    plan = plan_validation(ctx.store, run_id=resume)
    if plan.resumed:
        ctx.say(f"resuming run {plan.run_id}: {len(plan.done)} done, {len(plan.todo)} to go")
    with ctx.validate_progress(len(plan.todo)) as on_result:
        ctx.run = validate(ctx.settings, ctx.store, plan, on_result=on_result, say=ctx.say)
    counts = {k: v for k, v in ctx.run.summary.to_json().items() if v}
    return {"run": ctx.run.run_id, **counts}


def report_stage(ctx: RunContext) -> dict[str, Any]:
    """report: the static report of the run just validated (or the latest) in
    ``ctx.options.report_dir``."""
    if not ctx.store.run_ids() and ctx.run is None:
        raise Skip("no run to report yet")
    run_id = ctx.run.run_id if ctx.run else None
    output = ctx.options.report_dir
    if ctx.dry_run:
        return {"what": f"would write the report of {run_id or 'the latest run'} to {output}"}
    ctx.report = report(ctx.settings, ctx.store, output, run_id, say=ctx.say)
    return {"what": f"{ctx.report.pages} page(s) in {output}"}


def compare_stage(ctx: RunContext) -> dict[str, Any]:
    """compare: the run just validated against the run before it; each regression that is
    not flaky needs a person (``run`` exits 1 after push and notify)."""
    ids = ctx.store.run_ids()
    head = ctx.run.run_id if ctx.run else (ids[-1] if ids else None)
    if head is None or head not in ids or ids.index(head) == 0:
        raise Skip("the store's first run: nothing to compare with")
    base = ids[ids.index(head) - 1]
    if ctx.dry_run:
        return {"what": f"would compare {base} with {head}"}
    ctx.comparison = compare_runs(ctx.store, base, head)
    for change in ctx.comparison.regressions:
        ctx.attention.append(f"regression: {change.name} ({change.head.status.value})")
    counts = ctx.comparison.counts()
    return {k: v for k, v in counts.items() if v and k != "unchanged"} or {"what": "no change"}


def notify_stage(ctx: RunContext) -> dict[str, Any]:
    """notify: Slack (when a webhook is set) and GitHub's step summary (in Actions) say what
    the run changed. A failed post is reported, never a failed run."""
    webhook = ctx.settings.slack_webhook_url
    step_summary = os.environ.get(STEP_SUMMARY_VAR)
    if webhook is None and not step_summary:
        raise Skip("no webhook (SLACK_WEBHOOK_URL): no Slack message")
    if not ctx.store.run_ids():
        raise Skip("no run to tell anyone about")
    if ctx.dry_run:
        return {"what": "would post to Slack" if webhook else "would write the step summary"}
    deliveries = notify_all(ctx.settings, ctx.store, ctx.run.run_id if ctx.run else None)
    for delivery in deliveries:
        if not delivery.ok:
            ctx.say(f"warning: {delivery.channel}: {delivery.detail}")
    return {"what": "; ".join(f"{d.channel} {d.detail}" for d in deliveries)}


def notify_all(
    settings: Settings, store: ArtifactStore, run_id: str | None = None
) -> list[Delivery]:
    """``lsqm notify``: the run's message to every configured channel."""
    webhook = settings.slack_webhook_url
    return notify(
        run_report(store, run_id),
        webhook_url=webhook.get_secret_value() if webhook else None,
        report_url=settings.report_url,
    )


def _push_stage(ctx: RunContext) -> dict[str, Any]:
    remote = artifact_repo.configured_remote(ctx.settings)
    if remote is None:
        raise Skip(f"no artifact repository: the results stay in {ctx.store.root}")
    if ctx.dry_run:
        return {"what": f"would commit what the stages wrote and push it to {remote}"}
    report = push(ctx.settings, ctx.store, message=ctx.options.message)
    return {"what": report.describe()}


RUN_STAGES: list[tuple[str, Stage]] = [
    ("sync", _sync_stage),
    ("mine", _mine_stage),
    ("generate", _generate_stage),
    ("setup", _setup_stage),
    ("validate", _validate_stage),
    ("report", report_stage),
    ("compare", compare_stage),
    ("push", _push_stage),
    ("notify", notify_stage),
]


__all__ = [
    "RUN_STAGES",
    "GenerateReport",
    "RunContext",
    "RunOptions",
    "Skip",
    "StageLog",
    "StageUnavailable",
    "Target",
    "bisect_versions",
    "clean",
    "compare_runs",
    "compare_stage",
    "generate",
    "list_versions",
    "make_generator",
    "merge",
    "mine",
    "mine_sources",
    "notify_stage",
    "plan_validation",
    "provision",
    "push",
    "report",
    "report_stage",
    "resolve_architecture",
    "run_all",
    "run_report",
    "status",
    "sync",
    "targets",
    "unfinished_run",
    "validate",
]
