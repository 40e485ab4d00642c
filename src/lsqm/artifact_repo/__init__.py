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

from lsqm.artifact_repo.git import StoreGit
from lsqm.artifact_repo.history import cap_log, ensure_gitignore
from lsqm.artifact_repo.push import PushReport, push
from lsqm.artifact_repo.remote import Remote, configured_remote, resolve_remote
from lsqm.artifact_repo.sync import SyncReport, sync

__all__ = [
    "PushReport",
    "Remote",
    "StoreGit",
    "SyncReport",
    "cap_log",
    "configured_remote",
    "ensure_gitignore",
    "push",
    "resolve_remote",
    "sync",
]
