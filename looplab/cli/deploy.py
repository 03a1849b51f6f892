"""Deploy and remove a stack on AWS: thin wrappers around ``npx sls``.

The work happens in osls and in the project's plugin (serverless-plugins/experiment-hooks):
after a deploy it records the stack in ``.looplab/stacks/`` (see :func:`stack_file`); before
a remove it disables every event source mapping. These wrappers only build the command line
and say clearly what is missing, because a bare ``npx sls`` without ``node_modules`` would try
to download a *different* package called ``sls`` from the registry.

A stack is one of the loop shapes in :data:`SHAPES`: the post's ``sqs`` (serverless.yml) or
one of stacks/<shape>.yml. osls accepts ``--config`` only for a file at the root of the
service folder, so a shape's config is copied to a hidden file at the project root for the
command and removed afterwards; its paths are written relative to the project root.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from looplab._files import CONFIG, copy_file
from looplab.backends.aws import record_path
from looplab.scenarios import DEFAULT_SHAPE
from looplab.scenarios import SHAPES as _SHAPE_TABLE

__all__ = [
    "DEFAULT_SHAPE",
    "SHAPES",
    "DeployError",
    "config_for_shape",
    "deploy",
    "remove",
    "sls_command",
    "stack_file",
]

# The repository this package sits in (an editable install); the tasks pass the project root.
PROJECT_DIR = Path(__file__).resolve().parents[2]
_PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9]*=.*$")

# Shape name -> osls config (relative to the project), from the one table of shapes
# (looplab.scenarios.SHAPES, which also holds their logical IDs; stacks/README.md).
SHAPES: dict[str, str] = {name: shape.config for name, shape in _SHAPE_TABLE.items()}
# The service name of each shape's config: it names the CloudFormation stack and the file.
_SERVICES = {name: "looplab" if name == DEFAULT_SHAPE else f"looplab-{name}" for name in SHAPES}


class Runner(Protocol):
    """The part of ``invoke.Context`` used here (a fake in tests)."""

    def run(self, command: str, **kwargs: object) -> object: ...


class DeployError(RuntimeError):
    """The deploy could not be started; the message says what to do."""


def config_for_shape(shape: str) -> str:
    """The osls config of ``shape``; a name not in :data:`SHAPES` is refused with the list."""
    try:
        return SHAPES[shape]
    except KeyError:
        raise DeployError(
            f"unknown shape {shape!r}: valid shapes are {', '.join(SHAPES)}"
        ) from None


def stack_file(project_dir: Path, shape: str, stage: str) -> Path:
    """Where the plugin records a deployed shape: the post's stack keeps ``<stage>.json``,
    the others ``<service>-<stage>.json`` (e.g. ``looplab-sns-dev.json``)."""
    config_for_shape(shape)
    return record_path(project_dir, stage, _SERVICES[shape])


def sls_command(
    action: str,
    stage: str,
    region: str,
    params: list[str] | None = None,
    config: str | None = None,
) -> list[str]:
    """The ``npx sls`` argument list for ``action`` (deploy / remove)."""
    cmd = ["npx", "--no", "sls", action]
    if config is not None:
        cmd += ["--config", config]
    cmd += ["--stage", stage, "--region", region]
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


@contextlib.contextmanager
def _root_config(project_dir: Path, shape: str) -> Iterator[str | None]:
    """The ``--config`` value for ``shape`` (None: the default serverless.yml), with the
    shape's config copied to the project root for as long as the command runs."""
    config = config_for_shape(shape)
    if shape == DEFAULT_SHAPE:
        yield None
        return
    source = project_dir / config
    if not source.is_file():
        raise DeployError(f"{source} not found: the {shape!r} shape's osls config")
    target = project_dir / f".looplab-{source.name}"
    try:
        copy_file(source, target, CONFIG)  # a link planted at target is replaced, not followed
    except OSError as exc:
        raise DeployError(f"cannot copy {source} to {target}: {exc.strerror or exc}") from exc
    try:
        yield target.name
    finally:
        target.unlink(missing_ok=True)


# The AWS SDK for JavaScript v3 inside osls prints a nine-line NodeVersionSupportWarning on
# every deploy and remove under Node < 22 (@aws-sdk/core's emitWarningIfUnsupportedVersion).
# Its own switch silences it; one line says what it was, so nothing is hidden.
_SDK_WARNING_OFF = {"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true"}
_SDK_NODE_MAJOR = 22


def _node_major() -> int | None:
    try:
        out = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _say_sdk_warning() -> None:
    major = _node_major()
    if major is not None and major < _SDK_NODE_MAJOR:
        print(
            f"note: on Node {major} the AWS SDK for JavaScript (inside osls) warns that its "
            f"releases after January 2027 need Node >= {_SDK_NODE_MAJOR}; the pinned versions "
            "run on Node 20 (README), so that warning is not repeated here",
            file=sys.stderr,
        )


def _run(c: Runner, project_dir: Path, cmd: list[str], shape: str) -> None:
    line = f"cd {shlex.quote(str(project_dir))} && {shlex.join(cmd)}"
    env = dict(_SDK_WARNING_OFF)
    if shape != DEFAULT_SHAPE:
        # scenarios.yaml describes the post's stack; looplab's own validator checks a
        # shape's scenarios against its stack when they run.
        env["LOOPLAB_SKIP_SCENARIOS_CHECK"] = "1"
    _say_sdk_warning()
    c.run(line, pty=False, env=env)


def deploy(
    c: Runner,
    stage: str,
    region: str,
    params: list[str],
    project_dir: Path = PROJECT_DIR,
    shape: str = DEFAULT_SHAPE,
) -> None:
    """Deploy a shape's stack with osls; the plugin then writes :func:`stack_file`."""
    config_for_shape(shape)
    _check_node_modules(project_dir)
    with _root_config(project_dir, shape) as config:
        cmd = sls_command("deploy", stage, region, params, config)
        _run(c, project_dir, cmd, shape)


def remove(
    c: Runner,
    stage: str,
    region: str,
    project_dir: Path = PROJECT_DIR,
    shape: str = DEFAULT_SHAPE,
) -> None:
    """Remove a shape's stack; the plugin disables every mapping first, then deletes its file."""
    config_for_shape(shape)
    _check_node_modules(project_dir)
    with _root_config(project_dir, shape) as config:
        _run(c, project_dir, sls_command("remove", stage, region, config=config), shape)
