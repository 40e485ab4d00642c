"""An architecture's content hash: formatting and comments do not change it."""

from __future__ import annotations

from pathlib import Path

from lsqm.content import content_hash


def test_content_hash_ignores_formatting_and_comments(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (a, b, c):
        folder.mkdir()
    (a / "main.tf").write_text('resource "x" "y" {\n  url = "http://h/#x"\n}\n')
    (b / "main.tf").write_text('# note\nresource "x" "y" {   url = "http://h/#x" // c\n}')
    (c / "main.tf").write_text('resource "x" "y" {\n  url = "http://h/#z"\n}\n')
    assert content_hash(a) == content_hash(b) != content_hash(c)
