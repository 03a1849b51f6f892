"""README's first command installs what running needs; the second adds the test tools.

Before the split the first command installed moto, cfn-lint and ruff too (~500 MB).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
TEST_TOOLS = {"pytest", "moto", "cfn-lint", "ruff", "import-linter"}


def pins(name: str) -> dict[str, str]:
    out = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            package, version = line.split("==")
            out[re.sub(r"\[.*\]", "", package).lower()] = version.strip()
    return out


def commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", readme)[:2]


def test_the_run_lock_holds_no_test_tool_and_the_dev_lock_adds_them() -> None:
    run, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert not TEST_TOOLS & set(run)
    assert set(dev) >= TEST_TOOLS
    assert not set(run) & set(dev), "the dev lock includes the run lock; pin nothing twice"
    assert "-r requirements.lock" in (ROOT / "requirements-dev.lock").read_text()


def test_every_declared_dependency_is_pinned_in_the_right_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    run, dev = pins("requirements.lock"), pins("requirements-dev.lock")

    def name(spec: str) -> str:
        return re.split(r"[<>=\[ ]", spec, maxsplit=1)[0].lower()

    assert {name(d) for d in project["dependencies"]} <= set(run)
    assert {name(d) for d in project["optional-dependencies"]["test"]} <= set(dev)


def test_readme_first_command_runs_second_tests_and_ci_runs_the_second() -> None:
    first, second = commands()
    assert "-r requirements.lock " in first and first.endswith(
        "invoke scenario --name dlq-reconnect"
    )
    assert "-r requirements-dev.lock " in second and second.endswith("&& pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"TEST_COMMAND='{second}'" in ci
