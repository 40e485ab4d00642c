"""``lsqm_checks`` as the generated apps import it: the file shipped in the package, loaded
under its own name so its pure helpers can be tested directly."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from types import ModuleType


def _load() -> ModuleType:
    path = resources.files("lsqm.generation.rules").joinpath("app", "lsqm_checks.py")
    spec = importlib.util.spec_from_file_location("lsqm_checks", str(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lsqm_checks"] = module
    spec.loader.exec_module(module)
    return module


lsqm_checks = _load()
