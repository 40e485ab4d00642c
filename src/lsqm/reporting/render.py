"""The one Jinja environment every report format renders through: templates from
``reporting/templates`` (a folder given first overrides them, file by file), HTML and SVG
autoescaped, Markdown not (it has its own escaping filters), and the filters they share."""

from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import Markup

from lsqm.records import Status
from lsqm.redact import REDACTED, redact, secret_values


def environment(overrides: Path | None = None) -> Environment:
    """Every value a template prints is redacted on its way out (:class:`Redactor`)."""
    loaders: list[FileSystemLoader | PackageLoader] = [PackageLoader("lsqm.reporting", "templates")]
    if overrides is not None:
        loaders.insert(0, FileSystemLoader(overrides))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=Redactor(),
        auto_reload=False,  # one report renders the same templates thousands of times
    )
    env.filters.update(
        pct=pct,
        pts=pts,
        seconds=seconds,
        md=md_text,
        md_code=md_code,
        status_class=status_class,
        short=short,
    )
    return env


class Redacted(str):
    """Text that went through a :class:`Redactor` already (printed as it is)."""

    __slots__ = ()


class RedactedMarkup(Markup):
    """Markup made from redacted text (highlighted code): printed as it is."""

    __slots__ = ()


class Redactor:
    """:func:`lsqm.redact.redact` for every printed value, the environment's secret values
    read once (not once per value: a report prints hundreds of thousands). Values already
    redacted on the way in (:class:`Redacted`, :class:`RedactedMarkup`) are not scanned
    twice."""

    def __init__(self) -> None:
        self.values = secret_values()
        self._seen: dict[str, Redacted] = {}  # short texts recur: names, run ids, categories

    def __call__(self, value: object) -> object:
        kind = type(value)
        if kind is Redacted or kind is RedactedMarkup or kind is int or kind is float:
            return value  # the common cases first: a report prints hundreds of thousands
        if kind is str:
            return self.text(str(value))  # exactly a str: str() returns it as it is
        if isinstance(value, Redacted | RedactedMarkup | Enum):  # an Enum: fixed vocabulary
            return value
        if isinstance(value, Markup):
            return Markup(self.text(str(value)))  # [REDACTED] is no markup: still safe
        if isinstance(value, str):
            return self.text(value)
        return value

    def text(self, text: str) -> Redacted:
        if len(text) < 6:  # shorter than any secret value or token pattern
            return Redacted(text)
        short = len(text) <= 200
        if short and text in self._seen:
            return self._seen[text]
        clean = text
        for secret in self.values:
            clean = clean.replace(secret, REDACTED)
        done = Redacted(redact(clean, environ={}))
        if short:
            self._seen[text] = done
        return done


def _autoescape(name: str | None) -> bool:
    return name is None or not name.endswith((".md.j2", ".txt.j2"))


def pct(rate: float | None, digits: int = 1) -> str:
    """0.6234 -> "62.3%"; no results -> "n/a"."""
    return "n/a" if rate is None else f"{rate * 100:.{digits}f}%"


def pts(change: float | None) -> str:
    """A pass-rate change in percentage points, signed: "+2.5 pts", "±0.0 pts"."""
    if change is None:
        return "n/a"
    value = round(change * 100, 1)
    if value == 0:
        return "±0.0 pts"
    return f"{value:+.1f} pts"


def seconds(value: float | None) -> str:
    """A duration for people: 42s, 3m 05s, 2h 14m."""
    if value is None or math.isnan(value):
        return "n/a"
    total = round(value)
    if total < 60:
        return f"{value:.1f}s" if value < 10 else f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def short(text: str, length: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def status_class(status: Status | str | None) -> str:
    return f"st-{str(status).lower()}" if status else "st-none"


_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()#+!|<>~"})


def md_text(text: object) -> str:
    """Plain text inside Markdown (a table cell included): nothing in it is markup."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def md_code(text: object) -> str:
    """Text as an inline code span that survives a Markdown table (pipes escaped)."""
    body = " ".join(str(text).split()).replace("|", "\\|")
    if not body:
        return ""
    fence = "`"
    while fence in body:
        fence += "`"
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


class JsonBlock:
    """The table's data as JSON text for a ``<script type="application/json">`` block:
    ``<``, ``>`` and ``&`` escaped so no value can end the block, then redacted once more."""

    def __init__(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        self.text = redact(text)

    def __html__(self) -> str:
        return self.text
