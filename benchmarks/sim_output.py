"""What a handler's printed output costs looplab's own process.

One invocation of a handler that prints ``--megabytes`` (400 by default) of 1,000-byte
lines, run in a child process so this script's own allocations do not count. Prints
looplab's resident memory before, its peak during the run (VmHWM, reset just before the
invocation through /proc/self/clear_refs), the growth and its ratio to the target
(< 100 MB for 400 MB printed; looplab kept every line before, ~2 GB), with what the
invocation kept and counted of the output and the wall time; and the most memory the
environment's output file held meanwhile (its pages, sampled every 10 ms: the file is
no process's RSS, but the host's memory all the same).

Usage: python benchmarks/sim_output.py [--megabytes N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MB = 100

# 1 MB at a time, in whole lines of 1,000 bytes: a print per line would time Python's
# print, not looplab.
HANDLER = """\
import sys
LINES = "".join(f"{n:06d}" + "x" * 993 + "\\n" for n in range(1000))
def handler(event, context):
    for _ in range(event["megabytes"]):
        sys.stdout.write(LINES)
    return "printed"
"""


def _status_kb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    found = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def child(megabytes: int) -> None:
    from looplab.sim import Simulator
    from looplab.stack import Stack

    code = Path(tempfile.mkdtemp(prefix="looplab-bench-output-"))
    (code / "chatty.py").write_text(HANDLER)
    template = {
        "Resources": {
            "F": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "chatty",
                    "Handler": "chatty.handler",
                    "Runtime": "python3.12",
                    "Timeout": 900,
                    "MemorySize": 256,
                },
            }
        }
    }
    stack = Stack.from_template(template, code_dir=code, stage="bench")
    with Simulator(stack, seed=0) as sim:
        sim.invoke("F", {"megabytes": 1}, "RequestResponse")  # the zygote and imports
        (env,) = sim.functions["F"].environments  # the warm one the next invocation takes
        held, done = [0], threading.Event()

        def sample() -> None:
            while not done.wait(0.01):
                held[0] = max(held[0], os.fstat(env.process.log).st_blocks * 512)

        sampler = threading.Thread(target=sample, daemon=True)
        before = _status_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
        sampler.start()
        started = time.perf_counter()
        reply = sim.invoke("F", {"megabytes": megabytes}, "RequestResponse")
        wall = time.perf_counter() - started
        peak = _status_kb("VmHWM")
        done.set()
        sampler.join()
        assert reply.get("Payload") == "printed", reply
        messages = [e.message for e in sim.logs.events()]
        note = next((m for m in messages if m.startswith("[looplab] output not kept")), "")
    print(
        json.dumps(
            {"before_kb": before, "peak_kb": peak, "wall": wall, "note": note, "file": held[0]}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=400)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.megabytes)
        return
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--megabytes", str(args.megabytes)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    grown_mb = (result["peak_kb"] - result["before_kb"]) / 1024
    target = TARGET_MB * args.megabytes / 400
    print(
        f"{args.megabytes} MB printed by one invocation: looplab's RSS "
        f"{result['before_kb'] / 1024:.0f} MB before, {result['peak_kb'] / 1024:.0f} MB at "
        f"its peak, grew {grown_mb:.1f} MB; {grown_mb / target:.2f} of the target "
        f"(< {target:.0f} MB: {'met' if grown_mb < target else 'MISSED'}); "
        f"{result['wall']:.2f} s wall"
    )
    print(f"the environment's output file held at most {result['file'] / 2**20:.1f} MiB")
    print(f"the log says: {result['note'] or '(nothing: every line was kept)'}")


if __name__ == "__main__":
    main()
