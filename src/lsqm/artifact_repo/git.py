"""git for one store: a private HOME holding the askpass script, a scrubbed environment
with the token as its one secret, every command through :mod:`lsqm.proc`."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from lsqm import proc
from lsqm.artifact_repo.remote import resolve_remote, same_remote
from lsqm.childenv import child_env
from lsqm.config import Settings, artifact_token
from lsqm.errors import StoreError, ToolMissing, UsageError
from lsqm.files import atomic_write_text

TOKEN_VAR = "LSQM_GIT_TOKEN"  # the one secret git's environment holds; the askpass prints it
ADDRESSED = ("architectures/", "apps/")  # named by content: two copies are the same thing
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

_IDENTITY = {
    "GIT_AUTHOR_NAME": "lsqm",
    "GIT_AUTHOR_EMAIL": "lsqm@localhost",
    "GIT_COMMITTER_NAME": "lsqm",
    "GIT_COMMITTER_EMAIL": "lsqm@localhost",
}


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
        elif same_remote(current.output.strip(), self.remote.url):
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
