"""``sync`` and ``push`` against real git remotes (local bare repositories, and git's own
smart-HTTP server asking for a token): history, races between writers, the content-
addressed exception, capped logs, and where a token may and may not go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lsqm.artifact_repo import resolve_remote
from lsqm.cli import main
from lsqm.config import load_settings
from lsqm.errors import StoreError, UsageError
from lsqm.ingest import add_local
from lsqm.pipeline.stages import push, sync
from lsqm.records import Result, Run, RunStatus, Status
from lsqm.store import ArtifactStore, new_run_id

from ..helpers import EXAMPLES, LSQM, ProcWatch, bare_repo, canaries, git, leaks, remote_files
from .git_http import git_http


def _settings(remote: Path | str, **extra: object) -> object:
    return load_settings(artifact_repo=str(remote), **extra)


def _add(store: ArtifactStore, name: str) -> str:
    return add_local(store, EXAMPLES / name, EXAMPLES / name / "tests", name)


def _run(store: ArtifactStore, hashes: list[str], log_bytes: int = 0) -> str:
    run_id = new_run_id()
    store.write_run(Run(run_id=run_id, status=RunStatus.COMPLETE))
    for h in hashes:
        store.write_result(Result(run_id=run_id, arch_hash=h, status=Status.PASSED))
        if log_bytes:
            line = b"2026-12-06 provider: waiting for the stream to become ACTIVE\n"
            (store.logs_dir(run_id, h) / "apply.log").write_bytes(line * (log_bytes // len(line)))
    return run_id


@pytest.mark.parametrize(
    ("value", "url", "token"),
    [
        ("https://github.com/o/r.git", "https://github.com/o/r.git", None),
        ("https://x-access-token:s3cret@git.example/o/r", "https://x-access-token@git.example/o/r",
         "s3cret"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git", None),
        ("ssh://git@host:2222/o/r", "ssh://git@host:2222/o/r", None),
        ("acme/lsqm-results", "https://github.com/acme/lsqm-results.git", None),
        ("file:///srv/store.git", "file:///srv/store.git", None),
    ],
)  # fmt: skip
def test_a_remote_is_a_url_a_path_or_owner_name(value: str, url: str, token: str | None) -> None:
    remote, embedded = resolve_remote(value)
    assert (remote.url, embedded) == (url, token)


def test_a_path_remote_and_a_bad_one(tmp_path: Path) -> None:
    remote, _ = resolve_remote(str(bare_repo(tmp_path / "r.git")))
    assert remote.url == str(tmp_path / "r.git") and not remote.uses_token
    with pytest.raises(UsageError, match="not a URL, an existing path or owner/name"):
        resolve_remote("no such thing")


def test_sync_and_push_keep_one_history(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote)
    a, b = ArtifactStore(tmp_path / "a"), ArtifactStore(tmp_path / "b")
    assert sync(settings, a).action == "empty remote"
    arch = _add(a, "sqs_dlq")
    first = push(settings, a)
    assert first.pushed and first.changed["architectures"] == 1 and first.changed["apps"] == 1
    assert sync(settings, b).action == "cloned"
    assert b.architecture_hashes() == [arch] and b.has_app(arch)
    run_id = _run(b, [arch])
    assert push(settings, b, message="week 1").pushed
    again = sync(settings, a)
    assert (again.action, again.incoming) == ("fast-forwarded", 1)
    assert a.run_ids() == [run_id] and a.results(run_id)[arch].status is Status.PASSED
    assert sync(settings, a).action == "up to date"
    assert not push(settings, a).pushed  # nothing new
    subjects = git("log", "--format=%s", "main", cwd=remote).splitlines()
    assert subjects == ["week 1", "lsqm: store update"]
    assert ".staging/" in (a.root / ".gitignore").read_text()


@pytest.mark.e2e
def test_a_push_race_loses_nothing(tmp_path: Path) -> None:
    """Two writers that synced the same commit push runs at once, as two processes, three
    times over; then one that pushes over a stale view must rebase."""
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote)
    seed = ArtifactStore(tmp_path / "seed")
    sync(settings, seed)
    arch = _add(seed, "sqs_dlq")
    push(settings, seed)
    writers = [ArtifactStore(tmp_path / name) for name in ("w1", "w2")]
    for store in writers:
        sync(settings, store)
    env = {**os.environ, "ARTIFACT_REPO": str(remote)}
    expected = set()
    for _round in range(3):
        procs = []
        for store in writers:
            expected.add(_run(store, [arch]))
            procs.append(subprocess.Popen(
                [str(LSQM), "--artifacts", str(store.root), "push", "--format", "json"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            ))  # fmt: skip
        for p in procs:
            _out, err = p.communicate(timeout=600)  # ends when the push does
            assert p.returncode == 0, err
    runs = {p.split("/")[1] for p in remote_files(remote) if p.startswith("runs/")}
    assert runs == expected
    stale = writers[0]
    expected.add(_run(writers[1], [arch]))
    push(settings, writers[1])
    expected.add(_run(stale, [arch]))
    late = push(settings, stale)
    assert late.pushed and late.rebased == 1
    assert {p.split("/")[1] for p in remote_files(remote) if p.startswith("runs/")} == expected


def test_the_same_new_architecture_from_two_writers_keeps_the_remotes_copy(
    tmp_path: Path,
) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote)
    seed = ArtifactStore(tmp_path / "seed")
    sync(settings, seed)
    _add(seed, "sqs_dlq")
    push(settings, seed)
    a, b = ArtifactStore(tmp_path / "a"), ArtifactStore(tmp_path / "b")
    for store in (a, b):
        sync(settings, store)
    kms = EXAMPLES / "kms_key"
    hashes = [add_local(s, kms, kms / "tests", f"kms by {s.root.name}") for s in (a, b)]
    assert hashes[0] == hashes[1]
    record = a.architecture_dir(hashes[0]) / "architecture.json"
    assert record.read_text() != (b.architecture_dir(hashes[0]) / "architecture.json").read_text()
    push(settings, a)
    run_id = _run(b, hashes[:1])
    late = push(settings, b)
    assert late.pushed and late.rebased == 1
    remote_record = git("show", f"main:architectures/{hashes[0]}/architecture.json", cwd=remote)
    assert remote_record == record.read_text()
    assert f"runs/{run_id}/run.json" in remote_files(remote)


def test_a_real_conflict_stops_and_keeps_the_local_commit(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote)
    seed = ArtifactStore(tmp_path / "seed")
    sync(settings, seed)
    _add(seed, "sqs_dlq")
    push(settings, seed)
    a, b = ArtifactStore(tmp_path / "a"), ArtifactStore(tmp_path / "b")
    for store in (a, b):
        sync(settings, store)
        (store.root / "notes.txt").write_text(f"written by {store.root.name}\n")
    push(settings, a)
    with pytest.raises(
        StoreError, match=r"another writer changed the same file\(s\) \(notes.txt\)"
    ):
        push(settings, b)
    assert git("log", "-1", "--format=%s", cwd=b.root).strip() == "lsqm: store update"
    assert (b.root / "notes.txt").read_text() == "written by b\n"
    assert not (b.root / ".git" / "rebase-merge").exists()


def test_a_big_log_enters_git_cut_and_stays_whole_beside_it(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote, log_cap_bytes=64 * 1024)
    store = ArtifactStore(tmp_path / "a")
    sync(settings, store)
    arch = _add(store, "sqs_dlq")
    run_id = _run(store, [arch], log_bytes=2_000_000)
    report = push(settings, store)
    rel = f"runs/{run_id}/logs/{arch}/apply.log"
    assert report.capped == [rel]
    kept = git("show", f"main:{rel}", cwd=remote)
    assert len(kept.encode()) <= 64 * 1024 + 600
    assert "cut here to keep git history small" in kept and "apply.log.full" in kept
    assert kept.endswith("ACTIVE\n") and kept.startswith("2026-12-06")
    full = store.root / f"{rel}.full"
    assert full.stat().st_size > 1_900_000
    assert f"{rel}.full" not in remote_files(remote)


def test_a_local_store_joins_the_remotes_history(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    settings = _settings(remote)
    first = ArtifactStore(tmp_path / "first")
    sync(settings, first)
    old = _add(first, "sqs_dlq")
    push(settings, first)
    local = ArtifactStore(tmp_path / "local")  # validated before the remote was configured
    new = _add(local, "ssm_parameters")
    (local.root / ".gitignore").write_text("local-notes/\n")
    assert push(settings, local).pushed
    ignored = git("show", "main:.gitignore", cwd=remote).splitlines()
    assert sorted(ignored) == sorted([".staging/", "*.full", "local-notes/"])
    files = remote_files(remote)
    assert f"architectures/{old}/architecture.json" in files
    assert f"architectures/{new}/architecture.json" in files
    assert len(git("log", "--format=%H", "main", cwd=remote).split()) == 2


def test_a_clone_of_another_remote_is_refused(tmp_path: Path) -> None:
    one, two = bare_repo(tmp_path / "one.git"), bare_repo(tmp_path / "two.git")
    store = ArtifactStore(tmp_path / "a")
    sync(_settings(one), store)
    with pytest.raises(UsageError, match="is a clone of"):
        sync(_settings(two), store)


def test_without_a_remote_sync_and_push_say_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("sync", "push"):
        assert main(["--artifacts", str(tmp_path / "a"), command]) == 2
        err = capsys.readouterr().err
        assert "no artifact repository: set ARTIFACT_REPO" in err and "Traceback" not in err


@pytest.mark.e2e
def test_a_token_reaches_git_only_through_its_environment(tmp_path: Path) -> None:
    """Canaries for every secret lsqm reads; the token is the artifact repository's. git's
    command lines are read from /proc while it runs; afterwards the store, .git/config, the
    remote's history and every output are searched."""
    values = canaries()
    (tmp_path / "srv").mkdir()
    bare_repo(tmp_path / "srv" / "store.git")
    base = {k: v for k, v in os.environ.items() if k not in values and not k.startswith("LSQM_")}
    base["PATH"] = f"{Path(sys.executable).parent}:{base['PATH']}"
    # git, its HTTP helper and the askpass script (run by sh) may hold git's own variable
    allowed = {n: frozenset({"LSQM_GIT_TOKEN"}) for n in ("git", "git-remote-http", "sh")}
    watch = ProcWatch(values, allowed_env=allowed)
    outputs: list[str] = []
    with git_http(tmp_path / "srv", values["ARTIFACT_REPO_TOKEN"]) as server:
        env = {**base, **values, "ARTIFACT_REPO": f"{server.url}/store.git"}

        def run(*args: str, store: str = "a", **extra: str) -> subprocess.CompletedProcess[str]:
            cmd = [str(LSQM), "--artifacts", str(tmp_path / store), *args]
            done = subprocess.run(cmd, env={**env, **extra}, capture_output=True, text=True)
            outputs.extend([done.stdout, done.stderr])
            return done

        with watch.watching():
            assert run("sync").returncode == 0
            _add(ArtifactStore(tmp_path / "a"), "sqs_dlq")
            pushed = run("push")
            assert pushed.returncode == 0, pushed.stderr
            # GITHUB_TOKEN is the fallback; a URL's password is taken out of the URL
            fallback = {"ARTIFACT_REPO_TOKEN": "", "GITHUB_TOKEN": values["ARTIFACT_REPO_TOKEN"]}
            assert run("sync", store="b", **fallback).returncode == 0
            url = server.url.replace("://", f"://x-access-token:{values['ARTIFACT_REPO_TOKEN']}@")
            embedded = run("sync", store="c", ARTIFACT_REPO_TOKEN="", GITHUB_TOKEN="",
                           ARTIFACT_REPO=f"{url}/store.git")  # fmt: skip
            assert embedded.returncode == 0, embedded.stderr
            wrong = run("sync", store="d", ARTIFACT_REPO_TOKEN="not-the-token")
            missing = run("sync", store="e", ARTIFACT_REPO_TOKEN="", GITHUB_TOKEN="")
    assert values["ARTIFACT_REPO_TOKEN"] in server.passwords  # the askpass answered git
    assert wrong.returncode == 3 and "refused the credentials (ARTIFACT_REPO_TOKEN)" in wrong.stderr
    assert missing.returncode == 3 and "set ARTIFACT_REPO_TOKEN" in missing.stderr
    assert ArtifactStore(tmp_path / "c").architecture_hashes()
    assert watch.findings == set()
    assert "git-remote-http" in watch.seen  # the watch did see git talk to the server
    assert leaks(values, tmp_path / "srv" / "store.git", *(tmp_path / s for s in "abc")) == []
    assert [v for v in values.values() if any(v in out for out in outputs)] == []
    config = (tmp_path / "c" / ".git" / "config").read_text()
    assert "x-access-token:" not in config  # the user name may stay, the password never
