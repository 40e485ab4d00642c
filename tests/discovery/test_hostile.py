"""Hostile input is refused cleanly, with reason codes: links and paths leaving the
repository, archives with traversal entries, a 50 MB .tf, a binary file named .tf."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from lsqm.discovery.archive import extract
from lsqm.discovery.filter import evaluate
from lsqm.errors import UnsafeArchive
from tests.discovery.helpers import S3_TF, Lsqm, write_tree


def reasons(folder: Path, root: Path) -> dict[str, str]:
    return {r.code.value: r.detail for r in evaluate(folder, root).reasons}


def test_symlink_out_of_the_repository(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"arch/main.tf": S3_TF})
    secret = write_tree(tmp_path / "outside", {"id_rsa": "PRIVATE"})
    os.symlink(secret / "id_rsa", repo / "arch" / "key.pem")
    os.symlink(secret, repo / "arch" / "data")
    found = reasons(repo / "arch", repo)
    assert set(found) == {"path_escape"}
    decision = evaluate(repo / "arch", repo)
    assert all("outside" not in str(p) for p in decision.files.values())


def test_symlinked_tf_inside_the_repository_is_kept(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"provider.tf": 'provider "aws" {}\n',
                                          "arch/main.tf": S3_TF})  # fmt: skip
    os.symlink("../provider.tf", repo / "arch" / "provider.tf")
    decision = evaluate(repo / "arch", repo)
    assert decision.accepted, decision.reasons
    assert decision.files[repo / "arch" / "provider.tf"] == (repo / "provider.tf").resolve()


def test_dotdot_paths_leaving_the_repository(tmp_path: Path) -> None:
    write_tree(tmp_path / "outside", {"main.tf": S3_TF, "passwd": "root:x"})
    repo = write_tree(
        tmp_path / "repo",
        {
            "arch/main.tf": S3_TF
            + """
module "m" { source = "../../outside" }
resource "aws_ssm_parameter" "p" {
  name  = "p"
  type  = "String"
  value = file("${path.module}/../../outside/passwd")
}
resource "aws_sqs_queue" "q" { policy = file("/etc/passwd") }
"""
        },
    )
    decision = evaluate(repo / "arch", repo)
    details = [r.detail for r in decision.reasons]
    assert {r.code.value for r in decision.reasons} == {"path_escape"}
    assert len(details) == 3, details
    assert not any("outside" in str(p) for p in decision.files)


def test_fifty_megabyte_tf_is_too_large_without_being_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF})
    with open(tmp_path / "huge.tf", "wb") as fh:  # sparse: 50 MB on paper, instant to make
        fh.truncate(50 * 1024 * 1024)
    found = reasons(tmp_path, tmp_path)
    assert set(found) == {"too_large"}
    assert "huge.tf" in found["too_large"]


def test_binary_file_named_tf(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": S3_TF, "evil.tf": b"\x7fELF\x02\x01\x01\x00" + bytes(200),
                          "latin.tf": "# caf\xe9\n".encode("latin-1")})  # fmt: skip
    decision = evaluate(tmp_path, tmp_path)
    assert [r.code.value for r in decision.reasons] == ["binary_file", "binary_file"]


def _tar(entries: list[tarfile.TarInfo], data: bytes = b"x") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info in entries:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def _entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize(
    "entries",
    [
        [_entry("top/main.tf"), _entry("top/../../evil.tf")],
        [_entry("/etc/cron.d/evil")],
        [_entry("top/link", tarfile.SYMTYPE, "../../../etc/passwd")],
        [_entry("top/abs", tarfile.SYMTYPE, "/etc/passwd")],
        [_entry("top/hard", tarfile.LNKTYPE, "../outside")],
        [_entry("top/dev", tarfile.CHRTYPE)],
    ],
    ids=["dotdot", "absolute", "symlink-out", "symlink-abs", "hardlink-out", "device"],
)
def test_tarball_with_hostile_entries_is_refused(tmp_path: Path, entries: list) -> None:
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar(entries))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchive):
        extract(archive, dest, 10_000_000)
    assert not (tmp_path / "evil.tf").exists()
    assert list(dest.iterdir()) == []  # nothing written: checked before extraction


def test_zip_with_traversal_entry_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("mod/main.tf", S3_TF)
        zf.writestr("../../evil.tf", "x")
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchive, match="leaves the folder"):
        extract(archive, dest, 10_000_000)
    assert list(dest.iterdir()) == []


def test_archive_bomb_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar([_entry("top/a.tf"), _entry("top/b.tf")], data=b"0" * 4096))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchive, match="more than"):
        extract(archive, dest, 6000)


def test_safe_archive_unpacks_to_its_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("mod-1.0/main.tf", S3_TF)
    dest = tmp_path / "out"
    dest.mkdir()
    assert extract(archive, dest, 10_000_000) == dest / "mod-1.0"


def test_mine_reports_hostile_folders_and_keeps_going(lsqm: Lsqm, tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "src", {"good/main.tf": S3_TF, "bad/main.tf": S3_TF,
                                         "bin/main.tf": b"\0\0\0binary"})  # fmt: skip
    os.symlink("/etc/passwd", repo / "bad" / "passwd.txt")
    code, summary = lsqm.json("mine", "--source", str(repo))
    assert code == 0
    assert summary["accepted"] == 1
    assert summary["rejected_by_reason"] == {"binary_file": 1, "path_escape": 1}
    ledger = lsqm.ledger()
    bad = ledger[f"{repo}#bad"]
    assert bad["accepted"] is False and bad["reasons"][0]["code"] == "path_escape"
    assert bad["content_digest"] and bad["content_hash"] is None
