"""The test suite itself does not depend on load, on how pytest was started, or on order.

- No test asserts on the wall clock (a busy machine stretches any wall time; a deadline that
  only bounds a failure lives in ``_support.waiting.wait_for`` and never decides a pass).
- A pytest started with SIGINT ignored (``pytest &`` from a script: the shell ignores SIGINT
  in background jobs, and Python keeps an inherited ignore) still passes the Ctrl-C tests:
  they set the disposition they need (the ``sigint_default`` fixture).
- ``--shuffle=SEED`` runs the suite in a seeded random order (tests/stress/run.sh uses it)
  that keeps each module's tests together, so module-scoped fixtures are built once.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from _support.order import shuffled
from _support.signals import default_sigint
from _support.waiting import wait_for

TESTS = Path(__file__).parent
ROOT = TESTS.parent

# The wall-clock readers an assertion must not use.
CLOCKS = {"time", "monotonic", "perf_counter", "monotonic_ns", "perf_counter_ns", "time_ns"}


def _clock_calls_in_asserts(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for call in ast.walk(node.test):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in CLOCKS
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "time"
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_test_asserts_on_the_wall_clock() -> None:
    offenders = [
        hit for path in sorted(TESTS.rglob("*.py")) for hit in _clock_calls_in_asserts(path)
    ]
    assert offenders == [], (
        "assert on the wall clock (use _support.waiting.wait_for): " + ", ".join(offenders)
    )


def test_the_clock_check_finds_an_elapsed_time_assertion(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import time\nstart = time.perf_counter()\nassert time.perf_counter() - start < 10\n"
        "deadline = time.monotonic() + 5\nassert time.monotonic() < deadline, 'never'\n"
    )
    assert _clock_calls_in_asserts(sample, tmp_path) == ["test_sample.py:3", "test_sample.py:5"]


# The tests that send this process (or a child it starts) SIGINT and need it to arrive as
# KeyboardInterrupt / Python's default: each failed when pytest inherited an ignored SIGINT.
SIGINT_TESTS = [
    "tests/test_engine_errors.py::test_a_signal_at_the_very_start_is_recorded_and_finally_runs",
    "tests/test_engine_signals.py::test_in_process_interrupt_then_finally",
    "tests/hostile/test_hostile_compile.py::test_a_killed_compile_leaves_no_sls_running[2]",
    "tests/test_sim_lambda.py::test_ctrl_c_while_a_handler_runs_propagates_after_the_bookkeeping",
]


def test_the_ctrl_c_tests_pass_when_pytest_inherits_an_ignored_sigint() -> None:
    # `sh -c "trap '' INT; exec ..."` is what `pytest &` in a script amounts to.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SIGINT_TESTS]
    proc = subprocess.run(
        ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Bounds a hang only: the three take ~5 s on an idle 2-core machine.
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(SIGINT_TESTS)} passed" in proc.stdout


def test_default_sigint_restores_what_was_there() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with default_sigint():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)  # os.kill runs the handler before it returns
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_wait_for_returns_the_first_true_value_and_names_what_never_came() -> None:
    values = iter([None, 0, "ready"])
    assert wait_for(lambda: next(values), "a value", timeout=60, poll=0) == "ready"
    with pytest.raises(pytest.fail.Exception, match="the impossible within 0 s"):
        wait_for(lambda: False, "the impossible", timeout=0, poll=0)


def test_wait_for_gives_up_at_once_when_the_process_it_waits_on_exits() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"])
    proc.wait()
    with pytest.raises(pytest.fail.Exception, match=r"exited \(4\) before: a pidfile"):
        wait_for(lambda: False, "a pidfile", timeout=600, process=proc)


def _items(*nodeids: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


NODEIDS = [
    *(f"tests/a.py::test_{i}" for i in range(6)),
    *(f"tests/b.py::TestB::test_{i}[{p}]" for i in range(3) for p in "xy"),
    "tests/b.py::test_free",
    *(f"tests/sub/c.py::test_{i}" for i in range(4)),
]


def test_a_shuffle_is_a_seeded_permutation_that_keeps_modules_and_classes_together() -> None:
    items = _items(*NODEIDS)
    orders = {seed: [i.nodeid for i in shuffled(items, seed)] for seed in (1, 2, 3)}
    for order in orders.values():
        assert sorted(order) == sorted(NODEIDS)
        modules = [n.split("::")[0] for n in order]
        runs = [m for k, m in enumerate(modules) if k == 0 or modules[k - 1] != m]
        assert len(runs) == 3  # each module's tests run together
        classes = [n.rsplit("::", 1)[0] for n in order if "TestB" in n]
        assert len(classes) == 6 and len(set(classes)) == 1
        b = [n for n in order if n.startswith("tests/b.py")]
        assert b.index("tests/b.py::test_free") in (0, 6)  # not inside TestB's block
    assert [i.nodeid for i in shuffled(items, 1)] == orders[1]  # the seed decides it all
    assert len({tuple(o) for o in orders.values()}) == 3
    assert all(o != NODEIDS for o in orders.values())


def test_shuffle_option_reorders_a_real_run_and_plain_pytest_keeps_file_order(
    tmp_path: Path,
) -> None:
    body = "".join(f"def test_{i}():\n    print('RAN {i}')\n" for i in range(8))
    (tmp_path / "test_order.py").write_text(body)
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())

    def ran(*extra: str) -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])},
            timeout=300,  # bounds a hang only; a run takes ~2 s
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return [line.split()[-1] for line in proc.stdout.splitlines() if "RAN " in line]

    assert ran() == [str(i) for i in range(8)]
    first = ran("--shuffle=7")
    assert sorted(first) == [str(i) for i in range(8)] and first != sorted(first)
    assert ran("--shuffle=7") == first
