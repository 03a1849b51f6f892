"""The compile cache under concurrency, interruption and corruption (a fake, fast `sls`).

Before the fix 1-2 of N concurrent cold compiles died on the shared `.serverless/`, a killed
compile left `sls package` running, leftover temporary folders stayed forever and a corrupt
entry was a JSONDecodeError traceback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _support.waiting import wait_for

from looplab.stack._package import TEMPLATE_NAME, compiled_template, is_compiled

FAKE_SLS = f"""\
#!{sys.executable}
# Behaves like osls where it matters: works in the service's .serverless/ first (so two
# compiles in one folder collide), then writes the template and a zip to --package.
import json, os, pathlib, shutil, sys, time, zipfile
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--package") + 1])
if os.environ.get("FAKE_SLS_PIDFILE"):
    pathlib.Path(os.environ["FAKE_SLS_PIDFILE"]).write_text(str(os.getpid()))
with open(os.environ["FAKE_SLS_LOG"], "a") as log:
    log.write(args[args.index("--stage") + 1] + "\\n")
work = pathlib.Path(".serverless")
work.mkdir()
time.sleep(float(os.environ.get("FAKE_SLS_SLEEP", "0.3")))
out.mkdir(parents=True, exist_ok=True)
(out / "{TEMPLATE_NAME}").write_text(json.dumps({{"Resources": {{}}}}))
with zipfile.ZipFile(out / "looplab.zip", "w") as zf:
    zf.writestr("functions/x.py", "x = 1\\n")
shutil.rmtree(work)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "functions").mkdir(parents=True)
    (root / "functions" / "x.py").write_text("x = 1\n")
    (root / "serverless.yml").write_text("service: fake\n")
    sls = root / "node_modules" / ".bin" / "sls"
    sls.parent.mkdir(parents=True)
    sls.write_text(FAKE_SLS)
    sls.chmod(0o755)
    monkeypatch.setenv("FAKE_SLS_LOG", str(tmp_path / "sls.log"))
    return root


def compiles(project: Path) -> list[str]:
    log = project.parent / "sls.log"
    return log.read_text().split() if log.exists() else []


def test_concurrent_cold_compiles_all_succeed_and_compile_once_per_key(project: Path) -> None:
    stages = ["a", "a", "a", "b", "b", "c"]
    with ThreadPoolExecutor(len(stages)) as pool:
        outs = list(pool.map(lambda s: compiled_template(project, s, "eu-central-1"), stages))
    for out in outs:
        assert json.loads((out / TEMPLATE_NAME).read_text()) == {"Resources": {}}
        assert (out / "code" / "functions" / "x.py").is_file()
    assert sorted(compiles(project)) == ["a", "b", "c"]


def test_concurrent_compiles_in_separate_processes(project: Path) -> None:
    code = "import sys; from pathlib import Path;"
    code += "from looplab.stack._package import compiled_template;"
    code += "compiled_template(Path(sys.argv[1]), sys.argv[2], 'eu-central-1')"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(project), stage], stderr=subprocess.PIPE)
        for stage in ("p", "q", "p", "r")
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert sorted(compiles(project)) == ["p", "q", "r"]


def test_a_compile_never_runs_in_the_projects_own_serverless_folder(project: Path) -> None:
    # A hand-run `sls deploy` owns .serverless/ right now: looplab's compile must not care.
    (project / ".serverless").mkdir()
    out = compiled_template(project, "dev", "eu-central-1")
    assert (out / TEMPLATE_NAME).is_file()


def test_stale_temporary_folders_are_removed(project: Path) -> None:
    stale = project / ".looplab" / "compiled" / f"deadbeef.tmp-{2**22 + 1}"
    (stale / "out").mkdir(parents=True)
    compiled_template(project, "dev", "eu-central-1")
    assert not stale.exists()
    leftovers = [p.name for p in (project / ".looplab" / "compiled").iterdir()]
    assert not [name for name in leftovers if ".tmp-" in name], leftovers


@pytest.mark.parametrize("damage", ["{", "", None])
def test_a_corrupt_entry_is_detected_and_rebuilt(project: Path, damage: str | None) -> None:
    out = compiled_template(project, "dev", "eu-central-1")
    if damage is None:
        (out / TEMPLATE_NAME).unlink()
    else:
        (out / TEMPLATE_NAME).write_text(damage)
    assert not is_compiled(project, "dev", "eu-central-1")
    again = compiled_template(project, "dev", "eu-central-1")
    assert json.loads((again / TEMPLATE_NAME).read_text()) == {"Resources": {}}
    assert compiles(project) == ["dev", "dev"]
    assert is_compiled(project, "dev", "eu-central-1")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished


# Bound a failure only, never a pass. Each wait below takes well under a second on an idle
# 2-core machine and a few seconds under a CPU hog: starting Python twice (looplab, then the
# fake sls) before the pidfile appears; on SIGINT looplab's SIGTERM to the group, then up to
# 5 s before its SIGKILL (looplab.stack._package._kill_group).
STARTED_DEADLINE = 120.0
ENDED_DEADLINE = 120.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.usefixtures("sigint_default")  # looplab must get SIGINT as KeyboardInterrupt
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_killed_compile_leaves_no_sls_running(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    pidfile = tmp_path / "sls.pid"
    monkeypatch.setenv("FAKE_SLS_PIDFILE", str(pidfile))
    # Longer than every deadline below: only looplab's kill can end it in time.
    monkeypatch.setenv("FAKE_SLS_SLEEP", "3600")
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from looplab.stack._package import compiled_template
        compiled_template(Path({str(project)!r}), "dev", "eu-central-1")
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    child = 0
    try:
        wait_for(
            lambda: pidfile.exists() and pidfile.read_text(),
            "fake sls started (its pidfile)",
            timeout=STARTED_DEADLINE,
            process=parent,
        )
        child = int(pidfile.read_text())
        assert _alive(child)
        parent.send_signal(sig)
        parent.wait(timeout=ENDED_DEADLINE)
        wait_for(
            lambda: not _alive(child),
            f"end of sls package ({child}) after looplab's ({sig.name})",
            timeout=ENDED_DEADLINE,
        )
    finally:
        parent.kill()
        if child and _alive(child):  # the test failed: leave no fake sls behind
            os.kill(child, signal.SIGKILL)
