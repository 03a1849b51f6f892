"""Each execution environment is its own process: what a handler does stays in it.

Every test runs a real handler, written to a tmp dir, that broke the in-process imitation:
it exits the process, monkeypatches json or boto3, outlives its timeout, ignores signals,
allocates past its memory, leaves a thread behind, or reaches for the host's credentials
and network. Timeouts use ``handler_time_scale`` so a 1 s Timeout is 50 ms of wall time.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import boto3
import pytest
from _support.simkit import one_function_stack, write_handler

from looplab.sim import SimParams, Simulator

FAST = SimParams(handler_time_scale=20.0)  # 1 virtual second = 50 ms of handler wall time


def messages(sim: Simulator) -> list[str]:
    return [e.message for e in sim.logs.events()]


def run_once(
    tmp_path: Path,
    source: str,
    body: str = "{}",
    params: SimParams = FAST,
    **function: object,
) -> Simulator:
    """A simulator (still open) that ran ``source`` once on ``body``."""
    handler = write_handler(tmp_path, "h", source)
    stack = one_function_stack(
        tmp_path,
        handler,
        "iso",
        function={"Timeout": 1, **function},
        queue={"VisibilityTimeout": 30},
    )
    sim = Simulator(stack, seed=0, params=params)
    sim.send("Q", body)
    sim.advance(5)
    return sim


def errors(sim: Simulator) -> float:
    return sim.metrics.total("AWS/Lambda", "Errors", 0)


# -- the process ends: an error of that invocation, never of looplab ------------------------


def test_os_exit_in_a_handler_is_an_error_of_that_invocation(tmp_path: Path) -> None:
    source = "import os\ndef handler(event, context):\n    print('before')\n    os._exit(0)\n"
    with run_once(tmp_path, source) as sim:
        assert errors(sim) == 1
        logged = messages(sim)
        assert "before" in logged  # printed before the exit, still in the log
        assert any(
            "Runtime exited with error: exit status 0\nRuntime.ExitError" in m for m in logged
        )
        assert not sim.functions["F"].idle  # the environment is gone
        sim.send("Q", "{}")
        sim.advance(5)  # a new environment: the function still runs
        assert len(sim.functions["F"].environments) == 2
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 2


def test_a_crashing_process_is_an_error_with_its_signal(tmp_path: Path) -> None:
    source = (
        "import os, signal\n"
        "def handler(event, context):\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    with run_once(tmp_path, source) as sim:
        assert errors(sim) == 1
        assert any("signal: segmentation fault" in m for m in messages(sim))


# -- monkeypatching stays in its process -----------------------------------------------------

PATCHER = """\
import json, boto3
json.dumps = lambda *a, **k: "not json"
boto3.client = lambda *a, **k: "not a client"
def handler(event, context):
    print("patched", json.dumps({"a": 1}), boto3.client("sqs"))
"""

CHECKER = """\
import json, boto3
sqs = boto3.client("sqs")  # at import: the 1 s Timeout is 50 ms of wall time here
def handler(event, context):
    print("clean", json.dumps({"a": 1}), type(sqs).__name__)
"""


def test_monkeypatching_json_and_boto3_stays_in_the_handlers_process(tmp_path: Path) -> None:
    real_dumps, real_client = json.dumps, boto3.client
    patcher = tmp_path / "p"
    patcher.mkdir()
    with run_once(patcher, PATCHER) as sim:
        assert "patched not json not a client" in messages(sim)
    assert json.dumps is real_dumps and boto3.client is real_client
    assert json.dumps({"a": 1}) == '{"a": 1}'  # what a journal is written with
    checker = tmp_path / "c"
    checker.mkdir()
    with run_once(checker, CHECKER) as sim:  # a later environment: the SDK's own
        assert 'clean {"a": 1} SQS' in messages(sim)


# -- the function timeout -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "import time\n    time.sleep(30)",  # sleeps past the timeout
        "while True:\n        pass",  # a busy loop
        # ignores SIGINT and SIGTERM: only SIGKILL ends it
        "import signal, time\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(30)",
    ],
    ids=["sleep", "busy-loop", "signals-ignored"],
)
def test_a_handler_past_its_timeout_is_killed_and_timed_out(tmp_path: Path, body: str) -> None:
    with run_once(tmp_path, f"def handler(event, context):\n    {body}\n") as sim:
        assert errors(sim) == 1
        logged = messages(sim)
        assert any(m.endswith("Task timed out after 1.00 seconds") for m in logged)
        (report,) = [m for m in logged if m.startswith("REPORT")]
        assert "\tDuration: 1000.00 ms" in report
        assert not sim.functions["F"].idle  # replaced: the next invocation is a cold start


def test_a_remaining_time_loop_ends_on_the_invocations_virtual_time(tmp_path: Path) -> None:
    source = (
        "def handler(event, context):\n"
        "    while context.get_remaining_time_in_millis() > 500:\n"
        "        pass\n"
        "    print('left', context.get_remaining_time_in_millis() <= 500)\n"
    )
    # Scale 5: the loop spins ~100 ms of wall time and has ~100 ms to spare.
    with run_once(tmp_path, source, params=SimParams(handler_time_scale=5.0)) as sim:
        assert errors(sim) == 0
        assert "left True" in messages(sim)


def test_the_handlers_wall_time_enters_the_clock_scaled_and_rounded_down(tmp_path: Path) -> None:
    source = "import time\ndef handler(event, context):\n    time.sleep(0.11)\n"
    params = SimParams(handler_time_scale=20.0, handler_time_quantum=1.0)
    with run_once(tmp_path, source, params=params, Timeout=6) as sim:
        (report,) = [m for m in messages(sim) if m.startswith("REPORT")]
        duration = float(report.split("\tDuration: ")[1].split(" ms")[0])
        # 0.11 s x 20 = 2.2 virtual seconds (more on a loaded machine: a sleep only ever
        # overruns), rounded down to whole seconds, plus the modelled offsets (< 100 ms).
        assert 2000 < duration < 6000
        assert duration % 1000 < 100
    with run_once(tmp_path, source, params=params.with_overrides(handler_time_quantum=None),
                  Timeout=6) as sim:  # fmt: skip
        (report,) = [m for m in messages(sim) if m.startswith("REPORT")]
        assert float(report.split("\tDuration: ")[1].split(" ms")[0]) < 100


def test_an_import_that_hangs_is_stopped_by_the_watchdog(tmp_path: Path) -> None:
    source = "import time\ntime.sleep(30)\ndef handler(event, context):\n    pass\n"
    params = SimParams(handler_wall_limit=0.2)
    with run_once(tmp_path, source, params=params) as sim:
        assert errors(sim) == 1
        assert any("Task timed out" in m for m in messages(sim))


# -- memory --------------------------------------------------------------------------------


def test_memory_over_the_functions_memory_size_is_out_of_memory(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    keep = bytearray(300 * 2**20)\n"
    with run_once(tmp_path, source, MemorySize=128) as sim:
        assert errors(sim) == 1
        assert any(m.endswith("Runtime.OutOfMemory") for m in messages(sim))
        assert not sim.functions["F"].idle


def test_memory_under_the_limit_is_fine(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    keep = bytearray(300 * 2**20)\n"
    with run_once(tmp_path, source, MemorySize=512, Timeout=30) as sim:
        assert errors(sim) == 0


# -- threads: frozen between invocations, gone after the run ---------------------------------

THREAD = """\
import os, threading, time
OUT = os.path.join(os.environ["LOOPLAB_TEST_DIR"], "ticks")
def tick():
    while True:
        with open(OUT, "a") as f:
            f.write("t")
        time.sleep(0.005)
def handler(event, context):
    threading.Thread(target=tick, daemon=True).start()
    print("pid", os.getpid())
"""


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_a_thread_that_outlives_its_invocation_is_frozen_then_gone(tmp_path: Path) -> None:
    with run_once(
        tmp_path, THREAD, Environment={"Variables": {"LOOPLAB_TEST_DIR": str(tmp_path)}}
    ) as sim:
        (pid,) = [int(m.split()[1]) for m in messages(sim) if m.startswith("pid ")]
        for _ in range(100):  # SIGSTOP is delivered asynchronously: microseconds
            if _state(pid) == "T":
                break
            time.sleep(0.01)
        assert _state(pid) == "T"  # SIGSTOPped: frozen between invocations
        ticks = (tmp_path / "ticks").read_text()
        time.sleep(0.1)
        assert (tmp_path / "ticks").read_text() == ticks  # nothing of it ran meanwhile
    for _ in range(100):  # closed: the process is killed and reaped
        if _state(pid) is None:
            break
        time.sleep(0.01)
    assert _state(pid) is None


# -- nothing of the host's credentials or network --------------------------------------------

NETWORK = """\
import os, threading, time
import boto3
ENDPOINT = os.environ["LOOPLAB_TEST_ENDPOINT"]
def late():
    time.sleep(0.05)  # after the invocation: frozen, then killed
    boto3.client("sqs", endpoint_url=ENDPOINT).get_queue_url(QueueName="iso-q")
    print("late call returned")
def handler(event, context):
    try:
        boto3.Session(profile_name="default").client("sqs")
        print("profile found")
    except Exception as exc:
        print("profile", type(exc).__name__)
    print("host endpoint", os.environ.get("AWS_ENDPOINT_URL"), os.environ["AWS_ACCESS_KEY_ID"])
    # Even an explicit endpoint is answered by the simulator, not the network.
    reply = boto3.client("sqs", endpoint_url=ENDPOINT).get_queue_url(QueueName="iso-q")
    print("answered", reply["ResponseMetadata"]["HTTPStatusCode"])
    threading.Thread(target=late).start()
"""


def test_host_credentials_profiles_and_network_are_out_of_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    home = tmp_path / "host-home"
    (home / ".aws").mkdir(parents=True)
    credentials = "[default]\naws_access_key_id = AKIAHOSTFAKE\naws_secret_access_key = x\n"
    (home / ".aws" / "credentials").write_text(credentials)
    (home / ".aws" / "config").write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    code = tmp_path / "code"
    code.mkdir()
    variables = {"LOOPLAB_TEST_ENDPOINT": endpoint}
    try:
        # Timeout 30: 1.5 s of wall time, for the clients the handler makes as it runs.
        with run_once(code, NETWORK, Timeout=30, Environment={"Variables": variables}) as sim:
            logged = messages(sim)
            assert errors(sim) == 0, logged
            assert "profile ProfileNotFound" in logged
            assert "host endpoint None ASIALOOPLABSIMULATOR" in logged
            assert "answered 200" in logged
            sim.advance(60)  # the late thread's environment stays frozen
            assert "late call returned" not in messages(sim)
        time.sleep(0.2)  # had the late thread survived, it would have connected by now
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


# -- the function's own SDK ---------------------------------------------------------------

BUNDLED_BOTO3 = """\
'''A function's bundled boto3: its own module, on botocore (which carries the bridge).'''
import botocore.session
__version__ = "0.0-bundled"
def client(name, **kwargs):
    return botocore.session.get_session().create_client(name, **kwargs)
"""

USES_BUNDLED = """\
import os, boto3
def handler(event, context):
    print("boto3", boto3.__version__, boto3.__file__.startswith(os.environ["LAMBDA_TASK_ROOT"]))
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody="via bundled")
"""


def test_a_bundled_boto3_is_the_one_that_runs(tmp_path: Path) -> None:
    (tmp_path / "boto3").mkdir()
    (tmp_path / "boto3" / "__init__.py").write_text(BUNDLED_BOTO3)
    handler = write_handler(tmp_path, "h", USES_BUNDLED)
    stack = one_function_stack(
        tmp_path,
        handler,
        "bundled",
        function={"Environment": {"Variables": {"OUT": {"Ref": "Q"}}}},
        mapping={"Enabled": False},
    )
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "{}")
        sim.set_mapping("M", True)
        sim.advance(0.5)
        sim.set_mapping("M", False)
        assert "boto3 0.0-bundled True" in messages(sim)
        assert errors(sim) == 0
        bodies = [m.body for m in sim.queues["Q"].messages.values()]
        assert bodies == ["via bundled"]  # its call reached the simulator, nothing else


# -- output and determinism ---------------------------------------------------------------


def test_output_written_to_the_file_descriptors_is_logged(tmp_path: Path) -> None:
    source = (
        "import os, sys\ndef handler(event, context):\n"
        "    os.write(1, b'fd one\\n')\n    os.write(2, b'fd two\\n')\n"
        "    sys.stderr.write('stderr line\\n')\n    print('no newline', end='')\n"
    )
    with run_once(tmp_path, source) as sim:
        logged = messages(sim)[1:-2]
        assert logged == ["fd one", "fd two", "stderr line", "no newline"]


def test_the_same_seed_gives_the_same_event_log_byte_for_byte(tmp_path: Path) -> None:
    import io

    source = (
        "import json, os, time, boto3\nsqs = boto3.client('sqs')\n"
        "def handler(event, context):\n    time.sleep(0.002)\n"
        "    n = json.loads(event['Records'][0]['body'])['n']\n"
        "    if n < 30:\n"
        "        body = json.dumps({'n': n + 1})\n"
        "        sqs.send_message(QueueUrl=os.environ['OUT'], MessageBody=body)\n"
    )
    handler = write_handler(tmp_path, "h", source)
    stack = one_function_stack(
        tmp_path, handler, "det", function={"Environment": {"Variables": {"OUT": {"Ref": "Q"}}}}
    )
    logs = []
    for _ in range(2):
        out = io.StringIO()
        with Simulator(stack, seed=7, event_log=out) as sim:
            sim.send("Q", json.dumps({"n": 0}))
            sim.advance(60)
            logs.append((out.getvalue(), [(e.timestamp, e.message) for e in sim.logs.events()]))
    assert logs[0] == logs[1]
    assert logs[0][0].count("\tinvoke\t") == 16  # the chain ran, detection stopped it
    assert "\tdrop\t" in logs[0][0]


def test_environments_do_not_inherit_the_hosts_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOPLAB_HOST_SECRET", "host")
    source = (
        "import os\n"
        "def handler(event, context):\n"
        "    here = os.getcwd() == os.environ['LAMBDA_TASK_ROOT']\n"
        "    print('secret', os.environ.get('LOOPLAB_HOST_SECRET'), here)\n"
    )
    with run_once(tmp_path, source) as sim:
        assert "secret None True" in messages(sim)
    assert os.environ["LOOPLAB_HOST_SECRET"] == "host"
