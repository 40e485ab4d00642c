"""``sources.yaml``: which places `mine` looks in, validated, and turned into sources.

The format is documented in ``docs/sources.md``. A mistake in the file is a
:class:`~lsqm.errors.UsageError` (exit 2) naming the source and the field, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lsqm.config import SOURCES_FILE, Settings, bundled_examples, github_token, read_yaml
from lsqm.discovery.git import GitSource
from lsqm.discovery.github import GITHUB_HEADERS, GitHubOrgsSource, GitHubRepos, GitHubReposSource
from lsqm.discovery.http import ApiClient
from lsqm.discovery.interface import Source
from lsqm.discovery.local import LocalSource
from lsqm.discovery.registry import RegistrySource
from lsqm.errors import UsageError
from lsqm.messages import Say


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    paths: list[str] = Field(default_factory=list, description="folder globs; default: all")


class LocalSpec(_Spec):
    kind: Literal["local"]
    path: Path


class GitSpec(_Spec):
    kind: Literal["git"]
    url: str = Field(min_length=1)
    ref: str | None = None


class GitHubReposSpec(_Spec):
    kind: Literal["github_repos"]
    repos: list[Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")]] = Field(min_length=1)
    ref: str | None = None


class GitHubOrgsSpec(_Spec):
    kind: Literal["github_orgs"]
    orgs: list[Annotated[str, Field(pattern=r"^[\w.-]+$")]] = Field(min_length=1)
    repo_pattern: str = "*"
    min_stars: int = Field(default=0, ge=0)
    max_repos: int | None = Field(default=None, ge=1)


class RegistrySpec(_Spec):
    kind: Literal["terraform_registry"]
    query: str | None = None
    namespace: str | None = None
    verified: bool | None = True
    min_downloads: int = Field(default=0, ge=0)
    max_modules: int | None = Field(default=50, ge=1)
    page_size: int = Field(default=50, ge=1, le=100)


SourceSpec = Annotated[
    LocalSpec | GitSpec | GitHubReposSpec | GitHubOrgsSpec | RegistrySpec,
    Field(discriminator="kind"),
]
_SPECS: TypeAdapter[list[SourceSpec]] = TypeAdapter(list[SourceSpec])
KINDS = ("local", "git", "github_repos", "github_orgs", "terraform_registry")


def sources_file(settings: Settings) -> Path | None:
    configured = settings.discovery.sources_file
    if configured is not None:
        if not configured.is_file():
            raise UsageError(f"sources file {configured} does not exist; create it or fix the path")
        return configured
    default = Path(SOURCES_FILE)
    return default if default.is_file() else None


def load_specs(path: Path) -> list[SourceSpec]:
    """Read and validate a sources file; relative local paths are taken from its folder."""
    data = read_yaml(path, "sources file")
    if isinstance(data, dict):
        unknown = sorted(str(k) for k in data if k != "sources")
        if unknown:
            raise UsageError(
                f"sources file {path}: unknown top-level key '{unknown[0]}'; "
                "the file holds one key, 'sources:', a list of sources (see docs/sources.md)"
            )
        data = data.get("sources")
    if not isinstance(data, list) or not data:
        raise UsageError(
            f"sources file {path} must hold a non-empty list under 'sources:' (see docs/sources.md)"
        )
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise UsageError(
                f"sources file {path}: source {index + 1} must be a mapping with 'name' and "
                f"'kind', not a {type(entry).__name__}"
            )
    try:
        specs = _SPECS.validate_python(data)
    except ValidationError as exc:
        raise UsageError(_explain(exc, data, path)) from None
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"sources file {path}: source name {dupes[0]!r} is used twice")
    for index, spec in enumerate(specs):
        if isinstance(spec, LocalSpec):
            if not spec.path.is_absolute():
                spec.path = path.parent / spec.path
            if not spec.path.is_dir():
                raise UsageError(
                    f"sources file {path}: source {index + 1} ({spec.name!r}) field 'path': "
                    f"no folder {spec.path}"
                )
    return specs


def needs_github(spec: SourceSpec) -> bool:
    """Whether a source lists repositories through the GitHub API (``run`` skips those
    without a token: unauthenticated, the API allows 60 requests an hour)."""
    return isinstance(spec, GitHubReposSpec | GitHubOrgsSpec)


def _explain(exc: ValidationError, data: list[Any], path: Path) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    index = loc[0] if loc and isinstance(loc[0], int) else None
    entry = data[index] if index is not None and index < len(data) else None
    label = f"source {index + 1}" if index is not None else "a source"
    if isinstance(entry, dict) and entry.get("name"):
        label += f" ({entry['name']!r})"
    if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
        return f"sources file {path}: {label} needs 'kind', one of: {', '.join(KINDS)}"
    field = ".".join(str(p) for p in loc[2:]) or "entry"
    if err["type"] == "missing":
        return f"sources file {path}: {label} is missing required field '{field}'"
    if err["type"] == "extra_forbidden":
        return f"sources file {path}: {label} has unknown field '{field}'"
    value = err.get("input")
    shown = f" (got {str(value)[:60]!r})" if isinstance(value, str | int | float) else ""
    return f"sources file {path}: {label} field '{field}' is invalid: {err['msg']}{shown}"


def default_specs() -> list[SourceSpec]:
    examples = bundled_examples()
    if examples is None:
        raise UsageError(
            "no sources.yaml here and no bundled examples folder; "
            "create sources.yaml (see docs/sources.md) or pass --source PATH"
        )
    return [LocalSpec(kind="local", name="examples", path=examples)]


def select(specs: list[SourceSpec], choices: list[str]) -> list[SourceSpec]:
    """``--source`` values: a configured name, an existing folder, or a git URL."""
    if not choices:
        return specs
    by_name = {s.name: s for s in specs}
    picked: list[SourceSpec] = []
    for choice in choices:
        if choice in by_name:
            picked.append(by_name[choice])
        elif Path(choice).is_dir() and not (Path(choice) / ".git").exists():
            picked.append(LocalSpec(kind="local", name=choice, path=Path(choice)))
        elif Path(choice).is_dir() or "://" in choice or choice.startswith("git@"):
            picked.append(GitSpec(kind="git", name=choice, url=choice))
        else:
            known = ", ".join(sorted(by_name)) or "none"
            raise UsageError(
                f"unknown source {choice!r}: not a configured source name ({known}), "
                "an existing folder or a git URL"
            )
    return picked


def build(spec: SourceSpec, settings: Settings, say: Say) -> Source:
    """Turn a validated spec into a source bound to the cache and the HTTP policy."""
    d = settings.discovery
    cache = Path(os.path.abspath(settings.cache_dir)) / "discovery"
    max_archive = d.max_candidate_bytes * 4
    if isinstance(spec, LocalSpec):
        return LocalSource(spec.name, spec.path, spec.paths)
    if isinstance(spec, GitSpec):
        return GitSource(spec.name, spec.url, cache / "git", spec.ref, spec.paths, d.git_timeout_s)

    def client(base: str, label: str, headers: dict[str, str], token: str | None) -> ApiClient:
        return ApiClient(
            base_url=base, cache_dir=cache / "http", token=token, retries=d.http_retries,
            backoff_s=d.http_backoff_s, max_wait_s=d.http_max_wait_s, timeout_s=d.http_timeout_s,
            headers=headers, label=label, say=say,
        )  # fmt: skip

    if isinstance(spec, GitHubReposSpec | GitHubOrgsSpec):
        api = client(d.github_api_url, "GitHub", GITHUB_HEADERS, github_token(settings))
        repos = GitHubRepos(api, cache / "github", max_archive)
        if isinstance(spec, GitHubReposSpec):
            return GitHubReposSource(spec.name, spec.repos, repos, spec.paths, spec.ref)
        return GitHubOrgsSource(
            spec.name, spec.orgs, repos, spec.paths, spec.repo_pattern, spec.min_stars,
            spec.max_repos,
        )  # fmt: skip
    api = client(d.registry_url, "Terraform Registry", {"Accept": "application/json"}, None)
    return RegistrySource(
        spec.name, api, cache / "registry", d.git_timeout_s, max_archive, spec.query,
        spec.namespace, spec.verified, spec.min_downloads, spec.max_modules, spec.page_size,
    )  # fmt: skip
