"""Settings: read once, here, from ``lsqm.yaml``, then the environment, then CLI options.

Precedence (last wins): defaults < config file < environment < command line. Every setting
``name`` can be set as ``LSQM_NAME`` (``LSQM_DISCOVERY_NAME`` for ``discovery.name``); a few
have the names the seed's workflow uses (``ANTHROPIC_API_KEY``, ``LOCALSTACK_AUTH_TOKEN``).
A bad file or value becomes a :class:`~lsqm.errors.UsageError` naming the file, the key and
what is wrong. YAML files (this one and ``sources.yaml``) are read through :func:`read_yaml`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from lsqm.errors import UsageError

DEFAULT_LOCALSTACK_VERSION = "2026.3.0"
DEFAULT_MOTO_VERSION = "5.2.5"  # moto[server] for `--emulator moto`, date-locked like LocalStack
DEFAULT_MINISTACK_VERSION = "1.5.33"  # `--emulator ministack`, from PyPI, date-locked
DEFAULT_LOCALEMU_VERSION = "1.3.2"  # `--emulator localemu`, from PyPI, date-locked
EMULATOR_NAME = r"^[a-z][a-z0-9-]{0,39}$"
CONFIG_FILE = "lsqm.yaml"  # read from the working directory when --config is not given
SOURCES_FILE = "sources.yaml"  # what `mine` reads from the working directory by default
ENV_PREFIX = "LSQM_"

# Variables named as the seed's workflow and its users name them, besides LSQM_<NAME>.
ENV_ALIASES = {
    "LSQM_ARTIFACTS": "artifacts_dir",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "ANTHROPIC_API_KEY": "anthropic_api_key",
    "LOCALSTACK_AUTH_TOKEN": "localstack_auth_token",
    "ARTIFACT_REPO": "artifact_repo",
    "SLACK_WEBHOOK_URL": "slack_webhook_url",
    "GITHUB_STEP_SUMMARY": "step_summary",
}

# Settings that are secrets: read from the environment only, never from a file (a config
# file is usually committed, and the artifact store is a git repository).
SECRET_SETTINGS = {
    "anthropic_api_key": "ANTHROPIC_API_KEY",
    "localstack_auth_token": "LOCALSTACK_AUTH_TOKEN",
    "slack_webhook_url": "SLACK_WEBHOOK_URL",
}
# Tokens git may use for the artifact repository, in order (read where used, never stored).
ARTIFACT_TOKEN_VARS = ("ARTIFACT_REPO_TOKEN", "GITHUB_TOKEN")


# Services LocalStack's core (community) edition serves: the default target of `mine`.
COMMUNITY_SERVICES = (
    "acm",
    "apigateway",
    "cloudformation",
    "cloudwatch",
    "config",
    "dynamodb",
    "dynamodbstreams",
    "ec2",
    "es",
    "events",
    "firehose",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "opensearch",
    "redshift",
    "resource-groups",
    "resourcegroupstaggingapi",
    "route53",
    "route53resolver",
    "s3",
    "s3control",
    "scheduler",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
    "sts",
    "support",
    "swf",
    "transcribe",
)

# Providers `mine` keeps by default: AWS and the hashicorp utility providers real Terraform
# uses alongside it (none of them calls anything outside the workspace).
DEFAULT_PROVIDERS = ("aws", "archive", "local", "null", "random", "time", "tls")


class DiscoverySettings(BaseModel):
    """What `mine` keeps (the standalone filter's policy) and how it talks to GitHub/Registry."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    sources_file: Path | None = Field(
        default=None, description="sources.yaml; default: ./sources.yaml when present"
    )
    allowed_providers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PROVIDERS),
        description="providers a kept architecture may use (terraform init installs them from "
        "the registry; offline, validate reports one it cannot install as ERROR/environment)",
    )
    supported_services: list[str] = Field(
        default_factory=lambda: list(COMMUNITY_SERVICES),
        description="services the target emulator offers; an architecture using others is "
        "kept and says which (its gaps are what validate measures)",
    )
    skip_unsupported_services: bool = Field(
        default=False,
        description="reject architectures that use services outside supported_services",
    )
    allow_exec: bool = Field(
        default=False, description="keep local-exec/remote-exec provisioners and external data"
    )
    max_file_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_candidate_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    github_api_url: str = "https://api.github.com"
    registry_url: str = "https://registry.terraform.io"
    github_token_env: str = Field(
        default="GITHUB_TOKEN", description="environment variable holding an optional token"
    )
    http_retries: int = Field(default=4, ge=0, le=10)
    http_backoff_s: float = Field(default=1.0, ge=0)
    http_max_wait_s: float = Field(
        default=120.0, ge=0, description="longest rate-limit wait before giving up politely"
    )
    http_timeout_s: float = Field(default=30.0, gt=0)
    git_timeout_s: float = Field(default=300.0, gt=0)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lsqm"


class EmulatorProfile(BaseModel):
    """An emulator the user runs, named in ``lsqm.yaml`` (``emulator_profiles:``) and chosen
    with ``--profile NAME``: how to reach, check and reset it, and what to call it."""

    model_config = ConfigDict(extra="forbid")

    emulator: str = Field(pattern=EMULATOR_NAME, description="its name in results")
    endpoint: str
    reset_url: str | None = None
    health_path: str | None = None
    version: str | None = Field(default=None, description="when it does not report one")


class Settings(BaseModel):
    """Every knob lsqm has. Unknown keys are an error, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    artifacts_dir: Path = Path("lsqm-artifacts")
    cache_dir: Path = Field(default_factory=_default_cache)
    localstack_version: str = DEFAULT_LOCALSTACK_VERSION
    emulator: str = Field(
        default="localstack",
        pattern=EMULATOR_NAME,
        description="which emulator validate runs: localstack, moto, ministack, localemu "
        "(lsqm runs them), or any name for one you run (--runtime external)",
    )
    moto_version: str = DEFAULT_MOTO_VERSION
    ministack_version: str = DEFAULT_MINISTACK_VERSION
    localemu_version: str = DEFAULT_LOCALEMU_VERSION
    runtime: Literal["auto", "host", "docker", "external"] = "auto"
    endpoint: str | None = None
    reset_url: str | None = Field(
        default=None, description="external emulator: POST here empties its state"
    )
    health_path: str | None = Field(
        default=None, description="external emulator: GET this path answers 2xx when healthy"
    )
    emulator_version: str | None = Field(
        default=None, description="external emulator: its version, when it does not report one"
    )
    emulator_profiles: dict[str, EmulatorProfile] = Field(
        default_factory=dict, description="emulators you run, by name (--profile NAME)"
    )
    profile: str | None = Field(default=None, description="use emulator_profiles[NAME]")
    region: str = "us-east-1"
    terraform: str | None = Field(
        default=None, description="terraform or tofu executable; default: PATH, then offline"
    )
    offline_toolchain: bool = Field(
        default=False, description="always use the offline Terraform 1.0.3 + aws 3.39.0 toolchain"
    )
    parallel: int = Field(default=1, ge=1, le=16)
    timeout: float = Field(default=600.0, gt=0, description="limit for each stage, in seconds")
    sandbox: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="run terraform and tests in a bwrap filesystem sandbox: auto (when "
        "bwrap works; a warning in run.json otherwise), required (refuse without), off",
    )
    rerun_failures: int = Field(
        default=0,
        ge=0,
        le=5,
        description="rerun a failing architecture up to N times; a verdict that changes is "
        "recorded as flaky with every attempt kept",
    )
    relax_provider_constraints: bool = Field(
        default=False,
        description="rewrite provider version constraints the available providers cannot meet",
    )
    share_provider_process: bool = Field(
        default=True,
        description="one AWS provider process per architecture instead of one per terraform "
        "phase (about twice as fast; terraform's own processes where it could differ)",
    )
    trace: bool = Field(
        default=True,
        description="record the AWS API calls that reach the emulator (a recording proxy in "
        "front of it); off (LSQM_TRACE=0) only to measure what recording costs",
    )
    eager_services: list[str] = Field(
        default_factory=list,
        description="services LocalStack loads at start-up (default: lazily, on first use)",
    )
    dynamodb_via_moto: bool = Field(
        default=True, description="serve DynamoDB with moto on the host runtime (no Java offline)"
    )
    generator: Literal["rules", "claude"] = "rules"
    anthropic_api_key: SecretStr | None = Field(
        default=None, description="only from the environment (ANTHROPIC_API_KEY); never logged"
    )
    localstack_auth_token: SecretStr | None = Field(
        default=None,
        description="LOCALSTACK_AUTH_TOKEN, for the docker image; only that container gets it",
    )
    anthropic_model: str = "claude-sonnet-5-5"
    anthropic_base_url: str | None = None
    anthropic_max_tokens: int = Field(default=16_000, ge=256, le=64_000)
    generate_budget_tokens: int | None = Field(
        default=None, ge=1, description="tokens one `generate --generator claude` run may use"
    )
    prompt_bytes: int = Field(
        default=150_000, ge=1_000, description="architecture files carried in a prompt, at most"
    )
    artifact_repo: str | None = Field(
        default=None,
        description="the artifact store's git remote: an https/ssh/file URL, a path (a bare "
        "repository) or owner/name on GitHub (ARTIFACT_REPO); unset: a local store",
    )
    artifact_branch: str = Field(
        default="main", pattern=r"^[\w][\w./-]*$", description="branch of the artifact remote"
    )
    github_url: str = Field(
        default="https://github.com", description="where an owner/name artifact_repo lives"
    )
    git_timeout: float = Field(default=600.0, gt=0, description="limit for one git command, s")
    push_attempts: int = Field(
        default=5, ge=1, le=20, description="push tries when other writers pushed first"
    )
    log_cap_bytes: int = Field(
        default=256 * 1024,
        ge=4096,
        description="a run's log bigger than this enters git cut to its head and tail with a "
        "summary of the rest (the whole log stays beside it as <name>.full, ignored by git)",
    )
    slack_webhook_url: SecretStr | None = Field(
        default=None, description="only from the environment (SLACK_WEBHOOK_URL); never printed"
    )
    report_url: str | None = Field(
        default=None,
        description="where the report is published (e.g. GitHub Pages), for links in Slack",
    )
    step_summary: Path | None = Field(
        default=None,
        description="GitHub Actions' step summary file (GITHUB_STEP_SUMMARY): notify writes "
        "the run's summary there",
    )
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from the file (if any), the environment, then ``overrides``
    (command-line options; None means "not given"). An invalid value is a UsageError that
    names where it came from: the file, the variable or the option."""
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if config_file is not None:
        found = read_yaml(config_file, "config file")
        if found is not None and not isinstance(found, dict):
            raise UsageError(
                f"config file {config_file} must be a mapping of settings, "
                f"not a {type(found).__name__}"
            )
        for key in found or {}:
            if key in SECRET_SETTINGS:
                raise UsageError(
                    f"config file {config_file}: '{key}' is a secret; set "
                    f"{SECRET_SETTINGS[key]} in the environment instead (a file ends up in git)"
                )
        data.update(found or {})
        origins.update(_origins(data, f"in {config_file}"))
    env_found, env_origins = _settings_from_env(dict(os.environ))
    for key, value in env_found.items():
        if isinstance(value, dict):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    origins.update(env_origins)
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    origins.update({k: "from the command line" for k in given})
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise UsageError(explain_invalid(exc, "setting", origins=origins)) from None


def _origins(data: dict[str, Any], where: str) -> dict[str, str]:
    found = {key: where for key in data}
    discovery = data.get("discovery")
    if isinstance(discovery, dict):
        found.update({f"discovery.{key}": where for key in discovery})
    return found


def settings_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings given as environment variables: ``LSQM_<NAME>`` for every setting,
    ``LSQM_DISCOVERY_<NAME>`` for discovery's, and :data:`ENV_ALIASES`."""
    return _settings_from_env(dict(os.environ if environ is None else environ))[0]


def _settings_from_env(env: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings found in ``env``, and for each key the variable it came from."""
    found: dict[str, Any] = {}
    origins: dict[str, str] = {}
    discovery: dict[str, Any] = {}
    for var, key in ENV_ALIASES.items():
        if env.get(var):
            found[key], origins[key] = env[var], f"from {var}"
    for key, field in Settings.model_fields.items():
        var = f"{ENV_PREFIX}{key.upper()}"
        if env.get(var) and key != "discovery":
            found[key], origins[key] = _env_value(field.annotation, env[var]), f"from {var}"
    for key, field in DiscoverySettings.model_fields.items():
        var = f"{ENV_PREFIX}DISCOVERY_{key.upper()}"
        if env.get(var):
            discovery[key] = _env_value(field.annotation, env[var])
            origins[f"discovery.{key}"] = f"from {var}"
    if discovery:
        found["discovery"] = discovery
    return found, origins


def _env_value(annotation: Any, value: str) -> Any:
    """Lists come as comma-separated text, mappings as JSON; everything else is parsed by the
    model."""
    if get_origin(annotation) is list:
        return [part.strip() for part in value.split(",") if part.strip()]
    if get_origin(annotation) is dict:
        try:
            return json.loads(value)
        except ValueError:
            return value  # the model says what is wrong with it
    return value


def bundled_examples() -> Path | None:
    """The repository's ``examples/`` folder (the embedded default source), when present."""
    package_root = Path(__file__).resolve().parents[2]
    for candidate in (package_root / "examples", Path("examples")):
        if candidate.is_dir():
            return candidate
    return None


def github_token(settings: Settings) -> str | None:
    """The optional GitHub token, read from the variable the settings name (never stored)."""
    return os.environ.get(settings.discovery.github_token_env) or None


def artifact_token() -> tuple[str, str] | None:
    """The token for the artifact repository and the variable it came from
    (``ARTIFACT_REPO_TOKEN``, else ``GITHUB_TOKEN``); read where used, never stored."""
    for var in ARTIFACT_TOKEN_VARS:
        if os.environ.get(var):
            return os.environ[var], var
    return None


def read_yaml(path: Path, what: str) -> Any:
    """Parse a YAML file lsqm reads (``what``: "config file", "sources file"); a missing,
    unreadable or malformed file is a UsageError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UsageError(f"{what} {path} is not valid YAML{where}; fix its syntax") from None


def explain_invalid(
    exc: ValidationError,
    noun: str,
    where: str = "",
    model: type[BaseModel] | None = None,
    *,
    origins: dict[str, str] | None = None,
) -> str:
    """One sentence for the first problem pydantic found: which key, where it came from
    (``origins``: key -> "in FILE" / "from VAR"; else ``where``), and what is wrong."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or noun
    if origins is not None:
        found = origins.get(key) or (origins.get(loc[0]) if loc else None)
        where = f" ({found})" if found else ""
    if err["type"] == "extra_forbidden":
        if model is None and origins is not None:
            model = DiscoverySettings if loc[:1] == ["discovery"] else Settings
        known = f"; known {noun}s: {', '.join(sorted(model.model_fields))}" if model else ""
        return f"unknown {noun} '{key}'{where}{known}"
    if err["type"] == "missing":
        return f"{noun} '{key}'{where} is required"
    shown = ""
    if loc and loc[-1] not in SECRET_SETTINGS and isinstance(err.get("input"), str | int | float):
        shown = f" (got {str(err['input'])[:60]!r})"
    return f"{noun} '{key}'{where} is invalid: {err['msg']}{shown}"
