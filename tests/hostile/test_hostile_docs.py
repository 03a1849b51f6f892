"""The docs point to nothing outside the repository, and every command they name exists.

Before the fix docs/simulator.md cited ../shared/DESIGN.md, a file no clone has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Tasks the docs already describe and another branch adds (issue 8: the aws backend's
# safety rails; issue 9: results). Remove an entry when tasks.py has the task.
PENDING = {"kill-switch": 8, "operator-policy": 8, "collect-results": 9}


def tasks() -> set[str]:
    """The task names of the one collection ``invoke`` and ``python -m looplab`` both run."""
    from looplab.cli import namespace

    return set(namespace.task_names)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    text = doc.read_text()
    assert "../shared" not in text and "/work/" not in text
    assert "DESIGN.md" not in text, "the design is docs/design.md"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def _code(text: str) -> list[str]:
    """Fenced blocks and inline code: where a doc names a command (prose may say "invoke")."""
    blocks = re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    return blocks + re.findall(r"`([^`\n]+)`", rest)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_invoke_task_a_doc_names_exists(doc: Path) -> None:
    known = tasks()
    assert {"scenario", "scenarios", "validate", "deploy", "remove"} <= known
    named = {
        name
        for code in _code(doc.read_text())
        for name in re.findall(r"(?:^|[\s&;(])(?:invoke|python -m looplab) ([a-z][a-z-]*)", code)
    }
    missing = named - known - set(PENDING)
    assert not missing, f"{doc.name} names invoke tasks that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_script_a_doc_names_exists(doc: Path) -> None:
    for script in re.findall(
        r"\bpython3? ((?:benchmarks|tests|looplab)/[\w/]+\.py)", doc.read_text()
    ):
        assert (ROOT / script).is_file(), f"{doc.name} names {script}"


# Where the house plan and the simulator's guide name a file: a path from the repository's
# root (a `looplab/...`, `tests/...` in inline code or a fenced block). A placeholder
# (`<service>`, `*`, `{a,b}`) names a pattern, not a file, and is skipped.
_PATH = re.compile(
    r"(?<![\w./-])((?:looplab|tests|benchmarks|docs|functions|serverless-plugins)/[\w./-]*\w)"
)


def _named_paths(text: str) -> set[str]:
    code = re.findall(r"```.*?```", text, flags=re.S) + re.findall(r"`([^`\n]+)`", text)
    return {
        path
        for chunk in code
        for path in _PATH.findall(chunk)
        if not re.search(r"[<>*{}]", chunk[chunk.find(path) : chunk.find(path) + len(path) + 1])
    }


@pytest.mark.parametrize("name", ["design.md", "simulator.md"])
def test_every_path_the_design_docs_name_exists(name: str) -> None:
    """A doc that names a moved or deleted file sends a reader to nothing: every path exists."""
    named = _named_paths((ROOT / "docs" / name).read_text())
    assert named, f"{name} names no path: the pattern is wrong, not the doc right"
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"{name} names paths that do not exist: {missing}"
