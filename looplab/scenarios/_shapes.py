"""The loop shapes a scenario can run on (``stack: sns``), each an osls config of its own.

Each shape's logical IDs are a contract (stacks/README.md defines them): a
scenario on a shape whose stack is not compiled yet is still checked against them, so a
typo in ``LoopTopic`` is found before anything compiles. When the compiled stack is at
hand, its own names are used instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from looplab.scenarios._context import StackNames

__all__ = ["DEFAULT_SHAPE", "SHAPES", "Shape"]

DEFAULT_SHAPE = "sqs"


@dataclass(frozen=True)
class Shape:
    name: str
    config: str  # the osls config, relative to the project
    names: StackNames  # the contract's logical IDs (used when no compiled stack is given)


def _names(
    queues: tuple[str, ...],
    functions: tuple[str, ...],
    mappings: tuple[tuple[str, str], ...] = (),
    topics: tuple[str, ...] = (),
    buckets: tuple[str, ...] = (),
) -> StackNames:
    return StackNames(
        queues=frozenset(queues),
        functions=frozenset(functions),
        mappings=frozenset(mappings),
        topics=frozenset(topics),
        buckets=frozenset(buckets),
    )


_RELAY, _POST = "RelayLambdaFunction", "RecursiveLambdaFunction"
SHAPES: dict[str, Shape] = {
    s.name: s
    for s in (
        Shape(
            "sqs",
            "serverless.yml",
            _names(
                ("Queue", "DeadLetterQueue"),
                (_POST,),
                ((_POST, "Queue"), (_POST, "DeadLetterQueue")),
            ),
        ),
        Shape(
            "sns",
            "stacks/sns.yml",
            _names(("RelayDeadLetterQueue",), (_RELAY,), topics=("LoopTopic",)),
        ),
        Shape(
            "sns-sqs",
            "stacks/sns-sqs.yml",
            _names(
                ("LoopQueue", "LoopDeadLetterQueue"),
                (_RELAY,),
                ((_RELAY, "LoopQueue"),),
                topics=("LoopTopic",),
            ),
        ),
        Shape(
            "s3",
            "stacks/s3.yml",
            _names(("RelayFailureQueue",), (_RELAY,), buckets=("LoopBucket",)),
        ),
        Shape("lambda", "stacks/lambda.yml", _names(("RelayFailureQueue",), (_RELAY,))),
        Shape(
            "chain",
            "stacks/chain.yml",
            _names(
                ("FirstQueue", "SecondQueue", "FirstDeadLetterQueue", "SecondDeadLetterQueue"),
                ("FirstLambdaFunction", "SecondLambdaFunction"),
                (("FirstLambdaFunction", "FirstQueue"), ("SecondLambdaFunction", "SecondQueue")),
            ),
        ),
    )
}
