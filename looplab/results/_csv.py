"""runs.csv: one row per run, text cells made safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some strip a leading tab or carriage return first), so a DLQ body ``=HYPERLINK(...)`` would
be a live link, or worse, in the reader's Excel. OWASP's CSV-injection advice: prefix such a
text cell with a single quote, which spreadsheets show as text and do not display. Numbers
(``-1`` as an int, or text that is only a number, ``-1.5``) are left as they are: a
spreadsheet reads them as the numbers they are, and nothing runs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

from looplab.results._summary import RUNS_CSV_COLUMNS, RunSummary

__all__ = ["neutralise", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, quoted (``'=1+2``); anything else
    (numbers, other text) as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(runs: Iterable[RunSummary], out: IO[str]) -> None:
    """The runs.csv header and one row per run (columns: RUNS_CSV_COLUMNS), into ``out``."""
    writer = csv.DictWriter(out, fieldnames=list(RUNS_CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for run in runs:
        writer.writerow({k: neutralise(v) for k, v in run.row().items()})
