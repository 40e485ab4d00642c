"""The first LocalStack release where an architecture's verdict changes.

The search is a pure function over an ordered list of versions and a probe (version ->
verdict), so it is tested on synthetic lists with the probes counted. The verdict of the
lower end is the reference; the search keeps ``lo`` (same verdict) and ``hi`` (another
verdict) and probes the median untried version between them: about log2(n) probes for n
releases. A version that cannot be tested (it will not install or start) is skipped, as
``git bisect skip`` does; if skipped versions are left between ``lo`` and ``hi``, the answer
is the range they span, never a guess.

Flakiness: :func:`confirmed` runs a version until two runs agree (at most three), so one
flaky run never moves the search; a version whose runs never agree is skipped as flaky.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lsqm.config import Settings
from lsqm.errors import StoreError, ToolMissing, UsageError
from lsqm.files import atomic_write_json, read_json, utcnow
from lsqm.messages import Say, quiet
from lsqm.records import Category, Result
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.emulator_install import EmulatorInstall, ensure_emulator
from lsqm.toolchain.localstack_install import LocalStackInstall, ensure_localstack
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

DID_NOT_START = "emulator did not start"


@dataclass(frozen=True)
class VersionVerdict:
    """What one version did with the architecture; ``key`` is what must match."""

    status: str
    category: str | None = None
    signature: str = ""
    skipped: bool = False  # the version could not be tested (signature says why)
    runs: int = 1
    flaky: bool = False  # its runs disagreed before two agreed
    run_ids: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.status, self.category)

    def __str__(self) -> str:
        if self.skipped:
            return f"untestable ({self.signature})"
        return self.status + (f"/{self.category}" if self.category else "")

    @classmethod
    def skip(cls, reason: str) -> VersionVerdict:
        return cls("SKIPPED", None, reason, skipped=True)

    @classmethod
    def of(cls, result: Result) -> VersionVerdict:
        category = result.category.value if result.category else None
        return cls(result.status.value, category, result.signature, run_ids=(result.run_id,))

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self),
            "status": self.status,
            "category": self.category,
            "signature": self.signature,
            "skipped": self.skipped,
            "runs": self.runs,
            "flaky": self.flaky,
            "run_ids": list(self.run_ids),
        }


Probe = Callable[[str], VersionVerdict]


@dataclass
class Bisection:
    """The search's answer. ``outcome``: ``found`` (``first_changed`` is the first release
    with another verdict), ``no_change`` (both ends agree), ``ambiguous`` (untestable
    versions hide where it changed: ``candidates``), ``untestable`` (an end cannot be run)."""

    versions: list[str]
    verdicts: dict[str, VersionVerdict] = field(default_factory=dict)
    outcome: str = "found"
    first_changed: str | None = None
    last_same: str | None = None
    candidates: list[str] = field(default_factory=list)

    @property
    def probes(self) -> int:
        """Versions probed (each installed once): the search's cost."""
        return len(self.verdicts)

    @property
    def runs(self) -> int:
        return sum(v.runs for v in self.verdicts.values())

    @property
    def before(self) -> VersionVerdict | None:
        return self.verdicts.get(self.last_same or "")

    @property
    def after(self) -> VersionVerdict | None:
        return self.verdicts.get(self.first_changed or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "first_changed": self.first_changed,
            "last_same": self.last_same,
            "candidates": self.candidates,
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
            "range": {"from": self.versions[0], "to": self.versions[-1]},
            "range_size": len(self.versions),
            "probes": self.probes,
            "runs": self.runs,
            "probed": {v: r.to_json() for v, r in self.verdicts.items()},
        }


def bisect(versions: Sequence[str], probe: Probe) -> Bisection:
    """Find the first of ``versions`` (oldest first) whose verdict differs from the first's."""
    ordered = list(versions)
    if len(ordered) < 2:
        raise UsageError("bisect needs two different versions")
    found = Bisection(ordered)

    def look(index: int) -> VersionVerdict:
        version = ordered[index]
        if version not in found.verdicts:
            found.verdicts[version] = probe(version)
        return found.verdicts[version]

    reference, last = look(0), look(len(ordered) - 1)
    if reference.skipped or last.skipped:
        found.outcome = "untestable"
        return found
    if reference.key == last.key:
        found.outcome = "no_change"
        return found
    lo, hi = 0, len(ordered) - 1  # verdict(lo) is the reference's, verdict(hi) is not
    skipped: set[int] = set()
    while True:
        untried = [i for i in range(lo + 1, hi) if i not in skipped]
        if not untried:
            break
        middle = untried[len(untried) // 2]
        verdict = look(middle)
        if verdict.skipped:
            skipped.add(middle)
        elif verdict.key == reference.key:
            lo = middle
        else:
            hi = middle
    found.last_same, found.first_changed = ordered[lo], ordered[hi]
    found.candidates = ordered[lo + 1 : hi + 1]
    found.outcome = "found" if len(found.candidates) == 1 else "ambiguous"
    return found


def confirmed(run_once: Probe, *, agree: int = 2, max_runs: int = 3) -> Probe:
    """A probe that counts a version's verdict only when ``agree`` runs give it."""
    if not 1 <= agree <= max_runs:
        raise UsageError(f"--confirm {agree}: between 1 and {max_runs} runs must agree")

    def probe(version: str) -> VersionVerdict:
        seen: list[VersionVerdict] = []
        while len(seen) < max_runs:
            verdict = run_once(version)
            if verdict.skipped:
                return replace(verdict, runs=len(seen) + 1)
            seen.append(verdict)
            same = [v for v in seen if v.key == verdict.key]
            if len(same) >= agree:
                run_ids = tuple(r for v in seen for r in v.run_ids)
                flaky = len(same) < len(seen)
                return replace(verdict, runs=len(seen), flaky=flaky, run_ids=run_ids)
        verdicts = ", ".join(str(v) for v in seen)
        return replace(VersionVerdict.skip(f"flaky: no {agree} runs agreed ({verdicts})"),
                       runs=len(seen))  # fmt: skip

    return probe


# -- the real probe: one run of one architecture on one LocalStack version -------------------
@dataclass
class BisectWorkspace:
    """Where a bisection keeps its runs: ``<artifacts>/bisect/<id>/`` is a store of its own
    holding the one architecture and its tests, so probe runs never become the main
    store's "latest run"; ``bisect.json`` there is the answer."""

    root: Path
    arch_hash: str

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.root)

    @classmethod
    def create(cls, main: ArtifactStore, arch_hash: str) -> BisectWorkspace:
        if not main.has_app(arch_hash):
            raise UsageError(
                f"architecture {arch_hash} has no tests yet; run 'lsqm generate --arch {arch_hash}'"
            )
        root = main.root / "bisect" / new_run_id()
        store = ArtifactStore(root)
        shutil.copytree(main.architecture_dir(arch_hash), store.architecture_dir(arch_hash))
        shutil.copytree(main.app_dir(arch_hash), store.app_dir(arch_hash))
        return cls(root, arch_hash)

    def save(self, found: Bisection, extra: dict[str, Any]) -> None:
        atomic_write_json(
            self.root / "bisect.json", {**extra, **found.to_json(), "finished_at": utcnow()}
        )


def first_bad_version(
    main: ArtifactStore, arch_hash: str, emulator: str, status: str, category: str | None
) -> str | None:
    """The first release with this verdict, from the newest stored bisection of
    ``arch_hash`` on ``emulator`` that found where it began (None: no such bisection)."""
    answers = sorted((main.root / "bisect").glob("*/bisect.json"), reverse=True)
    for path in answers:  # folders are run ids: newest first
        try:
            data = read_json(path)
        except (OSError, StoreError):  # a bisection cut short or a broken file: not evidence
            continue
        if not isinstance(data, dict) or data.get("arch_hash") != arch_hash:
            continue
        after = data.get("after") or {}
        if (
            data.get("outcome") == "found"
            and data.get("emulator", "localstack") == emulator
            and (after.get("status"), after.get("category")) == (status, category)
        ):
            found = data.get("first_changed")
            return str(found) if found else None
    return None


def localstack_probe(
    workspace: BisectWorkspace,
    settings_for: Callable[[str], Settings],
    toolchain: TerraformToolchain,
    say: Say = quiet,
) -> Probe:
    """Validate the architecture once on a version (installing it first, only now)."""
    group = workspace.root.name

    def run_once(version: str) -> VersionVerdict:
        settings = settings_for(version)
        try:
            install: LocalStackInstall | EmulatorInstall = (
                ensure_localstack(settings.cache_dir, version)
                if settings.emulator == "localstack"
                else ensure_emulator(settings.cache_dir, settings.emulator, version)
            )
        except ToolMissing as exc:
            return VersionVerdict.skip(f"does not install: {exc.message[:200]}")
        say(install.describe())
        store = workspace.store
        plan = plan_run(store, run_id=None, arch=[workspace.arch_hash], shard=None)
        execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain, group=group)
        result = store.results(plan.run_id)[workspace.arch_hash]
        if result.category == Category.EMULATOR_UNAVAILABLE and result.signature == DID_NOT_START:
            return VersionVerdict.skip(f"does not start: {result.message[:200]}")
        verdict = VersionVerdict.of(result)
        say(f"{settings.emulator} {version}: {verdict} {verdict.signature}".rstrip())
        return verdict

    return run_once
