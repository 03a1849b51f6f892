"""``--sim``: every SimParams field has a declared kind (range or choices), checked at parse
time, so a value the simulator cannot run with is exit 2 naming the field, the value and
what is valid, before anything runs.

Before the fix ``--sim handler_time_scale=0`` was a traceback, ``handler_time_quantum=0`` and
``metric_period=0`` ran and failed with ZeroDivisionError (exit 1, "cleanup failed"), and
``mapping_scale_hold_outcomes=error`` said "expects two numbers low,high" for a field of
outcome names.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from _support.nothing_ran import ROOT, Witness, watch

from looplab import cli
from looplab.sim import SimParams
from looplab.sim.params import (
    AnyOf,
    Flag,
    Kind,
    Number,
    OneOf,
    Span,
    Waits,
    Word,
    field_kinds,
    parse_field,
)

FIELDS = [f.name for f in dataclasses.fields(SimParams)]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Witness:
    return watch(monkeypatch, tmp_path)


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())  # the console wraps long lines


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def bad_values(kind: Kind) -> list[str]:
    """Texts the kind must refuse, derived from its own declaration (so a new kind without
    a case here fails the walk below instead of going unchecked)."""
    if isinstance(kind, Flag):
        return ["maybe", "2"]
    if isinstance(kind, Number):
        below = kind.low - (1 if kind.integer else kind.low / 2 or 1)
        out = [_num(kind.high * 10 + 1), _num(below), "nan", "inf"]
        return out + ([] if kind.none else ["none"]) + (["1.5"] if kind.integer else [])
    if isinstance(kind, Span):
        return [_num(kind.low), f"{_num(kind.high)},{_num(kind.low)}", f"0,{_num(kind.high * 2)}"]
    if isinstance(kind, Waits):
        return ["", ",".join([_num(kind.low)] * (kind.most + 1)), _num(kind.high * 2)]
    if isinstance(kind, OneOf | AnyOf):
        return ["bogus", f"{kind.choices[0]},bogus" if isinstance(kind, AnyOf) else "none"]
    if isinstance(kind, Word):
        return ["", "two words", "x" * (kind.most + 1)]
    pytest.fail(f"no bad values for {type(kind).__name__}: add a case to bad_values")


def test_every_field_declares_its_kind_and_its_default_fits() -> None:
    kinds = field_kinds()
    assert sorted(kinds) == sorted(FIELDS)
    defaults = SimParams()
    for name, kind in kinds.items():
        assert kind.problem(getattr(defaults, name)) is None, name


@pytest.mark.parametrize("name", FIELDS)
def test_each_field_refuses_values_outside_its_kind_before_anything_runs(
    name: str, seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = field_kinds()[name]
    for text in bad_values(kind):
        code = cli.scenario_command(
            "loop-detection", project=ROOT, results=seen.results, sim=[f"{name}={text}"]
        )
        err = _err(capsys)
        assert code == 2, (name, text, err)
        assert f"--sim {name}" in err and repr(text) in err, err
        assert kind.describe() in err, err  # the message is the field's own kind's
        assert "Traceback" not in err
    assert seen.nothing_ran(), seen.started


@pytest.mark.parametrize("name", FIELDS)
def test_each_fields_default_round_trips_through_the_command_line(name: str) -> None:
    default = getattr(SimParams(), name)
    text = field_kinds()[name].spell(default)
    assert parse_field(name, text) == default


@pytest.mark.parametrize(
    "item", ["handler_time_scale=0", "handler_time_quantum=0", "metric_period=0"]
)
def test_the_zero_divisors_are_exit_2_with_the_range(
    item: str, seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command("loop-detection", project=ROOT, results=seen.results, sim=[item])
    err = _err(capsys)
    name = item.split("=")[0]
    assert code == 2, err
    assert f"--sim {name}" in err and "got '0'" in err and " from " in err
    assert "ZeroDivisionError" not in err and seen.nothing_ran(), seen.started


def test_a_field_of_outcome_names_lists_the_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.scenario_command(
        "loop-detection", project=ROOT, sim=["mapping_scale_hold_outcomes=errors"]
    )
    err = _err(capsys)
    assert code == 2
    assert "two numbers" not in err
    assert "error, throttled, dropped" in err and "did you mean 'error'" in err


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("mapping_scale_hold_outcomes=error", ("error",)),
        ("mapping_scale_hold_outcomes=dropped, error", ("dropped", "error")),
        ("mapping_scale_hold_outcomes=none", ()),
        ("async_retry_waits=30", (30.0,)),
        ("async_retry_waits=30,90", (30.0, 90.0)),
        ("environment_idle_lifetime=none", None),
        ("handler_time_quantum=0.5", 0.5),
        ("batch_trace_rule=deepest", "deepest"),
        ("async_stopped_condition=RetriesExhausted", "RetriesExhausted"),
    ],
)
def test_good_values_of_each_kind_are_read(item: str, value: object) -> None:
    name, _, text = item.partition("=")
    assert parse_field(name, text.strip()) == value
    assert getattr(SimParams().with_overrides(**{name: value}), name) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("handler_time_scale", 0.0),
        ("metric_period", 0),
        ("recursion_threshold", True),  # a bool is not a count
        ("poll_latency", (0.2, 0.1)),
        ("mapping_scale_hold_outcomes", ("error", "bogus")),
        ("async_retry_waits", ()),
    ],
)
def test_simparams_refuses_the_same_values_in_code(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"SimParams.{field} expects"):
        SimParams(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"SimParams.{field} expects"):
        SimParams().with_overrides(**{field: value})
