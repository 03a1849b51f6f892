"""The plugin's scenarios.yaml check, wired into `sls package` and `sls deploy --package`.

The check's cases are unit-tested in JS (serverless-plugins/experiment-hooks/test/, run here
with node's test runner); these tests prove osls really calls it and fails the command.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _support.sls import PROJECT_DIR, REGION, TEMPLATE_NAME, VALID_SCENARIOS, make_project

pytestmark = pytest.mark.integration

PLUGIN = PROJECT_DIR / "serverless-plugins" / "experiment-hooks"
BAD_SCENARIOS = VALID_SCENARIOS.replace("source: dlq}", "source: dql}")


def node() -> str:
    path = shutil.which("node")
    assert path, "node is not on PATH (needed by osls too)"
    return path


def test_plugin_unit_tests_pass():
    proc = subprocess.run(
        [node(), "--test", str(PLUGIN / "test")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout


def test_package_fails_when_scenarios_name_a_queue_the_stack_lacks(tmp_path: Path):
    project = make_project(tmp_path / "project")
    project.write_scenarios(BAD_SCENARIOS)
    proc = project.run("package", "--stage", "pkgbad", "--package", "out", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert 'scenarios.yaml: scenario "smoke", steps[1] (connect): source "dql"' in out, out
    assert "valid: dlq, queue, DeadLetterQueue, Queue" in out
    assert not (project.path / "out" / TEMPLATE_NAME).exists()


def test_deploy_of_a_prepackaged_stack_checks_scenarios_before_any_aws_call(tmp_path: Path):
    project = make_project(tmp_path / "project")
    project.package("pkgpre")
    project.write_scenarios(BAD_SCENARIOS)
    # The endpoint is a closed port: had the check not stopped the deploy first, the
    # error would be a connection failure instead.
    proc = project.run(
        "deploy",
        "--stage",
        "pkgpre",
        "--region",
        REGION,
        "--package",
        ".package-pkgpre",
        check=False,
    )
    assert proc.returncode != 0
    assert 'source "dql"' in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_the_shipped_scenarios_match_the_stack(default_template: dict[str, Any], tmp_path: Path):
    scenarios = PROJECT_DIR / "scenarios.yaml"
    if not scenarios.exists():
        pytest.skip("no scenarios.yaml in the project yet")
    template = tmp_path / TEMPLATE_NAME
    template.write_text(json.dumps(default_template))
    proc = subprocess.run(
        [node(), str(PLUGIN / "lib" / "scenarios.js"), str(scenarios), str(template)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_looplabs_own_packaging_leaves_the_scenarios_check_to_python(tmp_path: Path):
    """A bad scenarios.yaml fails `sls deploy`/`package` by hand, but not the simulator's
    compile step: there looplab's validator reports it, with lines and close matches."""
    from looplab.stack import load_stack

    project = make_project(tmp_path / "project")
    project.write_scenarios(BAD_SCENARIOS)
    stack = load_stack(project.path, stage="pkgskip")
    assert set(stack.queues) == {"Queue", "DeadLetterQueue"}


def test_the_compile_cache_follows_every_input(tmp_path: Path, monkeypatch):
    """The key changes with any packaged file and with ${env:...} values serverless.yml
    reads; it ignores looplab's own code and results."""
    from looplab.stack._package import _input_hash

    project = make_project(tmp_path / "project")
    root = project.path

    def key() -> str:
        return _input_hash(root, "dev", "eu-central-1", {})

    first = key()
    (root / "functions" / "recursive" / "util.py").write_text("X = 1\n")
    second = key()
    assert second != first
    (root / "results").mkdir()
    (root / "results" / "run.json").write_text("{}")
    (root / "scenarios.yaml").write_text("version: 1\n")
    assert key() == second
    config = root / "serverless.yml"
    config.write_text(config.read_text() + "\ncustom:\n  owner: ${env:LOOPLAB_TEST_OWNER, 'x'}\n")
    monkeypatch.setenv("LOOPLAB_TEST_OWNER", "a")
    third = key()
    monkeypatch.setenv("LOOPLAB_TEST_OWNER", "b")
    assert key() != third
