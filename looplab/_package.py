"""Run ``sls package`` only when its inputs changed: a cache keyed by their hash.

``sls package`` takes a few seconds (Node start-up, plugin loading). The compiled template
depends only on serverless.yml, the function code, the project's plugin, the pinned osls
version and the stage/region/parameters, so its output is kept in
``.looplab/compiled/<key>/`` and reused while that key holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

TEMPLATE_NAME = "cloudformation-template-update-stack.json"
_INPUTS = ("serverless.yml", "package-lock.json", "functions", "serverless-plugins")


class PackageError(RuntimeError):
    """``sls package`` failed or could not be started; the message says what to do."""


def compiled_template(
    project_dir: Path, stage: str, region: str, params: dict[str, str] | None = None
) -> Path:
    """Return the directory holding the compiled template (and ``code/``), packaging if needed."""
    params = dict(sorted((params or {}).items()))
    key = _input_hash(project_dir, stage, region, params)
    out = project_dir / ".looplab" / "compiled" / key
    if (out / TEMPLATE_NAME).is_file():
        return out
    tmp = out.with_name(f"{key}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    _run_sls_package(project_dir, tmp, stage, region, params)
    for artifact in tmp.glob("*.zip"):
        with zipfile.ZipFile(artifact) as zf:
            zf.extractall(tmp / "code")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _run_sls_package(
    project_dir: Path, out: Path, stage: str, region: str, params: dict[str, str]
) -> None:
    sls = project_dir / "node_modules" / ".bin" / "sls"
    if not sls.exists():
        raise PackageError(
            f"{sls} not found: run `npm ci` in {project_dir} first (osls compiles the stack)."
        )
    cmd = [str(sls), "package", "--stage", stage, "--region", region, "--package", str(out)]
    cmd += [f"--param={k}={v}" for k, v in params.items()]
    env = {
        **os.environ,
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        # The plugin's scenarios.yaml check guards `sls deploy`; here looplab's own validator
        # reports the same problems better (lines, close matches), and only for the file run.
        "LOOPLAB_SKIP_SCENARIOS_CHECK": "1",
    }
    proc = subprocess.run(cmd, cwd=project_dir, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not (out / TEMPLATE_NAME).is_file():
        output = (proc.stdout + proc.stderr).strip()
        raise PackageError(f"`sls package` failed (exit {proc.returncode}):\n{output}")


def _input_hash(project_dir: Path, stage: str, region: str, params: dict[str, str]) -> str:
    digest = hashlib.sha256(json.dumps([stage, region, params]).encode())
    for name in _INPUTS:
        root = project_dir / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or "node_modules" in path.parts:
                continue
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
