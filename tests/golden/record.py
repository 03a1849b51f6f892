"""Record the golden runs: ``python tests/golden/record.py [NAME ...]`` (default: every
shipped scenario) writes tests/data/golden/<NAME>.json from a fresh run of each.

Re-recording is a deliberate act: do it only when a change of behaviour is intended, and
have the diff of tests/data/golden/ reviewed with the change (docs/design.md, "Behaviour
kept across refactors"). The test that compares is tests/test_golden_journals.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

# This checkout's looplab (not another one an editable install points at), and tests/ for
# _support, as pytest sees them.
_HERE = Path(__file__).resolve()
sys.path[:0] = [str(_HERE.parents[2]), str(_HERE.parents[1])]

from _support.golden import (  # noqa: E402 (the path above first)
    GOLDEN_DIR,
    ROOT,
    dump,
    golden_path,
    run_golden,
    scenario_names,
)


def main(argv: list[str]) -> int:
    shipped = scenario_names()
    names = argv or shipped
    unknown = [n for n in names if n not in shipped]
    if unknown:
        print(f"error: not in scenarios.yaml: {', '.join(unknown)} (one of: {', '.join(shipped)})")
        return 2
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"golden-{name}-") as results:
            text = dump(run_golden(name, Path(results)))
        path = golden_path(name)
        state = "unchanged" if path.is_file() and path.read_text() == text else "written"
        path.write_text(text)
        print(f"{state:9}  {path.relative_to(ROOT)}")
    stale = sorted(p.name for p in GOLDEN_DIR.glob("*.json") if p.stem not in shipped)
    if stale:
        print(f"note: recordings of scenarios no longer shipped (remove them): {', '.join(stale)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
