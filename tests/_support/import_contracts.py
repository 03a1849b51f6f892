"""An import-linter contract type: a ``_private`` module belongs to the package it is in.

``looplab.sim._x`` may be imported from inside ``looplab.sim`` only; ``looplab._files``
from anywhere in ``looplab``. import-linter's own contract types match whole module names,
so this rule (every package, every private module, present and future) needs its own type.
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, output


def _owner(module: str) -> str | None:
    """The package that owns ``module``'s first private part, or None when none is private."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    return None


class PrivateModules(Contract):
    type_name = "private"

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        violations = []
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                owner = _owner(imported)
                if owner is None or importer == owner or importer.startswith(owner + "."):
                    continue
                lines = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"line {d['line_number']}" for d in lines) or "?"
                violations.append(f"{importer} imports {imported} ({where})")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"- {violation}")
            output.new_line()
