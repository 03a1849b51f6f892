"""The stack reader picks each resource's reader from one table, and its modules form no circle.

``looplab.stack._readers.READERS`` maps a CloudFormation resource type to what the reader
knows of it (its identity, its readers, its checks); the builder iterates that table and
names no type itself. Adding a resource type is one table line and the module of its
concept (docs/design.md, "Adding a resource type or a loop shape").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import grimp
import pytest

import looplab.stack
from looplab.stack import Stack, TemplateError

STACK_DIR = Path(looplab.stack.__file__).parent
TABLE_MODULE = "_readers.py"
RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")


def _type_literals(path: Path) -> list[tuple[int, str]]:
    """Every string in ``path``'s code that names a resource type (``AWS::SQS::Queue``),
    with its line; documentation (docstrings, bare string statements) is not code."""
    tree = ast.parse(path.read_text())
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in documentation
        and RESOURCE_TYPE.search(node.value)
    ]


def test_a_resource_type_is_named_only_in_the_readers_table() -> None:
    """An ``if kind == "AWS::..."`` anywhere in looplab.stack is a second dispatch."""
    outside = [
        f"{path.name}:{line}: {value!r}"
        for path in sorted(STACK_DIR.glob("*.py"))
        if path.name != TABLE_MODULE
        for line, value in sorted(_type_literals(path))
    ]
    assert outside == [], "resource types named outside the readers' table:\n" + "\n".join(outside)
    assert (STACK_DIR / TABLE_MODULE).is_file(), "the table of readers is looplab.stack._readers"
    from looplab.stack._readers import READERS

    in_table = {value for _, value in _type_literals(STACK_DIR / TABLE_MODULE)}
    assert in_table == set(READERS), "the table module names a type that is not a key of READERS"


def test_the_modules_of_the_stack_package_import_each_other_without_a_circle() -> None:
    """Every import counts (a function's own, one under TYPE_CHECKING): a circle is a circle."""
    graph = grimp.build_graph("looplab", cache_dir=None)
    modules = {m for m in graph.modules if m.startswith("looplab.stack.")}
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    circles = []
    for start in sorted(modules):
        for first in sorted(edges[start]):
            if graph.chain_exists(importer=first, imported=start, as_packages=False):
                chain = graph.find_shortest_chain(importer=first, imported=start) or ()
                if all(m in modules for m in chain):
                    circles.append(" -> ".join((start, *chain)))
    assert circles == []


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def test_the_builder_reads_a_type_through_the_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A type added to the table is read, with its properties resolved: nothing else to edit."""
    from looplab.stack import _readers
    from looplab.stack._reading import Phase, Reader, Reading

    seen: list[tuple[str, dict[str, Any], Any]] = []

    def read(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
        seen.append((logical_id, props, reading.identity[logical_id][None]))

    monkeypatch.setitem(_readers.READERS, "AWS::Events::Rule", Reader(reads={Phase.NAMED: read}))
    Stack.from_template(
        _template(
            Rule={
                "Type": "AWS::Events::Rule",
                "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-rule"}},
            }
        ),
        code_dir=tmp_path,
    )
    ((logical_id, props, physical),) = seen
    assert (logical_id, props) == ("Rule", {"Name": "looplab-dev-rule"})
    assert physical.startswith("looplab-dev-Rule-")  # the generated name of an unnamed type


def test_a_type_not_in_the_table_is_listed_with_a_name_and_its_properties_still_resolved(
    tmp_path: Path,
) -> None:
    """As before the table: no spec, a generated physical ID, a stand-in for its attributes,
    and an intrinsic in its properties that cannot resolve is refused by path."""
    rule = {"Type": "AWS::Events::Rule", "Properties": {"State": "ENABLED"}}
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": "main.handler",
            "Runtime": "python3.11",
            "Environment": {"Variables": {"RULE": {"Fn::GetAtt": ["Rule", "Arn"]}}},
        },
    }
    stack = Stack.from_template(_template(Rule=rule, Fn=function), code_dir=tmp_path)
    kind, physical = stack.resources["Rule"]
    assert kind == "AWS::Events::Rule" and physical.startswith("looplab-dev-Rule-")
    assert stack.functions["Fn"].environment["RULE"] == (
        f"arn:aws:events:eu-central-1:123456789012:{physical}"
    )
    bad = {**rule, "Properties": {"State": {"Fn::Select": [3, ["ENABLED"]]}}}
    with pytest.raises(TemplateError, match=r"Resources\.Rule\.Properties\.State"):
        Stack.from_template(_template(Rule=bad), code_dir=tmp_path)
