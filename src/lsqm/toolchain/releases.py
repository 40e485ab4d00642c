"""Releases of a PyPI package and the day each was published, from the index's JSON API
(``/pypi/<name>/json``). The day is what date-locks an install (``uv --exclude-newer``): a
version gets the dependencies that existed when it was released.

The answer is kept in the cache (``<cache>/releases/<name>.json``) so a machine that has
asked once can install and list offline; a release the cache does not know needs the index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lsqm.errors import StoreError, ToolMissing, UsageError
from lsqm.files import atomic_write_json, read_json
from lsqm.versions import is_prerelease, sort_versions, version_key

PYPI_JSON = "https://pypi.org/pypi/{name}/json"
FRESH_S = 6 * 3600  # a cached index younger than this is used without asking again


@dataclass(frozen=True)
class Release:
    version: str
    uploaded: str  # ISO time of its first file, e.g. 2026-03-23T07:17:04
    yanked: bool = False

    @property
    def day(self) -> str:
        return self.uploaded[:10]

    @property
    def prerelease(self) -> bool:
        return is_prerelease(self.version)


def _cache_file(cache_dir: Path, name: str) -> Path:
    return cache_dir / "releases" / f"{name}.json"


def _parse(data: dict[str, Any]) -> list[Release]:
    found = []
    for version, files in (data.get("releases") or {}).items():
        if not files:
            continue  # a release without files cannot be installed
        uploaded = min(str(f["upload_time"]) for f in files)
        found.append(Release(version, uploaded, all(bool(f.get("yanked")) for f in files)))
    return sorted(found, key=lambda r: version_key(r.version))


def releases(cache_dir: Path, name: str, *, refresh: bool = False) -> list[Release]:
    """Every release of ``name``, oldest first (SemVer and CalVer in one order).

    Asks the index unless the cache is fresh; with the index out of reach the cached
    answer is used, and without one that is a :class:`ToolMissing` saying so.
    """
    path = _cache_file(cache_dir, name)
    cached = _read_cache(path)
    if cached is not None and not refresh and time.time() - cached[0] < FRESH_S:
        return cached[1]
    try:
        response = httpx.get(PYPI_JSON.format(name=name), timeout=20, follow_redirects=True)
        response.raise_for_status()
        found = _parse(response.json())
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        if cached is not None:
            return cached[1]
        raise ToolMissing(
            f"cannot read the releases of {name} from PyPI ({type(exc).__name__}); "
            "check the network (the list is cached after the first success)"
        ) from None
    atomic_write_json(
        path,
        {
            "fetched": time.time(),
            "releases": [[r.version, r.uploaded, r.yanked] for r in found],
        },
    )
    return found


def _read_cache(path: Path) -> tuple[float, list[Release]] | None:
    try:
        data = read_json(path)
        return float(data["fetched"]), [Release(v, u, bool(y)) for v, u, y in data["releases"]]
    except (FileNotFoundError, StoreError, KeyError, TypeError, ValueError):
        return None


def release(cache_dir: Path, name: str, version: str) -> Release:
    """The release ``version`` of ``name``; an unknown version is a :class:`UsageError`
    naming the nearest releases (the cache is refreshed once before saying so)."""
    for refresh in (False, True):
        known = {r.version: r for r in releases(cache_dir, name, refresh=refresh)}
        if version in known:
            return known[version]
    stable = [v for v in known if not is_prerelease(v)]
    latest = ", ".join(sort_versions(stable)[-3:])
    raise UsageError(f"{name} has no release {version} on PyPI (latest: {latest})")
