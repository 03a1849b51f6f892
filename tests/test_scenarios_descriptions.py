"""A shipped scenario's description and its checks state the same figures (issue 22
item 5: chain-loop's description said "16 to 32 invocations in all" while its check
accepted 14-34).

Each rule below reads one kind of figure a description states in words and finds the
check that must agree with it: a range "A to B invocations" is a check ``between: [A, B]``
on invocations; "about N invocations" lies inside that check's range; "with N errors" is
``errors equals N``; the post's "stopped at N" and "the post saw N" lie inside the range
of the check on the counter they name. A figure in a description that no rule reads is
not checked; the rules fail when a description states a figure its checks contradict.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
SCENARIOS: dict[str, Any] = yaml.safe_load((ROOT / "scenarios.yaml").read_text())["scenarios"]

# (pattern, the check's metric, how the figure and the check must agree)
RULES = (
    (r"(\d+) to (\d+)\s+invocations", "invocations", "range"),
    (r"about[ -](\d+)(?:\s+(?:invocations|counts))", "invocations", "inside"),
    (r"with (\d+) errors", "errors", "equals"),
    (r"stopped at (\d+)", "max_counter_sent", "inside"),
    (r"the post saw (\d+)", "drained_counter", "inside"),
)


def _checks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        check
        for step in body.get("steps", [])
        if isinstance(step, dict)
        for check in step.get("expect", []) or []
        if isinstance(check, dict)
    ]


def _figures(description: str) -> list[tuple[str, str, str, tuple[int, ...]]]:
    text = " ".join(description.split())
    found = []
    for pattern, metric, how in RULES:
        for match in re.finditer(pattern, text):
            found.append((match.group(0), metric, how, tuple(int(g) for g in match.groups())))
    return found


def _agrees(check: dict[str, Any], how: str, figure: tuple[int, ...]) -> bool:
    # A check on one function or source is not the scenario's total.
    if any(k in check for k in ("function", "source", "queue", "topic")) and how != "inside":
        return False
    between = check.get("between")
    if how == "range":
        return between == list(figure)
    if how == "equals":
        return check.get("equals") == figure[0]
    if isinstance(between, list) and len(between) == 2:
        return between[0] <= figure[0] <= between[1]
    return check.get("equals") == figure[0]


def _contradictions(name: str, body: dict[str, Any]) -> list[str]:
    problems = []
    checks = _checks(body)
    for words, metric, how, figure in _figures(body.get("description", "")):
        mine = [c for c in checks if c.get("metric") == metric]
        if not any(_agrees(c, how, figure) for c in mine):
            shown = "; ".join(str({k: v for k, v in c.items() if k != "note"}) for c in mine)
            problems.append(f"{name}: the description says {words!r}; its checks: {shown}")
    return problems


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_description_states_what_the_checks_check(name: str) -> None:
    assert _contradictions(name, SCENARIOS[name]) == []


def test_the_rules_read_the_figures_of_the_shipped_descriptions() -> None:
    """The rules are not vacuous: they find figures in the descriptions that state them."""
    read = {name: _figures(body.get("description", "")) for name, body in SCENARIOS.items()}
    assert [f[0] for f in read["loop-detection"]] == [
        "about 16 invocations",
        "with 0 errors",
        "stopped at 21",
    ]
    assert [f[0] for f in read["dlq-capture"]] == ["the post saw 26"]
    assert [f[1:3] for f in read["chain-loop"]][:1] == [("invocations", "range")]


def test_a_contradiction_is_found() -> None:
    body = {
        "description": "stops after 16 to 32 invocations in all, with 1 errors",
        "steps": [{"expect": [{"metric": "invocations", "between": [14, 34]}]}],
    }
    problems = _contradictions("made-up", body)
    assert len(problems) == 2 and "'16 to 32 invocations'" in problems[0]
