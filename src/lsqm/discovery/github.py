"""The ``github_repos`` and ``github_orgs`` sources, through the REST API.

A repository is listed with two conditional requests (the branch's commit, then the
recursive git tree, which is immutable per SHA), so an unchanged repository costs two 304s
and nothing else. Folder digests are git tree SHAs. Content comes as one tarball per commit,
downloaded only when a candidate in it is new or changed, unpacked with entry checks, and
kept in the cache.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.discovery.archive import extract_to_cache
from lsqm.discovery.http import ApiClient
from lsqm.discovery.interface import Snapshot, pick_candidates
from lsqm.discovery.local import scan_tree
from lsqm.errors import RateLimitExhausted, SourceError

GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass
class GitHubRepos:
    """Shared by both GitHub kinds: turns one repository's API record into a snapshot."""

    api: ApiClient
    cache_dir: Path
    max_archive_bytes: int

    def snapshot(self, repo: dict[str, Any], ref: str | None, globs: list[str]) -> Snapshot:
        full = str(repo["full_name"])
        branch = ref or str(repo.get("default_branch") or "HEAD")
        commit_reply = self.api.get_json(f"/repos/{full}/commits/{branch}")
        commit = str(commit_reply.body["sha"])
        tree_sha = str(commit_reply.body.get("commit", {}).get("tree", {}).get("sha") or commit)
        tree = self.api.get_json(f"/repos/{full}/git/trees/{tree_sha}", {"recursive": "1"}).body
        url = str(repo.get("html_url") or f"https://github.com/{full}")
        extra = {
            "stars": int(repo.get("stargazers_count") or 0),
            "topics": list(repo.get("topics") or []),
            "repo": full,
        }
        fetch = self._fetcher(full, commit)
        if tree.get("truncated"):
            # Too big to list through the API: list the downloaded tarball instead.
            root = fetch()
            listing = scan_tree(root)
            digests, tf_dirs = listing.digests, listing.tf_dirs
        else:
            digests = {".": str(tree.get("sha") or tree_sha)}
            tf_dirs = {}
            for item in tree.get("tree", []):
                path = str(item.get("path", ""))
                if item.get("type") == "tree":
                    digests[path] = str(item.get("sha"))
                elif item.get("type") == "blob" and path.endswith(".tf"):
                    folder = path.rsplit("/", 1)[0] if "/" in path else "."
                    tf_dirs[folder] = tf_dirs.get(folder, 0) + 1
        return Snapshot(
            kind="github",
            url=url,
            commit=commit,
            digests=digests,
            candidates=pick_candidates(tf_dirs, globs),
            tf_files=sum(tf_dirs.values()),
            fetch=fetch,
            name_prefix=full.split("/", 1)[-1],
            extra=extra,
        )

    def _fetcher(self, full: str, commit: str):  # type: ignore[no-untyped-def]
        def fetch() -> Path:
            folder = self.cache_dir / full.replace("/", "__") / commit
            if not (folder / "tree").is_dir():
                archive = folder / "source.tar.gz"
                self.api.download(
                    f"/repos/{full}/tarball/{commit}", archive, self.max_archive_bytes
                )
                try:
                    return extract_to_cache(archive, folder, self.max_archive_bytes)
                finally:
                    archive.unlink(missing_ok=True)
            return extract_to_cache(folder / "unused", folder, self.max_archive_bytes)

        return fetch


@dataclass
class GitHubReposSource:
    name: str
    repos: list[str]
    github: GitHubRepos
    paths: list[str] = field(default_factory=list)
    ref: str | None = None
    kind: str = "github_repos"

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        for spec in self.repos:
            try:
                repo = self.github.api.get_json(f"/repos/{spec}").body
                yield self.github.snapshot(repo, self.ref, self.paths)
            except RateLimitExhausted:
                raise
            except SourceError as exc:
                yield exc


@dataclass
class GitHubOrgsSource:
    name: str
    orgs: list[str]
    github: GitHubRepos
    paths: list[str] = field(default_factory=list)
    repo_pattern: str = "*"
    min_stars: int = 0
    max_repos: int | None = None
    kind: str = "github_orgs"

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        for org in self.orgs:
            count = 0
            pages = self.github.api.paginate(
                f"/orgs/{org}/repos", {"per_page": 100, "type": "public"}
            )
            for page in pages:
                if not isinstance(page, list):
                    raise SourceError(f"GitHub: /orgs/{org}/repos did not answer a list")
                for repo in page:
                    if repo.get("fork") or repo.get("archived") or repo.get("disabled"):
                        continue
                    if not fnmatch.fnmatchcase(str(repo.get("name", "")), self.repo_pattern):
                        continue
                    if int(repo.get("stargazers_count") or 0) < self.min_stars:
                        continue
                    if self.max_repos is not None and count >= self.max_repos:
                        return
                    count += 1
                    try:
                        yield self.github.snapshot(repo, None, self.paths)
                    except RateLimitExhausted:
                        raise
                    except SourceError as exc:
                        yield exc
