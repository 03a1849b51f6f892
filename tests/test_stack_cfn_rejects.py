"""The reader refuses what CloudFormation (or the service it calls) would refuse to deploy,
each as a TemplateError naming the resource, the property path and the valid choices:
redrive cycles, circular or dangling DependsOn, and values outside the service's enums
and ranges (botocore's model). The CLI reports them as exit 2 before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import function_resource, mapping_resource, queue_resource

from looplab.stack import Stack, TemplateError
from looplab.stack._checks import check_dependencies


def read(tmp_path: Path, resources: dict[str, Any]) -> Stack:
    doc = json.loads(json.dumps({"Resources": resources}))
    return Stack.from_template(doc, code_dir=tmp_path, stage="test")


def redrive(target: str, by: str = "getatt", count: int = 1) -> dict[str, Any]:
    """A RedrivePolicy naming queue ``target`` by Fn::GetAtt, or by its literal ARN."""
    arn: Any = {"Fn::GetAtt": [target, "Arn"]}
    if by == "arn":
        arn = f"arn:aws:sqs:eu-central-1:123456789012:{target.lower()}"
    return {"RedrivePolicy": {"deadLetterTargetArn": arn, "maxReceiveCount": count}}


# -- redrive cycles ------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["getatt", "arn"])
def test_a_queue_redriving_to_itself_is_refused(tmp_path: Path, by: str) -> None:
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, {"A": queue_resource("a", **redrive("A", by))})
    text = str(caught.value)
    assert "Resources.A.Properties.RedrivePolicy" in text
    assert "A -> A" in text


@pytest.mark.parametrize("by", ["getatt", "arn"])
def test_queues_redriving_to_each_other_are_refused(tmp_path: Path, by: str) -> None:
    resources = {
        "A": queue_resource("a", **redrive("B", by)),
        "B": queue_resource("b", **redrive("C", by)),
        "C": queue_resource("c", **redrive("A", by)),
    }
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, resources)
    text = str(caught.value)
    assert "RedrivePolicy" in text
    assert "A -> B -> C -> A" in text


def test_the_literal_arn_cycle_says_why_sqs_refuses_it(tmp_path: Path) -> None:
    resources = {
        "A": queue_resource("a", **redrive("B", "arn")),
        "B": queue_resource("b", **redrive("A", "arn")),
    }
    with pytest.raises(TemplateError, match="Dead letter target does not exist"):
        read(tmp_path, resources)


def test_a_dead_letter_queue_with_its_own_redrive_is_a_chain_and_is_read(tmp_path: Path) -> None:
    # SQS allows a DLQ to have a DLQ: only a cycle can never be created.
    resources = {
        "A": queue_resource("a", **redrive("B")),
        "B": queue_resource("b", **redrive("C", count=3)),
        "C": queue_resource("c"),
    }
    stack = read(tmp_path, resources)
    assert [stack.queues[q].redrive_target for q in "ABC"] == ["B", "C", None]


def test_a_redrive_policy_without_a_target_is_refused(tmp_path: Path) -> None:
    resources = {"A": queue_resource("a", RedrivePolicy={"maxReceiveCount": 3})}
    with pytest.raises(
        TemplateError, match=r"Resources\.A\.Properties\.RedrivePolicy.*deadLetterTargetArn"
    ):
        read(tmp_path, resources)


def test_the_simulator_refuses_a_redrive_cycle_it_is_handed_directly(tmp_path: Path) -> None:
    """A Stack built without the reader (dataclasses) is still checked by the simulator."""
    import dataclasses

    from looplab.sim import refusals

    stack = read(tmp_path, {"A": queue_resource("a")})
    looped = dataclasses.replace(stack.queues["A"], redrive_target="A", max_receive_count=1)
    stack.queues["A"] = looped
    found = [str(r) for r in refusals(stack)]
    assert any(
        "A -> A" in r and r.startswith("Resources.A.Properties.RedrivePolicy") for r in found
    )


# -- DependsOn and references ---------------------------------------------------------------


def test_circular_depends_on_is_refused_naming_the_cycle(tmp_path: Path) -> None:
    resources = {
        "A": {**queue_resource("a"), "DependsOn": "B"},
        "B": {**queue_resource("b"), "DependsOn": ["C"]},
        "C": {**queue_resource("c"), "DependsOn": ["A"]},
        "D": {**queue_resource("d"), "DependsOn": ["A"]},  # depends on the cycle, not in it
    }
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, resources)
    text = str(caught.value)
    assert "Circular dependency between resources" in text
    assert "A -> B -> C -> A" in text
    assert "Resources.A.DependsOn" in text
    assert "D" not in text.split("Circular dependency between resources")[1].split("(")[0]


def test_a_resource_depending_on_itself_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"Circular dependency between resources.*A -> A"):
        read(tmp_path, {"A": {**queue_resource("a"), "DependsOn": "A"}})


def test_a_cycle_through_references_is_refused_with_each_edges_path(tmp_path: Path) -> None:
    resources = {
        "Q": queue_resource("q"),
        "F": function_resource("f", "fns/x.handler", {"OTHER": {"Fn::Sub": "${G.Arn}"}}),
        "G": function_resource("g", "fns/x.handler", {"OTHER": {"Ref": "F"}}),
    }
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, resources)
    text = str(caught.value)
    assert "F -> G -> F" in text
    assert "Resources.F.Properties.Environment.Variables.OTHER" in text
    assert "Resources.G.Properties.Environment.Variables.OTHER" in text


def test_depends_on_a_missing_resource_is_refused_with_the_choices(tmp_path: Path) -> None:
    resources = {
        "Queue": queue_resource("q"),
        "Other": {**queue_resource("o"), "DependsOn": "Queu"},
    }
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, resources)
    text = str(caught.value)
    assert text.startswith("Resources.Other.DependsOn")
    assert "'Queu' is not a resource of this template" in text
    assert "did you mean Queue?" in text


@pytest.mark.parametrize("bad", [5, [["A"]], {"A": 1}, [None]])
def test_depends_on_must_name_resources(tmp_path: Path, bad: Any) -> None:
    resources = {"A": queue_resource("a"), "B": {**queue_resource("b"), "DependsOn": bad}}
    with pytest.raises(TemplateError, match=r"Resources\.B\.DependsOn"):
        read(tmp_path, resources)


def test_a_reference_to_a_missing_resource_anywhere_is_refused(tmp_path: Path) -> None:
    # A property the reader never resolves (a role's policy) still must name real resources:
    # CloudFormation refuses the template ("Unresolved resource dependencies").
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Policies": [{"PolicyDocument": {"Resource": {"Fn::GetAtt": ["Gone", "Arn"]}}}]
        },
    }
    with pytest.raises(
        TemplateError,
        match=r"Resources\.R\.Properties\.Policies\[0\]\.PolicyDocument\.Resource.*Gone",
    ):
        read(tmp_path, {"Q": queue_resource("q"), "R": role})


def test_references_to_parameters_and_pseudo_parameters_are_not_dependencies(
    tmp_path: Path,
) -> None:
    resources = {
        "Q": queue_resource("q"),
        "R": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": {"Fn::Sub": "${AWS::StackName}-${!Literal}"},
                "Tags": [{"Key": "k", "Value": {"Fn::Sub": ["${X}", {"X": {"Ref": "Q"}}]}}],
            },
            "DependsOn": ["Q"],
        },
    }
    assert set(read(tmp_path, resources).resources) == {"Q", "R"}
    # A template parameter is no resource, but no dangling reference either.
    tagged = {"Key": "k", "Value": {"Fn::Sub": "${Stage}"}}
    resources["Q"]["Properties"]["Tags"] = [tagged, {"Key": "s", "Value": {"Ref": "Stage"}}]
    check_dependencies({"Parameters": {"Stage": {"Type": "String"}}, "Resources": resources})
    with pytest.raises(TemplateError, match="'Stage' is not a resource"):
        check_dependencies({"Resources": resources})


# -- enums, booleans and ranges (botocore's model) -------------------------------------------


def fn(**props: Any) -> dict[str, Any]:
    return {"Q": queue_resource("q"), "F": function_resource("f", "fns/x.handler", {}, **props)}


def esm(**props: Any) -> dict[str, Any]:
    return {**fn(), "M": mapping_resource("Q", "F", **props)}


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, resources, property path, what the message must list)
    (
        "recursive-loop",
        fn(RecursiveLoop="Bogus"),
        "Resources.F.Properties.RecursiveLoop",
        "Allow, Terminate",
    ),
    (
        "recursive-loop-case",
        fn(RecursiveLoop="allow"),
        "Resources.F.Properties.RecursiveLoop",
        "Allow, Terminate",
    ),
    ("runtime", fn(Runtime="python9"), "Resources.F.Properties.Runtime", "python3.12"),
    ("timeout-text", fn(Timeout="abc"), "Resources.F.Properties.Timeout", "between 1 and"),
    ("timeout-zero", fn(Timeout=0), "Resources.F.Properties.Timeout", "between 1 and"),
    ("memory", fn(MemorySize=64), "Resources.F.Properties.MemorySize", "between 128 and"),
    (
        "reserved",
        fn(ReservedConcurrentExecutions=-1),
        "Resources.F.Properties.ReservedConcurrentExecutions",
        "at least 0",
    ),
    (
        "env-list",
        fn(Environment={"Variables": {"AB": ["x"]}}),
        "Resources.F.Properties.Environment.Variables.AB",
        "a string",
    ),
    ("env-not-object", fn(Environment=["x"]), "Resources.F.Properties.Environment", "an object"),
    (
        "response-types",
        esm(FunctionResponseTypes=["ReportBatchItemFailure"]),
        "Resources.M.Properties.FunctionResponseTypes[0]",
        "ReportBatchItemFailures",
    ),
    (
        "response-types-str",
        esm(FunctionResponseTypes="ReportBatchItemFailures"),
        "Resources.M.Properties.FunctionResponseTypes",
        "a list",
    ),
    (
        "metrics",
        esm(MetricsConfig={"Metrics": ["Events"]}),
        "Resources.M.Properties.MetricsConfig.Metrics[0]",
        "EventCount",
    ),
    ("enabled", esm(Enabled="Bogus"), "Resources.M.Properties.Enabled", "true, false"),
    ("batch-size", esm(batch_size=0), "Resources.M.Properties.BatchSize", "between 1 and 10000"),
    (
        "batch-size-text",
        esm(batch_size="ten"),
        "Resources.M.Properties.BatchSize",
        "between 1 and 10000",
    ),
    (
        "window",
        esm(MaximumBatchingWindowInSeconds=301),
        "Resources.M.Properties.MaximumBatchingWindowInSeconds",
        "between 0 and 300",
    ),
    (
        "concurrency",
        esm(ScalingConfig={"MaximumConcurrency": 1}),
        "Resources.M.Properties.ScalingConfig.MaximumConcurrency",
        "between 2 and 1000",
    ),
    (
        "fifo",
        {"Q": queue_resource("q", FifoQueue="yes")},
        "Resources.Q.Properties.FifoQueue",
        "true, false",
    ),
]


@pytest.mark.parametrize(
    ("resources", "path", "choices"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_values_the_service_rejects_are_refused_with_the_valid_choices(
    tmp_path: Path, resources: dict[str, Any], path: str, choices: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        read(tmp_path, resources)
    text = str(caught.value)
    assert text.startswith(path), text
    assert choices in text, text


def test_sns_enums_are_checked(tmp_path: Path) -> None:
    topic = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}
    sub = {
        "Type": "AWS::SNS::Subscription",
        "Properties": {"TopicArn": {"Ref": "T"}, "Protocol": "carrier-pigeon", "Endpoint": "x"},
    }
    with pytest.raises(
        TemplateError, match=r"Resources\.S\.Properties\.Protocol: 'carrier-pigeon'.*sqs.*lambda"
    ):
        read(tmp_path, {"T": topic, "S": sub})
    sub["Properties"].update(Protocol="sqs", RawMessageDelivery="maybe")
    with pytest.raises(
        TemplateError, match=r"Resources\.S\.Properties\.RawMessageDelivery.*true, false"
    ):
        read(tmp_path, {"T": topic, "S": sub})
    sub["Properties"].update(RawMessageDelivery="True", FilterPolicyScope="Body")
    with pytest.raises(
        TemplateError, match=r"FilterPolicyScope: 'Body'.*MessageAttributes, MessageBody"
    ):
        read(tmp_path, {"T": topic, "S": sub})


def test_valid_values_in_every_spelling_cloudformation_takes_are_read(tmp_path: Path) -> None:
    resources = {
        "Q": queue_resource("q", FifoQueue="false"),
        "F": function_resource(
            "f",
            "fns/x.handler",
            {"N": 5, "B": False},
            RecursiveLoop="Allow",
            Timeout="30",
            MemorySize=256,
        ),
        "M": mapping_resource(
            "Q",
            "F",
            batch_size="10",
            Enabled="False",
            FunctionResponseTypes=["ReportBatchItemFailures"],
            ScalingConfig={"MaximumConcurrency": "5"},
        ),
    }
    stack = read(tmp_path, {**resources, "Q": {**resources["Q"]}})
    f, m = stack.functions["F"], stack.mappings["M"]
    assert (f.recursive_loop, f.timeout, f.memory_size) == ("Allow", 30, 256)
    assert f.environment == {"N": "5", "B": "false"}
    assert (m.batch_size, m.enabled, m.report_batch_item_failures) == (10, False, True)
    assert m.maximum_concurrency == 5
    assert stack.queues["Q"].fifo is False


# -- the CLI: exit 2, before anything runs -------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"A": queue_resource("a", **redrive("A"))}, "A -> A"),
        (
            {
                "Q": queue_resource("q"),
                "F": function_resource("f", "fns/x.handler", {}, RecursiveLoop="Bogus"),
            },
            "Allow, Terminate",
        ),
        ({"A": {**queue_resource("a"), "DependsOn": "A"}}, "Circular dependency"),
        (
            fn(Environment={"Variables": {"X": {"Fn::Select": [5, {"Fn::Split": [",", "a,b"]}]}}}),
            "index 5 is out of range",
        ),
    ],
    ids=["redrive-cycle", "enum", "depends-on", "select"],
)
def test_the_cli_reports_each_as_exit_2_before_anything_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    resources: dict[str, Any],
    expected: str,
) -> None:
    from rich.console import Console

    import looplab.stack as stack_module
    from looplab import cli

    monkeypatch.setattr(
        stack_module, "load_stack", lambda project, stage, params=None: read(tmp_path, resources)
    )
    root = Path(__file__).resolve().parent.parent
    code = cli.scenario_command(
        "loop-detection",
        project=root,
        results=tmp_path / "results",
        console=Console(file=open("/dev/null", "w")),  # noqa: SIM115
    )
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert code == cli.EXIT_BAD_INPUT, err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()  # nothing ran


# -- cross-check: CloudFormation's own linter refuses the same values, at the same paths ----

# A list as an environment value is refused by CloudFormation's resource schema (Variables
# are strings) but not flagged by cfn-lint: left out of the cross-check.
_NOT_LINTED = {"env-list"}


def _parts(path: str) -> list[str | int]:
    """``Resources.M.Properties.X[0]`` -> ``["Resources", "M", "Properties", "X", 0]``."""
    out: list[str | int] = []
    for piece in path.split("."):
        name, *indexes = piece.replace("]", "").split("[")
        out.append(name)
        out.extend(int(i) for i in indexes)
    return out


@pytest.mark.integration
def test_cfn_lint_refuses_each_value_the_reader_refuses_at_the_same_path(tmp_path: Path) -> None:
    import subprocess
    import sys

    cases = {c[0]: c for c in REFUSED if c[0] not in _NOT_LINTED}
    for name, resources, _, _ in cases.values():
        (tmp_path / f"{name}.json").write_text(json.dumps({"Resources": resources}))
    # Template-wide refusals: cfn-lint's rule for each (E3004 cycles, E3005 DependsOn).
    graphs = {
        "redrive-self": ({"A": queue_resource("a", **redrive("A"))}, "E3004"),
        "redrive-pair": (
            {"A": queue_resource("a", **redrive("B")), "B": queue_resource("b", **redrive("A"))},
            "E3004",
        ),
        "depends-cycle": (
            {
                "A": {**queue_resource("a"), "DependsOn": "B"},
                "B": {**queue_resource("b"), "DependsOn": "A"},
            },
            "E3004",
        ),
        "depends-missing": ({"A": {**queue_resource("a"), "DependsOn": "Gone"}}, "E3005"),
    }
    for name, (resources, _) in graphs.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({"Resources": resources}))
        with pytest.raises(TemplateError):
            read(tmp_path, resources)
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--format", "json", "--", *sorted(str(p) for p in tmp_path.glob("*.json"))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    findings = json.loads(proc.stdout)
    for name, (_, _, path, _) in cases.items():
        wanted = _parts(path)
        hits = [
            f
            for f in findings
            if Path(f["Filename"]).stem == name
            and f["Level"] == "Error"
            and f["Location"]["Path"][: len(wanted)] == wanted
        ]
        assert hits, f"{name}: cfn-lint finds nothing at {path}"
    for name, (_, rule) in graphs.items():
        rules = {f["Rule"]["Id"] for f in findings if Path(f["Filename"]).stem == name}
        assert rule in rules, f"{name}: cfn-lint reports {sorted(rules)}, not {rule}"
