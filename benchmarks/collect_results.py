"""Figures for the results: collect-results at 1,000 and 10,000 runs, and the journal's cost.

1. collect-results over N runs (default 1,000: the four shipped scenarios run once on the
   simulator, their journals copied into N run folders, each with its plot): the first
   collect (no cache: every journal parsed), a second with nothing new (target: < 2 s;
   plots redrawn only for changed journals), and a third after 10 journals changed.
2. collect-results streams (issue 18: 10,000 runs drew 3,018 plots in 600 s at 1.26 GB and
   wrote no report): 10,000 new runs, no cache, no plot yet, collected in a fresh process
   (its time and peak RSS; targets < 120 s and < 300 MB), and 1,000 the same way: memory
   flat means the peak barely grows with ten times the runs (journals are not held; only
   each run's summary, ~2 KB, is kept). Timelines drawn: one per scenario and backend.
3. The journal's overhead for a scenario of many steps (issue 12: 600 steps took 9.4 s and
   3,000 took 511 s when the whole document was re-serialised twice per step): the time
   spent writing journals for 600 and 3,000 steps, and their ratio (target: linear, so
   about 5x, and 3,000 steps under 5 s of journal time).

Usage: python benchmarks/collect_results.py [--runs N] [--stream-runs N] [--steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from looplab.backends.local import LocalBackend  # noqa: E402
from looplab.engine import _journal, run_scenario  # noqa: E402
from looplab.results import collect  # noqa: E402
from looplab.scenarios import build_scenario, validate_file  # noqa: E402
from looplab.stack import load_stack  # noqa: E402

NAMES = ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]


def run(stack, file: Path, name: str, results: Path):
    scenario = build_scenario(validate_file(file, stack), name, [], stack)
    backend = LocalBackend(stack, seed=0)
    try:
        return run_scenario(
            scenario, backend, results=results, seed=0, queues=sorted(stack.queues), stack=stack
        )
    finally:
        backend.close()


def bench_collect(stack, runs: int, work: Path) -> list[Path]:
    made = work / "made"
    journals = [run(stack, ROOT / "scenarios.yaml", n, made).journal_path for n in NAMES]
    t0 = time.perf_counter()
    drawn = collect(made, cloudwatch=None)
    per_plot = (time.perf_counter() - t0) / max(1, len(drawn.plotted))
    print(
        f"collect-results: one timeline drawn in {per_plot * 1000:.0f} ms (the four shipped "
        "scenarios); a collect draws one per scenario and backend the report shows"
    )
    # N run folders, each a journal and the timeline drawn from it (copied with their
    # times, so each plot is newer than its journal, as after a collect).
    results = work / "results"
    for i in range(runs):
        source = journals[i % len(journals)]
        folder = results / "runs" / f"{source.parent.name}-{i:04d}"
        folder.mkdir(parents=True)
        shutil.copy2(source, folder / "journal.json")
        shutil.copy2(source.parent / "timeline.png", folder / "timeline.png")
    t0 = time.perf_counter()
    first = collect(results, cloudwatch=None)
    first_s = time.perf_counter() - t0
    print(
        f"  {runs} runs, no cache yet (every journal parsed): {first_s:6.2f} s, "
        f"{len(first.plotted)} drawn"
    )
    t0 = time.perf_counter()
    second = collect(results, cloudwatch=None)
    second_s = time.perf_counter() - t0
    verdict = "met" if second_s < 2 else "MISSED"
    print(
        f"  {runs} runs, nothing new:                   {second_s:6.2f} s, "
        f"{len(second.plotted)} drawn   target < 2 s: {verdict}"
    )
    for path in sorted(results.glob("runs/*/journal.json"))[:10]:
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    t0 = time.perf_counter()
    third = collect(results, cloudwatch=None)
    print(
        f"  {runs} runs, 10 journals changed:           {time.perf_counter() - t0:6.2f} s, "
        f"{len(third.plotted)} drawn"
    )
    html = results / "report.html"
    print(
        f"  report.html {html.stat().st_size / 1e6:.1f} MB, runs.csv "
        f"{(results / 'runs.csv').stat().st_size / 1e3:.0f} KB"
    )
    shutil.rmtree(results)
    return journals


_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from looplab.results import collect
t0 = time.perf_counter()
outcome = collect(Path(sys.argv[1]), cloudwatch=None)
seconds = time.perf_counter() - t0
print(json.dumps({
    "seconds": seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "runs": len(outcome.runs),
    "plotted": len(outcome.plotted),
    "written": [p.name for p in outcome.written],
}))
"""


def collect_in_child(results: Path) -> dict[str, object]:
    """collect(results) in a fresh interpreter: its own wall time and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(results), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_stream(journals: list[Path], runs: int, work: Path) -> None:
    """Targets (issue 18): 10,000 runs collected in < 120 s and < 300 MB, memory flat."""
    print("collect-results streaming (new runs, no cache, no plot yet; a fresh process each):")
    peaks = {}
    for count in (runs // 10, runs):
        results = work / f"stream-{count}"
        for i in range(count):
            source = journals[i % len(journals)]
            folder = results / "runs" / f"{source.parent.name}-{i:05d}"
            folder.mkdir(parents=True)
            shutil.copyfile(source, folder / "journal.json")
        got = collect_in_child(results)
        peaks[count] = got["peak_mb"]
        seconds, peak = float(got["seconds"]), float(got["peak_mb"])
        print(
            f"  {count:6,d} runs: {seconds:6.1f} s ({seconds / 120:.0%} of 120 s), "
            f"peak RSS {peak:5.0f} MB ({peak / 300:.0%} of 300 MB), {got['plotted']} plots "
            f"drawn, report written: {', '.join(got['written']) or 'NO'}"
        )
        if count == runs:
            verdict = "met" if seconds < 120 and peak < 300 and got["written"] else "MISSED"
            print(f"  target {runs:,} runs < 120 s and < 300 MB: {verdict}")
        shutil.rmtree(results)
    small, large = peaks[runs // 10], peaks[runs]
    print(
        f"  memory: {small:.0f} MB at {runs // 10:,} runs, {large:.0f} MB at {runs:,} "
        f"({large / small:.2f}x for 10x the runs; +{(large - small) / (runs * 0.9) * 1024:.1f} "
        "KB per run: the summaries kept)"
    )


def many_steps(steps: int) -> str:
    body = "\n".join(
        f"      - snapshot: {{name: s{i}}}" if i % 2 else "      - wait: {seconds: 1}"
        for i in range(steps)
    )
    return (
        "version: 1\naliases: {queue: Queue}\nscenarios:\n  many:\n"
        "    description: many small steps\n    steps:\n" + body + "\n"
    )


def bench_journal(stack, steps: int, work: Path) -> float:
    file = work / f"many-{steps}.yaml"
    file.write_text(many_steps(steps))
    spent = [0.0]
    real = _journal.Journal.write

    def timed(self) -> None:
        t0 = time.perf_counter()
        real(self)
        spent[0] += time.perf_counter() - t0

    sealed = _journal.Journal.seal

    def timed_seal(self, value) -> None:
        t0 = time.perf_counter()
        sealed(self, value)
        spent[0] += time.perf_counter() - t0

    _journal.Journal.write, _journal.Journal.seal = timed, timed_seal
    try:
        t0 = time.perf_counter()
        result = run(stack, file, "many", work / f"steps-{steps}")
        wall = time.perf_counter() - t0
    finally:
        _journal.Journal.write, _journal.Journal.seal = real, sealed
    size = result.journal_path.stat().st_size
    print(
        f"  {steps:5d} steps: run {wall:6.2f} s, journal {spent[0]:6.2f} s "
        f"({spent[0] / wall:4.0%} of the run), {size / 1e6:.2f} MB"
    )
    return spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--stream-runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    stack = load_stack(ROOT, stage="dev")
    with tempfile.TemporaryDirectory(prefix="looplab-bench-") as tmp:
        work = Path(tmp)
        journals = bench_collect(stack, args.runs, work)
        bench_stream(journals, args.stream_runs, work)
        print("journal overhead (issue 12: 600 steps 9.4 s, 3,000 steps 511 s before)")
        small = bench_journal(stack, args.steps // 5, work)
        large = bench_journal(stack, args.steps, work)
        ratio = large / small if small else float("inf")
        verdict = "met" if large < 5 and ratio < 10 else "MISSED"
        print(
            f"  ratio {args.steps} / {args.steps // 5} steps: {ratio:.1f}x (linear: 5x)   "
            f"target {args.steps} steps < 5 s of journal, ratio < 10x: {verdict}"
        )


if __name__ == "__main__":
    main()
