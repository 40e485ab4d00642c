"""Code on the report's pages: highlighted once per content (a second report highlights
nothing new), files many apps share get one page of their own, and pages written by several
processes are the pages one process writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsqm.records import AppRecord
from lsqm.reporting import site
from lsqm.reporting.code import operations_and_use_cases
from lsqm.reporting.site import build_site

from .conftest import build_two_runs
from .histories import R2

SUPPORT = "def helper(client):\n    return client.list_queues()\n" * 20
TEST = '''import boto3


def test_{name}():
    """The queue of {name} takes a message."""
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl="u", MessageBody="x")
    assert boto3.client("sts").get_caller_identity()
'''


def _store_with_apps(tmp_path: Path) -> tuple[Path, list[str]]:
    h = build_two_runs(tmp_path / "store")
    names = ["s3_site", "sqs_fixed", "steady"]
    for name in names:
        files = {"test_app.py": TEST.format(name=name), "support.py": SUPPORT}
        h.store.write_app(h.hashes[name], files, AppRecord(generator="rules"))
    return h.store.root, [h.hashes[n] for n in names]


def _pages(folder: Path) -> dict[str, str]:
    stamp = re.compile(r"generated \S+ by lsqm")
    return {
        p.relative_to(folder).as_posix(): stamp.sub("", p.read_text())
        for p in sorted(folder.rglob("*.html"))
    }


def test_highlighting_is_cached_shared_files_get_a_page_and_workers_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsqm.store import ArtifactStore

    root, hashes = _store_with_apps(tmp_path)
    store = ArtifactStore(root)
    cache = tmp_path / "code-cache"
    serial = build_site(store, tmp_path / "serial", code_cache=cache, workers=1)
    # 9 main.tf (one per architecture of the run, all different) + 3 test modules; the
    # support module three apps share is highlighted once.
    assert serial.highlighted == 9 + 3 + 1
    again = build_site(store, tmp_path / "again", code_cache=cache, workers=1)
    assert again.highlighted == 0
    monkeypatch.setattr(site, "PARALLEL_PAGES", 1)
    parallel = build_site(store, tmp_path / "parallel", code_cache=tmp_path / "cold", workers=2)
    assert parallel.highlighted == serial.highlighted and parallel.pages == serial.pages
    assert _pages(tmp_path / "parallel") == _pages(tmp_path / "serial")

    shared = list((tmp_path / "serial" / "code").glob("*.html"))
    assert len(shared) == 1
    assert "The same file in 3 architectures or apps" in shared[0].read_text()
    page = (tmp_path / "serial" / "arch" / f"{hashes[0]}.html").read_text()
    assert f'href="../code/{shared[0].name}"' in page
    assert 'class="code"' in page  # its own test module, highlighted in the page
    assert "sqs.send_message" in page and "The queue of s3_site takes a message." in page
    assert R2 in page


def test_operations_and_use_cases_from_test_code() -> None:
    ops, cases = operations_and_use_cases(TEST.format(name="x"))
    assert ops == ["sqs.send_message", "sts.get_caller_identity"]
    assert cases == [("test_x", "The queue of x takes a message.")]
    assert operations_and_use_cases("def broken(:\n") == ([], [])


def test_shared_files_are_those_several_hold_byte_for_byte(tmp_path: Path) -> None:
    """Same name and size is only a reason to look: two apps' modules that differ in one
    byte are each embedded; a file linked from outside the app is neither shown nor read."""
    from lsqm.reporting.code import CodeShelf
    from lsqm.reporting.details import shared_sources, test_sources
    from lsqm.reporting.render import Redactor
    from lsqm.store import ArtifactStore

    root, hashes = _store_with_apps(tmp_path)
    store = ArtifactStore(root)
    twin = SUPPORT.replace("list_queues", "list_topics")  # the same size, other bytes
    assert len(twin) == len(SUPPORT)
    (store.app_dir(hashes[2]) / "support.py").write_text(twin)
    outside = tmp_path / "secret.py"
    outside.write_text("TOKEN = 'x'\n")
    (store.app_dir(hashes[0]) / "linked.py").symlink_to(outside)
    (store.app_dir(hashes[0]) / "more").symlink_to(tmp_path, target_is_directory=True)

    shelf = CodeShelf(Redactor())
    shared = shared_sources(store, hashes, shelf)
    assert [(s.name, held) for s, held in shared.values()] == [("support.py", 2)]
    names = [s.name for s in test_sources(store, hashes[0], shelf)]
    assert names == ["support.py", "test_app.py"]
