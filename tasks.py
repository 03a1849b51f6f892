"""invoke tasks: thin wrappers; every task is a few lines calling looplab.

Run ``invoke --list`` for the tasks and ``invoke --help TASK`` for their arguments.
"""

from __future__ import annotations

from invoke import task


@task(
    help={
        "stage": "Stage to deploy (default: dev)",
        "region": "AWS region (default: eu-central-1)",
        "param": "A stack parameter as key=value, e.g. dlqTrigger=true (repeatable)",
    },
    iterable=["param"],
)
def deploy(c, stage="dev", region="eu-central-1", param=None):
    """Deploy the experiment stack to AWS with osls (npx sls deploy)."""
    from looplab.deploy import deploy as run_deploy

    run_deploy(c, stage=stage, region=region, params=param or [])


@task(help={"stage": "Stage to remove (default: dev)", "region": "AWS region"})
def remove(c, stage="dev", region="eu-central-1"):
    """Remove the experiment stack (the plugin disables every mapping first)."""
    from looplab.deploy import remove as run_remove

    run_remove(c, stage=stage, region=region)
