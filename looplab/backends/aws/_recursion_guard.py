"""Rail: loop protection is turned off only when asked twice, and always turned back on.

RecursiveLoop Allow is refused without ``--allow-recursion``. The intent is recorded before
PutFunctionRecursionConfig is sent (AWS may apply a Put whose reply is lost: a timeout, a
Ctrl-C, a crash), so a function this run may have set to Allow is set back to Terminate
after ``finally`` (also after Ctrl-C or SIGTERM, when the scenario's own finally could
not), and the journal records each Put asked, whether a Get confirmed it, and the state
each function was left in.
"""

from __future__ import annotations

from typing import Any

from looplab.backends.base import BackendError

__all__ = ["RecursionGuard", "RecursionRefused"]


class RecursionRefused(BackendError):
    pass


class RecursionGuard:
    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.allowed: set[str] = set()  # functions this run may have left at Allow so far
        # function -> RecursiveLoop as deployed, read when the backend opened: a function
        # deployed at Allow (only with --allow-recursion) is left as deployed by finish().
        self.deployed: dict[str, str] = {}
        # Every Put this run asked, in order, and whether a Get confirmed it (the journal's).
        self.history: list[dict[str, Any]] = []

    def check(self, function: str, mode: str) -> None:
        if mode == "Allow" and not self.allow:
            raise RecursionRefused(
                f"refusing RecursiveLoop Allow on {function}: it turns Lambda's loop protection "
                "off in a real account, and nothing but the handler's cap stops the loop; "
                "pass --allow-recursion to mean it"
            )

    def intend(self, function: str, mode: str) -> None:
        """Before the Put: from here on, an Allow counts as possibly applied."""
        self.history.append({"function": function, "mode": mode, "confirmed": False})
        if mode == "Allow":
            self.allowed.add(function)

    def confirmed(self, function: str, mode: str) -> None:
        """After a Get read ``mode`` back: a confirmed Terminate needs no restore."""
        if mode != "Allow":
            self.allowed.discard(function)
        for entry in reversed(self.history):
            if entry["function"] == function and entry["mode"] == mode:
                entry["confirmed"] = True
                break
