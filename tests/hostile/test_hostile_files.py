"""Files looplab writes and reads, with something planted where it writes or reads (issue 18).

Writes: a symlink planted at a temporary name looplab used (``.timeline.png.tmp``, fixed;
``.<name>.<pid>.tmp``, guessable) or at a plausible one must never redirect a write: the
file the link points to stays as it was. Reads: a FIFO, ``/dev/zero`` (or a symlink to it),
a file larger than its kind's limit, JSON nested 1,000 deep: each is a named problem (or,
for a cache, ignored), never a hang, unbounded memory or a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from _support.runs import run_shipped
from test_results_aws import Counted, aws_journal

from looplab import _files
from looplab.backends.aws._record import StackRecord, StackRecordError, record_path
from looplab.cli import deploy
from looplab.engine._journal import Journal
from looplab.results import COLLECTED_NAME, collect
from looplab.stack import _package

PNG = b"\x89PNG\r\n\x1a\n"
PRECIOUS = "precious: looplab must never write here\n"
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One loop-detection run on the simulator, never collected (no plot, no cache)."""
    results = tmp_path_factory.mktemp("made") / "results"
    run_shipped(results)
    return results


@pytest.fixture
def results(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(made, copy)
    return copy


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(PRECIOUS)
    return path


def plant(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def run_folder(results: Path) -> Path:
    [folder] = [p.parent for p in results.glob("runs/*/journal.json")]
    return folder


# -- writes ---------------------------------------------------------------------------------


def test_collect_never_writes_through_a_planted_symlink(
    results: Path, victim: Path, tmp_path: Path
) -> None:
    run = run_folder(results)
    pid = os.getpid()
    links = [
        plant(run / ".timeline.png.tmp", victim),  # the plot's old, fixed temporary name
        *(
            plant(results / f".{name}.{pid}.tmp", victim)
            for name in ("report.md", "report.html", "runs.csv", ".collect-cache.json")
        ),
        plant(run / f".timeline.png.{pid}.tmp", victim),
    ]
    # The targets themselves as symlinks: replaced, never written through.
    other = tmp_path / "other.txt"
    other.write_text(PRECIOUS)
    plant(results / "report.md", other)
    plant(run / "timeline.png", other)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0, outcome.message
    assert victim.read_text() == PRECIOUS and other.read_text() == PRECIOUS
    assert (run / "timeline.png").read_bytes()[:8] == PNG
    assert "# looplab results" in (results / "report.md").read_text()
    assert not (results / "report.md").is_symlink()
    assert all(link.is_symlink() for link in links)  # left alone, not followed
    leftovers = [p.name for p in results.rglob("*.tmp") if not p.is_symlink()]
    assert leftovers == []


def test_settle_never_writes_through_a_planted_symlink(tmp_path: Path, victim: Path) -> None:
    journal = aws_journal(tmp_path / "results")
    plant(journal.parent / f".{COLLECTED_NAME}.{os.getpid()}.tmp", victim)
    outcome = collect(tmp_path / "results", cloudwatch=Counted())
    assert outcome.exit_code == 0 and outcome.pending == []
    assert victim.read_text() == PRECIOUS
    assert json.loads((journal.parent / COLLECTED_NAME).read_text())["ok"] is True


def test_the_journal_never_writes_through_a_planted_symlink(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "run"
    plant(folder / f".journal.json.{os.getpid()}.tmp", victim)
    journal = Journal(folder, {"status": "running"})
    journal.write()
    journal.doc["status"] = "completed"
    journal.write()
    assert victim.read_text() == PRECIOUS
    assert json.loads(journal.path.read_text()) == {"status": "completed"}


def test_a_shapes_config_copy_never_writes_through_a_planted_symlink(
    tmp_path: Path, victim: Path
) -> None:
    project = tmp_path / "project"
    source = project / deploy.config_for_shape("sns")
    source.parent.mkdir(parents=True)
    source.write_text("service: looplab-sns\n")
    link = plant(project / f".looplab-{source.name}", victim)
    with deploy._root_config(project, "sns") as name:
        assert (project / name).read_text() == "service: looplab-sns\n"
        assert not (project / name).is_symlink()
    assert victim.read_text() == PRECIOUS
    assert not link.exists() and not link.is_symlink()  # removed after the command
    work = tmp_path / "work"
    plant(work / ".looplab-sns.yml", victim)
    (work / "stacks").mkdir()
    (work / "stacks" / "sns.yml").write_text("service: looplab-sns\n")
    name = _package.config_at_root(work, "stacks/sns.yml")
    assert (work / name).read_text() == "service: looplab-sns\n"
    assert victim.read_text() == PRECIOUS


def test_the_compile_cache_builds_in_a_folder_nobody_could_plant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary build folder was ``<key>.tmp-<pid>``: a folder (or symlink to one)
    planted there would have received the private copy of the project."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "serverless.yml").write_text("service: looplab\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    key = _package._input_hash(project, "dev", "us-east-1", {}, "serverless.yml")
    cache = project / ".looplab" / "compiled"
    cache.mkdir(parents=True)
    plant(cache / f"{key}{_package._TEMP}{os.getpid()}", elsewhere)
    used: list[Path] = []

    def fake_sls(project_dir: Path, work: Path, out: Path, *args: object) -> None:
        used.append(work)
        out.mkdir(parents=True)
        (out / _package.TEMPLATE_NAME).write_text("{}")

    monkeypatch.setattr(_package, "_run_sls_package", fake_sls)
    out = _package.compiled_template(project, "dev", "us-east-1")
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in used] == ["project"] and elsewhere not in used[0].parents
    assert (out / _package.TEMPLATE_NAME).read_text() == "{}"


# -- reads ----------------------------------------------------------------------------------


def hostile(kind: str, path: Path) -> None:
    """Make ``path`` a FIFO, a symlink to /dev/zero, or JSON nested 1,000 deep."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.write_text(DEEP)


KINDS = ["fifo", "dev-zero", "deep"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_collect_cache_is_ignored(results: Path, kind: str) -> None:
    hostile(kind, results / ".collect-cache.json")
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and outcome.skipped == [], outcome.skipped
    assert len(outcome.runs) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_collected_json_is_fetched_again(tmp_path: Path, kind: str) -> None:
    journal = aws_journal(tmp_path / "results")
    hostile(kind, journal.parent / COLLECTED_NAME)
    factory = Counted()
    outcome = collect(tmp_path / "results", cloudwatch=factory)
    assert outcome.exit_code == 0 and outcome.pending == [] and factory.calls == 1
    assert json.loads((journal.parent / COLLECTED_NAME).read_text())["ok"] is True


def test_a_journal_nested_1000_deep_is_named_and_the_rest_collected(results: Path) -> None:
    bad = results / "runs" / "20990101T000000Z-deep-local" / "journal.json"
    hostile("deep", bad)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and len(outcome.runs) == 1
    [(path, problem)] = outcome.skipped
    assert path == "runs/20990101T000000Z-deep-local/journal.json"
    assert "nested deeper than 100 levels" in problem


def test_a_journal_past_its_limit_is_not_read(results: Path) -> None:
    bad = results / "runs" / "20990101T000000Z-huge-local" / "journal.json"
    bad.parent.mkdir(parents=True)
    with open(bad, "wb") as f:  # sparse: costs no disk, reading it would cost 1 GiB
        f.truncate(1 << 30)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and len(outcome.runs) == 1
    [(_, problem)] = outcome.skipped
    assert "larger than 67,108,864 bytes (64 MiB), the most a journal may be" in problem


@pytest.mark.parametrize("kind", ["dev-zero", "huge"])
def test_a_hostile_timeline_png_is_redrawn_not_read_whole(results: Path, kind: str) -> None:
    collect(results, cloudwatch=None)  # drawn and cached
    png = run_folder(results) / "timeline.png"
    stamp = png.stat().st_mtime_ns
    png.unlink()
    if kind == "huge":
        with open(png, "wb") as f:
            f.truncate(1 << 30)
    else:
        png.symlink_to("/dev/zero")
    os.utime(png, ns=(stamp, stamp), follow_symlinks=False)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0
    html = (results / "report.html").read_text()
    assert len(html) < 2_000_000
    assert png.read_bytes()[:8] == PNG  # drawn again, in place of what was there


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_stack_record_is_a_clear_error(tmp_path: Path, kind: str) -> None:
    path = record_path(tmp_path, "dev")
    hostile(kind, path)
    with pytest.raises(StackRecordError) as caught:
        StackRecord.load(tmp_path, "dev")
    message = str(caught.value)
    assert str(path) in message
    expected = {
        "fifo": "not a regular file (a FIFO",
        "dev-zero": "not a regular file (a character device)",
        "deep": "nested deeper than 100 levels",
    }[kind]
    assert expected in message


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_compiled_template_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from looplab import stack
    from looplab.stack import _load

    out = tmp_path / "compiled"
    hostile(kind, out / _package.TEMPLATE_NAME)
    monkeypatch.setattr(_load, "compiled_template", lambda *args: out)
    with pytest.raises(stack.TemplateError, match=r"not a regular file|nests deeper"):
        stack.load_stack(tmp_path, "dev")


def test_a_fifo_scenario_file_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    from looplab.scenarios._load import load_yaml

    path = tmp_path / "scenarios.yaml"
    os.mkfifo(path)
    tree, problems = load_yaml(path)
    assert tree is None
    [problem] = problems
    assert "not a regular file (a FIFO" in problem.message


def test_every_reader_names_the_file_kind_and_limit(tmp_path: Path) -> None:
    """The message says what was refused and why, for a person to act on."""
    big = tmp_path / "record.json"
    big.write_bytes(b" " * (_files.STACK_RECORD.limit + 1))
    with pytest.raises(
        _files.Refused,
        match=r"larger than 4,194,304 bytes \(4 MiB\), the most a stack record may be",
    ):
        _files.read_json(big, _files.STACK_RECORD)


def test_a_fifo_among_the_projects_files_is_a_package_error(tmp_path: Path) -> None:
    """The compile cache's key hashes every project file: a FIFO blocked it forever."""
    project = tmp_path / "project"
    (project / "functions").mkdir(parents=True)
    (project / "serverless.yml").write_text("service: looplab\n")
    os.mkfifo(project / "functions" / "pipe")
    with pytest.raises(_package.PackageError, match=r"functions/pipe: cannot be read: not a "):
        _package.is_compiled(project, "dev", "us-east-1")


def test_a_symlink_at_the_compile_lock_is_not_followed(tmp_path: Path, victim: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    elsewhere = tmp_path / "created-elsewhere"
    plant(cache / ".lock", elsewhere)  # dangling: O_CREAT through it would make this file
    with pytest.raises(OSError), _package._locked(cache / ".lock"):
        pass
    assert not elsewhere.exists()


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), ("1.5", 1.5), ("abc", "abc"), (".inf", ".inf"), ("[" * 3000 + "]" * 3000, None)],
)
def test_an_environment_value_from_the_template_is_read_bounded(text: str, value: object) -> None:
    """A stack reference reads a function's environment value as the number it spells; a
    value nested 3,000 deep (the template allows 1 MB of it) raised RecursionError."""
    from looplab.scenarios._stack_ref import _typed

    assert _typed(text) == (text if value is None else value)


def test_a_message_body_nested_100000_deep_has_no_counter() -> None:
    """A drained body is a handler's: 256 KB of brackets raised RecursionError in the probe."""
    from looplab.scenarios.kinds import counter_of

    assert counter_of("[" * 100_000 + "]" * 100_000) is None
    assert counter_of('{"counter": 26}') == 26


def test_an_invoke_payload_nested_5000_deep_is_a_problem_with_its_line(tmp_path: Path) -> None:
    """The payload is JSON inside the scenario file: json.loads raised RecursionError."""
    from _support.fakes import fake_stack

    from looplab.scenarios import ScenarioError, validate_file

    deep = "[" * 5000 + "]" * 5000
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nscenarios:\n  deep:\n    description: x\n    steps:\n"
        f"      - invoke: {{function: RecursiveLambdaFunction, payload: '{deep}'}}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        validate_file(path, fake_stack())
    [problem] = caught.value.problems
    assert problem.line == 6 and "nested deeper than 100 levels" in problem.message
