"""The message callback every stage takes: one line for the user (``say``), and the
listener that says nothing. Defined once, low, so every layer names it the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Say: TypeAlias = Callable[[str], None]


def quiet(_message: str) -> None:
    """The default listener: says nothing."""
