"""Dependency-aware delta debugging over a Terraform configuration and its tests.

The search is pure: it asks ``check`` (candidates -> "still the same failure?") and never
deploys anything itself, so it is tested with a predicate over the configuration. Passes, in
order: test functions (ddmin), the resources a failure names with what they need (one
probe), whole units with what references them (ddmin), locals and variable defaults inlined
(one probe), units again, the units inside each local module the root calls (ddmin; the
outputs the root reads stay), then nested blocks and arguments (ddmin). Every candidate is
parsed and its references checked before it may be probed; a candidate already tried is
answered from a cache keyed by its content hash. The best candidate is always one ``check``
confirmed, so a search stopped by its budget still holds a failing configuration. ``check``
may answer None ("unknown": the probe was cut short by the budget): that answer is neither
cached nor counted either way, and the search stops.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lsqm.reduction.hcl_edit import Config
from lsqm.reduction.pytests import AppTests


@dataclass(frozen=True)
class Candidate:
    """A configuration, the test files that go with it and the local modules it calls."""

    config: Config
    tests: AppTests
    # Local module folders (relative to the root module, ``modules/x``) and their
    # configurations: each is written as the folder's one ``main.tf``.
    modules: tuple[tuple[str, Config], ...] = ()

    @property
    def main_tf(self) -> str:
        return self.config.render()

    def live_modules(self) -> list[tuple[str, Config]]:
        """The local modules the root still calls (a removed call takes its module along)."""
        called = self.config.local_modules()
        return [(path, config) for path, config in self.modules if path in called]

    def module_files(self) -> list[tuple[str, str]]:
        """``(path, text)`` of every live module's ``main.tf``."""
        return [(f"{path}/main.tf", config.render()) for path, config in self.live_modules()]

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.main_tf.encode())
        for path, text in self.module_files():
            digest.update(f"\0{path}\0{text}".encode())
        for name, text in self.tests.files:
            digest.update(f"\0{name}\0{text}".encode())
        return digest.hexdigest()

    @property
    def lines(self) -> int:
        """Lines of Terraform: the root's ``main.tf`` and its live modules'."""
        texts = [self.main_tf, *(text for _, text in self.module_files())]
        return sum(len(text.splitlines()) for text in texts)

    def with_module(self, path: str, config: Config) -> Candidate:
        modules = tuple((p, config if p == path else c) for p, c in self.modules)
        return replace(self, modules=modules)

    def problems(self) -> list[str]:
        """Why Terraform would reject it: the root's and each live module's problems, and
        outputs the root reads from a module that no longer has them."""
        found = self.config.problems()
        calls = self.config.local_modules()
        for path, config in self.live_modules():
            found += [f"{path}: {p}" for p in config.problems()]
            have = {u.address[len("output.") :] for u in config.units if u.kind == "output"}
            missing = self.config.outputs_read(calls[path]) - have
            found += [f"{path}: output {name} is read but gone" for name in sorted(missing)]
        return found


# Per candidate: True (same failure), False (not), None (unknown: cut short by the budget).
Check = Callable[[Sequence[Candidate]], list[bool | None]]


@dataclass
class Search:
    """State of one reduction: the best confirmed candidate, the cache, the cost."""

    best: Candidate
    check: Check
    batch: int = 1  # candidates probed together (``--workers``)
    deadline: float | None = None  # time.monotonic() past which no probe may run
    # Seconds held back before the deadline to confirm a candidate (its own probe's cost):
    # the search stops early enough for the final probe of its best candidate to finish.
    reserve: Callable[[Candidate], float] = lambda _candidate: 0.0
    # False: the candidate cannot show the failure whatever the emulator does (no resource
    # left; no test left for a failure the tests found); answered "no" without a probe.
    viable: Callable[[Candidate], bool] = lambda _candidate: True
    cache: dict[str, bool] = field(default_factory=dict)
    probes: int = 0
    # candidates refused before a probe (syntax, dangling references, not ``viable``)
    invalid: int = 0
    out_of_time: bool = False
    log: list[str] = field(default_factory=list)

    def first_holding(self, candidates: Sequence[Candidate | None]) -> int | None:
        """Index of the first candidate that still fails the same way (in order)."""
        pending: list[tuple[int, Candidate]] = []
        for index, candidate in enumerate(candidates):
            if candidate is None:
                continue
            if candidate.key in self.cache:
                if self.cache[candidate.key]:
                    self._keep(candidate)
                    return index
                continue
            if candidate.problems() or not self.viable(candidate):
                self.invalid += 1
                self.cache[candidate.key] = False
                continue
            pending.append((index, candidate))
            if len(pending) == self.batch:
                found = self._run(pending)
                if found is not None:
                    return found
                pending = []
        return self._run(pending) if pending else None

    def ends_at(self) -> float | None:
        """When the search's probes must be over: the deadline less the reserve."""
        return None if self.deadline is None else self.deadline - self.reserve(self.best)

    def _run(self, pending: list[tuple[int, Candidate]]) -> int | None:
        ends = self.ends_at()
        if self.out_of_time or (ends is not None and time.monotonic() >= ends):
            self.out_of_time = True
            return None
        answers = self.check([c for _, c in pending])
        self.probes += len(pending)
        for (_, candidate), holds in zip(pending, answers, strict=True):
            if holds is None:
                self.out_of_time = True
            else:
                self.cache[candidate.key] = holds
        for (index, candidate), holds in zip(pending, answers, strict=True):
            if holds:
                self._keep(candidate)
                return index
        return None

    def _keep(self, candidate: Candidate) -> None:
        if _smaller(candidate, self.best):
            self.best = candidate


def _smaller(a: Candidate, b: Candidate) -> bool:
    size_a = (len(a.config.units), a.lines + a.tests.lines)
    size_b = (len(b.config.units), b.lines + b.tests.lines)
    return size_a <= size_b


def ddmin(
    items: list[str], build: Callable[[list[str]], Candidate | None], search: Search
) -> list[str]:
    """The smallest subset of ``items`` to keep (1-minimal when not stopped early): Zeller's
    ddmin, trying the empty set first and each round's candidates in ``search.batch``es."""
    if not items or search.first_holding([build([])]) is not None:
        return []
    n = 2
    while len(items) >= 2 and not search.out_of_time:
        size = -(-len(items) // n)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        complements = [[x for x in items if x not in chunk] for chunk in chunks]
        tries = chunks + (complements if len(chunks) > 2 else [])
        found = search.first_holding([build(t) for t in tries])
        if found is not None:
            items = tries[found]
            n = 2 if found < len(chunks) else max(n - 1, 2)
        elif n >= len(items):
            break
        else:
            n = min(len(items), 2 * n)
    return items


def reduce(search: Search, hint: Sequence[str] = ()) -> Candidate:
    """Run every pass from ``search.best``; return the smallest confirmed candidate.

    ``hint``: addresses the failure names (the failing resource); keeping only them and what
    they need is tried first, which spares most of ddmin's probes when it holds.
    """
    _tests_pass(search)
    _hint_pass(search, [*hint, *_outputs_tests_read(search.best)])
    _units_pass(search)
    inlined = search.best.config.inlined()
    if inlined.render() != search.best.main_tf:
        search.log.append("inline locals and variable defaults")
        if search.first_holding([replace(search.best, config=inlined)]) is not None:
            _units_pass(search)
    _modules_pass(search)
    _children_pass(search)
    return search.best


def _tests_pass(search: Search) -> None:
    base = search.best
    ids = base.tests.test_ids()
    if not ids:
        return
    search.log.append(f"tests: {len(ids)} test functions")

    def build(keep: list[str]) -> Candidate:
        return replace(base, tests=base.tests.without(set(ids) - set(keep)))

    kept = ddmin(ids, build, search)
    search.first_holding([build(kept)])


def _outputs_tests_read(candidate: Candidate) -> list[str]:
    """Outputs whose names the remaining tests mention (what a test-stage failure needs)."""
    text = "\n".join(t for _, t in candidate.tests.files)
    if not candidate.tests.test_ids():
        return []
    return [
        u.address
        for u in candidate.config.units
        if u.kind == "output" and re.search(rf"\b{re.escape(u.address[7:])}\b", text)
    ]


def _hint_pass(search: Search, hint: Sequence[str]) -> None:
    config = search.best.config
    named = [a for a in hint if a in config.addresses]
    if not named:
        return
    need = config.closure([*named, *(u.address for u in config.units if u.fixed)])
    trimmed = config.without(a for a in config.addresses if a not in need and not _fixed(config, a))
    search.log.append(f"hint: keep {', '.join(named)} and what it needs")
    if trimmed is not None:
        search.first_holding([replace(search.best, config=trimmed)])


def _fixed(config: Config, address: str) -> bool:
    return config.unit(address).fixed


def _units_pass(search: Search) -> None:
    base = search.best
    items = [u.address for u in base.config.units if not u.fixed]
    search.log.append(f"units: {len(items)}")

    def build(keep: list[str]) -> Candidate | None:
        config = base.config.without(set(items) - set(keep))
        return None if config is None else replace(base, config=config)

    kept = ddmin(items, build, search)
    final = build(kept)
    if final is not None:
        search.first_holding([final])


def _children_pass(search: Search) -> None:
    base = search.best
    keys = base.config.child_keys()
    search.log.append(f"nested blocks and arguments: {len(keys)}")

    def build(keep: list[str]) -> Candidate:
        return replace(base, config=base.config.without_children(set(keys) - set(keep)))

    kept = ddmin(keys, build, search)
    search.first_holding([build(kept)])


def _modules_pass(search: Search) -> None:
    """Inside each local module the root still calls: its units (ddmin), keeping the
    outputs the root reads, what they need, its variables (the caller sets them) and its
    fixed blocks."""
    for path, _config in search.best.live_modules():
        base = search.best
        module = dict(base.modules)[path]
        read = base.config.outputs_read(base.config.local_modules().get(path, []))
        needed = module.closure(a for a in (f"output.{n}" for n in read) if a in module.addresses)
        items = [
            u.address
            for u in module.units
            if not u.fixed and u.kind != "variable" and u.address not in needed
        ]
        search.log.append(f"module {path}: {len(items)} units")

        def build(keep: list[str], base: Candidate = base, module: Config = module,
                  items: list[str] = items, path: str = path) -> Candidate | None:  # fmt: skip
            config = module.without(set(items) - set(keep))
            return None if config is None else base.with_module(path, config)

        kept = ddmin(items, build, search)
        final = build(kept)
        if final is not None:
            search.first_holding([final])
