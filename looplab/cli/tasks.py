"""The command line: looplab's invoke tasks, thin wrappers; every task is a few lines calling
a command of looplab.cli.

This collection is the only command-line surface: the project's tasks.py hands it to
``invoke`` (``invoke scenario ...``) and looplab.cli.program runs it as ``python -m looplab
scenario ...``, so there is no second parser to drift. Run ``invoke --list`` for the tasks
and ``invoke --help TASK`` for their arguments.
"""

from __future__ import annotations

import sys

from invoke import Collection, Exit, task

from looplab.cli.common import DEFAULTS


@task(
    help={
        "stage": "Stage to deploy (default: dev)",
        "region": "AWS region (default: eu-central-1)",
        "param": "A stack parameter as key=value, e.g. dlqTrigger=true (repeatable)",
        "shape": "Loop shape: sqs (serverless.yml, default), sns, sns-sqs, s3, lambda, chain",
    },
    iterable=["param"],
)
def deploy(c, stage="dev", region="eu-central-1", param=None, shape="sqs"):
    """Deploy a loop shape's stack to AWS with osls (npx sls deploy)."""
    from looplab.cli.common import project_root
    from looplab.cli.deploy import DeployError
    from looplab.cli.deploy import deploy as run_deploy

    _check_stack_options(stage, region)
    try:
        run_deploy(
            c,
            stage=stage,
            region=region,
            params=param or [],
            shape=shape,
            project_dir=project_root(),
        )
    except DeployError as exc:  # bad input (a --param or --shape): no traceback
        raise Exit(f"error: {exc}", code=2) from None


@task(
    help={
        "stage": "Stage to remove (default: dev)",
        "region": "AWS region",
        "shape": "Loop shape: sqs (serverless.yml, default), sns, sns-sqs, s3, lambda, chain",
    }
)
def remove(c, stage="dev", region="eu-central-1", shape="sqs"):
    """Remove a loop shape's stack (the plugin disables every mapping first)."""
    from looplab.cli.common import project_root
    from looplab.cli.deploy import DeployError
    from looplab.cli.deploy import remove as run_remove

    _check_stack_options(stage, region)
    try:
        run_remove(c, stage=stage, region=region, shape=shape, project_dir=project_root())
    except DeployError as exc:
        raise Exit(f"error: {exc}", code=2) from None


def _check_stack_options(stage, region):
    """--stage and --region checked before sls starts (its own refusal is exit 1, later)."""
    from looplab.cli.common import BadInput, check_region, check_stage

    try:
        check_stage(stage)
        check_region(region)
    except BadInput as exc:
        raise Exit(f"error: {exc}", code=2) from None


def _looplab(c, key, given=None):
    """A CLI value, else the config's ``looplab.<key>`` (invoke.yaml over cli.DEFAULTS)."""
    return given if given is not None else c.config.looplab[key]


@task(
    help={
        "name": "The scenario to run (see `invoke scenarios`)",
        "backend": "Where to run: local (the simulator) or aws (default: looplab.backend "
        "from invoke.yaml, else local)",
        "stage": "The stack's stage (default: looplab.stage from invoke.yaml, else dev)",
        "set": "Override a scenario parameter as key=value, e.g. counter=7 (repeatable)",
        "param": "local: a stack parameter as sls --param takes it, e.g. maxReceiveCount=3 "
        "(repeatable; on aws redeploy instead: invoke deploy --param ...)",
        "sim": "local: a simulator parameter (SimParams field), e.g. recursion_threshold=20 "
        "(repeatable)",
        "seed": "The simulator's random seed (same seed, same run)",
        "dry": "Validate and print the plan; build no backend, run nothing",
        "allow_recursion": "Permit RecursiveLoop Allow on AWS (protection-off scenarios)",
        "endpoint_url": "aws: send every AWS call to this endpoint (recorded in the journal)",
        "junit_xml": "Also write the run as JUnit XML to this file, for CI (one testcase per "
        "expectation); with GITHUB_STEP_SUMMARY set, a Markdown summary is appended to it",
    },
    iterable=["set_", "param", "sim"],
    # No positional: a positional `name` swallowed `--help` ("unknown scenario '--help'").
    positional=[],
)
def scenario(
    c,
    name=None,
    backend=None,
    stage=None,
    set_=None,
    param=None,
    sim=None,
    seed="0",
    dry=False,
    allow_recursion=False,
    endpoint_url=None,
    junit_xml=None,
):
    """Run a scenario from scenarios.yaml; exit 0 pass, 1 failed/aborted, 2 bad input."""
    from looplab.cli.commands import scenario_command

    code = scenario_command(
        name,
        backend=_looplab(c, "backend", backend),
        stage=_looplab(c, "stage", stage),
        sets=set_ or [],
        params=param or [],
        sim=sim or [],
        seed=seed,  # text: looplab.cli says "--seed expects an integer" (invoke: a traceback)
        dry=dry,
        file=_looplab(c, "scenarios"),
        results=_looplab(c, "results"),
        allow_recursion=allow_recursion,
        endpoint_url=endpoint_url,
        junit_xml=junit_xml,
    )
    if code:
        raise Exit(code=code)


@task(
    help={
        "stage": "The deployed stack's stage (default: looplab.stage, else dev)",
        "release": "Remove the reserved-concurrency cap a previous kill switch set",
        "endpoint_url": "Send every AWS call to this endpoint",
    }
)
def kill_switch(c, stage=None, release=False, endpoint_url=None):
    """Disable every mapping, reserved concurrency 0, purge both queues (needs only the record)."""
    from looplab.cli.aws import kill_switch_command

    code = kill_switch_command(
        stage=_looplab(c, "stage", stage), release=release, endpoint_url=endpoint_url
    )
    if code:
        raise Exit(code=code)


@task(help={"stage": "The deployed stack's stage (default: looplab.stage, else dev)"})
def operator_policy(c, stage=None):
    """Print the least-privilege IAM policy (JSON only, on stdout) for the recorded stack."""
    from looplab.cli.aws import operator_policy_command

    code = operator_policy_command(stage=_looplab(c, "stage", stage))
    if code:
        raise Exit(code=code)


@task(help={"long": "Each scenario's whole description and its parameters (--set k=v)"})
def scenarios(c, long=False):
    """List the scenarios of scenarios.yaml, one line each (--long: all about each)."""
    from looplab.cli.commands import list_command

    code = list_command(_looplab(c, "scenarios"), long=long)
    if code:
        raise Exit(code=code)


@task(help={"stage": "The stack's stage to check against (default: looplab.stage, else dev)"})
def validate(c, stage=None):
    """Check scenarios.yaml (every scenario) against the compiled stack; exit 2 on problems."""
    from looplab.cli.commands import validate_command

    code = validate_command(_looplab(c, "scenarios"), stage=_looplab(c, "stage", stage))
    if code:
        raise Exit(code=code)


@task(
    help={
        "scenario": "Only this scenario's runs",
        "backend": "Only runs on this backend (local or aws)",
        "since": "Only runs started on or after this date (YYYY-MM-DD or ISO 8601 time, UTC)",
        "out": "Where report.md, report.html and runs.csv go (default: the results folder)",
        "format": "Write only these: md, html, csv, json, comma-separated (default: all)",
    }
)
def collect_results(c, scenario=None, backend=None, since=None, out=None, format=None):
    """Journals -> results/report.md, report.html, runs.csv, runs/<run>/timeline.png."""
    from looplab.cli.commands import collect_command

    code = collect_command(
        _looplab(c, "results"),
        scenario=scenario,
        backend=backend,
        since=since,
        out=out,
        formats=format,
    )
    if code:
        raise Exit(code=code)


# looplab's defaults live in looplab.cli.DEFAULTS; invoke.yaml and INVOKE_LOOPLAB_* override.
namespace = Collection.from_module(sys.modules[__name__], config={"looplab": dict(DEFAULTS)})
