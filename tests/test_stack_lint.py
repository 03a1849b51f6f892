"""cfn-lint finds nothing (no errors, no warnings) in the compiled templates.

Informational findings (I-codes) are not configured on by default and are not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def lint(template: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    # The console script of the environment running pytest, not whatever is on PATH.
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--format", "json", "--", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip(), f"cfn-lint printed nothing (exit {proc.returncode}): {proc.stderr}"
    return json.loads(proc.stdout)


@pytest.mark.parametrize("which", ["default_template", "override_template"])
def test_cfn_lint_reports_no_errors_and_no_warnings(which, request, tmp_path):
    findings = lint(request.getfixturevalue(which), tmp_path)
    assert findings == [], "\n".join(
        f"{f['Rule']['Id']} {f['Level']}: {f['Message']} ({f['Location']['Path']})"
        for f in findings
    )


def test_the_lint_harness_does_report_findings(default_template, tmp_path):
    # Guards the test above against passing vacuously (wrong file, output format changed).
    broken = json.loads(json.dumps(default_template))
    broken["Resources"]["Queue"]["Properties"]["MessageRetentionPeriod"] = 30  # min is 60
    broken["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 2  # < function timeout
    assert {f["Level"] for f in lint(broken, tmp_path)} & {"Error", "Warning"}
