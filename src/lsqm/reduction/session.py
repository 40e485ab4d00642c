"""One reduction end to end: refuse or reproduce, search, write the folder, confirm.

Endings (``Reduction.ending``), each with one sentence in ``message``:
``reduced`` (smaller and confirmed), ``not_smaller`` (reproduced, nothing could go),
``budget`` (time ran out; the smallest confirmed configuration so far is kept, or nothing
when it ran out before the failure reproduced), ``not_reproduced``, ``needs_network`` (it
fails here for want of what the network gives), ``unconfirmed`` (the written folder's final
probe disagreed or was cut short by the budget: no reduction is claimed). The budget bounds
the whole reduction: every probe's stages are capped by what is left, and the search stops
early enough (its best candidate's last probe time, plus a margin) for the final probe.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from lsqm.config import Settings
from lsqm.errors import EmulatorError, UsageError
from lsqm.files import atomic_write_json, utcnow
from lsqm.messages import Say, quiet
from lsqm.records import EMULATOR_CATEGORIES, Category, Output, Result, Run
from lsqm.reduction.hcl_edit import Config
from lsqm.reduction.issue import issue_markdown
from lsqm.reduction.probe import Prober, Target, app_files, read_candidate, write_candidate
from lsqm.reduction.pytests import AppTests
from lsqm.reduction.search import Candidate, Search, reduce
from lsqm.store import ArtifactStore
from lsqm.terraform.inventory import service_of
from lsqm.validation.bisect import first_bad_version

REDUCTION_FILE = "reduction.json"
# The emulator's failures (``emulator_*``) and the provider crashing on the emulator's answer;
# a timeout blames the emulator too, but gives no signature to keep while cutting.
REDUCIBLE = frozenset(EMULATOR_CATEGORIES - {Category.TIMEOUT})


class Reduction(Output):
    """What ``lsqm reduce --format json`` prints (and ``reduction.json`` holds, with more)."""

    out_dir: str
    resources_before: int
    resources_after: int
    lines_before: int
    lines_after: int
    probes: int
    seconds: float
    status: str
    category: str | None
    signature: str
    ending: str
    message: str


def refusal(result: Result) -> str | None:
    """Why a verdict is not reduced (None: it is). Only the emulator's failures are."""
    if result.status.value == "PASSED":
        return f"{result.display_name} passed in run {result.run_id}: there is nothing to reduce"
    category = result.category
    if category in REDUCIBLE:
        return None
    why = (
        {
            Category.ENVIRONMENT: "it failed for want of something the environment lacks "
            "(a tool, a provider, the network), which a smaller configuration cannot show",
            Category.TERRAFORM_CONFIG: "the configuration itself is wrong; that is not an "
            "emulator bug to file",
            Category.TIMEOUT: "a stage ran out of time: no signature to keep while cutting",
            Category.HARNESS: "lsqm's harness failed, not the emulator",
            Category.NO_TESTS: "no test ran, so there is no failure to keep",
        }.get(category)
        if category
        else None
    )
    reason = why or "the verdict does not blame the emulator"
    label = category.value if category else "none"
    return f"will not reduce {result.display_name} ({result.status.value}/{label}): {reason}"


def start_candidate(store: ArtifactStore, arch_hash: str) -> Candidate:
    """The stored architecture's root module, the local modules it calls and its app's test
    files, as a candidate."""
    record = store.architecture(arch_hash)
    arch_dir = store.architecture_dir(arch_hash)
    app = store.app_dir(arch_hash)
    tests = (
        [(p.name, p.read_text(encoding="utf-8")) for p in sorted(app.glob("test_*.py"))]
        if app.is_dir()
        else []
    )
    return read_candidate(arch_dir / (record.root or "."), AppTests(tuple(tests)), arch_dir)


def hint_from(result: Result, config: Config) -> list[str]:
    """Addresses the failure names: ``with aws_x.y`` in terraform's error, the resource type
    a signature starts with (``aws_cognito_user_pool: ...``) or whose provider function
    crashed (``resourceAwsApiGatewayDomainNameRead``), or the resources of the operation a
    trace signature names (``cognito-idp.CreateUserPool 501 ...``)."""
    named = re.findall(r"with ((?:data\.)?[a-z][\w-]*\.[\w-]+)", result.message)
    found = [a for a in named if a in config.addresses]
    if found:
        return found
    crashed = re.search(
        r"\bresourceAws([A-Z]\w*?)(?:Create|Read|Update|Delete)\b", result.signature
    )
    if crashed:  # the provider's own function for a resource type: aws_<its snake case>
        head = "aws_" + re.sub(r"(?<!^)(?=[A-Z])", "_", crashed.group(1)).lower()
    else:
        head = result.signature.split(":", 1)[0].split(" ", 1)[0].strip()
    typed = [a for a in config.resources() if a.split(".")[-2] == head]
    call = re.fullmatch(r"([a-z0-9-]+)\.([A-Z]\w+)", head)
    if typed or call is None:
        return typed
    service, operation = call.groups()
    mine = [a for a in config.resources() if service_of(a.split(".")[-2]) == service]
    noun = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower().split("_", 1)[-1]
    return [a for a in mine if a.split(".")[-2].endswith(noun)] or mine


def reduce_architecture(
    settings: Settings,
    store: ArtifactStore,
    arch_hash: str,
    result: Result,
    run: Run,
    *,
    out: Path | None = None,
    budget: float = 900.0,
    workers: int = 1,
    say: Say = quiet,
) -> Reduction:
    """Reduce ``arch_hash``'s failing ``result`` of ``run``; write the folder; say how it ended.

    Raises UsageError (one sentence) for a verdict that is not reduced (:func:`refusal`)."""
    reason = refusal(result)
    if reason:
        raise UsageError(reason)
    started = time.monotonic()
    target = Target.of(result)
    out = out or store.reduction_dir(arch_hash)
    start = start_candidate(store, arch_hash)
    if not start.config.resources():
        raise UsageError(f"{result.display_name} has no resources this reducer can read")
    with Prober(settings, store, arch_hash, workers=workers, say=say) as prober:
        info = prober.info
        version = info.version if info else "unknown"
        emulator = f"{info.kind if info else settings.emulator} {version}"
        if run.emulator and run.emulator.version not in ("", "unknown", version):
            raise UsageError(
                f"run {run.run_id} used {run.emulator.kind} {run.emulator.version}, this "
                f"machine runs {version}: the same failure needs the same version"
            )
        say(f"reproducing {target} on {emulator}")
        deadline = started + budget
        seen = prober.results([start] * (2 if result.flaky else 1), deadline)
        base = _facts(start, start, started, target)
        if None in seen:
            message = (
                f"the budget of {budget:.0f}s ran out before the failure reproduced (one probe "
                "of it takes longer); nothing was written"
            )
            ran = sum(r is not None for r in seen)
            return Reduction(out_dir="", **base, probes=ran, ending="budget",
                             message=message)  # fmt: skip
        reproduced = [r for r in seen if r is not None]
        bad = [r for r in reproduced if not target.matches(r)]
        if bad:
            got = bad[0]
            if got.category == Category.ENVIRONMENT:
                ending = "needs_network"
                message = (
                    f"{result.display_name} does not fail the same way here: it needs what "
                    f"this machine lacks ({got.signature}), so it only fails with the network"
                )
            else:
                ending = "not_reproduced"
                message = (
                    f"did not reproduce: run {run.run_id} had {target}, "
                    f"{emulator} now gives {Target.of(got)}"
                )
            return Reduction(out_dir="", **base, probes=len(seen), ending=ending, message=message)
        first = _without_unrun_tests(start, reproduced[0], prober)
        tests_ran = bool(first.tests.files)

        def viable(candidate: Candidate) -> bool:
            """A failure needs a resource to deploy, and a test if the tests found it."""
            has_tests = bool(candidate.tests.test_ids()) or not tests_ran
            return bool(candidate.config.resources()) and has_tests

        # The search stops in time for the final probe of its best candidate to finish.
        search = Search(first, lambda _cs: [], batch=prober.workers, deadline=deadline,
                        reserve=lambda c: _reserve(c, first, prober),
                        viable=viable)  # fmt: skip
        if first is not start:
            search.log.append("tests: none ran (the failure comes before them), all dropped")
        search.check = prober.checker(target, search.ends_at)
        best = reduce(search, hint_from(result, start.config))
        # The folder as written, probed once more: only what it confirms is claimed. Nothing
        # cut: the folder is what the reproduction deployed (no file left out), and the
        # reproduction's verdict is its confirmation.
        same = best.key == first.key
        _write_folder(store, arch_hash, prober, best, out, prune=not same)
        root = store.architecture(arch_hash).root
        final = (
            reproduced[0]
            if same
            else prober.probe(_read_back(out, root), source=out, deadline=deadline)
        )
        probes = len(seen) + search.probes + (0 if same else 1)
        facts = _facts(start, best, started, target)
        confirmed = final is not None and target.matches(final)
        if final is None:
            ending = "unconfirmed"
            message = (
                f"the budget of {budget:.0f}s ran out during the final probe of the reduced "
                "folder: no reduction is claimed"
            )
        elif not confirmed:
            ending = "unconfirmed"
            message = (
                f"the reduced folder gave {Target.of(final)} on its final probe, not {target}: "
                "no reduction is claimed (the failure may be flaky)"
            )
        elif search.out_of_time:
            ending = "budget"
            message = (
                f"the budget of {budget:.0f}s ran out; kept the smallest configuration that "
                f"still fails the same way ({facts['resources_after']} of "
                f"{facts['resources_before']} resources)"
            )
        elif same:
            ending, message = "not_smaller", "reproduced, but nothing could go"
        else:
            ending = "reduced"
            message = (
                f"{facts['resources_before']} -> {facts['resources_after']} resources, "
                f"{facts['lines_before']} -> {facts['lines_after']} lines, same failure"
            )
        reduction = Reduction(out_dir=str(out), **facts, probes=probes, ending=ending,
                              message=message)  # fmt: skip
        extra = {
            "arch_hash": arch_hash,
            "name": result.display_name,
            "run_id": run.run_id,
            "emulator": info.kind if info else settings.emulator,
            "version": version,
            "confirmed": confirmed,
            "invalid_candidates": search.invalid,
            "passes": search.log,
            "kept": best.config.resources(),
            "tests_kept": best.tests.test_ids(),
            "first_bad_version": first_bad_version(
                store,
                arch_hash,
                info.kind if info else settings.emulator,
                target.status.value,
                reduction.category,
            ),
            "finished_at": utcnow(),
        }
        atomic_write_json(out / REDUCTION_FILE, {**reduction.to_json(), **extra})
        shown = final or prober.last[best.key]  # the search's own probe of it
        log = _log_excerpt(prober.logs_of(shown) / "emulator.log")
        (out / "ISSUE.md").write_text(
            issue_markdown(reduction, extra, shown, best, log, settings.region), encoding="utf-8"
        )
        return reduction


def _without_unrun_tests(start: Candidate, seen: Result, prober: Prober) -> Candidate:
    """``start`` without its tests when none ran in its reproduction (init or apply failed):
    a verdict decided before the tests is the same without them, so no probe is spent on
    them (the final probe confirms the folder as written, as always)."""
    test_stage = seen.stages.get("test")
    if not start.tests.files or (test_stage is not None and not test_stage.skipped):
        return start
    bare = Candidate(start.config, AppTests(()))
    prober.seconds[bare.key] = prober.seconds_of(start)
    prober.last[bare.key] = seen
    return bare


def _facts(start: Candidate, best: Candidate, started: float, target: Target) -> dict[str, Any]:
    return {
        "resources_before": len(start.config.resources()),
        "resources_after": len(best.config.resources()),
        "lines_before": start.lines,
        "lines_after": best.lines,
        "seconds": round(time.monotonic() - started, 1),
        "status": target.status.value,
        "category": target.category.value if target.category else None,
        "signature": target.signature,
    }


def _reserve(candidate: Candidate, first: Candidate, prober: Prober) -> float:
    """Seconds to keep for the final probe of ``candidate`` (none for the reproduced one)."""
    return 0.0 if candidate.key == first.key else prober.seconds_of(candidate) * 1.25 + 5


def _write_folder(
    store: ArtifactStore,
    arch_hash: str,
    prober: Prober,
    best: Candidate,
    out: Path,
    *,
    prune: bool = True,
) -> None:
    """``main.tf`` (and the architecture's other files), the tests it still needs.
    ``prune``: leave out the files the configuration no longer names."""
    if out.exists():
        shutil.rmtree(out)
    record = store.architecture(arch_hash)
    write_candidate(store.architecture_dir(arch_hash), record.root, best, out)
    # Files the configuration no longer names (READMEs, scripts, unused assets) go too; the
    # final probe deploys this folder as it is, so a file still needed cannot go unnoticed.
    module = out / record.root if record.root not in ("", ".") else out
    for path in module.iterdir() if prune else ():
        if path.suffix != ".tf" and path.name not in best.main_tf:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    tests = [name for name, _ in best.tests.files if _has_tests(best, name)]
    if tests:
        folder = out / "tests"
        folder.mkdir()
        files = app_files(store.app_dir(arch_hash), best)
        for name, text in files.items():
            if name.startswith("test_") and name not in tests:
                continue
            (folder / name).write_text(text, encoding="utf-8")


def _has_tests(candidate: Candidate, name: str) -> bool:
    return any(i.startswith(f"{name}::") for i in candidate.tests.test_ids())


def _read_back(out: Path, root: str) -> Candidate:
    tests = out / "tests"
    files = sorted(tests.glob("test_*.py")) if tests.is_dir() else []
    app = AppTests(tuple((p.name, p.read_text(encoding="utf-8")) for p in files))
    return read_candidate(out / (root or "."), app, out)


def _log_excerpt(path: Path, limit: int = 40) -> str:
    """The emulator's log lines that say something went wrong (the last ``limit``)."""
    if not path.is_file():
        return ""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    picked = [ln for ln in lines if re.search(r"ERROR|WARN|Exception|50[01]|not implemented", ln)]
    return "\n".join((picked or lines)[-limit:])


def emulator_error(exc: EmulatorError) -> str:
    return f"no emulator would start for the probes: {exc.message}"
