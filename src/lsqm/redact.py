"""Remove secrets from text before it reaches a log, a result or a report.

Two passes: exact values of secret-looking environment variables the parent holds, then
patterns for well-known token shapes (so a token that arrived some other way is caught too).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|WEBHOOK|PRIVATE_KEY|CREDENTIAL|AUTH)",
    re.IGNORECASE,
)

_PATTERNS = [
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{10,}"),
    re.compile(r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"https://hooks\.slack\.com/[A-Za-z0-9/_\-]+"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"ls-[A-Za-z0-9]{4,}-[A-Za-z0-9\-]{8,}"),
]

# Values that are not secret even under a secret-looking name (the emulator's dummy creds).
_HARMLESS = {"", "test", "true", "false", "0", "1", "none"}

REDACTED = "[REDACTED]"


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment that look secret, longest first so substrings go last."""
    env = os.environ if environ is None else environ
    values = {
        v for k, v in env.items() if SECRET_NAME.search(k) and v.strip().lower() not in _HARMLESS
    }
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Return ``text`` with every known secret replaced by ``[REDACTED]``."""
    for value in secret_values(environ):
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
