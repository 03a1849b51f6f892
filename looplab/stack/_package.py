"""Run ``sls package`` only when its inputs changed: a cache keyed by their hash.

``sls package`` takes a few seconds (Node start-up, plugin loading). The compiled template
depends on serverless.yml, the files its package patterns reach, the project's plugin, the
pinned osls version, the environment variables serverless.yml reads and the
stage/region/parameters; the key hashes all of those (every project file outside the
folders that cannot matter), and the output is kept in ``.looplab/compiled/<key>/``.

Several looplab processes share one project (two ``invoke scenario``, pytest beside a run),
so a compile:

- holds ``.looplab/compiled/.lock`` (one compile at a time per project, the others wait and
  then find the entry built);
- runs in a private copy of the inputs, so it never meets another ``sls`` (or a hand-run
  ``sls deploy``) in the project's own ``.serverless/``;
- removes the temporary folders a killed compile left behind;
- takes its ``sls package`` down with it when it is interrupted or killed;
- marks a finished entry with its template's hash, so a truncated or edited entry is
  detected and rebuilt instead of failing later with a JSONDecodeError.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from looplab._files import (
    CODE,
    CONFIG,
    MARKER,
    TEMPLATE,
    copy_file,
    read_text,
    sha256_file,
    write_atomic,
)

__all__ = [
    "DEFAULT_CONFIG",
    "TEMPLATE_NAME",
    "PackageError",
    "compiled_template",
    "config_at_root",
    "is_compiled",
]

DEFAULT_CONFIG = "serverless.yml"  # the post's stack (shape sqs)
TEMPLATE_NAME = "cloudformation-template-update-stack.json"
# What never shapes the package: dependencies, looplab's own code, tests, results, caches
# (and scenarios.yaml, which looplab's packaging does not check: see _run_sls_package).
_SKIP_DIRS = {"node_modules", "looplab", "results", "__pycache__", "tests", "benchmarks", "docs"}
_SKIP_FILES = {"scenarios.yaml"}
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")
_MARKER = ".complete"  # written last: holds the sha256 of the template
_TEMP = ".tmp-"
# `sls package` takes 5-7 s here; past this something hangs (a prompt, a network wait).
PACKAGE_TIMEOUT = 300.0


class PackageError(RuntimeError):
    """``sls package`` failed or could not be started; the message says what to do."""


def is_compiled(
    project_dir: Path,
    stage: str,
    region: str,
    params: dict[str, str] | None = None,
    config: str = DEFAULT_CONFIG,
) -> bool:
    """Whether the cache already holds a sound entry for these inputs (no compile needed)."""
    params = dict(sorted((params or {}).items()))
    key = _input_hash(project_dir, stage, region, params, config)
    return _sound(_cache(project_dir) / key)


def compiled_template(
    project_dir: Path,
    stage: str,
    region: str,
    params: dict[str, str] | None = None,
    config: str = DEFAULT_CONFIG,
) -> Path:
    """Return the directory holding the compiled template (and ``code/``), packaging if needed.

    ``config`` is the osls config relative to ``project_dir`` (``serverless.yml``, or a loop
    shape's ``stacks/<shape>.yml``); it is part of the cache key.
    """
    params = dict(sorted((params or {}).items()))
    key = _input_hash(project_dir, stage, region, params, config)
    cache = _cache(project_dir)
    out = cache / key
    if _sound(out):
        return out
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        if _sound(out):  # another process built it while this one waited
            return out
        _remove_stale(cache)
        shutil.rmtree(out, ignore_errors=True)  # a corrupt or half-written entry
        # A new folder under an unpredictable name (mkdtemp: exclusive, mode 0700): a fixed
        # "<key>.tmp-<pid>" let a folder or symlink planted there receive the build.
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}{_TEMP}", dir=cache))
        try:
            work = _private_copy(project_dir, tmp / "project")
            built = tmp / "out"
            _run_sls_package(project_dir, work, built, stage, region, params, config)
            for artifact in built.glob("*.zip"):
                with zipfile.ZipFile(artifact) as zf:
                    zf.extractall(built / "code")
            write_atomic(built / _MARKER, _digest(built / TEMPLATE_NAME))
            built.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _cache(project_dir: Path) -> Path:
    return project_dir / ".looplab" / "compiled"


def _sound(out: Path) -> bool:
    """A finished entry whose template still has the hash written when it was built."""
    marker, template = out / _MARKER, out / TEMPLATE_NAME
    try:
        return read_text(marker, MARKER).strip() == _digest(template)
    except (OSError, ValueError):  # missing, not a regular file, too large, not text
        return False


def _digest(path: Path) -> str:
    return sha256_file(path, TEMPLATE)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the private copy still keeps compiles apart
        yield
        return
    # O_NOFOLLOW: a symlink planted at the lock's name is refused, not opened (O_CREAT
    # through a dangling link would create a file wherever it points).
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove_stale(cache: Path) -> None:
    """Temporary folders of compiles that died: under the lock, nobody else is compiling."""
    for entry in cache.iterdir():
        if _TEMP in entry.name and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir() and not _sound(entry) and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)  # an entry from before the marker


def _private_copy(project_dir: Path, work: Path) -> Path:
    """The package's inputs (the hashed files) in ``work``, with node_modules linked."""
    for path in _project_files(project_dir):
        target = work / path.relative_to(project_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    modules = project_dir / "node_modules"
    if modules.exists():
        (work / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)
    return work


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a preexec hook so the child gets SIGTERM when looplab dies, even by SIGKILL.

    libc is loaded here, in the parent: between fork and exec the child should only call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:  # pragma: no cover - runs in the child
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return hook


def config_at_root(work: Path, config: str) -> str:
    """Put ``config`` where osls accepts it and return its name there.

    osls refuses a ``--config`` outside the service folder (NESTED_CUSTOM_CONFIGURATION_PATH:
    paths in a config resolve against the working directory), so a shape's
    ``stacks/<shape>.yml`` is copied to the root of ``work`` as a hidden file (hidden files
    are never package inputs) whose paths then resolve against the project root.
    """
    if Path(config).parent == Path("."):
        return config
    source = work / config
    if not source.is_file():
        raise PackageError(f"osls config {config} not found in {work}")
    name = f".looplab-{Path(config).name}"
    copy_file(source, work / name, CONFIG)  # never through a symlink planted at the name
    return name


def _run_sls_package(
    project_dir: Path,
    work: Path,
    out: Path,
    stage: str,
    region: str,
    params: dict[str, str],
    config: str = DEFAULT_CONFIG,
) -> None:
    sls = project_dir / "node_modules" / ".bin" / "sls"
    if not sls.exists():
        raise PackageError(
            f"{sls} not found: run `npm ci` in {project_dir} first (osls compiles the stack)."
        )
    if not (project_dir / config).is_file():
        raise PackageError(f"osls config {config} not found in {project_dir}")
    cmd = [str(sls), "package", "--config", config_at_root(work, config)]
    cmd += ["--stage", stage, "--region", region, "--package", str(out)]
    cmd += [f"--param={k}={v}" for k, v in params.items()]
    env = {
        **os.environ,
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        # The plugin's scenarios.yaml check guards `sls deploy`; here looplab's own validator
        # reports the same problems better (lines, close matches), and only for the file run.
        "LOOPLAB_SKIP_SCENARIOS_CHECK": "1",
    }
    proc = subprocess.Popen(
        cmd,
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Its own process group, so an interrupt takes down sls and whatever it started.
        start_new_session=True,
        preexec_fn=_parent_death_signal(),
    )
    try:
        output, _ = proc.communicate(timeout=PACKAGE_TIMEOUT)
    except BaseException as exc:  # Ctrl-C, SIGTERM turned exception, the timeout
        _kill_group(proc)
        if isinstance(exc, subprocess.TimeoutExpired):
            raise PackageError(f"`sls package` took more than {PACKAGE_TIMEOUT:.0f} s") from None
        raise
    if proc.returncode != 0 or not (out / TEMPLATE_NAME).is_file():
        raise PackageError(f"`sls package` failed (exit {proc.returncode}):\n{output.strip()}")


def _kill_group(proc: subprocess.Popen[str]) -> None:
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _input_hash(
    project_dir: Path,
    stage: str,
    region: str,
    params: dict[str, str],
    config: str = DEFAULT_CONFIG,
) -> str:
    """Everything that can change the package: the project's files (package patterns may
    reach any of them), which config, the environment variables it reads, the options."""
    path = project_dir / config
    try:
        # Read bounded (looplab._files): a FIFO among the project's files would block the
        # hash forever, a huge file cost its size in memory; each is a PackageError instead.
        text = read_text(path, CONFIG) if path.exists() else ""
        names = sorted(set(_ENV_REFERENCE.findall(text)))
        env = {name: os.environ.get(name) for name in names}
        digest = hashlib.sha256(json.dumps([stage, region, params, env, config]).encode())
        for path in sorted(_project_files(project_dir)):
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(sha256_file(path, CODE).encode())
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise PackageError(f"{path}: cannot be read: {why}") from exc
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
