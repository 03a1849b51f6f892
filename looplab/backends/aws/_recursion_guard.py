"""Rail: loop protection is turned off only when asked twice, and always turned back on.

RecursiveLoop Allow is refused without ``--allow-recursion``. A function this run set to
Allow is set back to Terminate after ``finally`` (also after Ctrl-C or SIGTERM, when the
scenario's own finally could not), and the journal records the state it was left in.
"""

from __future__ import annotations

from looplab.backends.base import BackendError

__all__ = ["RecursionGuard", "RecursionRefused"]


class RecursionRefused(BackendError):
    pass


class RecursionGuard:
    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.allowed: set[str] = set()  # functions this run left at Allow so far
        # function -> RecursiveLoop as deployed, read when the backend opened: a function
        # deployed at Allow (only with --allow-recursion) is left as deployed by finish().
        self.deployed: dict[str, str] = {}

    def check(self, function: str, mode: str) -> None:
        if mode == "Allow" and not self.allow:
            raise RecursionRefused(
                f"refusing RecursiveLoop Allow on {function}: it turns Lambda's loop protection "
                "off in a real account, and nothing but the handler's cap stops the loop; "
                "pass --allow-recursion to mean it"
            )

    def applied(self, function: str, mode: str) -> None:
        if mode == "Allow":
            self.allowed.add(function)
        else:
            self.allowed.discard(function)
