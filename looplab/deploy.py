"""Deploy and remove the experiment stack on AWS: thin wrappers around ``npx sls``.

The work happens in osls and in the project's plugin (serverless-plugins/experiment-hooks):
after a deploy it records the stack in ``.looplab/stacks/<stage>.json``; before a remove it
disables every event source mapping. These wrappers only build the command line and say
clearly what is missing, because a bare ``npx sls`` without ``node_modules`` would try to
download a *different* package called ``sls`` from the registry.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Protocol

PROJECT_DIR = Path(__file__).resolve().parent.parent
_PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9]*=.*$")


class Runner(Protocol):
    """The part of ``invoke.Context`` used here (a fake in tests)."""

    def run(self, command: str, **kwargs: object) -> object: ...


class DeployError(RuntimeError):
    """The deploy could not be started; the message says what to do."""


def sls_command(action: str, stage: str, region: str, params: list[str] | None = None) -> list[str]:
    """The ``npx sls`` argument list for ``action`` (deploy / remove)."""
    cmd = ["npx", "--no", "sls", action, "--stage", stage, "--region", region]
    for param in params or []:
        if not _PARAM.match(param):
            raise DeployError(
                f"--param must look like key=value (e.g. dlqTrigger=true), got {param!r}"
            )
        cmd.append(f"--param={param}")
    return cmd


def _check_node_modules(project_dir: Path) -> None:
    if not (project_dir / "node_modules" / "osls").is_dir():
        raise DeployError(
            f"osls is not installed in {project_dir / 'node_modules'}: run `npm ci` in "
            f"{project_dir} first (it installs the pinned osls from package-lock.json)."
        )


def deploy(
    c: Runner, stage: str, region: str, params: list[str], project_dir: Path = PROJECT_DIR
) -> None:
    """Deploy the stack with osls; the plugin then writes .looplab/stacks/<stage>.json."""
    _check_node_modules(project_dir)
    cmd = sls_command("deploy", stage, region, params)
    c.run(f"cd {shlex.quote(str(project_dir))} && {shlex.join(cmd)}", pty=False)


def remove(c: Runner, stage: str, region: str, project_dir: Path = PROJECT_DIR) -> None:
    """Remove the stack; the plugin disables every mapping first and deletes the stack file."""
    _check_node_modules(project_dir)
    cmd = sls_command("remove", stage, region)
    c.run(f"cd {shlex.quote(str(project_dir))} && {shlex.join(cmd)}", pty=False)
