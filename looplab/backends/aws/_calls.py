"""The boto3 translation: one place where every AWS call is made and every failure named.

Each call names its action and the resource it touches, so a failure reads
"lambda:UpdateEventSourceMapping on <uuid>: access denied ... fix: ...", never a bare
botocore traceback. Clients use botocore's standard retry mode (throttling and transient
errors are retried with backoff before they surface here).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from looplab.backends.base import BackendError

__all__ = ["SERVICES", "AwsCallError", "Calls"]

# Every service a call goes to (cloudformation: the kill switch checks the record against it).
SERVICES = ("sqs", "lambda", "cloudwatch", "logs", "sts", "sns", "s3", "cloudformation")

# AWS's own endpoint hosts (commercial, China, the dual-stack api.aws names).
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"}
# SNS answers AuthorizationError (HTTP 403) where the other services say AccessDenied.
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
}


class AwsCallError(BackendError):
    """An AWS call failed; ``code`` is AWS's error code (or the botocore error's name)."""

    def __init__(self, message: str, code: str, action: str, resource: str) -> None:
        super().__init__(message)
        self.code = code
        self.action = action
        self.resource = resource


class Calls:
    """boto3 clients for one account/region/endpoint, and the call wrapper."""

    def __init__(
        self,
        session: Any,
        *,
        region: str,
        endpoint_url: str | None = None,
        max_attempts: int = 5,
        stage: str = "dev",
        clients: dict[str, Any] | None = None,
        configured_region: str | None = None,
        region_origin: str = "given",
    ) -> None:
        """``region``: the clients' region (the stack record's). ``configured_region``: what
        the user's configuration resolves to (None: none configured), judged by the guard."""
        self.session = session
        self.region = region
        self.configured_region = region if region_origin == "given" else configured_region
        self.region_origin = region_origin
        self.endpoint_url = endpoint_url
        self.stage = stage
        self._config = Config(
            region_name=region,
            retries={"mode": "standard", "max_attempts": max_attempts},
            # ReceiveMessage long-polls up to 20 s: the read timeout must exceed it.
            read_timeout=30,
            connect_timeout=10,
        )
        self._clients: dict[str, Any] = dict(clients or {})

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {"config": self._config}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            try:
                self._clients[service] = self.session.client(service, **kwargs)
            except NoRegionError as exc:  # pragma: no cover - region is always given
                raise BackendError(f"no AWS region for {service}: {exc}") from exc
        return self._clients[service]

    def endpoints(self) -> dict[str, str]:
        """Each service's real endpoint, as botocore resolved it (global override,
        AWS_ENDPOINT_URL_<SERVICE>, a profile's endpoint_url or services section)."""
        return {s: str(self.client(s).meta.endpoint_url) for s in SERVICES}

    def emulated(self, service: str) -> bool:
        """True when ``service``'s client does not talk to AWS's own endpoints."""
        host = urlparse(str(self.client(service).meta.endpoint_url)).hostname or ""
        return not host.endswith(_AWS_HOSTS)

    def __call__(self, service: str, operation: str, resource: str, **params: Any) -> Any:
        """Run ``service:operation`` on ``resource``; raise AwsCallError with a fix."""
        action = f"{service}:{operation}"
        try:
            method = getattr(self.client(service), xform_name(operation))
            return method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            raise AwsCallError(
                self._explain(action, resource, code, str(error.get("Message", ""))),
                code,
                action,
                resource,
            ) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise AwsCallError(
                f"{action} on {resource}: no usable AWS credentials ({exc}); fix: configure "
                "them (aws configure, AWS_PROFILE, or aws sso login) and run again",
                type(exc).__name__,
                action,
                resource,
            ) from exc
        except BotoCoreError as exc:
            raise AwsCallError(
                f"{action} on {resource}: {type(exc).__name__}: {exc}",
                type(exc).__name__,
                action,
                resource,
            ) from exc

    def _explain(self, action: str, resource: str, code: str, message: str) -> str:
        head = f"{action} on {resource}: {code}: {message}".rstrip(": ")
        if code in _EXPIRED:
            return (
                f"{head}; the credentials expired or are invalid: refresh them (aws sso login, "
                f"or new keys), then make sure nothing is left running: "
                f"invoke kill-switch --stage {self.stage}"
            )
        if code in _DENIED:
            return (
                f"{head}; access denied: attach the operator policy "
                f"(invoke operator-policy --stage {self.stage}, see docs/aws.md)"
            )
        if code in _THROTTLED:
            return f"{head}; AWS throttled the call even after retries: wait and run again"
        return head
