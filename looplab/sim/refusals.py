"""What the simulator refuses to run, by name and template path.

DESIGN.md, "the stack reads, the simulator refuses": :mod:`looplab.stack` describes any
template; the simulator decides what it cannot model faithfully. Running such a stack
anyway would give a plausible, wrong answer without a word: an SNS subscription or an S3
notification that triggers a function would simply never deliver, the run would complete,
and the loop the user built (one AWS does detect) would never happen.

So every resource or property that can deliver events to a function or carry a loop
through a service the simulator does not model is refused here, and each modelled service
refuses what its own model does not cover (``Service.refuse``: FIFO queues, filters,
batching windows, runtimes other than Python ...). All refusals of a stack are reported at
once, each with its template path: the services' refusals across resources first, then
resource by resource in template order.
"""

from __future__ import annotations

from typing import Any

from looplab.sim.services import Refusal, Service, registry
from looplab.stack import Stack, TemplateError

__all__ = ["Refusal", "UnsupportedTemplate", "check_stack", "refusals"]

_UNTIL = "until the simulator models it, run this stack on AWS (--backend aws)"


class UnsupportedTemplate(TemplateError):
    """The stack uses what the simulator does not model (a bad input: exit 2)."""

    def __init__(self, found: list[Refusal]) -> None:
        self.refusals = found
        lines = "\n".join(f"  {r}" for r in found)
        super().__init__(
            f"the local simulator cannot run this stack ({len(found)} refused; {_UNTIL}):\n{lines}"
        )


# Whole resources that deliver events to a function (or to a queue) through a service the
# simulator does not model. The loops AWS detects include SNS and S3 (since 2024).
_RESOURCES: dict[str, str] = {
    "AWS::Lambda::Url": "a function URL invokes the function over HTTPS: not modelled",
    "AWS::Events::Rule": "an EventBridge rule delivers events to its targets: EventBridge "
    "is not modelled",
    "AWS::Scheduler::Schedule": "an EventBridge Scheduler schedule invokes its target: "
    "not modelled",
    "AWS::Pipes::Pipe": "an EventBridge pipe moves events from a source to a target: not modelled",
    "AWS::Logs::SubscriptionFilter": "a subscription filter delivers log events to its "
    "destination: not modelled",
    "AWS::IoT::TopicRule": "an IoT topic rule delivers messages to its actions: not modelled",
    "AWS::ApiGateway::Method": "an API Gateway method invokes its integration: not modelled",
    "AWS::ApiGatewayV2::Integration": "an API Gateway integration invokes its target: not modelled",
    "AWS::AppSync::DataSource": "an AppSync data source invokes its function: not modelled",
    "AWS::StepFunctions::StateMachine": "a state machine invokes the functions and queues "
    "its states name: not modelled",
    "AWS::SES::ReceiptRule": "an SES receipt rule delivers mail to its actions: not modelled",
    "Custom::S3": "the Serverless Framework's custom resource adds S3 notifications to an "
    "existing bucket: S3 is not modelled",
}

# (type, property) -> why; the property's presence is refused.
_PROPERTIES: dict[tuple[str, str], str] = {
    ("AWS::Cognito::UserPool", "LambdaConfig"): "Cognito triggers invoke functions: not modelled",
}


def refusals(stack: Stack) -> list[Refusal]:
    """Every part of ``stack`` the simulator would run wrongly, in template order."""
    services = registry.SERVICES
    found = [r for s in services if s.refuse_stack is not None for r in s.refuse_stack(stack)]
    for logical_id, resource in stack.template.items():
        kind = str(resource.get("Type", ""))
        props: dict[str, Any] = resource.get("Properties") or {}
        where = f"Resources.{logical_id}"
        if kind in _RESOURCES:
            found.append(Refusal(where, f"{kind}: {_RESOURCES[kind]}"))
        for name in props:
            why = _PROPERTIES.get((kind, name))
            if why is not None and props[name]:
                found.append(Refusal(f"{where}.Properties.{name}", why))
        for service in services:
            if service.refuse is not None:
                found.extend(service.refuse(stack, logical_id, kind, props))
        if kind == "AWS::Lambda::Permission":
            found.extend(_permission(props, where, services))
    return found


def _permission(props: dict[str, Any], where: str, services: tuple[Service, ...]) -> list[Refusal]:
    """A permission lets a service invoke a function: refused unless that service is one
    the simulator runs and it invokes functions (``Service.principal``)."""
    principal = props.get("Principal")
    invoking = [s.principal for s in services if s.principal is not None]
    if principal in invoking:
        return []
    return [
        Refusal(
            f"{where}.Properties.Principal",
            f"AWS::Lambda::Permission for principal {principal!r}: a permission lets that "
            "service invoke the function, a trigger the simulator does not model (modelled: "
            f"{', '.join(invoking)})",
        )
    ]


def check_stack(stack: Stack) -> None:
    """Raise :class:`UnsupportedTemplate` listing every refusal, if there is one."""
    found = refusals(stack)
    if found:
        raise UnsupportedTemplate(found)
