"""The single place that builds a child process's environment.

Terraform and tests come from strangers, so a child starts from an allow-list of harmless
variables, never from a copy of ours: no GITHUB_TOKEN, ANTHROPIC_API_KEY, webhook URLs or
real AWS credentials reach it. Callers add exactly what the child needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lsqm.redact import SECRET_NAME

# Harmless variables a child may inherit: locale, time zone, where executables live, and
# where this machine keeps its TLS roots and proxies (installers fail without them).
_INHERIT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TERM",
    "SYSTEMROOT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
_AWS_TEST_KEYS = frozenset({"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"})

# The one secret a child may receive: LocalStack's auth token, and only the docker runtime's
# container gets it (through the docker client's environment, never a command line).
LOCALSTACK_AUTH_VAR = "LOCALSTACK_AUTH_TOKEN"

# Where the docker client finds its daemon (rootless Docker, colima, a remote engine) and its
# contexts; the client is lsqm's own tool, so it gets these, and nothing else of ours.
_DOCKER_CLIENT_VARS = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")

EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
}


def child_env(
    home: Path,
    extra: Mapping[str, str] | None = None,
    *,
    allow_secrets: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Environment for an untrusted child: allow-listed basics, a private HOME, ``extra``.

    A secret-looking name in ``extra`` is refused unless listed in ``allow_secrets`` (the
    docker runtime passes ``LOCALSTACK_AUTH_TOKEN`` to the emulator, nothing else does).
    """
    env = {k: os.environ[k] for k in _INHERIT if k in os.environ}
    env["HOME"] = str(home)
    env["TMPDIR"] = str(home)
    for key, value in (extra or {}).items():
        if SECRET_NAME.search(key) and key not in allow_secrets and key not in _AWS_TEST_KEYS:
            raise ValueError(f"refusing to pass secret-looking variable {key} to a child")
        env[key] = value
    return env


def aws_env(endpoint: str, region: str) -> dict[str, str]:
    """What a test (and terraform) needs to reach the emulator and nothing real."""
    return {
        **EMULATOR_CREDENTIALS,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def docker_client_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The docker client's environment: the allow-list, its daemon settings, ``extra``."""
    client = {k: os.environ[k] for k in _DOCKER_CLIENT_VARS if os.environ.get(k)}
    client["DOCKER_CONFIG"] = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return child_env(
        home, {**client, **(extra or {})}, allow_secrets=frozenset({LOCALSTACK_AUTH_VAR})
    )
