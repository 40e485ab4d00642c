"""Install LocalStack as a host process: its own virtual environment, made with a
Python >= 3.12 found on this machine, with dependencies resolved as they were on the
version's release day (``uv --exclude-newer``) so today's releases cannot break it.

Layout: ``<cache>/localstack/<version>/venv`` plus ``installed.json`` once complete.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.errors import ToolMissing, UsageError
from lsqm.files import atomic_write_json, read_json

PYPI_JSON = "https://pypi.org/pypi/localstack-core/json"

# Release days of versions we have tested, used when the index cannot be asked.
KNOWN_RELEASE_DAYS = {"2026.3.0": "2026-03-23", "4.14.0": "2026-02-26"}

# moto serves DynamoDB offline; it ships with the runtime, but name it so uv keeps it.
EXTRA_PACKAGES = ("moto[server]",)

PLUGIN_DIST = "lsqm_localstack_plugin"
PLUGIN_SOURCE = Path(__file__).resolve().parent.parent / "emulator" / "localstack_plugin.py"
PLUGIN_ENTRY_POINTS = """\
[localstack.aws.provider]
dynamodb:moto = lsqm_localstack_plugin:dynamodb_moto
dynamodbstreams:moto = lsqm_localstack_plugin:dynamodbstreams_moto

[localstack.hooks.on_infra_start]
lsqm_routes = lsqm_localstack_plugin:register_routes
"""


@dataclass(frozen=True)
class LocalStackInstall:
    version: str
    python: Path
    venv: Path
    installed_now: bool

    def describe(self) -> str:
        verb = "installed" if self.installed_now else "found"
        return f"LocalStack {self.version} ({verb}) in {self.venv}"


def ensure_localstack(
    cache_dir: Path, version: str, *, log: Path | None = None
) -> LocalStackInstall:
    """Return a ready LocalStack host runtime of ``version``, installing it if needed."""
    if not re.fullmatch(r"[0-9][0-9A-Za-z.\-+]*", version):
        raise UsageError(f"'{version}' is not a LocalStack version (e.g. 2026.3.0 or 4.14.0)")
    root = cache_dir / "localstack" / version
    venv = root / "venv"
    python = venv / "bin" / "python"
    marker = root / "installed.json"
    if marker.is_file() and python.exists():
        _install_plugin(venv)
        return LocalStackInstall(version, python, venv, installed_now=False)

    interpreter = find_python312()
    uv = _uv_binary()
    cutoff = _exclude_newer(version)
    shutil.rmtree(venv, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    env = child_env(root, {"UV_CACHE_DIR": str(cache_dir / "uv")})
    log = log or root / "install.log"
    proc.run(
        [uv, "venv", "--quiet", "-p", str(interpreter), str(venv)], env=env, log_path=log
    ).check()
    result = proc.run(
        [
            uv,
            "pip",
            "install",
            "-p",
            str(python),
            "--exclude-newer",
            cutoff,
            f"localstack-core[runtime]=={version}",
            *EXTRA_PACKAGES,
        ],
        env=env,
        timeout=1200,
        log_path=log,
    )
    if not result.ok:
        tail = " | ".join(result.output.strip().splitlines()[-3:])
        raise ToolMissing(
            f"installing localstack-core {version} failed ({tail}); see {log}. "
            "Check that PyPI is reachable and the version exists."
        )
    _install_plugin(venv)
    atomic_write_json(
        marker, {"version": version, "exclude_newer": cutoff, "python": str(interpreter)}
    )
    return LocalStackInstall(version, python, venv, installed_now=True)


def find_python312() -> Path:
    """A Python >= 3.12 on this machine (3.13 first: 4.x breaks on 3.12's warnings module)."""
    candidates: list[Path] = []
    for name in ("python3.13", "python3.12", "python3.14"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    pyenv_root = Path.home() / ".pyenv" / "versions"
    if pyenv_root.is_dir():
        for folder in sorted(pyenv_root.iterdir(), reverse=True):
            if re.match(r"3\.1[2-9]\.", folder.name):
                candidates.append(folder / "bin" / "python3")
    candidates.sort(key=lambda p: "3.13" not in str(p))
    if sys.version_info >= (3, 12):
        candidates.append(Path(sys.executable))
    for candidate in candidates:
        if _python_version(candidate) >= (3, 12):
            return candidate
    raise ToolMissing(
        "LocalStack's host runtime needs Python >= 3.12 and none was found "
        "(looked for python3.13/python3.12 on PATH and in ~/.pyenv). Install one, e.g. "
        "'pyenv install 3.13' or 'apt-get install python3.13'."
    )


def _python_version(path: Path) -> tuple[int, int]:
    if not path.exists():
        return (0, 0)
    with tempfile.TemporaryDirectory(prefix="lsqm-py-") as home:
        try:
            result = proc.run(
                [str(path), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
                env=child_env(Path(home)),
                timeout=20,
            )
        except ToolMissing:
            return (0, 0)
    try:
        major, minor = result.output.split()[:2]
        return (int(major), int(minor)) if result.ok else (0, 0)
    except ValueError:
        return (0, 0)


def _uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise ToolMissing("'uv' is needed to install LocalStack; run 'pip install uv'")


def _exclude_newer(version: str) -> str:
    """The day after ``version`` was released: dependencies newer than that are ignored."""
    day = None
    try:
        response = httpx.get(PYPI_JSON, timeout=15, follow_redirects=True)
        response.raise_for_status()
        files = response.json()["releases"].get(version) or []
        if files:
            day = files[0]["upload_time"][:10]
        else:
            raise UsageError(f"localstack-core has no release {version} on PyPI")
    except (httpx.HTTPError, KeyError, ValueError):
        day = KNOWN_RELEASE_DAYS.get(version)
        if day is None:
            raise ToolMissing(
                f"cannot read the release date of localstack-core {version} from PyPI; "
                "check the network or choose one of " + ", ".join(KNOWN_RELEASE_DAYS)
            ) from None
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise ToolMissing(f"{venv} is not a complete virtual environment; run 'lsqm setup' again")
    return found[0]


def _install_plugin(venv: Path) -> None:
    """Install lsqm's plugin as a tiny distribution (module + entry points), if changed."""
    source = PLUGIN_SOURCE.read_text(encoding="utf-8")
    digest = hashlib.sha256((source + PLUGIN_ENTRY_POINTS).encode()).hexdigest()[:12]
    site = _site_packages(venv)
    dist = site / f"{PLUGIN_DIST}-0.1.dist-info"
    stamp = dist / "lsqm.json"
    if stamp.is_file() and read_json(stamp).get("digest") == digest:
        return
    (site / f"{PLUGIN_DIST}.py").write_text(source, encoding="utf-8")
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {PLUGIN_DIST}\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(PLUGIN_ENTRY_POINTS, encoding="utf-8")
    (dist / "RECORD").write_text("", encoding="utf-8")
    # Written last: plux's entry-point cache keys on site-packages' mtime, which this bumps.
    (dist / "lsqm.json").write_text(json.dumps({"digest": digest}), encoding="utf-8")
