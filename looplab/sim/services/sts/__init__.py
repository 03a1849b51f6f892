"""STS (query protocol): GetCallerIdentity, the one call an experiment runner makes."""

from looplab.sim.services.sts.api import EXPERIMENTER_ROLE, StsApi

__all__ = ["EXPERIMENTER_ROLE", "StsApi"]
