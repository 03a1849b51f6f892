"""collect-results on journals the shipped scenarios make on the simulator.

The four scenarios run once per module with the local backend (as `invoke scenario`
would); every test collects from a copy of their results folder.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.backends import local
from looplab.journal import read_journal
from looplab.results import RUNS_CSV_COLUMNS, collect, plot_data
from looplab.results._plot import step_labels
from looplab.results.cli import collect_command

ROOT = Path(__file__).parent.parent
NAMES = ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("made")
    for name in NAMES:
        run_shipped(results, name)
    return results


@pytest.fixture(scope="module")
def collected(made: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The made runs, collected once (drawing four timelines costs seconds)."""
    copy = tmp_path_factory.mktemp("collected") / "results"
    shutil.copytree(made, copy)
    outcome = collect(copy, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped and len(outcome.plotted) == 4
    return copy


@pytest.fixture
def results(collected: Path, tmp_path: Path) -> Path:
    """A private copy of the collected folder (its cache included), for tests that add to
    it or collect again."""
    copy = tmp_path / "results"
    shutil.copytree(collected, copy)
    return copy


def journal_of(results: Path, scenario: str) -> Path:
    [path] = results.glob(f"runs/*-{scenario}-local/journal.json")
    return path


def rows(results: Path) -> dict[str, dict[str, str]]:
    with open(results / "runs.csv", newline="") as f:
        return {r["scenario"]: r for r in csv.DictReader(f)}


def test_runs_csv_is_exact_for_the_shipped_scenarios(collected: Path) -> None:
    results = collected
    with open(results / "runs.csv", newline="") as f:
        assert tuple(next(csv.reader(f))) == RUNS_CSV_COLUMNS
    got = {
        name: {
            k: r[k]
            for k in (
                "status",
                "invocations",
                "errors",
                "drops",
                "stopped_at",
                "dlq_body",
                "dlq_in_flight",
                "log_streams",
                "expectations_passed",
                "expectations_total",
                "simulated_seconds",
                "pending",
            )
        }
        for name, r in rows(results).items()
    }
    assert got == {
        "loop-detection": {
            "status": "completed",
            "invocations": "16",
            "errors": "0",
            "drops": "1",
            "stopped_at": "21",
            "dlq_body": "",
            "dlq_in_flight": "0",
            "log_streams": "2",
            "expectations_passed": "5",
            "expectations_total": "5",
            "simulated_seconds": "60.0",
            "pending": "no",
        },
        "dlq-capture": {
            "status": "completed",
            "invocations": "16",
            "errors": "0",
            "drops": "1",
            "stopped_at": "21",
            "dlq_body": '{"counter": 21}',
            "dlq_in_flight": "0",
            "log_streams": "2",
            "expectations_passed": "4",
            "expectations_total": "4",
            "simulated_seconds": "120.0",
            "pending": "no",
        },
        "dlq-reconnect": {
            "status": "completed",
            "invocations": "16",
            "errors": "0",
            "drops": "21",
            "stopped_at": "21",
            "dlq_body": "",
            "dlq_in_flight": "1",
            "log_streams": "2",
            "expectations_passed": "8",
            "expectations_total": "8",
            "simulated_seconds": "632.0",
            "pending": "no",
        },
        "protection-off": {
            "status": "completed",
            "invocations": "996",
            "errors": "0",
            "drops": "0",
            "stopped_at": "1000",
            "dlq_body": "",
            "dlq_in_flight": "0",
            "log_streams": "2",
            "expectations_passed": "4",
            "expectations_total": "4",
            "simulated_seconds": "63.0",
            "pending": "no",
        },
    }


def test_the_report_sets_the_post_beside_the_simulator(collected: Path) -> None:
    md = (collected / "report.md").read_text()
    local = "the local simulator"
    for line in (
        f"| invocations | 16 | {local} | 16 | same | 1 completed |",
        f"| stopped at (last counter sent) | 21 | {local} | 21 | same | 1 completed |",
        f"| DLQ body counter | 26 | {local} | 21 | -5 (21 vs 26) | 1 completed |",
        f"| log streams | 2 | {local} | 2 | same | 1 completed |",
        f"| DLQ messages in flight | stuck (1) | {local} | 1 | same (stuck in flight) "
        "| 1 completed |",
        f"| recursive invocations dropped | > 0 | {local} | 21 | same (> 0) | 1 completed |",
    ):
        assert line in md, line
    # Scenarios in the post's order of experiments, after the headline.
    order = [
        md.index(f"## {n}")
        for n in ("loop-detection", "dlq-capture", "dlq-reconnect", "protection-off")
    ]
    assert order == sorted(order) and md.index("| the post's run |") < order[0]


def test_the_report_opens_with_the_posts_four_runs_in_its_order(collected: Path) -> None:
    md = (collected / "report.md").read_text()
    assert "“Testing AWS Lambda Infinite Loop Protection” (21 July 2023)" in md
    table = md[md.index("| the post's run |") :].split("\n\n")[0].splitlines()
    assert table == [
        "| the post's run | what the post saw | the local simulator | same / different | status |",
        "| --- | --- | --- | --- | --- |",
        "| 1. The loop | stopped after 16 invocations, last counter 21 | invocations 16; "
        "stopped at 21; errors 0; dropped 1; log streams 2 | same | the local simulator: "
        "1 completed |",
        '| 2. With a DLQ | after 120 s the DLQ held {"counter": 26} | DLQ counter 21; '
        "errors 0 | differs: DLQ counter -5 (21 vs 26) | the local simulator: 1 completed |",
        "| 3. The DLQ as a second trigger | stopped the same way; the DLQ message stuck in "
        "flight | DLQ in flight 1; invocations 16; dropped 21 | same | the local simulator: "
        "1 completed |",
        "| 4. Protection off | not testable in 2023 (AWS Support only) | last counter 1000; "
        "dropped 0 | new: the post could not test it | the local simulator: 1 completed |",
    ]
    # No AWS column without aws runs; the first table of the page is this one.
    assert md.index("| the post's run |") == md.index("|")


def test_the_loop_detection_timeline(made: Path) -> None:
    record = read_journal(journal_of(made, "loop-detection"))
    tl = record.timeline
    assert tl.invocations_total == len(tl.invocations) == 16
    assert [i.received for i in tl.invocations] == list(range(5, 21))
    sent = [i.sent for i in tl.invocations]
    assert sent == list(range(6, 22)) and all(a < b for a, b in itertools.pairwise(sent))
    assert {i.source for i in tl.invocations} == {"Queue"}
    assert {i.function for i in tl.invocations} == {"RecursiveLambdaFunction"}
    assert len({i.stream for i in tl.invocations}) == 2  # the post's two log streams
    assert tl.drops_exact and len(tl.drops) == tl.drops_total == 1
    assert tl.drops[0].t > tl.invocations[-1].t and tl.drops[0].source == "Queue"
    assert record.definition["backend"]["simulator"]["recursion_threshold"] == 16
    assert record.definition["template_sha256"] and len(record.definition["template_sha256"]) == 64
    assert record.definition["stack"]["queues"]["Queue"]["max_receive_count"] == 1
    data = plot_data(record)
    assert data.per_invocation and data.drops_exact
    assert [n for _, n in data.invocations["RecursiveLambdaFunction"]] == list(range(1, 17))
    assert [c for _, c in data.counter] == list(range(6, 22))
    assert data.drops == {"RecursiveLambdaFunction": [(tl.drops[0].t, 1)]}
    assert [k for _, k in data.steps] == ["purge", "seed", "wait", "snapshot", "expect"]
    # purge, seed and wait start within the same instant: one label on the time axis
    labels = [label for _, label in step_labels(data.steps, data.end)]
    assert labels == ["purge, seed, wait", "snapshot, expect"]
    assert set(data.queues) == {"Queue", "DeadLetterQueue"}
    # The zoomed panels span the chain: its first invocation to its stop.
    assert data.zoom is not None
    assert data.zoom[0] <= tl.invocations[0].t and data.zoom[1] >= tl.drops[0].t
    assert data.zoom[1] - data.zoom[0] < 3  # seconds, of a 60 s run
    # Queue depths change at the events that changed them: the stopped message is in
    # flight from the chain's last event on Queue (its stop at 1.567 s, or the end of the
    # 16th invocation, deleting its message, if later), not from the next reading (5 s);
    # it reaches the DLQ at the reading that saw it (a redrive is logged by no event).
    last = tl.invocations[-1]
    chain_end = max(tl.drops[0].t, last.t + (last.duration_ms or 0) / 1000)
    queue, dlq = data.queues["Queue"], data.queues["DeadLetterQueue"]
    assert queue["in_flight"][:2] == [(0.0, 0.0), (chain_end, 1.0)] and chain_end < 2
    assert queue["visible"][:2] == [(0.0, 1.0), (chain_end, 0.0)]
    assert dlq["visible"][:2] == [(0.0, 0.0), (32.0, 1.0)]


def test_the_png_is_a_sensible_image(collected: Path) -> None:
    png = journal_of(collected, "loop-detection").parent / "timeline.png"
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1000, 1100)
    assert 20_000 < png.stat().st_size < 1_000_000


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster") and value is not None:
                self.refs.append((tag, name, value))


def test_the_html_is_self_contained(collected: Path) -> None:
    text = (collected / "report.html").read_text()
    parser = _Refs()
    parser.feed(text)
    parser.close()
    images = [v for tag, _, v in parser.refs if tag == "img"]
    assert len(images) == 4  # one timeline per scenario
    assert all(v.startswith("data:image/png;base64,") for v in images)
    # data: images, and links within the page: nothing else is referenced
    assert [r for r in parser.refs if not r[2].startswith(("data:", "#"))] == []
    assert "link" not in parser.tags and "script" not in parser.tags
    assert "@import" not in text and "url(" not in text
    # the headline, a comparison and a run table per scenario, and the Loop shapes table
    assert text.count("<table>") == 10
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_collecting_never_changes_a_journal(results: Path) -> None:
    before = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in results.glob("runs/*/journal.json")
    }
    collect(results, cloudwatch=None)
    collect(results, cloudwatch=None)
    after = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in results.glob("runs/*/journal.json")
    }
    assert before == after


def test_a_second_collect_redraws_only_changed_journals(results: Path) -> None:
    again = collect(results, cloudwatch=None)
    assert again.plotted == [] and len(again.runs) == 4
    touched = journal_of(results, "dlq-capture")
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    third = collect(results, cloudwatch=None)
    assert third.plotted == [touched.parent.name]
    # Without the cache, a plot newer than its journal is kept; an older one redrawn.
    (results / ".collect-cache.json").unlink()
    png = journal_of(results, "loop-detection").parent / "timeline.png"
    os.utime(png, ns=(png.stat().st_atime_ns, 10**9))
    fourth = collect(results, cloudwatch=None)
    assert fourth.plotted == [png.parent.name]


def _running(doc: dict[str, Any], pid: int) -> dict[str, Any]:
    doc = dict(doc, status="running", phase="steps", ended_at=None, pid=pid)
    return doc


def test_bad_running_and_dead_journals_are_named_not_fatal(results: Path) -> None:
    base = json.loads(journal_of(results, "loop-detection").read_text())
    runs = results / "runs"
    cases = {
        "truncated": journal_of(results, "dlq-capture").read_text()[:300],
        "future": json.dumps(dict(base, schema_version=3)),
        "hand-edited": json.dumps(dict(base, status=7)),
        "live": json.dumps(_running(base, os.getpid())),
        "dead": json.dumps(_running(base, 2**22 + 12345)),  # above pid_max's default
    }
    for name, text in cases.items():
        folder = runs / f"20990101T000000Z-{name}-local"
        folder.mkdir()
        (folder / "journal.json").write_text(text)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0
    skipped = dict(outcome.skipped)
    assert set(skipped) == {
        f"runs/20990101T000000Z-{n}-local/journal.json"
        for n in ("truncated", "future", "hand-edited")
    }
    assert "not valid JSON" in skipped["runs/20990101T000000Z-truncated-local/journal.json"]
    assert "schema_version 3" in skipped["runs/20990101T000000Z-future-local/journal.json"]
    status = {r.run: r.status for r in outcome.runs}
    assert status["20990101T000000Z-live-local"] == "running"
    assert status["20990101T000000Z-dead-local"] == "dead"
    md = (results / "report.md").read_text()
    assert "running (process gone)" in md and "schema_version 3" in md


def test_empty_and_unreadable_folders_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert collect_command(tmp_path) == 2
    assert "no journals under" in capsys.readouterr().err
    folder = tmp_path / "runs" / "x"
    folder.mkdir(parents=True)
    (folder / "journal.json").write_text("{")
    assert collect_command(tmp_path) == 2
    err = capsys.readouterr().err
    assert "skipped" in err and "no journal could be read" in err
    assert not (tmp_path / "report.md").exists()


def test_filters_and_out(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    outcome = collect(results, scenario="dlq-capture", out=out, cloudwatch=None)
    assert [r.scenario for r in outcome.runs] == ["dlq-capture"]
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
        "runs.csv",
    ]
    none = collect(results, backend="aws", cloudwatch=None)
    assert none.exit_code == 2 and "the journals hold: dlq-capture on local" in none.message
    from looplab.results import parse_since

    assert collect(results, since=parse_since("2099-01-01"), cloudwatch=None).exit_code == 2
    assert collect(results, since=parse_since("2000-01-01"), cloudwatch=None).exit_code == 0
    with pytest.raises(ValueError, match="--since 'yesterday' is not a date"):
        parse_since("yesterday")


def test_an_unwritable_out_is_exit_2_not_a_traceback(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert collect_command(results, out=blocker / "report") == 2
    assert "cannot write to" in capsys.readouterr().err


def test_the_local_backend_knows_each_drop_and_still_feeds_the_event_log() -> None:
    import io

    from looplab.stack import load_stack

    stack = load_stack(ROOT, stage="dev")
    log = io.StringIO()
    backend = local.LocalBackend(stack, seed=0, event_log=log)
    try:
        start = backend.now()
        backend.seed("Queue", '{"counter": 5}')
        backend.advance(60)
        [drop] = backend.dropped_invocations(start)
        assert (drop.function, drop.source) == ("RecursiveLambdaFunction", "Queue")
        assert backend.dropped_invocations(start, drop.timestamp - 0.001) == []
        assert f"{drop.timestamp:.6f}\tdrop\tRecursiveLambdaFunction from Queue" in log.getvalue()
        assert "\tinvoke\t" in log.getvalue()  # every other event still reaches the caller
        events = list(backend.log_events(start))
        assert {e.function for e in events} == {"RecursiveLambdaFunction"}
        assert sum(e.message.startswith("START ") for e in events) == 16
        assert backend.describe()["simulator"]["recursion_threshold"] == 16
    finally:
        backend.close()
