"""The layers of docs/design.md, enforced: import-linter's contracts in pyproject.toml.

tasks.py -> looplab.cli -> looplab.engine -> looplab.scenarios -> looplab.backends ->
looplab.sim, never back up; the simulator imports nothing of the engine, scenarios or
backends; a ``_private`` module is imported only from inside its own package; a simulator
service imports another only through its package's names, and never the kernel.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
CONTRACTS = len(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
)


def lint_imports(cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a test dependency: pip install -r requirements-dev.lock"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    return subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_keeps_every_contract() -> None:
    proc = lint_imports(ROOT, [ROOT])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{CONTRACTS} kept, 0 broken" in proc.stdout


def test_the_contracts_catch_a_simulator_that_imports_upward_and_a_private_import(
    tmp_path: Path,
) -> None:
    modules = {
        "__init__.py": "",
        "__main__.py": "",
        "_files.py": "",
        "engine/__init__.py": "import looplab.backends\nfrom looplab.sim import _fork\n",
        "backends/__init__.py": "import looplab.sim\n",
        "scenarios/__init__.py": "",
        "results/__init__.py": "",
        "sim/__init__.py": "from looplab.engine import run\n",
        "sim/_fork.py": "",
        "sim/_experimenter.py": "",
        "sim/refusals.py": "",
        "sim/simulator.py": "",
        "sim/clock.py": "",
        "sim/services/__init__.py": "",
        "sim/services/registry.py": "",
        # A service that wires itself to the kernel, and one that reaches into another
        # service's module instead of its package's names.
        "sim/services/sqs/__init__.py": "from looplab.sim.simulator import Simulator\n",
        "sim/services/sqs/model.py": "from looplab.sim.clock import Clock\n",
        "sim/services/sns/__init__.py": "from looplab.sim.services.sqs import model\n",
        "sim/services/sns/service.py": "",
    }
    # The command line and the journal as they are, but for each one's bottom importing its
    # top: two circles.
    for package in ("cli", "journal"):
        for module in (ROOT / "looplab" / package).glob("*.py"):
            modules[f"{package}/{module.name}"] = module.read_text()
    modules["cli/common.py"] += "\nfrom looplab.cli.commands import scenario_command\n"
    modules["journal/_checks.py"] += "\nfrom looplab.journal._read import read_journal\n"
    # The stack reader as it is, but for its specs importing the builder: a circle.
    for module in (ROOT / "looplab" / "stack").glob("*.py"):
        modules[f"stack/{module.name}"] = module.read_text()
    modules["stack/_specs.py"] += "\nfrom looplab.stack._builder import build_stack\n"
    for name, text in modules.items():
        path = tmp_path / "looplab" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    proc = lint_imports(tmp_path, [tmp_path, ROOT])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"0 kept, {CONTRACTS} broken" in out, out
    assert "looplab.stack._specs -> looplab.stack._builder" in out, out
    assert "looplab.engine imports looplab.sim._fork (line 2)" in out
    assert "looplab.sim -> looplab.engine" in out
    assert "looplab.cli.common -> looplab.cli.commands" in out, out
    assert "looplab.journal._checks -> looplab.journal._read" in out, out
    assert (
        "looplab.sim.services.sns imports looplab.sim.services.sqs.model (line 1): a module "
        "of another service" in " ".join(out.split())
    ), out
    assert (
        "looplab.sim.services.sqs imports looplab.sim.simulator (line 1): not one of the "
        "kernel's parts" in " ".join(out.split())
    ), out
    assert "looplab.sim.services.sqs -> looplab.sim.simulator" in out, out


def test_tasks_py_is_only_the_cli_s_collection() -> None:
    tree = ast.parse((ROOT / "tasks.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("looplab")
    }
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("looplab")
    }
    # The project's tasks.py only hands looplab's task collection to invoke.
    assert imported == {"looplab.cli"}, imported
