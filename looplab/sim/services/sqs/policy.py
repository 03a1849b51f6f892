"""Whether a queue's access policy lets SNS send to it, as IAM evaluates a resource policy.

SNS is a service principal: even within one account it can deliver to an SQS queue only
where the queue's policy allows ``sns.amazonaws.com`` (or ``*``) ``sqs:SendMessage`` ("To
enable an Amazon SNS topic to send messages to an Amazon SQS queue ... the queue's policy
must allow it", SNS developer guide, "Subscribing an Amazon SQS queue to an Amazon SNS
topic"). A stack without that policy runs no SNS -> SQS loop on AWS, so neither does the
simulator.

Evaluated: Effect (an explicit Deny wins over any Allow; no Allow is a deny), Principal
(``*``, ``{"AWS": "*"}``, ``{"Service": ...}``), Action and Resource (IAM wildcards, actions
case-insensitive), and conditions on ``aws:SourceArn`` / ``aws:SourceAccount`` with
StringEquals, StringLike, ArnEquals and ArnLike. Anything else a statement uses
(NotPrincipal, NotAction, NotResource, other operators or keys) is refused before a run
(:func:`unevaluable`, through looplab.sim.refusals) rather than guessed.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

__all__ = ["sns_may_send", "unevaluable"]

SNS = "sns.amazonaws.com"
_ACTION = "sqs:sendmessage"
_OPERATORS = {"stringequals", "stringlike", "arnequals", "arnlike"}
_KEYS = {"aws:sourcearn", "aws:sourceaccount"}
_NOT = ("NotPrincipal", "NotAction", "NotResource")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    raw = (document or {}).get("Statement") or []
    return [s for s in _listed(raw) if isinstance(s, dict)]


def unevaluable(document: dict[str, Any] | None, path: str) -> list[tuple[str, str]]:
    """(template path, what) of each part of the policy this module does not evaluate."""
    out: list[tuple[str, str]] = []
    for i, statement in enumerate(_statements(document)):
        where = f"{path}.Statement[{i}]"
        for key in _NOT:
            if key in statement:
                out.append((f"{where}.{key}", f"{key} is not evaluated"))
        for operator, tests in (statement.get("Condition") or {}).items():
            if str(operator).lower() not in _OPERATORS:
                out.append(
                    (
                        f"{where}.Condition.{operator}",
                        f"condition operator {operator} is not evaluated (evaluated: "
                        "StringEquals, StringLike, ArnEquals, ArnLike)",
                    )
                )
                continue
            for key in tests if isinstance(tests, dict) else {}:
                if str(key).lower() not in _KEYS:
                    out.append(
                        (
                            f"{where}.Condition.{operator}.{key}",
                            f"condition key {key} is not evaluated (evaluated: "
                            "aws:SourceArn, aws:SourceAccount)",
                        )
                    )
    return out


def sns_may_send(
    document: dict[str, Any] | None, queue_arn: str, topic_arn: str, account: str
) -> bool:
    """Whether SNS, delivering ``topic_arn``'s message, may SendMessage to ``queue_arn``."""
    context = {"aws:sourcearn": topic_arn, "aws:sourceaccount": account}
    allowed = False
    for statement in _statements(document):
        if not _applies(statement, queue_arn, context):
            continue
        if str(statement.get("Effect", "")).lower() == "deny":
            return False
        if str(statement.get("Effect", "")).lower() == "allow":
            allowed = True
    return allowed


def _applies(statement: dict[str, Any], queue_arn: str, context: dict[str, str]) -> bool:
    return (
        _principal(statement.get("Principal"))
        and any(fnmatchcase(_ACTION, str(a).lower()) for a in _listed(statement.get("Action", [])))
        and (
            "Resource" not in statement
            or any(fnmatchcase(queue_arn, str(r)) for r in _listed(statement["Resource"]))
        )
        and all(
            _condition(str(op).lower(), tests, context)
            for op, tests in (statement.get("Condition") or {}).items()
        )
    )


def _principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "*" in _listed(principal.get("AWS", [])) or SNS in _listed(principal.get("Service", []))


def _condition(operator: str, tests: Any, context: dict[str, str]) -> bool:
    if not isinstance(tests, dict):
        return False
    for key, wanted in tests.items():
        actual = context.get(str(key).lower())
        if actual is None:
            return False
        values = [str(v) for v in _listed(wanted)]
        if operator == "stringequals":
            ok = actual in values
        else:  # StringLike, ArnEquals, ArnLike: IAM's * and ? wildcards
            ok = any(fnmatchcase(actual, v) for v in values)
        if not ok:
            return False
    return True
