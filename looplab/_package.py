"""Run ``sls package`` only when its inputs changed: a cache keyed by their hash.

``sls package`` takes a few seconds (Node start-up, plugin loading). The compiled template
depends on serverless.yml, the files its package patterns reach, the project's plugin, the
pinned osls version, the environment variables serverless.yml reads and the
stage/region/parameters; the key hashes all of those (every project file outside the
folders that cannot matter), and the output is kept in ``.looplab/compiled/<key>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

TEMPLATE_NAME = "cloudformation-template-update-stack.json"
# What never shapes the package: dependencies, looplab's own code, tests, results, caches
# (and scenarios.yaml, which looplab's packaging does not check: see _run_sls_package).
_SKIP_DIRS = {"node_modules", "looplab", "results", "__pycache__", "tests", "benchmarks", "docs"}
_SKIP_FILES = {"scenarios.yaml"}
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")


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
    try:
        tmp.rename(out)
    except OSError:
        # Another process compiled the same inputs first: theirs is as good as ours.
        shutil.rmtree(tmp, ignore_errors=True)
        if not (out / TEMPLATE_NAME).is_file():
            raise
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
    """Everything that can change the package: the project's files (package patterns may
    reach any of them), the environment variables serverless.yml reads, the options."""
    config = project_dir / "serverless.yml"
    names = sorted(set(_ENV_REFERENCE.findall(config.read_text()))) if config.is_file() else []
    env = {name: os.environ.get(name) for name in names}
    digest = hashlib.sha256(json.dumps([stage, region, params, env]).encode())
    for path in sorted(_project_files(project_dir)):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _project_files(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders (.git, .venv, .serverless, .looplab) are state, not inputs.
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
        files += [
            Path(dirpath, f)
            for f in filenames
            if not f.startswith(".") and not (dirpath == str(root) and f in _SKIP_FILES)
        ]
    return files
