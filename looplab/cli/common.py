"""What every command of looplab.cli shares: the exit codes, the defaults, BadInput, the
project's root, and the checks of the values a command is given.

The bottom of the cli package: every other module of it may import this one, and this one
imports none of them (looplab.cli re-exports its names).

Every value a user types (``--stage``, ``--seed``, ``--results``, ``--endpoint-url``, a
name) is checked here before a command does anything with it: a bad one is BadInput (exit 2)
naming the option, what was given (shortened when long) and what is valid. Each is bounded
in length first, so no later reader (a regex, int(), a path) meets an unbounded string.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from looplab.backends.registry import DEFAULT_BACKEND, Override, accepting
from looplab.scenarios import MAX_VALUE_CHARS, NAME_RE, shown

__all__ = [
    "DEFAULTS",
    "DEFAULT_FILE",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "MAX_SEED",
    "BadInput",
    "check_endpoint_url",
    "check_folder",
    "check_name",
    "check_region",
    "check_stage",
    "check_text",
    "parse_int_option",
    "project_root",
]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# The one home of the defaults: looplab.cli.tasks hands them to invoke's config (invoke.yaml
# and INVOKE_LOOPLAB_* override them), for `invoke` and `python -m looplab` alike.
DEFAULTS = {
    "backend": DEFAULT_BACKEND,
    "stage": "dev",
    "results": "results",
    "scenarios": "scenarios.yaml",
}
DEFAULT_FILE = DEFAULTS["scenarios"]

# A seed goes into the journal as a JSON number: RFC 8259 (section 6) calls integers beyond
# 2**53 - 1 not interoperable, and a report or a script reading the journal must see the
# seed that ran.
MAX_SEED = 2**53 - 1
# osls's own rule for a stage (node_modules/osls/lib/utils/stage-pattern.js), checked here
# so a bad stage is refused before a compile; 32 characters keep the longest function name
# (looplab-sns-sqs-<stage>-recursive) within Lambda's 64.
_STAGE = re.compile(r"[A-Za-z0-9-]+")
_MAX_STAGE = 32
# AWS region names: eu-central-1, us-gov-west-1, ap-southeast-4.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
# A scenario name names its run's folder: past this it no longer fits one (255 bytes).
_MAX_NAME = 100


class BadInput(Exception):
    """Something the user asked for cannot be done as asked (exit 2, nothing ran)."""


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current one) with tasks.py.

    invoke finds tasks.py from any subdirectory; looplab must then read serverless.yml,
    scenarios.yaml and node_modules from that folder too, not from where the user stands.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "tasks.py").is_file():
            return folder
    return here


def check_text(option: str, value: object, most: int = MAX_VALUE_CHARS) -> str:
    """``value`` of ``option`` as text of at most ``most`` characters; BadInput otherwise."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > most:
        raise BadInput(f"{option}: got {shown(text)}; it takes at most {most:,} characters")
    return text


def parse_int_option(option: str, value: object, low: int = 0, high: int = MAX_SEED) -> int:
    """``value`` of ``option`` as an int from ``low`` to ``high``; BadInput naming the option,
    the value and the range otherwise.

    invoke casts a flag to its default's type and shows a traceback when that fails, so the
    tasks take integers as text and convert them here.
    """
    expects = f"{option} expects an integer from {low:,} to {high:,}"
    if isinstance(value, bool):
        raise BadInput(f"{expects}, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = check_text(option, value, 40).strip()
        try:
            number = int(text, 10)
        except ValueError:
            raise BadInput(f"{expects}, got {shown(text)}") from None
    if not low <= number <= high:
        raise BadInput(f"{expects}, got {shown(str(value))}")
    return number


def check_stage(stage: object, option: str = "--stage") -> str:
    """A stage as osls accepts it (letters, digits, hyphens), short enough for its names."""
    text = check_text(option, stage, _MAX_STAGE)
    if not _STAGE.fullmatch(text):
        raise BadInput(
            f"{option} expects a stage name of letters, digits and hyphens "
            f"(at most {_MAX_STAGE}, e.g. dev), got {shown(text)}"
        )
    return text


def check_region(region: object, option: str = "--region") -> str:
    text = check_text(option, region, 40)
    if not _REGION.fullmatch(text):
        raise BadInput(f"{option} expects an AWS region like eu-central-1, got {shown(text)}")
    return text


def check_name(option: str, name: object) -> str:
    """A scenario name as scenarios.yaml allows one (it names the run's folder)."""
    text = check_text(option, name, _MAX_NAME)
    if not NAME_RE.fullmatch(text):
        raise BadInput(
            f"{option} expects a scenario name of letters, digits, '.', '_' or '-', "
            f"got {shown(text)}"
        )
    return text


def check_folder(option: str, path: Path) -> Path:
    """``path`` is a folder looplab can write in: it is one, or it does not exist yet and
    the nearest part of it that does is one (so the run or report can make it)."""
    check_text(option, str(path))
    for part in (path, *path.parents):
        if part.is_symlink() or part.exists():
            if not part.is_dir():
                where = "" if part == path else f", so {path} cannot be made"
                raise BadInput(f"{option}: {part} is not a folder{where}")
            break
    return path


def check_endpoint_url(url: str | None, backend: str | None = None) -> str | None:
    """``--endpoint-url``: an http(s) URL with a host, and only where AWS calls are made: on a
    backend the registry says takes it, or in a command that only calls AWS (no backend)."""
    if url is None:
        return None
    text = check_text("--endpoint-url", url, 2048)
    try:
        parts = urllib.parse.urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        ok = False
    if not ok:
        raise BadInput(
            "--endpoint-url expects an http:// or https:// URL with a host "
            f"(e.g. http://127.0.0.1:5000), got {shown(text)}"
        )
    takers = accepting(Override.ENDPOINT_URL)
    if backend is not None and backend not in takers:
        raise BadInput(
            f"--endpoint-url sends AWS calls elsewhere: it is for --backend "
            f"{' or '.join(takers)}, and this run is on {shown(backend)}"
        )
    return text
