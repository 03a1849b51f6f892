"""Simulator throughput and memory, against the bare cost of the handler and botocore.

Prints, in one run:
- a 1000-hop chain with protection off on the simulator (wall seconds, invocations/s);
- the same handler called 1000 times directly, botocore's Stubber answering its send
  (the practical floor: the handler plus botocore, nothing simulated);
- their ratio (target <= 1.5) and the 1000-hop wall time (target < 2 s on 2 cores);
- the steady-state cost of one hop in the middle of a long chain (no cold starts), and its
  ratio to the bare call;
- the peak resident memory of a 100,000-invocation chain (target < 200 MB), measured in a
  child process so this run's own allocations do not count.

With --instructions, also the instructions per hop on each side, counted by valgrind:
seconds on this machine drift by up to 2x within a run; instruction counts repeat exactly.

Usage: python benchmarks/sim_throughput.py [--instructions] [--invocations-for-memory N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from looplab.sim import Simulator  # noqa: E402
from looplab.stack import load_stack  # noqa: E402

HOPS = 1000


def simulated_chain(hops: int) -> tuple[float, int, float]:
    stack = load_stack(
        ROOT, stage="bench", params={"recursiveLoop": "Allow", "counterCap": str(hops)}
    )
    with Simulator(stack, seed=1) as sim:
        started = time.perf_counter()
        sim.send("Queue", json.dumps({"counter": 0}))
        while sim.clock.next_time() is not None:
            sim.advance(600)
        wall = time.perf_counter() - started
        invocations = int(sim.metrics.total("AWS/Lambda", "Invocations", 0))
        return wall, invocations, sim.now - sim.params.epoch


def steady_state() -> float:
    """Seconds per invocation in the middle of a long chain: no cold starts (each new
    environment builds its own botocore session and client, ~20 ms, as on AWS)."""
    stack = load_stack(
        ROOT, stage="bench", params={"recursiveLoop": "Allow", "counterCap": "100000"}
    )
    with Simulator(stack, seed=1) as sim:
        sim.send("Queue", json.dumps({"counter": 0}))
        sim.advance(5)
        before = sim.metrics.total("AWS/Lambda", "Invocations", 0)
        started = time.perf_counter()
        sim.advance(60)
        wall = time.perf_counter() - started
        return wall / (sim.metrics.total("AWS/Lambda", "Invocations", 0) - before)


def bare_handler(calls: int) -> float:
    from botocore.stub import Stubber

    os.environ["QUEUE_URL"] = "https://sqs.eu-central-1.amazonaws.com/123456789012/bench"
    os.environ["COUNTER_CAP"] = str(calls + 1)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    spec = importlib.util.spec_from_file_location("bare_main", ROOT / "functions/recursive/main.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import boto3

    client = boto3.client(
        "sqs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    module._sqs = client
    stubber = Stubber(client)
    reply = {"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": "0" * 32}
    for _ in range(calls):
        stubber.add_response("send_message", reply)
    events = [
        {"Records": [{"messageId": str(i), "body": json.dumps({"counter": i})}]}
        for i in range(calls)
    ]
    import contextlib
    import io

    sink = io.StringIO()
    with stubber, contextlib.redirect_stdout(sink):
        started = time.perf_counter()
        for event in events:
            module.handler(event, None)
        return time.perf_counter() - started


def memory_child(invocations: int) -> None:
    wall, count, virtual = simulated_chain(invocations)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall": wall, "invocations": count, "virtual": virtual, "peak_kb": peak_kb}))


def instruction_run(mode: str, hops: int) -> None:
    """What valgrind counts: ``hops`` hops of the chain, or ``hops`` bare calls."""
    if mode == "bare":
        bare_handler(hops)
    else:
        simulated_chain(hops)


def instructions(low: int = 300, high: int = 1300) -> dict[str, float]:
    """Instructions per hop (sim) and per call (bare), from callgrind's totals of a short and
    a long run of each, so start-up and cold starts cancel out. Unlike seconds, instruction
    counts repeat exactly whatever else the machine does; they do not see cache misses."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    jobs = {
        (mode, n): subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                __file__,
                "--instruction-run",
                mode,
                str(n),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("sim", "bare")
        for n in (low, high)
    }
    totals = {}
    for key, job in jobs.items():
        _, err = job.communicate()
        match = re.search(r"Collected : (\d+)", err)
        if job.returncode != 0 or match is None:
            raise SystemExit(f"valgrind run {key} failed:\n{err[-2000:]}")
        totals[key] = int(match.group(1))
    return {
        mode: (totals[(mode, high)] - totals[(mode, low)]) / (high - low)
        for mode in ("sim", "bare")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations-for-memory", type=int, default=100_000)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per hop under valgrind (about 5 minutes)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--instruction-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(args.child)
        return
    if args.instruction_run:
        instruction_run(args.instruction_run[0], int(args.instruction_run[1]))
        return

    simulated_chain(10)  # warm: sls package cache, imports
    bare_handler(HOPS)
    # Alternate the two and keep each one's best: this machine's speed drifts by 2x over
    # seconds, and alternating lets both sides see the same drift.
    sims, steadies, bares = [], [], []
    for _ in range(5):
        sims.append(simulated_chain(HOPS))
        steadies.append(steady_state())
        bares.append(bare_handler(HOPS))
    sim_wall, invocations, virtual = min(sims, key=lambda r: r[0])
    steady = min(steadies)
    bare_wall = min(bares)
    ratio = sim_wall / bare_wall
    print(
        f"simulator, {HOPS}-hop chain (protection off): {sim_wall:.3f} s wall, "
        f"{invocations} invocations, {invocations / sim_wall:,.0f} invocations/s, "
        f"{virtual:.1f} s simulated"
    )
    print(
        f"bare handler + botocore Stubber, {HOPS} calls: {bare_wall:.3f} s wall, "
        f"{HOPS / bare_wall:,.0f} calls/s"
    )
    print(
        f"ratio simulator / bare: {ratio:.2f}  "
        f"(target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"
    )
    print(
        f"steady state (mid-chain, no cold starts): {steady * 1e6:.0f} us per invocation "
        f"vs {bare_wall / HOPS * 1e6:.0f} us bare, ratio {steady * HOPS / bare_wall:.2f}"
    )
    print(f"1000-hop chain under 2 s: {'met' if sim_wall < 2 else 'MISSED'}")

    if args.instructions:
        per = instructions()
        ir_ratio = per["sim"] / per["bare"]
        print(
            f"instructions per hop: simulator {per['sim']:,.0f}, bare {per['bare']:,.0f}, "
            f"ratio {ir_ratio:.2f} (target <= 1.5: {'met' if ir_ratio <= 1.5 else 'MISSED'})"
        )

    n = args.invocations_for_memory
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = child["peak_kb"] / 1024
    print(
        f"{child['invocations']:,} invocations: peak RSS {peak_mb:.0f} MB, "
        f"{child['wall']:.1f} s wall, {child['virtual']:,.0f} s simulated "
        f"(target < 200 MB: {'met' if peak_mb < 200 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
