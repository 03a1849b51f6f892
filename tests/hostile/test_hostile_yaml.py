"""Hostile scenario files: the loader answers every one with a problem and its line.

Each case failed (a traceback, a hang, a silent wrong reading) before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.scenarios import load_file
from looplab.scenarios._load import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_FILE_BYTES, load_yaml_text

HEAD = "version: 1\naliases: {q: Queue}\nscenarios:\n"


def problems_of(text: str | bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "scenarios.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _, problems = load_file(path)
    return [str(p) for p in problems]


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    [problem] = problems_of(HEAD.encode() + b"  x:\n    description: caf\xe9\n", tmp_path)
    assert ":5:" in problem and "not UTF-8" in problem and "0xe9" in problem


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters_are_a_problem_on_their_line(tmp_path: Path, char: str) -> None:
    [problem] = problems_of(HEAD + f"  x:\n    description: a{char}b\n", tmp_path)
    assert ":5:" in problem and f"U+{ord(char):04X}" in problem


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    depth = 20_000
    [problem] = problems_of(HEAD + "  x: " + "[" * depth + "]" * depth + "\n", tmp_path)
    assert ":4:" in problem and f"deeper than {MAX_DEPTH}" in problem


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    lines = "".join(f"{' ' * (i + 2)}k{i}:\n" for i in range(MAX_DEPTH + 5))
    [problem] = problems_of(HEAD + lines, tmp_path)
    assert f"deeper than {MAX_DEPTH}" in problem


def test_a_value_that_contains_itself_is_refused(tmp_path: Path) -> None:
    [problem] = problems_of(HEAD + "  x: &me\n    steps: [*me]\n", tmp_path)
    assert ":5:" in problem and "cannot contain itself" in problem


def test_billion_laughs_stops_at_the_alias_limit(tmp_path: Path) -> None:
    # Ten million values, a hundred times the limit: the message says the loader counted and
    # stopped. Not a billion: a loader that lost the limit and copied what the aliases name
    # then fails here in seconds instead of hanging the suite. No clock decides the outcome.
    rows = ['  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    rows += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    assert MAX_ALIAS_VALUES < 10**7  # the input is over the limit
    problems = problems_of(HEAD + "\n".join(rows) + "\n", tmp_path)
    assert len(problems) == 1 and f"more than {MAX_ALIAS_VALUES:,}" in problems[0]


def test_moderate_aliases_are_fine() -> None:
    text = "base: &b {metric: errors, equals: 0}\nuse: [*b, *b, *b]\n"
    tree, problems = load_yaml_text(text)
    assert problems == [] and tree["use"] == [tree["base"]] * 3


def test_a_file_over_the_size_cap_is_refused_without_parsing(tmp_path: Path) -> None:
    big = HEAD + "# " + "x" * MAX_FILE_BYTES + "\n"
    [problem] = problems_of(big, tmp_path)
    assert "1 MiB" in problem and "scenarios.yaml" in problem


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!custom {a: 1}", "!custom"),
        ("!!set {a, b}", "tag:yaml.org,2002:set"),
        ("!seq [1]", "!seq"),
    ],
)
def test_tags_on_collections_are_refused_like_on_scalars(value: str, tag: str) -> None:
    _, problems = load_yaml_text(f"a: 1\nb: {value}\n", "f.yaml")
    assert [str(p) for p in problems] == [
        f"f.yaml:2: the tag {tag!r} is not allowed here; "
        "scenario files hold plain mappings, lists and values"
    ]


def test_a_tag_on_a_scalar_is_still_refused() -> None:
    _, problems = load_yaml_text("a: !custom 1\n", "f.yaml")
    assert len(problems) == 1 and "f.yaml:1:" in str(problems[0])


def test_merge_keys_work_as_yaml_defines_them() -> None:
    text = (
        "base: &base {a: 1, b: 2}\n"
        "more: &more {b: 20, c: 30}\n"
        "one:\n  <<: *base\n  b: 3\n"  # an own key overrides the merged one
        "two:\n  <<: [*base, *more]\n"  # the earlier mapping wins
    )
    tree, problems = load_yaml_text(text)
    assert problems == []
    assert dict(tree["one"]) == {"a": 1, "b": 3}
    assert dict(tree["two"]) == {"a": 1, "b": 2, "c": 30}
    assert tree["one"].line_of("b") == 5


def test_a_duplicate_own_key_beside_a_merge_is_still_reported() -> None:
    _, problems = load_yaml_text("base: &b {a: 1}\nx:\n  <<: *b\n  c: 1\n  c: 2\n", "f.yaml")
    assert len(problems) == 1 and "f.yaml:5: duplicate key 'c'" in str(problems[0])


def test_a_merge_of_something_that_is_not_a_mapping_is_a_problem() -> None:
    _, problems = load_yaml_text("x:\n  <<: 5\n  a: 1\n", "f.yaml")
    assert len(problems) == 1 and "f.yaml:2:" in str(problems[0]) and "'<<'" in str(problems[0])


def test_an_integer_past_python_digit_limit_is_a_problem() -> None:
    _, problems = load_yaml_text("a:\n  b: " + "9" * 5000 + "\n", "f.yaml")
    assert len(problems) == 1 and "f.yaml:2:" in str(problems[0]) and "digits" in str(problems[0])


@pytest.mark.parametrize(
    "text",
    ["a: \ufeff\ufeffb\n", "a: [1, 2\n", "a: *nothing\n", "--- 1\n--- 2\n", "\t- a\n", "a: 'x\n"],
)
def test_odd_files_never_raise(text: str) -> None:
    tree, problems = load_yaml_text(text, "f.yaml")
    assert problems or tree is not None
    assert all(str(p).startswith("f.yaml") for p in problems)


@pytest.mark.parametrize("version", ["true", "1.0", "'1'", "[1]", "2"])
def test_a_version_that_is_not_the_integer_1_is_refused_with_its_line(
    tmp_path: Path, version: str
) -> None:
    text = f"# a comment\nversion: {version}\nscenarios:\n  x:\n    steps: [purge: [Queue]]\n"
    found = problems_of(text, tmp_path)
    assert len(found) == 1, found
    assert "scenarios.yaml:2:" in found[0] and "version" in found[0] and "allowed: 1" in found[0]


def test_version_1_is_accepted(tmp_path: Path) -> None:
    text = "version: 1\nscenarios:\n  x:\n    steps: [purge: [Queue]]\n"
    assert problems_of(text, tmp_path) == []


def test_a_fifo_or_a_device_is_refused_without_blocking(tmp_path: Path) -> None:
    """Opening a FIFO with no writer blocked forever; /dev/zero was read to the cap."""
    import os

    fifo = tmp_path / "scenarios.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        _, problems = load_file(path)
        assert [p.line for p in problems] == [0] and "not a regular file" in str(problems[0])
