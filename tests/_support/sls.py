"""Run osls (``sls``) against a throw-away copy of the project.

Each copy has its own ``.serverless/`` and ``.looplab/``, so tests never fight over (or
clobber) the working tree's build output, which the simulator of a running session may be
reading. node_modules is symlinked, not copied: it is large and read-only here.

Every run gets an environment with dummy credentials and an AWS endpoint that is either
moto's server or a closed local port, so no test can reach real AWS even by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEMPLATE_NAME = "cloudformation-template-update-stack.json"
REGION = "eu-central-1"
# Port 9 ("discard") has no listener on 127.0.0.1: any AWS call fails at once.
DEAD_ENDPOINT = "http://127.0.0.1:9"

# A small scenarios.yaml in the contract's shape, so that packaging also runs the plugin's
# scenarios check on the passing path (the failing path is in test_plugin.py).
VALID_SCENARIOS = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  smoke:
    description: names every kind of resource the stack has
    steps:
      - purge: {queues: [queue, dlq]}
      - connect: {function: recursive, source: dlq}
      - seed: {queue: Queue, body: {counter: 5}}
    finally:
      - disconnect: {function: RecursiveLambdaFunction, source: DeadLetterQueue}
"""

_COPIED = ("serverless.yml", "package.json", "package-lock.json", "functions", "serverless-plugins")
_PROXY_VARS = ("proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy")


def require_node_modules() -> None:
    """Fail (not skip) with the fix when osls is not installed: CI must not go green silently."""
    if not (PROJECT_DIR / "node_modules" / "osls").is_dir():
        raise RuntimeError(f"osls is not installed: run `npm ci` in {PROJECT_DIR}")


def isolated_aws_env(endpoint: str = DEAD_ENDPOINT) -> dict[str, str]:
    """os.environ without the caller's AWS identity or proxies, pointed at ``endpoint``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in _PROXY_VARS}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
        # No profile from ~/.aws can supply other credentials or another endpoint.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
        # osls polls CloudFormation every 5 s by default; moto finishes at once.
        SLS_AWS_MONITORING_FREQUENCY="200",
        NODE_NO_WARNINGS="1",
    )
    return env


@dataclass
class SlsProject:
    """A copy of the project that ``sls`` can be run in."""

    path: Path

    def run(
        self, *args: str, endpoint: str = DEAD_ENDPOINT, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run ``sls ARGS`` here; output is captured, and shown in full when ``check`` fails."""
        proc = subprocess.run(
            [str(self.path / "node_modules" / ".bin" / "sls"), *args],
            cwd=self.path,
            env=isolated_aws_env(endpoint),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"sls {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    def package(self, stage: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """``sls package`` offline; returns the compiled update-stack template."""
        out = self.path / f".package-{stage}"
        args = ["package", "--stage", stage, "--region", REGION, "--package", str(out)]
        self.run(*args, *(f"--param={k}={v}" for k, v in (params or {}).items()))
        return json.loads((out / TEMPLATE_NAME).read_text())

    def stack_file(self, stage: str) -> Path:
        return self.path / ".looplab" / "stacks" / f"{stage}.json"

    def write_scenarios(self, text: str) -> None:
        (self.path / "scenarios.yaml").write_text(text)


def make_project(dest: Path) -> SlsProject:
    """Copy what ``sls`` reads (not scenarios.yaml: tests choose their own) into ``dest``."""
    require_node_modules()
    dest.mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        src = PROJECT_DIR / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "node_modules").symlink_to(PROJECT_DIR / "node_modules", target_is_directory=True)
    return SlsProject(dest)
