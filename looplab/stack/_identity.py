"""Each resource's AWS identity, as CloudFormation would give it: its physical ID (what
``Ref`` returns: a queue's URL, a function's name, a mapping's UUID, a topic's ARN) and the
attributes ``Fn::GetAtt`` reads (``Arn``, ``QueueName``, ...).

Names come from the template where it sets them (``QueueName``, ``FunctionName``; only
pseudo parameters may be used in them, the rest is refused), else CloudFormation's pattern
``<stack>-<logical ID>[-<suffix>]`` with a stable hash for its random suffix.

The identity of each type the reader knows is a function of its reader's entry
(``_readers.READERS``); this module holds what they share (:class:`Naming`), the identity
of a type no entry names (:func:`generated`), and those of the types read only for their
names (roles, tables, streams, log groups), which no reader module owns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from looplab.stack._cfn import TemplateError, resolve

__all__ = [
    "Identity",
    "Naming",
    "dynamodb_table",
    "generated",
    "log_group",
    "named",
    "role",
    "stand_in",
]

PseudoOnly = Callable[[str, str | None, str], Any]


@dataclass(frozen=True)
class Naming:
    """Where the stack is (region, account, name): what every identity is made of."""

    region: str
    account_id: str
    stack_name: str
    pseudo_only: PseudoOnly  # resolves a name's intrinsics: pseudo parameters only

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def name(self, logical_id: str, props: dict[str, Any], prop: str, default: str) -> str:
        """The name the template sets in ``prop``, else ``default``."""
        raw = props.get(prop) or default
        where = f"Resources.{logical_id}.Properties.{prop}"
        value = raw if isinstance(raw, str) else resolve(raw, self.pseudo_only, where)
        if not isinstance(value, str) or not value:
            raise TemplateError(f"{where}: a name must be a non-empty string, got {value!r}")
        return value

    def default_name(self, logical_id: str) -> str:
        """``<stack>-<logical ID>``: the name of a queue, function or topic the template
        does not name."""
        return f"{self.stack_name}-{logical_id}"

    def generated_name(self, logical_id: str) -> str:
        """``<stack>-<logical ID>-<suffix>``: CloudFormation's random suffix, here a stable hash."""
        suffix = hashlib.sha256(f"{self.stack_name}/{logical_id}".encode()).hexdigest()[:13]
        return f"{self.stack_name}-{logical_id}-{suffix.upper()}"


Identity = Callable[[Naming, str, dict[str, Any]], dict[str | None, Any]]
"""``(naming, logical ID, the template's raw properties) -> {None: physical ID, attribute:
value, ...}``."""


def generated(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    """A resource that matters only as a name (a policy, a permission, a type no entry of
    the table names): CloudFormation's generated one."""
    return {None: naming.generated_name(logical_id)}


def named(service: str, name_prop: str, arn_form: str, *, ref_is_arn: bool = False) -> Identity:
    """The identity of a type named by ``name_prop``, whose ARN ends ``arn_form`` (with
    ``{name}``); ``Ref`` gives the ARN when ``ref_is_arn`` (an SNS topic), else the name."""

    def identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
        name = naming.name(logical_id, props, name_prop, naming.default_name(logical_id))
        arn = naming.arn(service, arn_form.format(name=name))
        return {None: arn if ref_is_arn else name, "Arn": arn, name_prop: name}

    return identity


def role(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    name = naming.name(logical_id, props, "RoleName", naming.default_name(logical_id))
    return {None: name, "Arn": f"arn:aws:iam::{naming.account_id}:role/{name}"}


_TABLE = named("dynamodb", "TableName", "table/{name}")


def dynamodb_table(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    ident = _TABLE(naming, logical_id, props)
    # The stream's label is the creation time; the simulator's epoch stands in.
    ident["StreamArn"] = f"{ident['Arn']}/stream/2023-07-21T00:00:00.000"
    return ident


def log_group(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    name = props.get("LogGroupName")
    return {None: name} if isinstance(name, str) else generated(naming, logical_id, props)


def stand_in(kind: str, physical: str, attribute: str, region: str, account: str) -> str:
    """A GetAtt of a resource the reader does not model: an ARN for an ``*Arn`` attribute
    (service from the type: AWS::Events::Rule -> events), else ``<physical id>.<attribute>``."""
    if attribute == "Arn" or attribute.endswith("Arn"):
        if physical.startswith("arn:"):
            return physical
        service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
        return f"arn:aws:{service}:{region}:{account}:{physical}"
    return f"{physical}.{attribute}"
