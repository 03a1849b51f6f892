"""Simulator throughput and memory, against the bare cost of the handler and botocore.

Each execution environment is a child process (looplab/sim/runtime/), so a hop crosses
process boundaries four times (invoke, the SendMessage call and its answer, done).
Prints, in one run:
- a 1000-hop chain with protection off on the simulator (wall seconds, invocations/s;
  target < 1 s on 2 cores);
- the same handler called 1000 times directly, botocore's Stubber answering its send
  (the practical floor: the handler plus botocore, nothing simulated);
- the steady-state cost of one hop in the middle of a long chain (no cold starts), and its
  ratio to the bare call (target <= 3), by wall clock and by CPU time (looplab's process
  plus the environment's, read from /proc: CPU seconds do not count the time a loaded
  machine keeps a woken process waiting for a core, which wall seconds do);
- where a hop's CPU goes: looplab's process, the environment, and the environment's
  botocore path run back to back inside one invocation (its cost with warm caches);
- how long a new environment takes to be ready to import its handler (target < 15 ms);
- the peak resident memory of a 100,000-invocation chain in looplab's process (target
  < 100 MB) and its environments (how many, and the largest's peak), measured in a child
  process so this run's own allocations do not count.

(The --instructions count under valgrind is gone: valgrind does not implement pidfd_open,
which the process runtime uses, and looplab's process alone no longer holds a hop.)
``--run chain|bare`` runs one side once, for timing whole processes from outside
(``farm-bench -n 5 -- python benchmarks/sim_throughput.py --run chain
--vs 'python benchmarks/sim_throughput.py --run bare'``).

Usage: python benchmarks/sim_throughput.py [--invocations-for-memory N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def _environments(sim: Simulator) -> list[Any]:
    return [e for f in sim.functions.values() for e in f.environments if e.process is not None]


def _environment_cpu(sim: Simulator) -> float:
    """CPU seconds the live environments' processes used (utime + stime, /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for env in _environments(sim):
        fields = Path(f"/proc/{env.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def steady_state() -> tuple[float, float, float]:
    """Seconds per invocation in the middle of a long chain, (wall, CPU of looplab's
    process, CPU of the environments'): no cold starts (each new environment makes its own
    botocore client, ~20 ms, as on AWS)."""
    stack = load_stack(
        ROOT, stage="bench", params={"recursiveLoop": "Allow", "counterCap": "100000"}
    )
    with Simulator(stack, seed=1) as sim:
        sim.send("Queue", json.dumps({"counter": 0}))
        sim.advance(5)
        before = sim.metrics.total("AWS/Lambda", "Invocations", 0)
        ours, theirs = time.process_time(), _environment_cpu(sim)
        started = time.perf_counter()
        sim.advance(60)
        wall = time.perf_counter() - started
        ours, theirs = time.process_time() - ours, _environment_cpu(sim) - theirs
        hops = sim.metrics.total("AWS/Lambda", "Invocations", 0) - before
        return wall / hops, ours / hops, theirs / hops


HOT_HANDLER = """\
import json, time
import boto3
from botocore.stub import Stubber

def handler(event, context):
    client = boto3.client("sqs", region_name="eu-central-1")
    stubber = Stubber(client)
    reply = {"MessageId": "0" * 36, "MD5OfMessageBody": "0" * 32}
    for _ in range(event["calls"]):
        stubber.add_response("send_message", reply)
    url = "https://sqs.eu-central-1.amazonaws.com/123456789012/bench"
    with stubber:
        started = time.process_time()
        for i in range(event["calls"]):
            client.send_message(QueueUrl=url, MessageBody=json.dumps({"counter": i}))
        return (time.process_time() - started) / event["calls"]
"""


def _context(memory_mb: int) -> dict[str, Any]:
    """The context attributes of a benchmark's own environment (function ``f``)."""
    return {
        "function_name": "f",
        "invoked_function_arn": "arn:aws:lambda:eu-central-1:123456789012:function:f",
        "memory_limit_in_mb": memory_mb,
        "log_group_name": "/aws/lambda/f",
        "log_stream_name": "s",
    }


def environment_hot(calls: int = 1000) -> float:
    """CPU seconds per SendMessage of the bare call's botocore path run back to back
    inside one execution environment (one invocation, botocore's Stubber answering): what
    the environment's code costs with warm caches, against what it costs once per hop."""
    import tempfile

    from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime

    with tempfile.TemporaryDirectory() as code:
        Path(code, "hot.py").write_text(HOT_HANDLER)
        runtime = ProcessRuntime(1.0, 120.0)
        credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
        spec = EnvironmentSpec(credentials, Path(code), "hot.handler", 512, _context(512))
        try:
            env = runtime.start(spec)
            best = float("inf")
            for n in range(3):
                result = runtime.invoke(
                    env, Invocation(f"r{n}", {"calls": calls}, None, 0.0, 600.0), _no_calls
                )
                if result.outcome != "success":
                    raise SystemExit(f"the hot loop failed: {result.lines}")
                best = min(best, float(result.value))
        finally:
            runtime.close()
    return best


def environment_start(samples: int = 30) -> tuple[float, float]:
    """Wall seconds from asking for a new environment to its having imported an empty
    handler (the handler's own init is not counted): (median, min)."""
    import tempfile

    from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime

    with tempfile.TemporaryDirectory() as code:
        Path(code, "empty.py").write_text("def handler(event, context):\n    return None\n")
        runtime = ProcessRuntime(1.0, 60.0)
        spec = EnvironmentSpec({}, Path(code), "empty.handler", 128, _context(128))
        invocation = Invocation("r", {}, None, 0.0, 60.0)
        runtime.stop(runtime.start(spec))  # the zygote, started once per looplab process
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            env = runtime.start(spec)
            result = runtime.invoke(env, invocation, _no_calls)
            times.append(time.perf_counter() - started - result.wall)
            runtime.stop(env)
        runtime.close()
    times.sort()
    return times[len(times) // 2], times[0]


def _no_calls(*call: Any) -> tuple[int, dict[str, Any]]:
    raise AssertionError(f"the empty handler made an SDK call: {call}")


def bare_handler(calls: int) -> tuple[float, float]:
    """(wall, CPU) seconds for ``calls`` calls of the handler, the Stubber answering."""
    cpu = time.process_time()
    wall = _bare_handler(calls)
    return wall, time.process_time() - cpu


def _bare_handler(calls: int) -> float:
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
    stack = load_stack(
        ROOT, stage="bench", params={"recursiveLoop": "Allow", "counterCap": str(invocations)}
    )
    with Simulator(stack, seed=1) as sim:
        started = time.perf_counter()
        sim.send("Queue", json.dumps({"counter": 0}))
        most, env_peak_kb = 0, 0
        while sim.clock.next_time() is not None:
            sim.advance(600)
            live = _environments(sim)
            most = max(most, len(live))
            for env in live:
                status = Path(f"/proc/{env.process.pid}/status").read_text()
                hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
                env_peak_kb = max(env_peak_kb, int(hwm.group(1)) if hwm else 0)
        wall = time.perf_counter() - started
        count = int(sim.metrics.total("AWS/Lambda", "Invocations", 0))
        made = sum(len(f.environments) for f in sim.functions.values())
        virtual = sim.now - sim.params.epoch
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "wall": wall,
                "invocations": count,
                "virtual": virtual,
                "peak_kb": peak_kb,
                "environments_live_max": most,
                "environments_made": made,
                "environment_peak_kb": env_peak_kb,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations-for-memory", type=int, default=100_000)
    parser.add_argument(
        "--run", choices=("chain", "bare"), help="run one side once (for farm-bench)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(args.child)
        return
    if args.run == "chain":
        simulated_chain(HOPS)
        return
    if args.run == "bare":
        _bare_handler(HOPS)
        return

    simulated_chain(10)  # warm: sls package cache, imports, the environments' zygote
    bare_handler(HOPS)
    # Alternate the two and keep each one's best: this machine's speed drifts by 2x over
    # seconds, and alternating lets both sides see the same drift.
    sims, steadies, bares, hots = [], [], [], []
    for _ in range(5):
        sims.append(simulated_chain(HOPS))
        steadies.append(steady_state())
        bares.append(bare_handler(HOPS))
        hots.append(environment_hot())
    sim_wall, invocations, virtual = min(sims, key=lambda r: r[0])
    steady_wall = min(w for w, _, _ in steadies)
    steady_cpu = min(ours + theirs for _, ours, theirs in steadies)
    ours_cpu = min(ours for _, ours, _ in steadies)
    theirs_cpu = min(theirs for _, _, theirs in steadies)
    hot_cpu = min(hots)
    bare_wall = min(w for w, _ in bares) / HOPS
    bare_cpu = min(c for _, c in bares) / HOPS
    print(
        f"simulator, {HOPS}-hop chain (protection off): {sim_wall:.3f} s wall, "
        f"{invocations} invocations, {invocations / sim_wall:,.0f} invocations/s, "
        f"{virtual:.1f} s simulated (target < 1 s: {'met' if sim_wall < 1 else 'MISSED'})"
    )
    print(
        f"bare handler + botocore Stubber, {HOPS} calls: {bare_wall * HOPS:.3f} s wall, "
        f"{1 / bare_wall:,.0f} calls/s"
    )
    ratio, cpu_ratio = steady_wall / bare_wall, steady_cpu / bare_cpu
    print(
        f"steady state (mid-chain, no cold starts): {steady_wall * 1e6:.0f} us wall per hop "
        f"vs {bare_wall * 1e6:.0f} us bare, ratio {ratio:.2f} "
        f"(target <= 3: {'met' if ratio <= 3 else 'MISSED'}); CPU {steady_cpu * 1e6:.0f} us "
        f"(looplab + environment) vs {bare_cpu * 1e6:.0f} us, ratio {cpu_ratio:.2f}"
    )
    print(
        f"where a hop's CPU goes: looplab's process {ours_cpu * 1e6:.0f} us, the environment "
        f"{theirs_cpu * 1e6:.0f} us; the environment's botocore path run back to back in "
        f"one invocation {hot_cpu * 1e6:.0f} us per call (the same code once per hop costs "
        f"{theirs_cpu / hot_cpu:.1f}x that: caches gone cold in between)"
    )
    median, fastest = environment_start()
    print(
        f"new environment ready to import its handler: {median * 1e3:.1f} ms median, "
        f"{fastest * 1e3:.1f} ms min (target < 15 ms: {'met' if median < 0.015 else 'MISSED'})"
    )

    n = args.invocations_for_memory
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = child["peak_kb"] / 1024
    print(
        f"{child['invocations']:,} invocations: looplab's peak RSS {peak_mb:.0f} MB "
        f"(target < 100 MB: {'met' if peak_mb < 100 else 'MISSED'}), {child['wall']:.1f} s wall, "
        f"{child['virtual']:,.0f} s simulated; environments: {child['environments_made']} made, "
        f"at most {child['environments_live_max']} alive, the largest peaked at "
        f"{child['environment_peak_kb'] / 1024:.0f} MB RSS"
    )


if __name__ == "__main__":
    main()
