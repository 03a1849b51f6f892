"""looplab._files: the one writer (exclusive temporary file, then replace) and the one
reader (regular files, a limit per kind, JSON nesting measured before parsing)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from looplab import _files
from looplab._files import Kind, Refused, TooDeep

SMALL = Kind("test file", 100)


def test_a_write_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    _files.write_atomic(target, "one")
    _files.write_atomic(target, b"two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_new_file_gets_the_umask_s_mode_not_mkstemp_s(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _files.write_atomic(tmp_path / "report.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "runs.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), _files.replacing(target, text=True) as f:
        f.write("half")
        raise RuntimeError("disk full, say")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


def test_a_planted_name_is_never_opened_the_next_one_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who could guess the random part still only makes looplab pick another."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = iter(["guessed", "fresh"])
    monkeypatch.setattr(_files.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".out.guessed.tmp").symlink_to(victim)
    _files.write_atomic(tmp_path / "out", "new")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out").read_text() == "new"
    assert (tmp_path / ".out.guessed.tmp").is_symlink()


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out").symlink_to(victim)
    _files.write_atomic(tmp_path / "out", "new")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "out").is_symlink() and (tmp_path / "out").read_text() == "new"


def test_a_long_name_still_gets_a_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / ("n" * 250)
    _files.write_atomic(target, "x")
    assert target.read_text() == "x"


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: os.mkfifo(p), "a FIFO: reading it would wait for a writer"),
        (lambda p: p.symlink_to("/dev/zero"), "a character device"),
        (lambda p: p.mkdir(), "a directory"),
    ],
    ids=["fifo", "symlink-to-dev-zero", "directory"],
)
def test_only_regular_files_are_read(tmp_path: Path, make: object, what: str) -> None:
    path = tmp_path / "file"
    make(path)  # type: ignore[operator]
    for read in (_files.read_bytes, _files.sha256_file):
        with pytest.raises(Refused) as caught:
            read(path, SMALL)
        assert str(caught.value) == f"not a regular file ({what})"
        assert caught.value.filename == str(path)


def test_dev_zero_itself_is_refused() -> None:
    with pytest.raises(Refused, match="character device"):
        _files.read_bytes("/dev/zero", _files.JOURNAL)


def test_a_file_past_its_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(Refused, match="101 bytes: larger than 100 bytes, the most a test file"):
        _files.read_bytes(path, SMALL)
    with pytest.raises(Refused, match="larger than 100 bytes"):
        _files.sha256_file(path, SMALL)
    path.write_bytes(b"x" * 100)
    assert _files.read_bytes(path, SMALL) == b"x" * 100


def test_a_refusal_is_an_oserror_with_the_problem_as_its_text(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    try:
        _files.read_text(tmp_path / "fifo", SMALL)
    except OSError as exc:  # how every caller already handles an unreadable file
        assert (exc.strerror or str(exc)).startswith("not a regular file")
    else:
        raise AssertionError("read a FIFO")


@pytest.mark.parametrize("depth", [101, 1000, 100_000])
def test_json_nested_too_deep_is_named_without_recursion(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(TooDeep, match="nested deeper than 100 levels"):
        _files.read_json(path, _files.JOURNAL)


def test_json_depth_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": ["[[[[{{{{", {"b": '\\"[[[["'}]})
    assert _files.json_depth(text) == 3
    assert _files.loads_json(text, depth=3) == json.loads(text)
    with pytest.raises(TooDeep):
        _files.loads_json(text, depth=2)
    assert _files.json_depth("[" * 100 + "]" * 100) == 100
    assert _files.loads_json("[" * 100 + "]" * 100) is not None


def test_read_json_reads_json(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{"a": [1, 2, {"b": null}]}')
    assert _files.read_json(path, SMALL) == {"a": [1, 2, {"b": None}]}
    path.write_text("{")
    with pytest.raises(ValueError):
        _files.read_json(path, SMALL)


def test_printable_removes_terminal_escapes_and_for_console_escapes_markup() -> None:
    text = "ok\x1b[2J\x1b]0;title\x07 [red]x[/] \x9b31m\ttab\nline\x00"
    assert _files.printable(text) == "ok [red]x[/] \ttab\nline"
    assert _files.for_console(text) == "ok \\[red]x\\[/] \ttab\nline"
    assert _files.for_console(7) == "7"
