"""import-linter contract types for rules its own types cannot say (they match whole
module names, and a wildcard only whole name parts).

- ``private``: a ``_private`` module belongs to the package it is in. ``looplab.sim._x`` may
  be imported from inside ``looplab.sim`` only; ``looplab._files`` from anywhere in
  ``looplab`` (every package, every private module, present and future).
- ``services``: a simulator service folder imports another service only through its
  package's names, and of the kernel only its shared parts (every folder, present and
  future).
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, fields, output


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


class ServiceFolders(Contract):
    """A service folder of ``container`` imports another service only through that one's
    package (the names its ``__init__`` exports), never its modules; and of the rest of
    ``scope`` only the kernel's ``shared`` parts (and what lies in them), never the kernel
    itself. A service folder is a package directly in ``container`` whose name has no
    leading underscore (known by its modules: every folder has its ``service.py``), so a
    new folder is covered without a line here."""

    type_name = "services"

    container = fields.StringField()
    scope = fields.StringField()
    shared = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        container, scope = str(self.container), str(self.scope)
        shared = [str(module) for module in self.shared]  # type: ignore[attr-defined]
        folders = {
            child
            for child in graph.find_children(container)
            if not child.rsplit(".", 1)[1].startswith("_") and graph.find_children(child)
        }

        def folder_of(module: str) -> str | None:
            return next((f for f in folders if module == f or module.startswith(f + ".")), None)

        violations = []
        for importer in sorted(graph.modules):
            own = folder_of(importer)
            if own is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other = folder_of(imported)
                if other == own or imported in (other, container):
                    continue  # its own folder, another service's or the services' names
                if other is not None:
                    why = f"a module of another service: import from {other}"
                elif imported != scope and not imported.startswith(scope + "."):
                    continue  # outside the simulator: the layers' business
                elif any(imported == s or imported.startswith(s + ".") for s in shared):
                    continue
                else:
                    why = "not one of the kernel's parts a service may use"
                lines = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"line {d['line_number']}" for d in lines) or "?"
                violations.append(f"{importer} imports {imported} ({where}): {why}")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"- {violation}")
            output.new_line()
