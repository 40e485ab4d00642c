"""The ``terraform_registry`` source: the v1 modules API (``provider=aws``, verified,
a downloads threshold), paginated through ``meta.next_offset``.

A module version is immutable, so its id is the digest of every folder: an unchanged
version is never downloaded again. Candidates are the root module and each ``examples/*``
folder (from the version's detail record, or the downloaded tree when it has none). The
source comes from the module's repository, following the download endpoint's
``X-Terraform-Get``: a ``git::`` URL is cloned shallow, an archive URL is downloaded and
unpacked with entry checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from lsqm.discovery.archive import extract_to_cache
from lsqm.discovery.git import Git
from lsqm.discovery.http import ApiClient
from lsqm.discovery.interface import Snapshot, registry_candidates
from lsqm.discovery.local import scan_tree
from lsqm.errors import RateLimitExhausted, SourceError


@dataclass
class RegistrySource:
    name: str
    api: ApiClient
    cache_dir: Path
    git_timeout: float
    max_archive_bytes: int
    query: str | None = None
    namespace: str | None = None
    verified: bool | None = True
    min_downloads: int = 0
    max_modules: int | None = 50
    page_size: int = 50
    kind: str = "terraform_registry"

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        for module in self.modules():
            try:
                yield self.snapshot(module)
            except RateLimitExhausted:
                raise
            except SourceError as exc:
                yield exc

    def modules(self) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"provider": "aws", "limit": self.page_size, "offset": 0}
        if self.verified is not None:
            params["verified"] = str(self.verified).lower()
        path = "/v1/modules"
        if self.query:
            path, params["q"] = "/v1/modules/search", self.query
        elif self.namespace:
            path = f"/v1/modules/{self.namespace}"
        count = 0
        while True:
            body = self.api.get_json(path, params).body
            for module in body.get("modules", []):
                if self.namespace and module.get("namespace") != self.namespace:
                    continue
                if int(module.get("downloads") or 0) < self.min_downloads:
                    continue
                if self.max_modules is not None and count >= self.max_modules:
                    return
                count += 1
                yield module
            next_offset = (body.get("meta") or {}).get("next_offset")
            full = self.max_modules is not None and count >= self.max_modules
            if full or next_offset is None or next_offset == params["offset"]:
                return
            params["offset"] = next_offset

    def snapshot(self, module: dict[str, Any]) -> Snapshot:
        ident = "/".join(str(module[k]) for k in ("namespace", "name", "provider", "version"))
        detail = self.api.get_json(f"/v1/modules/{ident}").body
        url = f"{self.api.base_url.rstrip('/')}/modules/{ident.rsplit('/', 1)[0]}"
        fetch = self._fetcher(ident)
        examples = detail.get("examples")
        if isinstance(examples, list):
            dirs = ["."] + [str(e.get("path", "")).strip("/") for e in examples if e.get("path")]
            tf_files = 0  # unknown until fetched; counted when candidates are parsed
        else:
            listing = scan_tree(fetch())
            dirs, tf_files = list(listing.tf_dirs), listing.tf_files
        return Snapshot(
            kind="terraform_registry",
            url=url,
            commit=str(module["version"]),
            digests={},
            default_digest=ident,
            candidates=registry_candidates(dirs),
            tf_files=tf_files,
            fetch=fetch,
            name_prefix=f"{module['namespace']}-{module['name']}",
            extra={
                "downloads": int(module.get("downloads") or 0),
                "registry_id": ident,
                "repository": module.get("source"),
            },
        )

    def _fetcher(self, ident: str):  # type: ignore[no-untyped-def]
        def fetch() -> Path:
            response = self.api.head_or_get(f"/v1/modules/{ident}/download")
            target = response.headers.get("x-terraform-get")
            if not target:
                raise SourceError(f"registry: {ident} has no X-Terraform-Get download location")
            return self._get_source(ident, urljoin(str(response.url), target))

        return fetch

    def _get_source(self, ident: str, target: str) -> Path:
        key = hashlib.sha256(ident.encode()).hexdigest()[:16]
        if target.startswith("git::") or target.startswith("github.com/"):
            raw = target.removeprefix("git::")
            if raw.startswith("github.com/"):
                raw = "https://" + raw
            parts = urlsplit(raw)
            ref = next(iter(parse_qs(parts.query).get("ref", [])), None)
            path, _, subdir = parts.path.partition("//")
            url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
            checkout, _ = Git(self.cache_dir / "git", self.git_timeout).checkout(url, ref)
            return checkout / subdir if subdir else checkout
        if target.startswith(("http://", "https://")):
            folder = self.cache_dir / "archives" / key
            if not (folder / "tree").is_dir():
                archive = folder / "module.archive"
                self.api.download(target, archive, self.max_archive_bytes)
                try:
                    return extract_to_cache(archive, folder, self.max_archive_bytes)
                finally:
                    archive.unlink(missing_ok=True)
            return extract_to_cache(folder / "unused", folder, self.max_archive_bytes)
        raise SourceError(f"registry: {ident} downloads from {target!r}, a kind lsqm cannot fetch")
