"""``python -m looplab.cli``'s argument parsing: the invoke tasks' commands, without invoke.

Kept apart from looplab.cli so that module stays the commands themselves; the options and
their help mirror tasks.py's.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from looplab import cli

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="looplab", description=cli.__doc__.splitlines()[0] if cli.__doc__ else None
    )
    parser.add_argument("--file", default=cli.DEFAULT_FILE, help="the scenario file")
    parser.add_argument(
        "--project",
        default=None,
        help="folder with tasks.py and serverless.yml (default: the nearest one above here)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "scenario",
        help="run one scenario",
        description="Run one scenario. Exit 0: every expectation passed; 1: one failed, the "
        "run was aborted or its cleanup failed; 2: bad input, nothing ran; 130/143: SIGINT/"
        "SIGTERM. A 'wait until' that times out is a warning, not a failure.",
    )
    run.add_argument("--name", required=True, help="the scenario to run (see 'scenarios')")
    run.add_argument(
        "--backend",
        default=cli.DEFAULTS["backend"],
        choices=sorted(cli.BACKENDS),
        help=f"where to run: local (the simulator) or aws (default: {cli.DEFAULTS['backend']})",
    )
    run.add_argument("--stage", default=cli.DEFAULTS["stage"], help="the stack's stage")
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario parameter, e.g. counter=7 (repeatable; the value takes "
        "the default's type)",
    )
    run.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a stack parameter as sls --param takes it, e.g. maxReceiveCount=3 (repeatable; "
        "local only: a deployed stack's are fixed at deploy)",
    )
    run.add_argument(
        "--sim",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a simulator parameter (looplab.sim.SimParams), e.g. recursion_threshold=20 "
        "(repeatable; local only)",
    )
    # Text, as the invoke task takes it: looplab.cli checks it (range, length) like every value.
    run.add_argument("--seed", default="0", help="the simulator's random seed")
    run.add_argument(
        "--dry", action="store_true", help="validate and show the plan; build no backend"
    )
    run.add_argument("--results", default=cli.DEFAULTS["results"], help="where runs/ goes")
    run.add_argument("--allow-recursion", action="store_true", help="permit RecursiveLoop Allow")
    run.add_argument("--endpoint-url", help="aws: send every call here (recorded in the journal)")
    kill = sub.add_parser("kill-switch", help="aws: disable every mapping, concurrency 0, purge")
    kill.add_argument("--stage", default=cli.DEFAULTS["stage"], help="the stack's stage")
    kill.add_argument("--release", action="store_true", help="remove the concurrency cap")
    kill.add_argument("--endpoint-url", help="send every call here")
    policy = sub.add_parser("operator-policy", help="aws: the operator's IAM policy (JSON)")
    policy.add_argument("--stage", default=cli.DEFAULTS["stage"], help="the stack's stage")
    sub.add_parser("scenarios", help="list the scenarios")
    check = sub.add_parser("validate", help="check the scenario file against the stack")
    check.add_argument("--stage", default=cli.DEFAULTS["stage"], help="the stack's stage")
    args = parser.parse_args(argv)
    if args.command == "scenarios":
        return cli.list_command(args.file, project=args.project)
    if args.command == "validate":
        return cli.validate_command(args.file, stage=args.stage, project=args.project)
    if args.command == "kill-switch":
        return cli.kill_switch_command(
            stage=args.stage,
            release=args.release,
            project=args.project,
            endpoint_url=args.endpoint_url,
        )
    if args.command == "operator-policy":
        return cli.operator_policy_command(stage=args.stage, project=args.project)
    return cli.scenario_command(
        args.name,
        backend=args.backend,
        stage=args.stage,
        sets=args.sets,
        params=args.params,
        sim=args.sim,
        seed=args.seed,
        dry=args.dry,
        file=args.file,
        results=args.results,
        project=args.project,
        allow_recursion=args.allow_recursion,
        endpoint_url=args.endpoint_url,
    )
