"""Compile a project's osls config (cached) and read its stack."""

from __future__ import annotations

import json
from pathlib import Path

from looplab._package import DEFAULT_CONFIG, TEMPLATE_NAME, compiled_template
from looplab.stack._builder import build_stack
from looplab.stack._specs import DEFAULT_REGION, Stack

__all__ = ["load_stack"]


def load_stack(
    project_dir: Path | str = ".",
    stage: str = "dev",
    region: str = DEFAULT_REGION,
    params: dict[str, str] | None = None,
    config: str = DEFAULT_CONFIG,
) -> Stack:
    """Compile ``config`` (cached) and read the stack from the compiled template.

    ``config`` is relative to ``project_dir``: serverless.yml (the post's stack) or a loop
    shape's ``stacks/<shape>.yml`` (looplab.deploy.SHAPES maps shape names to them).
    """
    project_dir = Path(project_dir).resolve()
    out = compiled_template(project_dir, stage, region, params, config)
    template = json.loads((out / TEMPLATE_NAME).read_text())
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
    if not state.is_file():
        return None
    service = json.loads(state.read_text()).get("service", {})
    name = service.get("service")
    return name if isinstance(name, str) else None
