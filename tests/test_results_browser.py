"""report.html opened in a real browser: headless Chromium (Debian's ``chromium``, which
.ci/run installs), driven over the DevTools protocol (tests/_support/chromium.py).

At 800 px wide: the page loads with no console error, requests nothing but itself and its
``data:`` images, every image decodes, the headline is the first table, and no table box
scrolls sideways (scrollWidth <= clientWidth). A control page that breaks each rule shows
the checks can fail. In CI a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from _support.chromium import chromium_path, open_page
from _support.runs import run_shipped

from looplab.results import collect

pytestmark = pytest.mark.browser

WIDTH = 800

# Run in the page: what a person at 800 px would notice, as data.
CHECKS = """
(async () => {
  const images = await Promise.all([...document.images].map(async (img) => {
    try { await img.decode(); } catch (e) { return {src: img.src.slice(0, 40), ok: false}; }
    return {src: img.src.slice(0, 40), ok: img.naturalWidth > 0 && img.naturalHeight > 0};
  }));
  const boxes = [...document.querySelectorAll("table")].map((t) => {
    const box = t.closest(".table-box") || t.parentElement;
    return {id: box.id, scroll: box.scrollWidth, client: box.clientWidth,
            head: t.querySelector("th") ? t.querySelector("th").textContent : ""};
  });
  const page = document.documentElement;
  return {images, boxes, pageScroll: page.scrollWidth, pageClient: page.clientWidth,
          firstTable: boxes.length ? boxes[0].head : null};
})()
"""


def _browser() -> None:
    if chromium_path() is None:
        message = "no chromium on PATH: .ci/run installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # a browser test that skips in CI would prove nothing
        pytest.skip(message)


def _open(path: Path, tmp_path: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    _browser()
    with open_page(path.as_uri(), width=WIDTH) as page:
        result = page.evaluate(CHECKS)
        page.screenshot(tmp_path / "page.png")  # for a person reading a failure
        return result, page.console_errors(), page.requests()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four post scenarios on the simulator, a --set run (its own table) and an aws
    run still pending (the AWS column): the widest report the post's runs make."""
    results = tmp_path_factory.mktemp("browser") / "results"
    for name in ("loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"):
        run_shipped(results, name)
    run_shipped(
        results,
        sets={"counter": "7"},
        overrides={"stack_params": {}, "simulator": {}, "sets": {"counter": "7"}},
    )
    [local] = sorted(results.glob("runs/*-loop-detection-local/journal.json"))[:1]
    doc = json.loads(local.read_text())
    doc["backend"] = "aws"
    doc["timeline"]["metrics"].update(pending=True, settle_at=4_102_444_800.0)
    folder = results / "runs" / "20261201T140000Z-loop-detection-aws"
    folder.mkdir()
    (folder / "journal.json").write_text(json.dumps(doc))
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped
    return results / "report.html"


def test_the_report_reads_at_800_px(report: Path, tmp_path: Path) -> None:
    result, errors, requests = _open(report, tmp_path)
    assert errors == []
    # Only the page itself and its embedded images: nothing from a network.
    assert [u for u in requests if not u.startswith(("data:", report.as_uri()))] == []
    assert len(result["images"]) == 5  # 4 scenarios on local + loop-detection on aws
    assert all(img["ok"] for img in result["images"]), result["images"]
    assert result["firstTable"] == "the post's run" and result["boxes"][0]["id"] == "headline"
    overflowing = [b for b in result["boxes"] if b["scroll"] > b["client"]]
    assert overflowing == [], overflowing
    assert result["pageScroll"] <= result["pageClient"]
    assert len(result["boxes"]) >= 10


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """A page that breaks every rule: each check says so (they are not rubber stamps)."""
    page = tmp_path / "bad.html"
    wide = "x" * 400
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<div class='table-box' id='first'><table><tr><th>not the headline</th>"
        f"<td style='white-space:nowrap'>{wide}</td></tr></table></div>"
        "<img src='data:image/png;base64,bm90IGEgcG5n'>"
        "<img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom')</script></body></html>"
    )
    result, errors, requests = _open(page, tmp_path)
    assert any("boom" in e for e in errors)
    assert "http://127.0.0.1:9/x.png" in requests
    assert [img["ok"] for img in result["images"]] == [False, False]
    assert result["firstTable"] == "not the headline"
    assert result["boxes"][0]["scroll"] > result["boxes"][0]["client"]


def test_the_report_opens_from_a_copy_elsewhere(report: Path, tmp_path: Path) -> None:
    """Self-contained: the file alone, moved away from results/, shows every image."""
    copy = tmp_path / "mailed" / "report.html"
    copy.parent.mkdir()
    shutil.copy(report, copy)
    result, errors, _ = _open(copy, tmp_path)
    assert errors == [] and all(img["ok"] for img in result["images"])
