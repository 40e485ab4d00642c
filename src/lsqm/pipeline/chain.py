"""``lsqm run``: the stages of :mod:`lsqm.pipeline.stages` chained through the store.

    sync -> mine -> generate -> setup -> validate -> report -> compare -> push -> notify

:data:`RUN_STAGES` lists them; each step takes the :class:`RunContext` and returns the facts
its end-of-stage line shows, or raises :class:`Skip` saying why it did not run (not
configured, or nothing to do).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import field_serializer

from lsqm import artifact_repo
from lsqm.config import Settings, github_token
from lsqm.discovery import sources as source_config
from lsqm.discovery.miner import Summary as MineSummary
from lsqm.emulator import describe_target, target_version
from lsqm.errors import ActionNeeded, Interrupted, LsqmError
from lsqm.ingest import add_bundled_examples
from lsqm.messages import Say, quiet
from lsqm.pipeline.provision import provision
from lsqm.pipeline.stages import (
    ProgressFactory,
    compare_runs,
    generate,
    mine_sources,
    no_progress,
    notify_all,
    plan_validation,
    push,
    report,
    sync,
    validate,
)
from lsqm.records import Output, Result, Run, RunStatus
from lsqm.reporting.compare import Comparison
from lsqm.reporting.site import SiteReport
from lsqm.store import ArtifactStore
from lsqm.validation.run import plan_run


class Skip(Exception):
    """A stage did not run; the message says why (one sentence)."""


@dataclass
class RunOptions:
    """What ``lsqm run`` was asked for beyond the settings."""

    limit: int | None = None  # mine at most N new architectures
    generator: str | None = None  # None: the setting, falling back to rules without a key
    budget: int | None = None  # tokens for the claude generator
    message: str | None = None  # the push's commit message
    report_dir: Path = Path("lsqm-report")
    dry_run: bool = False


# What a stage's end-of-stage line shows: counts, names, or a sentence under "what".
Facts = dict[str, str | int]


StageStatus = Literal["ran", "skipped", "failed", "would"]  # would: a dry run


class StageOutcome(Output):
    """How one stage of ``run`` ended; ``facts`` and ``reason`` only when it has them."""

    status: StageStatus
    seconds: float = 0.0
    facts: Facts | None = None
    reason: str | None = None

    @field_serializer("seconds")
    def _rounded(self, seconds: float) -> float:
        return round(seconds, 1)

    @classmethod
    def of(cls, status: StageStatus, seconds: float = 0.0, facts: Facts | None = None,
           reason: str = "") -> StageOutcome:  # fmt: skip
        """Left out of the JSON: facts and reason when there are none (as ever)."""
        given: dict[str, Any] = {"facts": facts} if facts else {}
        given.update({"reason": reason} if reason else {})
        return cls(status=status, seconds=seconds, **given)


class RunSummary(Output):
    """``lsqm run --format json``: each stage's outcome, what needs a person, and the run
    validated (its ``summary`` and ``results``, when one was)."""

    dry_run: bool
    run_id: str | None
    stages: dict[str, StageOutcome]
    attention: list[str]
    summary: dict[str, Any] | None = None  # records.Summary's JSON
    results: list[dict[str, Any]] | None = None


@dataclass
class RunContext:
    """What the stages of one ``lsqm run`` share. Stages talk through the store; this carries
    only what a later stage needs to know about an earlier one's outcome."""

    settings: Settings
    store: ArtifactStore
    options: RunOptions = field(default_factory=RunOptions)
    say: Say = quiet
    validate_progress: ProgressFactory = no_progress
    run: Run | None = None  # set by validate
    report: SiteReport | None = None  # set by report
    comparison: Comparison | None = None  # set by compare (with the run before)
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

    def summary(self, results: list[Result] | None = None) -> RunSummary:
        """What ``run --format json`` prints; ``results``: the validated run's."""
        extra: dict[str, Any] = {}
        if self.run:
            extra["summary"] = self.run.summary.to_json()
            extra["results"] = [r.to_json() for r in results or []]
        return RunSummary(
            dry_run=self.dry_run,
            run_id=self.run.run_id if self.run else None,
            stages=self.stages,
            attention=self.attention,
            **extra,
        )


Stage = Callable[[RunContext], Facts]


@dataclass
class StageLog:
    """One line per stage start and end, with counts and time (a CI log reads as a story).
    A fact named ``what`` is a sentence and shows alone; others show as "name value"."""

    say: Say
    dry_run: bool = False

    @contextmanager
    def stage(self, name: str) -> Iterator[Facts]:
        if not self.dry_run:
            self.say(f"== {name}")
        facts: Facts = {}
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
    validate_progress: ProgressFactory = no_progress,
    say: Say = quiet,
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
            ctx.stages[name] = StageOutcome.of("skipped", reason=reason)
            continue
        start = time.monotonic()
        try:
            with log.stage(name) as facts:
                facts.update(stage(ctx))
        except Skip as skip:
            ctx.stages[name] = StageOutcome.of(
                "skipped", time.monotonic() - start, reason=str(skip)
            )
        except (LsqmError, KeyboardInterrupt) as exc:
            ctx.failure = exc
            message = exc.message if isinstance(exc, LsqmError) else "interrupted"
            ctx.stages[name] = StageOutcome.of("failed", time.monotonic() - start, reason=message)
        else:
            status: StageStatus = "would" if ctx.dry_run else "ran"
            ctx.stages[name] = StageOutcome.of(status, time.monotonic() - start, dict(facts))
    if check:
        ctx.check()
    return ctx


def _interrupt(failure: BaseException) -> bool:
    return isinstance(failure, Interrupted | KeyboardInterrupt)


def _failed_stage(ctx: RunContext) -> str:
    return next((n for n, o in ctx.stages.items() if o.status == "failed"), "a stage")


def _sync_stage(ctx: RunContext) -> Facts:
    if artifact_repo.configured_remote(ctx.settings) is None:
        raise Skip(
            "no artifact repository (ARTIFACT_REPO or the setting artifact_repo): "
            f"a local store at {ctx.store.root}"
        )
    report = sync(ctx.settings, ctx.store, dry_run=ctx.dry_run)
    return {"what": report.describe()}


def _mine_stage(ctx: RunContext) -> Facts:
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
    facts: Facts = {"new": summary.accepted, "unchanged": summary.unchanged_accepted}
    facts.update(rejected=summary.rejected, errors=len(summary.errors))
    if skipped:
        facts["skipped sources"] = len(skipped)
    return facts


def _generate_stage(ctx: RunContext) -> Facts:
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


def _setup_stage(ctx: RunContext) -> Facts:
    if ctx.dry_run:
        name = describe_target(ctx.settings, "host")
        return {"what": f"would find or install {name.kind} {name.version} and Terraform"}
    report = provision(ctx.settings, ctx.say)
    return {"runtime": report.runtime, "terraform": report.terraform.version}


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


def _validate_stage(ctx: RunContext) -> Facts:
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


def _report_stage(ctx: RunContext) -> Facts:
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


def _compare_stage(ctx: RunContext) -> Facts:
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


def _notify_stage(ctx: RunContext) -> Facts:
    """notify: Slack (when a webhook is set) and GitHub's step summary (in Actions) say what
    the run changed. A failed post is reported, never a failed run."""
    webhook = ctx.settings.slack_webhook_url
    if webhook is None and ctx.settings.step_summary is None:
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


def _push_stage(ctx: RunContext) -> Facts:
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
    ("report", _report_stage),
    ("compare", _compare_stage),
    ("push", _push_stage),
    ("notify", _notify_stage),
]
