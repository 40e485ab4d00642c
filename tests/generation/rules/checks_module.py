"""``lsqm_checks`` as the generated apps import it: the modules shipped in the package
(``lsqm_checks.py`` and its per-service ``lsqm_checks_<service>.py``), imported by their own
names from the app folder so their pure helpers can be tested directly."""

from __future__ import annotations

import importlib
import sys
from importlib import resources
from types import ModuleType


def _load(name: str) -> ModuleType:
    folder = str(resources.files("lsqm.generation.rules").joinpath("app"))
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module(name)


def service(name: str) -> ModuleType:
    """One service's checks module (``s3``, ``sqs``, ``core``...), for its private helpers."""
    return _load(f"lsqm_checks_{name}")


lsqm_checks = _load("lsqm_checks")
