"""Numbers and names a hostile scenario file can hold: each is a problem with its line.

Before the fix, inf/nan/1e308/10**100 hung a run or disabled a budget, ``seconds: .nan``
waited 0 s silently, a seed count of 10**7 hung, a date body was a traceback and a name
with a trailing newline landed in the run folder's name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.fakes import fake_stack

from looplab.scenarios import ScenarioError, build_scenario, load_file, validate_file
from looplab.scenarios._context import BOUNDS

HEAD = "version: 1\naliases: {q: Queue, f: RecursiveLambdaFunction}\nscenarios:\n  s:\n"


def problems(steps: str, tmp_path: Path, extra: str = "") -> list[str]:
    path = tmp_path / "scenarios.yaml"
    path.write_text(HEAD + "    description: d\n" + extra + "    steps:\n" + steps)
    with pytest.raises(ScenarioError) as info:
        validate_file(path, fake_stack())
    return [str(p) for p in info.value.problems]


BAD_NUMBERS = [".inf", "-.inf", ".nan", "1.0e+308", "1" + "0" * 100]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("step", "key"),
    [
        ("wait: {{seconds: {v}}}", "seconds"),
        ("wait: {{until: {{metric: errors, equals: 0}}, timeout: {v}}}", "timeout"),
        ("wait: {{seconds: 1, poll: {v}}}", "poll"),
        ("seed: {{queue: q, body: x, count: {v}}}", "count"),
        ("drain: {{queue: q, max: {v}}}", "max"),
        ("expect: {{metric: errors, at_least: {v}}}", "at_least"),
        ("expect: {{metric: errors, between: [0, {v}]}}", "between"),
    ],
)
def test_numbers_out_of_bounds_are_problems_on_their_line(
    tmp_path: Path, step: str, key: str, value: str
) -> None:
    [problem] = problems("      - " + step.format(v=value) + "\n", tmp_path)
    assert ":7:" in problem and repr(key) in problem, problem
    assert "finite" in problem or "at most" in problem or "integer" in problem, problem


def test_a_stop_when_budget_of_infinity_is_refused(tmp_path: Path) -> None:
    extra = "    stop_when: [{metric: invocations, at_least: .inf}]\n"
    found = problems("      - wait: {seconds: 1}\n", tmp_path, extra)
    assert len(found) == 1 and ":6:" in found[0] and "finite" in found[0]


def test_a_seed_count_of_ten_million_is_refused(tmp_path: Path) -> None:
    [problem] = problems("      - seed: {queue: q, body: x, count: 10000000}\n", tmp_path)
    assert f"at most {BOUNDS['count'][1]:,}" in problem


def test_the_bounds_are_documented_in_the_shipped_file() -> None:
    header = (Path(__file__).parents[2] / "scenarios.yaml").read_text().split("version:", 1)[0]
    for key, (low, high) in BOUNDS.items():
        assert f"{key} {low:g}..{high:,}" in header, key


@pytest.mark.parametrize(
    ("body", "what"),
    [("2023-07-21", "a date"), ("2023-07-21 10:00:00", "a date"), ("!!binary aGVsbG8=", "binary")],
)
def test_a_body_yaml_reads_as_a_date_or_binary_is_explained(
    tmp_path: Path, body: str, what: str
) -> None:
    [problem] = problems(f"      - seed: {{queue: q, body: {body}}}\n", tmp_path)
    assert ":7:" in problem and what in problem and "quote" in problem


def test_a_date_inside_a_mapping_body_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    [problem] = problems("      - seed: {queue: q, body: {when: 2023-07-21}}\n", tmp_path)
    assert ":7:" in problem and "JSON" in problem


def test_a_nan_inside_a_mapping_body_is_a_problem(tmp_path: Path) -> None:
    [problem] = problems("      - seed: {queue: q, body: {counter: .nan}}\n", tmp_path)
    assert ":7:" in problem and "JSON" in problem


@pytest.mark.parametrize("default", [".inf", ".nan", "1.0e+400"])
def test_a_parameter_default_that_is_not_finite_is_a_problem(tmp_path: Path, default: str) -> None:
    extra = f"    parameters: {{pause: {default}}}\n"
    found = problems("      - wait: {seconds: 1}\n", tmp_path, extra)
    assert len(found) == 1 and ":6:" in found[0] and "finite" in found[0]


def test_a_set_value_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(
        HEAD + "    description: d\n    parameters: {pause: 1.5}\n"
        "    steps:\n      - wait: {seconds: '${pause}'}\n"
    )
    sfile = validate_file(path, fake_stack())
    for text in ("inf", ".inf", "nan", "1e999"):
        with pytest.raises(ScenarioError) as info:
            build_scenario(sfile, "s", [f"pause={text}"], fake_stack())
        assert "finite" in str(info.value) or "expects" in str(info.value), text


def test_a_scenario_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(
        'version: 1\nscenarios:\n  "bad\\n":\n    description: d\n'
        "    steps: [{wait: {seconds: 1}}]\n"
    )
    _, found = load_file(path)
    assert len(found) == 1 and ":3:" in str(found[0]) and "scenario name" in str(found[0])


def test_a_parameter_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    found = problems("      - wait: {seconds: 1}\n", tmp_path, '    parameters: {"p\\n": 1}\n')
    assert len(found) == 1 and "parameter name" in found[0]
