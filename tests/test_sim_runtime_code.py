"""The code a handler runs is a private, read-only copy: never the compile cache itself.

The stack's code directory is the compile cache's entry (``.looplab/compiled/<key>/code``);
a handler that rewrote its own module there changed what the next run, a cache hit, ran.
On Lambda the code is read-only at /var/task. Here each runtime copies a code directory
once, read-only, outside the cache, and the handler's module, working directory and
LAMBDA_TASK_ROOT are the copy's.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from _support.simkit import one_function_stack, write_handler

from looplab.sim import Simulator

SELF_EDITING = """\
import os
VERSION = 1

def handler(event, context):
    wrote = []
    for path in (__file__, os.path.join(os.getcwd(), "planted.py")):
        try:
            with open(path, "a") as f:
                f.write("\\nVERSION = 2\\n")
            wrote.append(True)
        except OSError as exc:
            wrote.append(type(exc).__name__)
    return {
        "version": VERSION,
        "wrote": wrote,
        "file": __file__,
        "cwd": os.getcwd(),
        "root": os.environ["LAMBDA_TASK_ROOT"],
    }
"""


def _run(code: Path) -> dict:
    stack = one_function_stack(code, "fns/selfedit.handler", "code")
    with Simulator(stack, seed=0) as sim:
        reply = sim.invoke("F", {}, "RequestResponse")
        assert "FunctionError" not in reply, reply
        payload = reply["Payload"]
        assert Path(payload["root"]).is_dir()  # while the runtime lives
    assert not Path(payload["root"]).exists()  # removed with it
    return payload


def test_a_handler_rewriting_its_code_changes_neither_the_cache_nor_the_next_run(
    tmp_path: Path,
) -> None:
    code = tmp_path / "compiled" / "code"  # stands for .looplab/compiled/<key>/code
    code.mkdir(parents=True)
    write_handler(code, "selfedit", SELF_EDITING)
    before = {p: p.read_bytes() for p in code.rglob("*") if p.is_file()}

    first = _run(code)
    after = {
        p: p.read_bytes() for p in code.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert after == before  # nothing written into the code directory, nothing planted
    assert _run(code)["version"] == 1  # the next run runs the code as built

    # The handler's code, working directory and task root are the copy, not the cache.
    assert first["root"] == first["cwd"]
    assert first["file"] == os.path.join(first["root"], "fns", "selfedit.py")
    assert not first["root"].startswith(str(code))
    if os.geteuid() != 0:  # root writes through permission bits; the bits still say so
        assert first["wrote"] == ["PermissionError", "PermissionError"]


def test_the_copy_is_read_only_and_holds_no_bytecode_of_the_caches(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    write_handler(code, "selfedit", SELF_EDITING.replace("VERSION = 1", "VERSION = 3"))
    planted = code / "fns" / "__pycache__"
    planted.mkdir()
    (planted / "selfedit.cpython-311.pyc").write_bytes(b"not bytecode")
    source = """\
import os, stat
def handler(event, context):
    modes = {}
    for base, dirs, files in os.walk(os.environ["LAMBDA_TASK_ROOT"]):
        for name in dirs + files:
            path = os.path.join(base, name)
            modes[os.path.relpath(path, os.environ["LAMBDA_TASK_ROOT"])] = stat.S_IMODE(
                os.lstat(path).st_mode
            )
    return modes
"""
    write_handler(code, "modes", source)
    stack = one_function_stack(code, "fns/modes.handler", "modes")
    with Simulator(stack, seed=0) as sim:
        modes = sim.invoke("F", {}, "RequestResponse")["Payload"]
    # A cache's bytecode is not what runs (its source is), and nothing writes any.
    assert not [name for name in modes if "__pycache__" in name]
    assert modes["fns"] & 0o222 == 0 and modes["fns/modes.py"] & 0o222 == 0
    assert modes["fns/selfedit.py"] & 0o222 == 0
    assert stat.S_IMODE(os.lstat(code / "fns" / "modes.py").st_mode) & 0o200  # untouched


def test_what_is_neither_file_nor_folder_is_left_out_of_the_copy(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    handler = write_handler(code, "plain", "def handler(event, context):\n    return 'ran'\n")
    os.mkfifo(code / "a-fifo")  # a test's, or a tool's, left in the code directory
    with Simulator(one_function_stack(code, handler, "fifo"), seed=0) as sim:
        assert sim.invoke("F", {}, "RequestResponse")["Payload"] == "ran"


def test_what_a_killed_looplab_left_in_the_temporary_folder_is_removed(tmp_path: Path) -> None:
    """kill -9 runs no cleanup: the next runtime removes the copies and HOMEs of looplab
    processes that are gone, and leaves a live process's alone."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid names a process that no longer exists
    base = Path(tempfile.gettempdir())
    left = [base / f"looplab-{kind}-{gone.pid}-test" for kind in ("task", "home")]
    live = base / f"looplab-task-{os.getpid()}-test"
    for folder in [*left, live]:
        (folder / "fns").mkdir(parents=True)
        (folder / "fns" / "h.py").write_text("")
        os.chmod(folder / "fns", 0o555)  # read-only, as the copies are
    try:
        code = tmp_path / "code"
        code.mkdir()
        handler = write_handler(code, "plain", "def handler(event, context):\n    return 1\n")
        with Simulator(one_function_stack(code, handler, "sweep"), seed=0) as sim:
            assert sim.invoke("F", {}, "RequestResponse")["Payload"] == 1
        assert not [folder for folder in left if folder.exists()]
        assert live.exists()
    finally:
        for folder in [*left, live]:
            if folder.exists():
                os.chmod(folder / "fns", 0o755)
                shutil.rmtree(folder)
