"""STS (query protocol): GetCallerIdentity, the one call an experiment runner makes; its
API (``api``) and how it joins the simulator (``service``)."""

from looplab.sim.services.sts.api import EXPERIMENTER_ROLE, StsApi
from looplab.sim.services.sts.service import SERVICE, StsPart

__all__ = ["EXPERIMENTER_ROLE", "SERVICE", "StsApi", "StsPart"]
