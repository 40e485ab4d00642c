"""LocalStack version order. Releases went from SemVer (``4.14.0``) to CalVer (``2026.3.0``)
in March 2026; both are PEP 440 versions, so one ordering sorts them together correctly
(``4.14.0 < 2026.3.0``). Text that is no version at all (``latest``, ``unknown``) sorts after
every release, alphabetically, instead of failing."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import InvalidVersion, Version


def version_key(text: str) -> tuple[int, Version | str]:
    """A sort key: releases in release order, then anything unparseable by name."""
    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


def sort_versions(versions: Iterable[str]) -> list[str]:
    return sorted(set(versions), key=version_key)


def is_prerelease(text: str) -> bool:
    """Dev builds and release candidates (``4.14.1.dev23``, ``2026.4.0rc1``)."""
    try:
        return Version(text).is_prerelease
    except InvalidVersion:
        return False
