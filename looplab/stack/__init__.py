"""The experiment stack, as the simulator and the scenarios see it.

There is one definition of each stack: its osls config (serverless.yml for the post's
stack, stacks/<shape>.yml for the other loop shapes). This package does not read it; it
reads the CloudFormation template that ``sls package`` compiles from it, so the simulator
runs exactly what would be deployed (every mapping, subscription and notification, the
RecursiveLoop setting, the parameters of the stage). Nothing assumes one queue and one
function.

The values (``_specs``) are plain frozen dataclasses keyed by logical ID. ``_readers`` is
the one table from resource type to its reader (``_queues``, ``_functions``, ``_mappings``,
``_topics``, ``_buckets``); ``_builder`` gives every resource its AWS identity
(``_identity``) and runs the readers phase by phase into a :class:`Stack`; ``_load``
reads the template that ``_package`` compiles (``sls package``, cached by the hash of its
inputs), and ``_cfn`` resolves its intrinsic functions. The modules form layers, no circle
(pyproject.toml).
"""

from looplab.stack._builder import Stack, build_stack
from looplab.stack._cfn import TemplateError
from looplab.stack._checks import redrive_cycles
from looplab.stack._load import load_stack
from looplab.stack._package import PackageError, is_compiled
from looplab.stack._specs import (
    DEFAULT_REGION,
    LOCAL_ACCOUNT_ID,
    BucketSpec,
    EventInvokeSpec,
    FunctionSpec,
    MappingSpec,
    NotificationSpec,
    QueuePolicySpec,
    QueueSpec,
    SourceMappingSpec,
    SubscriptionSpec,
    TopicSpec,
)

__all__ = [
    "DEFAULT_REGION",
    "LOCAL_ACCOUNT_ID",
    "BucketSpec",
    "EventInvokeSpec",
    "FunctionSpec",
    "MappingSpec",
    "NotificationSpec",
    "PackageError",
    "QueuePolicySpec",
    "QueueSpec",
    "SourceMappingSpec",
    "Stack",
    "SubscriptionSpec",
    "TemplateError",
    "TopicSpec",
    "build_stack",
    "is_compiled",
    "load_stack",
    "redrive_cycles",
]
