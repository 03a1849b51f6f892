"""What CloudFormation refuses about a template as a whole, before it creates anything.

The reader describes any template CloudFormation would accept; these are the ones it would
not, so neither the simulator nor the aws backend should run them:

- a template that is not the shape CloudFormation reads (``Resources`` an object of
  objects, each with a string ``Type``), that holds ``null`` ("'null' values are not
  allowed in templates"), or that nests past :data:`looplab.stack._cfn.MAX_DEPTH`;
- a ``DependsOn``, ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` naming no resource, parameter
  or pseudo parameter ("Unresolved resource dependencies [X] in the Resources block");
- a dependency cycle, through ``DependsOn`` or through references ("Circular dependency
  between resources: [A, B]"): CloudFormation creates a resource after everything it
  depends on, so a cycle can never start;
- queues whose redrive policies form a cycle. Named by ``Fn::GetAtt`` that is the
  circular dependency above; named by literal ARNs it still cannot be created: SQS checks
  that the dead-letter queue exists when the policy is set ("Dead letter target does not
  exist"), and in a cycle each queue waits for another. A dead-letter queue with its own
  redrive policy (a chain) is allowed; only a cycle is refused. Run anyway, a message
  would move around the cycle forever at one instant of virtual time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from looplab.stack._cfn import TemplateError, check_depth, references, walk
from looplab.stack._specs import QueueSpec

__all__ = ["check_dependencies", "check_shape", "redrive_cycles"]

_SECTIONS = ("Resources", "Outputs", "Parameters", "Mappings", "Conditions")


def check_shape(template: Any) -> None:
    """Refuse a template CloudFormation could not even read (see the module docstring)."""
    if not isinstance(template, dict):
        raise TemplateError(f"the template must be a JSON object, not {type(template).__name__}")
    for section in _SECTIONS:
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            raise TemplateError(f"{section} must be an object, not {type(value).__name__}")
        check_depth(value, section)
    for section in ("Resources", "Outputs"):
        for key, entry in (template.get(section) or {}).items():
            where = f"{section}.{key}"
            if not isinstance(entry, dict):
                raise TemplateError(f"{where} must be an object, not {type(entry).__name__}")
            for node, at, _ in walk(entry, where):
                if node is None:
                    raise TemplateError(f"{at}: 'null' values are not allowed in templates")
    for logical_id, resource in (template.get("Resources") or {}).items():
        where = f"Resources.{logical_id}"
        if not isinstance(resource.get("Type"), str):
            raise TemplateError(f"{where}.Type must be a string, got {resource.get('Type')!r}")
        props = resource.get("Properties", {})
        if not isinstance(props, dict):
            raise TemplateError(f"{where}.Properties must be an object, not {type(props).__name__}")


def check_dependencies(template: dict[str, Any]) -> None:
    """Refuse a dangling or circular dependency (``DependsOn`` and references)."""
    resources: dict[str, Any] = template.get("Resources") or {}
    known = set(resources) | set(template.get("Parameters") or {})
    # edges[a] = [(b, path)]: a depends on b, through the DependsOn or reference at path
    edges: dict[str, list[tuple[str, str]]] = {}
    for logical_id, resource in resources.items():
        where = f"Resources.{logical_id}"
        found = edges.setdefault(logical_id, [])
        for name, at in _depends_on(resource.get("DependsOn"), f"{where}.DependsOn"):
            if name not in resources:
                raise TemplateError(f"{at}: {_unknown(name, resources)}")
            found.append((name, at))
        for name, at in references(resource.get("Properties", {}), f"{where}.Properties"):
            if name.startswith("AWS::"):
                continue  # a pseudo parameter
            if name not in known:
                raise TemplateError(f"{at}: {_unknown(name, resources)}")
            if name in resources:
                found.append((name, at))
    cycle = _find_cycle(edges)
    if cycle:
        names = " -> ".join([a for a, _, _ in cycle] + [cycle[0][0]])
        via = "; ".join(f"{at} -> {b}" for _, b, at in cycle)
        raise TemplateError(
            f"Circular dependency between resources: {names} ({via}); CloudFormation "
            "creates a resource only after those it depends on, so it refuses this template"
        )


def _depends_on(raw: Any, where: str) -> Iterable[tuple[str, str]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [(raw, where)]
    if isinstance(raw, list) and all(isinstance(name, str) for name in raw):
        return [(name, f"{where}[{i}]") for i, name in enumerate(raw)]
    raise TemplateError(f"{where}: a resource's logical ID or a list of them, not {raw!r}")


def _unknown(name: str, resources: dict[str, Any]) -> str:
    near = difflib.get_close_matches(name, list(resources), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    listed = sorted(resources)
    shown = ", ".join(listed[:40]) + (f", ... ({len(listed)} in all)" if len(listed) > 40 else "")
    return (
        f"{name!r} is not a resource of this template{hint} (CloudFormation: "
        f"Unresolved resource dependencies; its resources: {shown or '(none)'})"
    )


def _find_cycle(edges: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    """One cycle of the graph as ``[(a, b, path of a's edge to b), ...]``, or [] if none.

    Iterative depth-first search (three colours), so a long chain of resources cannot
    exhaust Python's stack. Resources are visited in template order, so the cycle reported
    for a given template is always the same."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in edges:
        if root in state:
            continue
        path: list[tuple[str, str, str]] = []  # the edges taken from root
        stack = [(root, iter(edges[root]))]
        state[root] = 1
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                state[node] = 2
                stack.pop()
                if path:
                    path.pop()
                continue
            target, at = step
            if state.get(target) == 1:
                start = next((i for i, (a, _, _) in enumerate(path) if a == target), len(path))
                return [*path[start:], (node, target, at)]
            if target not in state:
                state[target] = 1
                path.append((node, target, at))
                stack.append((target, iter(edges.get(target, []))))
    return []


def redrive_cycles(queues: dict[str, QueueSpec]) -> list[tuple[str, str]]:
    """``(path, why)`` for each cycle the queues' redrive policies form (one entry per
    cycle, at the policy of its first queue in template order)."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for start in queues:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node in queues and node not in seen and node not in chain:
            chain.append(node)
            node = queues[node].redrive_target
        seen.update(chain)
        if node is None or node not in chain:
            continue  # the chain ends (no DLQ, one outside the stack, or a queue seen before)
        cycle = chain[chain.index(node) :]
        names = " -> ".join([*cycle, cycle[0]])
        found.append(
            (
                f"Resources.{cycle[0]}.Properties.RedrivePolicy.deadLetterTargetArn",
                f"the redrive policies form a cycle {names}: CloudFormation cannot create "
                'these queues (by Fn::GetAtt: "Circular dependency between resources"; by '
                'ARN: SQS refuses a policy whose queue does not exist yet, "Dead letter '
                'target does not exist"), and a message would move around it forever. A '
                "dead-letter queue may have its own, but the chain must end",
            )
        )
    return found
