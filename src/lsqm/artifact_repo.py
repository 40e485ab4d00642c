"""The artifact store as a git repository at any remote: ``sync`` clones or fast-forwards
it, ``push`` commits what lsqm wrote and pushes it, rebasing over writers that pushed first.

The remote is ``ARTIFACT_REPO`` or the setting ``artifact_repo``: an https/ssh/file URL, a
path (a bare repository), or ``owner/name`` on GitHub. A token (``ARTIFACT_REPO_TOKEN``,
else ``GITHUB_TOKEN``) reaches git only through git's environment: git asks a GIT_ASKPASS
script, which holds no secret and prints the variable. The token is never in a URL,
``.git/config``, the store, a log or a command line. git runs through :mod:`lsqm.proc` with
hooks off, no user or system configuration, no credential helper and no prompt.

The store's layout (:mod:`lsqm.store`) has writers touch different files, so rebasing over
another writer's push does not conflict; the exception, two writers storing the same new
architecture or app (named by content, so either copy is right), keeps the remote's copy.
A run's log over ``log_cap_bytes`` enters history cut to its head and tail with a summary
of the rest; the whole log stays beside it as ``<name>.full``, which git ignores.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.config import Settings, artifact_token
from lsqm.errors import StoreError, ToolMissing, UsageError
from lsqm.files import atomic_write_text

Say = Callable[[str], None]

TOKEN_VAR = "LSQM_GIT_TOKEN"  # the one secret git's environment holds; the askpass prints it
IGNORED = (".staging/", "*.full")  # the store's .gitignore: half-built entries, whole logs
ADDRESSED = ("architectures/", "apps/")  # named by content: two copies are the same thing
_OWNER_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_SAFETY = [
    "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
    "-c", "core.fsmonitor=false", "-c", "credential.helper=", "-c", "commit.gpgsign=false",
    "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.quotepath=off",
    "-c", "advice.detachedHead=false",
]  # fmt: skip
# The askpass program git runs for a user name or password: it prints from the environment.
_ASKPASS = (
    "#!/bin/sh\n"
    'case "$1" in\n'
    "  Username*) echo x-access-token ;;\n"
    f'  *) printf "%s\\n" "${TOKEN_VAR}" ;;\n'
    "esac\n"
)
_AUTH_FAILED = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled|"
    r"Permission denied \(publickey|HTTP Basic: Access denied|returned error: 40[13]",
    re.IGNORECASE,
)
_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|failed to update ref|"
                       r"stale info|cannot lock ref", re.IGNORECASE)  # fmt: skip


@dataclass(frozen=True)
class Remote:
    """Where the store lives. ``url`` is what git is given: it never carries credentials."""

    url: str
    uses_token: bool  # http(s): git may ask for a user name and password

    def __str__(self) -> str:
        return self.url


def resolve_remote(value: str, github_url: str = "https://github.com") -> tuple[Remote, str | None]:
    """The remote ``value`` names (a URL, a path, or owner/name on GitHub), and a password
    found inside the URL (taken out: git would write it to ``.git/config``)."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        embedded = parts.password
        if embedded is not None:
            host = parts.hostname or ""
            netloc = f"{parts.username}@{host}" if parts.username else host
            netloc += f":{parts.port}" if parts.port else ""
            value = urlunsplit(parts._replace(netloc=netloc))
        return Remote(value, parts.scheme in ("http", "https")), embedded
    if _SCP_LIKE.match(value):
        return Remote(value, False), None
    path = Path(value).expanduser()
    if path.exists() or value.startswith((".", "/", "~")):
        return Remote(str(path.resolve()), False), None
    if _OWNER_NAME.match(value):
        name = value.removesuffix(".git")
        return Remote(f"{github_url.rstrip('/')}/{name}.git", True), None
    raise UsageError(
        f"artifact repository {value!r} is not a URL, an existing path or owner/name on GitHub"
    )


def configured_remote(settings: Settings) -> Remote | None:
    """The configured remote, or None for a local store."""
    if not settings.artifact_repo:
        return None
    return resolve_remote(settings.artifact_repo, settings.github_url)[0]


class StoreGit:
    """git for one store: a private HOME holding the askpass script, a scrubbed environment,
    every command through :mod:`lsqm.proc` (its output redacted)."""

    def __init__(self, root: Path, settings: Settings) -> None:
        if not settings.artifact_repo:
            raise UsageError(
                "no artifact repository: set ARTIFACT_REPO (a URL, a path or owner/name) or "
                "the setting artifact_repo"
            )
        self.remote, embedded = resolve_remote(settings.artifact_repo, settings.github_url)
        found = artifact_token()
        self.token = embedded or (found[0] if found else None)
        self.token_source = "the URL" if embedded else (found[1] if found else None)
        self.root = root
        self.branch = settings.artifact_branch
        self.timeout = settings.git_timeout
        self._home: Path | None = None

    def __enter__(self) -> StoreGit:
        self._home = Path(tempfile.mkdtemp(prefix="lsqm-git-"))
        askpass = self._home / "askpass.sh"
        askpass.write_text(_ASKPASS, encoding="utf-8")
        askpass.chmod(0o700)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)

    def env(self) -> dict[str, str]:
        assert self._home is not None, "use StoreGit as a context manager"
        extra = {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ASKPASS": str(self._home / "askpass.sh"),
            "SSH_ASKPASS": "/bin/false",
            "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND") or "ssh -o BatchMode=yes",
            "GIT_EDITOR": "true",
            "GIT_SEQUENCE_EDITOR": "true",
            "GIT_MERGE_AUTOEDIT": "no",
        }
        for var, default in _IDENTITY.items():
            extra[var] = os.environ.get(var) or default
        if os.environ.get("SSH_AUTH_SOCK"):  # an ssh agent's keys, for ssh remotes
            extra["SSH_AUTH_SOCK"] = os.environ["SSH_AUTH_SOCK"]
        if self.token and self.remote.uses_token:
            extra[TOKEN_VAR] = self.token
        allowed = frozenset({TOKEN_VAR, "SSH_AUTH_SOCK", *_IDENTITY})
        return child_env(self._home, extra, allow_secrets=allowed)

    def __call__(self, *args: str, check: bool = True) -> proc.Completed:
        git = proc.require_tool("git", "Install git (e.g. apt-get install git).")
        done = proc.run([git, *_SAFETY, *args], env=self.env(), cwd=self.root, timeout=self.timeout)
        if check and not done.ok:
            raise self.failure(args[0], done)
        return done

    def failure(self, what: str, done: proc.Completed) -> StoreError | ToolMissing:
        """The error a failed git command becomes: a missing or refused credential is a
        missing tool (exit 3), anything else a store error naming the remote."""
        tail = " | ".join(done.output.strip().splitlines()[-3:]) or f"exit {done.exit_code}"
        if done.timed_out:
            return StoreError(f"git {what} with {self.remote} ran past {self.timeout:.0f}s")
        if _AUTH_FAILED.search(done.output):
            if self.remote.uses_token and not self.token:
                return ToolMissing(
                    f"the artifact repository {self.remote} asks for credentials; set "
                    "ARTIFACT_REPO_TOKEN (or GITHUB_TOKEN) to a token that may push to it"
                )
            via = f" ({self.token_source})" if self.token_source else ""
            return ToolMissing(
                f"the artifact repository {self.remote} refused the credentials{via}: {tail}"
            )
        return StoreError(f"git {what} with {self.remote} failed: {tail}")

    # -- repository state ------------------------------------------------------------------
    @property
    def tracking(self) -> str:
        return f"refs/remotes/origin/{self.branch}"

    def is_repo(self) -> bool:
        return (self.root / ".git").exists()

    def ensure_repo(self) -> bool:
        """Make the store a git repository whose origin is the remote; True when created.
        A store that is a clone of another remote is refused, not silently repointed."""
        if not self.is_repo():
            self.root.mkdir(parents=True, exist_ok=True)
            self("init", "-q", "-b", self.branch)
            self("remote", "add", "origin", self.remote.url)
            return True
        current = self("remote", "get-url", "origin", check=False)
        if not current.ok:
            self("remote", "add", "origin", self.remote.url)
        elif _same_remote(current.output.strip(), self.remote.url):
            self("remote", "set-url", "origin", self.remote.url)  # drop credentials in it
        else:
            raise UsageError(
                f"the store {self.root} is a clone of {current.output.strip()}, not of "
                f"{self.remote}; use another --artifacts folder or fix ARTIFACT_REPO"
            )
        return False

    def fetch(self) -> bool:
        """Fetch the branch; False when the remote does not have it yet (a new remote)."""
        done = self(
            "fetch", "-q", "--no-tags", "origin", f"+refs/heads/{self.branch}:{self.tracking}",
            check=False,
        )  # fmt: skip
        if done.ok:
            return True
        if re.search(r"couldn't find remote ref", done.output, re.IGNORECASE):
            return False
        raise self.failure("fetch", done)

    def has(self, ref: str) -> bool:
        return self("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False).ok

    def head(self) -> str | None:
        done = self("rev-parse", "-q", "--verify", "HEAD", check=False)
        return done.output.strip() if done.ok else None

    def count(self, revisions: str) -> int:
        return int(self("rev-list", "--count", revisions).output.strip() or 0)

    def adopt_remote(self) -> None:
        """Put a store with no commits on top of the remote's branch: HEAD and index become
        the remote's, files the store lacks are written. A file both have with different
        content: in the content-addressed folders the remote's copy wins (the same thing);
        ``.gitignore`` gets the lines of both; anything else stops, changing no file."""
        self("reset", "-q", self.tracking)
        self("checkout-index", "-a", "-q", check=False)  # exit 1 when some files exist
        if missing := self.lines("ls-files", "-z", "--deleted"):
            raise StoreError(f"could not write {missing[0]} from {self.remote} into {self.root}")
        differ = self.lines("ls-files", "-z", "--modified")
        others = [p for p in differ if not p.startswith(ADDRESSED) and p != ".gitignore"]
        if others:
            raise StoreError(
                f"the store {self.root} and {self.remote} both hold {', '.join(others[:5])} "
                "with different content; keep one copy, then run lsqm again"
            )
        if ".gitignore" in differ:
            mine = (self.root / ".gitignore").read_text(encoding="utf-8").splitlines()
            theirs = self("show", f"{self.tracking}:.gitignore").output.splitlines()
            merged = theirs + [line for line in mine if line not in theirs]
            atomic_write_text(self.root / ".gitignore", "\n".join(merged) + "\n")
        if addressed := [p for p in differ if p.startswith(ADDRESSED)]:
            self("checkout", "--", *addressed)
        self("branch", "-q", f"--set-upstream-to=origin/{self.branch}")

    def rebase(self, onto: str) -> None:
        """Rebase local commits onto ``onto``. Conflicts only in content-addressed folders
        (``architectures/``, ``apps/``: the same content stored twice) keep the remote's
        copy; any other conflict aborts the rebase (the local commits stay) and says which
        files."""
        done = self("rebase", "-q", "--autostash", onto, check=False)
        while not done.ok:
            conflicted = self.lines("diff", "--name-only", "--diff-filter=U", "-z")
            if not conflicted or not all(p.startswith(ADDRESSED) for p in conflicted):
                self("rebase", "--abort", check=False)
                if not conflicted:
                    raise self.failure("rebase", done)
                raise StoreError(
                    f"pushing to {self.remote}: another writer changed the same file(s) "
                    f"({', '.join(conflicted[:5])}); your commit is kept in {self.root}: "
                    "resolve with git there, then 'lsqm push' again"
                )
            self("checkout", "--ours", "--", *conflicted)  # in a rebase, ours is upstream
            self("add", "--", *conflicted)
            if self("diff", "--cached", "--quiet", check=False).ok:
                done = self("rebase", "--skip", check=False)
            else:
                done = self("rebase", "--continue", check=False)

    def lines(self, *args: str) -> list[str]:
        """A ``-z`` listing as paths."""
        return [p for p in self(*args).output.split("\0") if p.strip()]


_IDENTITY = {
    "GIT_AUTHOR_NAME": "lsqm",
    "GIT_AUTHOR_EMAIL": "lsqm@localhost",
    "GIT_COMMITTER_NAME": "lsqm",
    "GIT_COMMITTER_EMAIL": "lsqm@localhost",
}


def _same_remote(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        if "://" in url:
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(netloc=parts.hostname or "", scheme=parts.scheme))
        return url.rstrip("/").removesuffix(".git")

    return norm(a) == norm(b)


# -- sync ----------------------------------------------------------------------------------
@dataclass
class SyncReport:
    remote: str
    action: str  # cloned, adopted, fast-forwarded, rebased, up to date, empty remote, would ...
    commit: str | None = None
    incoming: int = 0  # commits taken from the remote
    local: int = 0  # local commits not yet pushed (rebased onto the remote's)

    def describe(self) -> str:
        where = f" at {self.commit[:12]}" if self.commit else ""
        extra = f", {self.incoming} new commit(s)" if self.incoming else ""
        extra += f", {self.local} local commit(s) on top" if self.local else ""
        return f"{self.action} from {self.remote}{where}{extra}"

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "action": self.action,
            "commit": self.commit,
            "incoming": self.incoming,
            "local": self.local,
        }


def sync(settings: Settings, root: Path, *, dry_run: bool = False) -> SyncReport:
    """Clone the remote into ``root``, or bring ``root`` up to date with it (fast-forward;
    local commits not yet pushed are rebased on top). Files lsqm wrote and did not push yet
    are kept."""
    with StoreGit(root, settings) as git:
        remote = str(git.remote)
        if dry_run:
            verb = "would fast-forward" if git.is_repo() else "would clone"
            return SyncReport(remote, verb)
        fresh = not root.exists() or not any(root.iterdir())
        git.ensure_repo()
        if not git.fetch():
            return SyncReport(remote, "empty remote", git.head())
        if git.head() is None:
            git.adopt_remote()
            return SyncReport(remote, "cloned" if fresh else "adopted", git.head())
        local = git.count(f"{git.tracking}..HEAD")
        incoming = git.count(f"HEAD..{git.tracking}")
        if not incoming:
            return SyncReport(remote, "up to date", git.head(), 0, local)
        if not local:
            git("merge", "-q", "--ff-only", git.tracking)
            return SyncReport(remote, "fast-forwarded", git.head(), incoming)
        git.rebase(git.tracking)
        return SyncReport(remote, "rebased", git.head(), incoming, local)


# -- push ----------------------------------------------------------------------------------
@dataclass
class PushReport:
    remote: str
    branch: str
    commit: str | None = None
    committed: bool = False
    pushed: bool = False
    attempts: int = 0
    rebased: int = 0  # times another writer had pushed first
    changed: dict[str, int] = field(default_factory=dict)  # architectures, apps, runs, files
    capped: list[str] = field(default_factory=list)  # logs cut before they entered git

    def describe(self) -> str:
        what = ", ".join(f"{n} {k}" for k, n in self.changed.items() if n) or "nothing new"
        if not self.pushed:
            return f"{what}; nothing to push to {self.remote}"
        again = f" after {self.rebased} rebase(s) over other writers" if self.rebased else ""
        return f"pushed {what} to {self.remote} ({self.branch}){again}"

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "branch": self.branch,
            "commit": self.commit,
            "committed": self.committed,
            "pushed": self.pushed,
            "attempts": self.attempts,
            "rebased": self.rebased,
            "changed": self.changed,
            "capped_logs": self.capped,
        }


def push(
    settings: Settings, root: Path, *, message: str | None = None, dry_run: bool = False
) -> PushReport:
    """Commit what lsqm wrote into the store and push it. When another writer pushed first,
    fetch, rebase and try again (``push_attempts`` times, with a short random wait)."""
    with StoreGit(root, settings) as git:
        if not root.is_dir():
            raise UsageError(f"no store at {root}; nothing to push (run 'lsqm sync' first)")
        report = PushReport(str(git.remote), git.branch)
        if dry_run:
            if git.is_repo():
                paths = git.lines("ls-files", "-z", "--others", "--modified", "--exclude-standard")
            else:
                paths = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
            report.changed = _changes(paths)
            return report
        git.ensure_repo()
        if git.head() is None and git.fetch():
            git.adopt_remote()  # a local store joins the remote's history
        ensure_gitignore(root)
        report.capped = cap_logs(git, settings.log_cap_bytes)
        git("add", "-A")
        staged = git.lines("diff", "--cached", "--name-only", "-z")
        report.changed = _changes(staged)
        if staged:
            git("commit", "-q", "-m", message or _message(report.changed, staged))
            report.committed = True
        report.commit = git.head()
        if report.commit is None:
            return report
        _push_with_retries(git, settings, report)
        return report


def _push_with_retries(git: StoreGit, settings: Settings, report: PushReport) -> None:
    if git.has(git.tracking) and git.count(f"{git.tracking}..HEAD") == 0:
        return  # nothing the remote lacks
    for attempt in range(1, settings.push_attempts + 1):
        report.attempts = attempt
        done = git("push", "--porcelain", "origin", f"HEAD:refs/heads/{git.branch}", check=False)
        if done.ok:
            report.pushed, report.commit = True, git.head()
            git.fetch()  # the tracking ref now names what was pushed
            return
        if not _REJECTED.search(done.output):
            raise git.failure("push", done)
        report.rebased += 1
        time.sleep(random.uniform(0.2, 1.0) * attempt)  # writers racing do not collide again
        git.fetch()
        git.rebase(git.tracking)
    raise StoreError(
        f"pushing to {git.remote}: other writers kept pushing first ({settings.push_attempts} "
        f"tries); your commit is kept in {git.root}; run 'lsqm push' again"
    )


def _changes(paths: list[str]) -> dict[str, int]:
    """New or changed architectures, apps and runs among ``paths`` (store-relative)."""
    found: dict[str, set[str]] = {"architectures": set(), "apps": set(), "runs": set()}
    for path in paths:
        parts = path.split("/")
        if len(parts) > 1 and parts[0] in found:
            found[parts[0]].add(parts[1])
    return {**{k: len(v) for k, v in found.items()}, "files": len(paths)}


def _message(changed: dict[str, int], paths: list[str]) -> str:
    runs = sorted({p.split("/")[1] for p in paths if p.startswith("runs/") and "/" in p[5:]})
    subject = f"lsqm: run {runs[-1]}" if len(runs) == 1 else "lsqm: store update"
    what = ", ".join(f"{n} {k}" for k, n in changed.items() if n)
    return f"{subject}\n\n{what}"


# -- what enters git ---------------------------------------------------------------------
def ensure_gitignore(root: Path) -> None:
    """The store's ``.gitignore`` holds :data:`IGNORED` (other lines are kept)."""
    path = root / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    missing = [line for line in IGNORED if line not in lines]
    if missing:
        atomic_write_text(path, "\n".join([*lines, *missing]) + "\n")


def cap_logs(git: StoreGit, cap: int) -> list[str]:
    """Cut every new or changed log under ``runs/*/logs/`` bigger than ``cap`` bytes; the
    store-relative paths of those cut."""
    paths = git.lines("ls-files", "-z", "--others", "--modified", "--exclude-standard", "runs")
    capped = []
    for rel in paths:
        parts = rel.split("/")
        path = git.root / rel
        if len(parts) > 3 and parts[2] == "logs" and path.is_file() and path.stat().st_size > cap:
            cap_log(path, cap)
            capped.append(rel)
    return capped


def cap_log(path: Path, cap: int) -> None:
    """Keep a log's first quarter and last three quarters of ``cap`` bytes (whole lines) and
    say in between what was cut; the whole log moves to ``<name>.full``."""
    data = path.read_bytes()
    head_end = data.rfind(b"\n", 0, cap // 4) + 1
    tail_start = len(data) - (cap - cap // 4 - 512)
    tail_start = data.find(b"\n", tail_start) + 1 or tail_start
    middle = data[head_end:tail_start]
    lines = middle.count(b"\n")
    errors = sum(1 for line in middle.splitlines() if b"error" in line.lower())
    note = (
        f"\n[lsqm: {len(middle):,} bytes ({lines:,} lines, {errors:,} of them mentioning an "
        f"error) cut here to keep git history small; the whole log is {path.name}.full beside "
        "this file on the machine that ran it]\n\n"
    ).encode()
    full = path.with_name(path.name + ".full")
    os.replace(path, full)
    atomic_write_text(path, (data[:head_end] + note + data[tail_start:]).decode("utf-8", "replace"))


__all__ = [
    "PushReport",
    "Remote",
    "StoreGit",
    "SyncReport",
    "cap_log",
    "configured_remote",
    "push",
    "resolve_remote",
    "sync",
]
