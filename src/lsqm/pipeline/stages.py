"""The stages as library calls: each command is a thin layer over one function here, and
``lsqm run`` (:mod:`lsqm.pipeline.chain`) calls the same functions, so a stage behaves the
same alone and in the chain. ``setup``'s calls are in :mod:`lsqm.pipeline.provision`.

Every function returns a typed value (a record, a report of the stage below, or an
:class:`lsqm.records.Output`), never a dict the caller must know the keys of."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsqm import artifact_repo
from lsqm.artifact_repo import PushReport, SyncReport
from lsqm.config import Settings
from lsqm.discovery import sources as source_config
from lsqm.discovery.filter import Policy
from lsqm.discovery.miner import Miner
from lsqm.discovery.miner import Summary as MineSummary
from lsqm.emulator import check_reachable, resolve_runtime
from lsqm.errors import Interrupted, ToolMissing, UsageError
from lsqm.generation.interface import Generator
from lsqm.generation.metrics import quality_summary
from lsqm.generation.run import Outcome, generate_apps
from lsqm.messages import Say, quiet
from lsqm.notify import Delivery, notify
from lsqm.records import Output, Result, Run
from lsqm.reduction.session import Reduction, reduce_architecture
from lsqm.reporting.clean import CleanPlan, plan_clean
from lsqm.reporting.clean import clean as remove_runs
from lsqm.reporting.compare import Comparison, compare
from lsqm.reporting.formats import RunReport
from lsqm.reporting.history import History, load_run, require_runs, resolve_run
from lsqm.reporting.overview import Overview, Quality, overview
from lsqm.reporting.site import SiteReport, build_site
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.emulator_install import PACKAGES as PYPI_EMULATORS
from lsqm.toolchain.emulator_install import release_range as emulator_release_range
from lsqm.toolchain.localstack_install import release_range
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.validation.bisect import Bisection, BisectWorkspace, bisect, confirmed, localstack_probe
from lsqm.validation.merge import MergeReport, merge_shards
from lsqm.validation.run import RunPlan, execute, plan_run

# What shows validate's progress: given the number of architectures, a context whose value
# is called with each result as it is written (a bar on a terminal, a line in CI).
ProgressFactory = Callable[[int], AbstractContextManager[Callable[[Result], None]]]


def no_progress(_total: int) -> AbstractContextManager[Callable[[Result], None]]:
    return nullcontext(lambda _r: None)


# -- mine ----------------------------------------------------------------------------------
def mine(
    settings: Settings,
    store: ArtifactStore,
    *,
    source_names: tuple[str, ...] = (),
    limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str, MineSummary], None] = lambda _m, _s: None,
    say: Say = quiet,
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
    say: Say = quiet,
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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "generator": self.generator,
            "counts": dict(self.counts),
            "results": [o.to_json() for o in self.outcomes],
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
    say: Say = quiet,
    group: str | None = None,
) -> Run:
    """Validate a planned run; Ctrl-C/SIGTERM/SIGHUP become :class:`Interrupted` saying how
    to resume (children are killed and every result written so far is kept)."""
    try:
        return execute(settings, store, plan, on_result=on_result, say=say, group=group)
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


@dataclass(frozen=True)
class TargetRun:
    """One target's run of :func:`validate_targets`; ``run`` is None on a dry run."""

    target: Target
    plan: RunPlan
    group: str | None
    run: Run | None


class ValidatedRun(Output):
    """``validate --format json`` for one run (docs/design.md, "lsqm validate")."""

    run_id: str
    emulator: dict[str, Any] | None  # records.EmulatorInfo's JSON
    group: str | None
    summary: dict[str, Any]  # records.Summary's JSON (a newer lsqm may add fields)
    results: list[dict[str, Any]]  # records.Result's JSON, every field

    @classmethod
    def of(cls, run: Run, results: list[Result]) -> ValidatedRun:
        return cls(
            run_id=run.run_id,
            emulator=run.emulator.to_json() if run.emulator else None,
            group=run.group,
            summary=run.summary.to_json(),
            results=[r.to_json() for r in results],
        )


class ValidatedGroup(Output):
    """``validate --format json`` over several targets: one run each, sharing ``group``."""

    group: str | None
    runs: list[ValidatedRun]


def validate_targets(
    settings_for: Callable[[Target], Settings],
    store: ArtifactStore,
    chosen: list[Target],
    *,
    run_id: str | None = None,
    arch: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    dry_run: bool = False,
    progress: ProgressFactory = no_progress,
    say: Say = quiet,
) -> Iterator[TargetRun]:
    """One run per target (emulator and LocalStack version) of the same architectures, each
    yielded as it ends. Runs made together share one ``group`` (compare pairs them by it).
    Every target's settings are checked, and its emulator found able to serve it
    (:func:`lsqm.emulator.check_reachable`), before the first run starts."""
    if len(chosen) > 1 and run_id:
        raise UsageError("--run-id resumes one run: give one emulator and version with it")
    for target in chosen:
        checked = settings_for(target)
        if not dry_run:
            check_reachable(checked, resolve_runtime(checked))
    group = f"group-{new_run_id()}" if len(chosen) > 1 else None
    for target in chosen:
        settings = settings_for(target)
        plan = plan_validation(store, run_id=run_id, arch=arch, shard=shard)
        if plan.resumed:
            say(f"resuming run {plan.run_id}: {len(plan.done)} done, {len(plan.todo)} to go")
        if plan.shard:
            s = plan.shard
            say(
                f"shard {s.index}/{s.count} of run {plan.run_id}: "
                f"{len(plan.todo) + len(plan.done)} of {s.selected} architecture(s); "
                "merge the shards with 'lsqm merge'"
            )
        if dry_run:
            yield TargetRun(target, plan, group, None)
            continue
        if len(chosen) > 1:
            say(f"== {target.label}: run {plan.run_id}")
        with progress(len(plan.todo)) as on_result:
            run = validate(settings, store, plan, on_result=on_result, say=say, group=group)
        yield TargetRun(target, plan, group, run)


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
    say: Say = quiet,
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
    extra = {"arch_hash": arch_hash, "emulator": settings.emulator, "good": good, "bad": bad,
             "confirm": confirm}  # fmt: skip
    workspace.save(found, extra)
    return found, workspace.root


# -- reduce --------------------------------------------------------------------------------
def reduce_failure(
    settings_for: Callable[[Run], Settings],
    store: ArtifactStore,
    arch: str,
    *,
    run_id: str | None = None,
    out: Path | None = None,
    budget: float = 900.0,
    workers: int = 1,
    say: Say = quiet,
) -> Reduction:
    """The smallest configuration of ``arch`` that fails as it did in ``run_id`` (default:
    the latest run with a result for it), on that run's emulator version."""
    arch_hash = resolve_architecture(store, arch)
    runs = [resolve_run(store, run_id)] if run_id else require_runs(store)[::-1]
    found = next((r for r in runs if arch_hash in store.result_hashes(r)), None)
    if found is None:
        where = f"run {runs[0]}" if run_id else "any run"
        raise UsageError(f"architecture {arch_hash} has no result in {where}; validate it first")
    run = store.run(found)
    result = store.results(found)[arch_hash]
    try:
        return reduce_architecture(
            settings_for(run), store, arch_hash, result, run,
            out=out, budget=budget, workers=workers, say=say,
        )  # fmt: skip
    except KeyboardInterrupt:
        raise Interrupted("reduce interrupted; nothing was written") from None


# -- status, compare, clean ------------------------------------------------------------------
def status(store: ArtifactStore) -> Overview:
    """The store at a glance, with the quality of its tests (``lsqm status``); shards
    validated here whose run has no run.json yet are named ('lsqm merge' makes it)."""
    apps = {h: store.app(h) for h in store.architecture_hashes()}
    quality = Quality(**quality_summary([a for a in apps.values() if a]))
    extra = {"quality": quality, "unmerged_runs": store.unmerged_run_ids()}
    return overview(store, apps).model_copy(update=extra)


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
    say: Say = quiet,
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


def notify_all(
    settings: Settings, store: ArtifactStore, run_id: str | None = None
) -> list[Delivery]:
    """``lsqm notify``: the run's message to every configured channel."""
    webhook = settings.slack_webhook_url
    return notify(
        run_report(store, run_id),
        webhook_url=webhook.get_secret_value() if webhook else None,
        report_url=settings.report_url,
        step_summary=settings.step_summary,
    )


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
