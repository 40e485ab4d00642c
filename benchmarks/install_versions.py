"""Install time and disk per LocalStack version, cold and warm.

For each version: a cold install into a fresh cache (nothing downloaded yet), then a warm
one (the venv removed, uv's cache kept): what ``lsqm setup --localstack-version V`` costs on
a new machine and on one that has installed some version before. Prints one JSON line per
version. Usage: ``python benchmarks/install_versions.py 4.14.0 2026.3.0``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lsqm.config import load_settings
from lsqm.toolchain import venvs
from lsqm.toolchain.localstack_install import ensure_localstack, install_root


def measure(version: str, scratch: Path) -> dict[str, object]:
    cache = scratch / version
    index = load_settings().cache_dir / "releases"
    if index.is_dir():  # the release list only: no package is shared with the cold cache
        shutil.copytree(index, cache / "releases")
    started = time.monotonic()
    cold = ensure_localstack(cache, version)
    cold_s = time.monotonic() - started
    disk, own = venvs.disk_usage(install_root(cache, version))
    uv_cache, _ = venvs.disk_usage(cache / "uv")
    shutil.rmtree(install_root(cache, version))
    started = time.monotonic()
    ensure_localstack(cache, version)
    warm_s = time.monotonic() - started
    shutil.rmtree(cache, ignore_errors=True)
    return {
        "version": version,
        "python": cold.python_version,
        "cold_s": round(cold_s, 1),
        "warm_s": round(warm_s, 1),
        "venv_mb": round(disk / 1e6),
        "venv_own_mb": round(own / 1e6),
        "uv_cache_mb": round(uv_cache / 1e6),
    }


def main(versions: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="lsqm-install-bench-") as tmp:
        for version in versions:
            print(json.dumps(measure(version, Path(tmp))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["4.14.0", "2026.3.0"])
