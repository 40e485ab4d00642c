"""The probes every installer (LocalStack, moto, MiniStack, LocalEmu) runs on its venv, in
one place (``toolchain/venvs.py``): run on this machine's real interpreter."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest

from lsqm.errors import ToolMissing
from lsqm.toolchain import venvs


def fake_install(root: Path, minor: str = "3.12") -> Path:
    """``<root>/venv`` whose ``bin/python`` is this interpreter, with a ``lib/python3.x``."""
    bin_dir = root / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (root / "venv" / "lib" / f"python{minor}" / "site-packages").mkdir(parents=True)
    return bin_dir / "python"


def test_smoke_says_why_a_venv_cannot_run_code_or_nothing(tmp_path: Path) -> None:
    python = fake_install(tmp_path / "root")
    assert venvs.smoke(python, "import json, sys; sys.exit(0)") is None
    why = venvs.smoke(python, "import lsqm_no_such_module")
    assert why == "ModuleNotFoundError: No module named 'lsqm_no_such_module'"
    # HOME is the install's root; extra variables reach the code; arguments follow it.
    code = (
        "import os, sys; raise SystemExit(os.environ['HOME'] + ' ' + os.environ['X'] + sys.argv[1])"
    )
    assert venvs.smoke(python, code, "!", env={"X": "y"}) == f"{tmp_path / 'root'} y!"
    assert venvs.smoke(python, "raise SystemExit(3)") == "exit 3"
    assert len(venvs.smoke(python, "raise SystemExit('x' * 1000)") or "") == 300


def test_the_interpreters_version_and_a_missing_one(tmp_path: Path) -> None:
    assert venvs.python_version(Path(sys.executable)) == sys.version_info[:2]
    assert venvs.python_version(tmp_path / "nothing") == (0, 0)


def test_an_installs_python_recorded_else_read_off_its_venv(tmp_path: Path) -> None:
    fake_install(tmp_path / "root", "3.12")
    venv = tmp_path / "root" / "venv"
    assert venvs.venv_python_version({"python_version": "3.13"}, venv) == "3.13"
    assert venvs.venv_python_version({}, venv) == "3.12"
    assert venvs.venv_python_version({}, tmp_path / "none") == ""


def test_site_packages_of_a_venv_or_one_sentence(tmp_path: Path) -> None:
    fake_install(tmp_path / "root", "3.12")
    venv = tmp_path / "root" / "venv"
    assert venvs.site_packages(venv) == venv / "lib" / "python3.12" / "site-packages"
    with pytest.raises(ToolMissing, match="not a complete virtual environment"):
        venvs.site_packages(tmp_path)


def test_a_module_installed_as_a_distribution_with_entry_points(tmp_path: Path) -> None:
    fake_install(tmp_path / "root")
    venv = tmp_path / "root" / "venv"
    site = venvs.site_packages(venv)
    points = "[lsqm.test]\nhello = lsqm_demo_plugin:hello\n"
    venvs.install_module(venv, "lsqm_demo_plugin", "def hello():\n    return 1\n", points)
    found = [
        d
        for d in importlib.metadata.distributions(path=[str(site)])
        if d.name == "lsqm_demo_plugin"
    ]
    assert len(found) == 1
    assert [(e.name, e.value) for e in found[0].entry_points] == [
        ("hello", "lsqm_demo_plugin:hello")
    ]
    module = site / "lsqm_demo_plugin.py"
    os.utime(module, (0, 0))
    venvs.install_module(venv, "lsqm_demo_plugin", "def hello():\n    return 1\n", points)
    assert module.stat().st_mtime == 0  # the same one: left alone
    venvs.install_module(venv, "lsqm_demo_plugin", "def hello():\n    return 2\n", points)
    assert "return 2" in module.read_text()  # a changed one: written again
