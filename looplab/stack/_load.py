"""Compile a project's osls config (cached) and read its stack."""

from __future__ import annotations

from pathlib import Path

from looplab._files import SERVICE_STATE, TEMPLATE, Kind, read_text
from looplab.stack._builder import Stack, build_stack
from looplab.stack._cfn import MAX_DEPTH, TemplateError, load_json
from looplab.stack._package import DEFAULT_CONFIG, TEMPLATE_NAME, compiled_template
from looplab.stack._specs import DEFAULT_REGION

__all__ = ["load_stack"]

MAX_TEMPLATE_BYTES = TEMPLATE.limit
"""CloudFormation's quota for a template body uploaded to S3 (as sls deploy does) is 1 MB:
a larger compiled template could never deploy, and is not read whole."""


def load_stack(
    project_dir: Path | str = ".",
    stage: str = "dev",
    region: str = DEFAULT_REGION,
    params: dict[str, str] | None = None,
    config: str = DEFAULT_CONFIG,
) -> Stack:
    """Compile ``config`` (cached) and read the stack from the compiled template.

    ``config`` is relative to ``project_dir``: serverless.yml (the post's stack) or a loop
    shape's ``stacks/<shape>.yml`` (looplab.scenarios.SHAPES maps shape names to them).
    """
    project_dir = Path(project_dir).resolve()
    out = compiled_template(project_dir, stage, region, params, config)
    path = out / TEMPLATE_NAME
    template = load_json(_read_bounded(path, TEMPLATE), str(path))
    code_dir = out / "code" if (out / "code").is_dir() else project_dir
    service = _service_name(out) or "looplab"
    return build_stack(
        template,
        code_dir=code_dir,
        stage=stage,
        region=region,
        name=f"{service}-{stage}",
        service=service,
    )


def _service_name(out: Path) -> str | None:
    state = out / "serverless-state.json"
    if not state.exists():  # present but not a regular file: refused by the reader
        return None
    # The state holds the whole config around the template (a few levels deeper, and
    # larger, than the template itself).
    state_doc = load_json(_read_bounded(state, SERVICE_STATE), str(state), 2 * MAX_DEPTH)
    service = state_doc.get("service") if isinstance(state_doc, dict) else None
    name = service.get("service") if isinstance(service, dict) else None
    return name if isinstance(name, str) else None


def _read_bounded(path: Path, kind: Kind) -> str:
    """The file's text through looplab._files' bounded reader (a regular file of at most
    ``kind.limit``: a FIFO would block the open, /dev/zero never end); a file that cannot be
    read is the template's problem (TemplateError: exit 2 naming the file)."""
    try:
        return read_text(path, kind)
    except OSError as exc:
        raise TemplateError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # not UTF-8
        raise TemplateError(f"{path}: cannot be read: {exc}") from exc
