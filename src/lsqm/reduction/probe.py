"""Deploy reduction candidates on warm emulators, as ``validate`` deploys an architecture.

A candidate becomes an architecture (and app) in a private store of its own, then goes
through :func:`lsqm.validation.deploy.prepare_one`/:func:`validate_one` with the validate
stage timeouts: the verdict, category and signature come from the same code as a run's.
Each worker owns one emulator, started once and reset between probes; so a probe skips the
destroy stage (the reset removes what apply made, and no verdict depends on destroy). A probe
given a deadline caps every stage's limit at what is left; one that the deadline cut short is
"unknown" (None), never counted as the same failure or a different one.
"""

from __future__ import annotations

import dataclasses
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lsqm import sandbox
from lsqm.config import Settings
from lsqm.emulator import emulator_factory, resolve_runtime
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError
from lsqm.files import utcnow
from lsqm.messages import Say, quiet
from lsqm.records import AppRecord, ArchitectureRecord, Category, EmulatorInfo, Result, Status
from lsqm.reduction.hcl_edit import Config
from lsqm.reduction.pytests import AppTests
from lsqm.reduction.search import Candidate, Check
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.terraform_install import TerraformToolchain, ensure_terraform
from lsqm.trace.names import OperationNames
from lsqm.validation.deploy import Job, scratch_root, validate_one
from lsqm.validation.verdict import emulator_lost

# Statuses that say "the tests found it": removing passing tests turns PARTIAL into FAILED
# without changing what fails, so a test-stage failure keeps its class, not its exact word.
_TESTS_FAILED = frozenset({Status.PARTIAL, Status.FAILED})


@dataclass(frozen=True)
class Target:
    """The failure a reduction must keep."""

    status: Status
    category: Category | None
    signature: str

    @classmethod
    def of(cls, result: Result) -> Target:
        return cls(result.status, result.category, result.signature)

    def matches(self, result: Result) -> bool:
        """Same category and signature, and the same status (PARTIAL and FAILED are one
        status for a failure the tests found: dropping the passing tests moves one to the
        other)."""
        if (result.category, result.signature) != (self.category, self.signature):
            return False
        if result.status == self.status:
            return True
        return (
            self.category == Category.EMULATOR_BEHAVIOUR
            and {result.status, self.status} <= _TESTS_FAILED
        )

    def __str__(self) -> str:
        what = self.status.value + (f"/{self.category.value}" if self.category else "")
        return f"{what} {self.signature}".rstrip()


CANDIDATE_FILE = "reduction-candidate.txt"


class Prober:
    """Probes candidates of one architecture on ``workers`` warm emulators."""

    def __init__(
        self,
        settings: Settings,
        main: ArtifactStore,
        arch_hash: str,
        *,
        workers: int = 1,
        toolchain: TerraformToolchain | None = None,
        say: Say = quiet,
    ) -> None:
        self.settings, self.main, self.arch_hash, self.say = settings, main, arch_hash, say
        self.record: ArchitectureRecord = main.architecture(arch_hash)
        self.app: AppRecord | None = main.app(arch_hash)
        self.scratch = Path(tempfile.mkdtemp(prefix="lsqm-reduce-", dir=scratch_root()))
        self.store = ArtifactStore(self.scratch / "store")
        self.run_id = new_run_id()
        logs = self.store.run_dir(self.run_id) / "logs"
        logs.mkdir(parents=True)
        toolchain = toolchain or ensure_terraform(settings)
        base_sandbox, _warnings = sandbox.choose(settings.sandbox)
        # The same trace namer as a run's: signatures name the operation as validate's do.
        names = OperationNames(settings.cache_dir / "trace") if settings.trace else None
        self.job = Job(
            self.store, self.run_id, settings, toolchain, settings.cache_dir / "provider-schemas",
            self.scratch / "work", base_sandbox, names=names, destroy=False,
        )  # fmt: skip
        self.job.scratch.mkdir()
        self._factory = emulator_factory(settings, resolve_runtime(settings), logs, self.scratch)
        self._workers = max(1, workers)
        self._free: queue.Queue[Emulator] = queue.Queue()
        self._started: list[Emulator] = []
        self._lock = threading.Lock()
        self.info: EmulatorInfo | None = None
        self.last: dict[str, Result] = {}  # candidate key -> its probe's result
        self.seconds: dict[str, float] = {}  # candidate key -> its probe's wall seconds

    @property
    def workers(self) -> int:
        return self._workers

    def start(self) -> None:
        """Start the emulators (raises EmulatorError when none will start)."""
        for index in range(self._workers):
            emulator = self._factory(index)
            emulator.start()
            self._started.append(emulator)
            self._free.put(emulator)
            if self.info is None:
                self.info = emulator.info()

    def close(self) -> None:
        for emulator in self._started:
            emulator.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Prober:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- probing -------------------------------------------------------------------------
    def run(self, candidate: Candidate, source: Path | None = None) -> Result:
        """Deploy ``candidate`` once on a free, freshly reset emulator; its result.
        ``source``: the folder its other files come from (default: the architecture's)."""
        result = self.probe(candidate, source)
        assert result is not None  # no deadline: never cut short
        return result

    def probe(
        self, candidate: Candidate, source: Path | None = None, deadline: float | None = None
    ) -> Result | None:
        """:meth:`run` with every stage's limit capped by ``deadline`` (time.monotonic());
        None when the deadline cut the probe short (or left no time to start it)."""
        if deadline is not None and deadline - time.monotonic() < MIN_PROBE_S:
            return None
        arch_hash = self._materialise(candidate, source)
        emulator = self._free.get()
        started = time.monotonic()
        try:
            try:
                emulator.reset_or_restart()
            except EmulatorError as exc:
                verdict = emulator_lost("emulator did not restart", exc.message)
                return Result(
                    arch_hash=arch_hash, status=verdict.status, category=verdict.category,
                    signature=verdict.signature, message=verdict.message, started_at=utcnow(),
                )  # fmt: skip
            job = self.job if deadline is None else dataclasses.replace(self.job, deadline=deadline)
            result = validate_one(job, arch_hash, emulator)
        finally:
            self._free.put(emulator)
        if deadline is not None and _cut_short(result, deadline):
            return None
        self.last[candidate.key] = result
        self.seconds[candidate.key] = time.monotonic() - started
        return result

    def results(
        self, candidates: Sequence[Candidate], deadline: float | None = None
    ) -> list[Result | None]:
        """Probe several candidates at once, one per worker (None: cut short)."""

        def one(candidate: Candidate) -> Result | None:
            return self.probe(candidate, deadline=deadline)

        if len(candidates) <= 1 or self._workers == 1:
            return [one(c) for c in candidates]
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="lsqm-probe") as pool:
            return list(pool.map(one, candidates))

    def checker(self, target: Target, ends: Callable[[], float | None] = lambda: None) -> Check:
        """The search's ``check``: whether each candidate still fails as ``target`` (None:
        unknown, the probe was cut short); ``ends``: when the search's probes must be over."""

        def check(candidates: Sequence[Candidate]) -> list[bool | None]:
            found = self.results(candidates, ends())
            answers = [None if r is None else target.matches(r) for r in found]
            for candidate, result, same in zip(candidates, found, answers, strict=True):
                said = (
                    "cut short by the budget (unknown)"
                    if result is None
                    else "same failure"
                    if same
                    else _verdict(result)
                )
                self.say(
                    f"  probe: {len(candidate.config.resources())} resources, "
                    f"{candidate.lines} lines: {said}"
                )
            return answers

        return check

    def seconds_of(self, candidate: Candidate) -> float:
        """What ``candidate``'s last probe took (0 if it was never probed)."""
        return self.seconds.get(candidate.key, 0.0)

    def logs_of(self, result: Result) -> Path:
        return self.store.run_dir(self.run_id) / "logs" / result.arch_hash

    def _materialise(self, candidate: Candidate, source: Path | None = None) -> str:
        """The candidate as an architecture (and app) of the private store; its hash."""
        skip = ("tests",) if source is not None else ()
        source = source or self.main.architecture_dir(self.arch_hash)
        with self._lock:
            folder = Path(tempfile.mkdtemp(prefix="cand-", dir=self.scratch))
            write_candidate(source, self.record.root, candidate, folder, skip)
            # One architecture per candidate, tests included: two candidates with the same
            # main.tf and other tests must not share an app.
            (folder / CANDIDATE_FILE).write_text(candidate.key + "\n")
            arch_hash = self.store.add_architecture(folder, self.record)
            shutil.rmtree(folder, ignore_errors=True)
            if self.app is not None and not self.store.has_app(arch_hash):
                files = app_files(self.main.app_dir(self.arch_hash), candidate)
                self.store.write_app(arch_hash, files, self.app)
        return arch_hash


def _verdict(result: Result) -> str:
    return str(Target.of(result))


# A probe needs at least this long (reset, init, apply): with less left it is not started.
MIN_PROBE_S = 5.0


def _cut_short(result: Result, deadline: float) -> bool:
    """Whether the deadline, not the configuration, ended the probe: a stage ran out of time
    once the deadline was (about) reached."""
    timed_out = result.status == Status.TIMEOUT or any(s.timed_out for s in result.stages.values())
    return timed_out and time.monotonic() >= deadline - 2.0


# Files of lsqm's own beside a configuration, never part of one.
_NOT_CONFIGURATION = ("architecture.json", "reduction.json", "ISSUE.md")


def write_candidate(
    source: Path, root: str, candidate: Candidate, dest: Path, skip: tuple[str, ...] = ()
) -> None:
    """The architecture folder with the root module's ``*.tf`` replaced by one ``main.tf``,
    and each local module's by its own (other files and assets are kept)."""
    ignore = shutil.ignore_patterns(*_NOT_CONFIGURATION, *skip)
    shutil.copytree(source, dest, dirs_exist_ok=True, ignore=ignore)
    module = dest / root if root not in ("", ".") else dest
    for folder, text in [(module, candidate.main_tf)] + [
        ((module / path).parent, text) for path, text in candidate.module_files()
    ]:
        for path in folder.glob("*.tf"):
            path.unlink()
        (folder / "main.tf").write_text(text, encoding="utf-8")


def read_candidate(folder: Path, tests: AppTests, within: Path) -> Candidate:
    """The root module in ``folder`` (its ``*.tf``), the local modules it calls that lie
    inside ``within`` (the architecture), and ``tests``. Only the root's calls are followed:
    a module's own local modules are kept as they are."""
    config = Config.parse(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.tf")))
    modules = []
    for path in config.local_modules():
        where = (folder / path).resolve()
        if where.is_dir() and where.is_relative_to(within.resolve()):
            texts = (p.read_text(encoding="utf-8") for p in sorted(where.glob("*.tf")))
            modules.append((path, Config.parse(texts)))
    return Candidate(config, tests, tuple(modules))


def app_files(app_dir: Path, candidate: Candidate) -> dict[str, str]:
    """The app's files with its test files as the candidate has them."""
    files = {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(app_dir.iterdir())
        if p.is_file()
        and p.name != "app.json"
        and not (p.name.startswith("test_") and p.suffix == ".py")
        and p.suffix in (".py", ".txt", ".json", ".cfg", ".ini")
    }
    files.update(dict(candidate.tests.files))
    return files
