"""Run a Scenario against a Backend: steps, stop conditions, ``finally``, the journal.

Statuses: ``completed`` (every expectation passed), ``failed`` (an expectation failed),
``aborted`` (a step raised, a stop condition held, or the engine itself failed),
``interrupted`` (SIGINT / SIGTERM). Whatever happens, ``finally`` runs and the journal says
what it did. A ``wait until`` that times out does not change the status (the expectations
after it decide); it goes into the journal's ``warnings`` and the console's summary. A failed
cleanup turns exit 0 into 1 and says why in ``reason``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from looplab.backends.base import Backend, RailBraked
from looplab.engine._document import new_document
from looplab.engine._journal import Journal, run_dir, utc_now
from looplab.engine._listener import GuardedListener, Listener, Quiet
from looplab.engine._probe import Probe
from looplab.engine._recorder import Recorder
from looplab.engine._result import (
    EXIT_CODES,
    RunResult,
    RunSetupError,
    backend_call,
    finally_stop_warning,
    timeout_warning,
)
from looplab.engine._signals import Interrupted, SignalGuard
from looplab.engine._steps import RunContext, execute
from looplab.engine._stopwatch import StopConditionMet, StopWatch
from looplab.journal import RunDocument, StepRecord, Timeline
from looplab.scenarios import Scenario, Step
from looplab.scenarios.kinds import StepOutcome


def run_scenario(
    scenario: Scenario,
    backend: Backend,
    *,
    results: Path,
    seed: int | None = None,
    stage: str | None = None,
    queues: list[str] | None = None,
    listener: Listener | None = None,
    stack: Any | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> RunResult:
    """Run ``scenario`` on ``backend``; the journal lands under ``results/runs/``.

    ``stack`` (the compiled :class:`looplab.stack.Stack`) goes into the journal's
    ``definition``: its parameters and the compiled template's hash. ``overrides`` (what
    the command line changed: ``{"stack_params": {...}, "simulator": {...}}``) goes there too.

    Raises :class:`RunSetupError` when the run's folder cannot be made (nothing ran).
    """
    return _Run(
        scenario,
        backend,
        results,
        seed,
        stage,
        queues,
        GuardedListener(listener or Quiet()),
        stack,
        overrides,
    ).run()


class _Run:
    def __init__(
        self,
        scenario: Scenario,
        backend: Backend,
        results: Path,
        seed: int | None,
        stage: str | None,
        queues: list[str] | None,
        listener: Any,
        stack: Any | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.scenario = scenario
        self.backend = backend
        self.listener = listener
        self.queues = list(queues) if queues else scenario.queues()
        self.guard = SignalGuard()
        self.start_clock = backend.now()
        self.start_wall = time.monotonic()
        self.probe = Probe(backend, since=self.start_clock)
        self.recorder = Recorder(backend, self.start_clock, self.queues)
        self.exit_code: int | None = None
        self.journal_error: str | None = None
        self.outcome = "running"
        # The journal's document: the schema's record, filled in as the run goes.
        self.doc: RunDocument = new_document(
            scenario, backend, stage, seed, stack, overrides, self.start_clock
        )
        try:
            folder = run_dir(results, scenario.name, backend.name)
        except OSError as exc:
            raise RunSetupError(
                f"cannot make the run's folder under {Path(results) / 'runs'}: "
                f"{exc.strerror or exc}"
            ) from exc
        self.journal = Journal(folder, self.doc)
        self.watch = StopWatch(scenario.stop_when, self.probe, backend, self._elapsed)
        self.ctx = RunContext(
            backend=backend,
            probe=self.probe,
            queues=self.queues,
            watch=self.watch,
            progress=self._progress,
        )

    def run(self) -> RunResult:
        with self.guard:
            try:
                self._steps_phase()
                self._finally()
            except Interrupted as exc:  # a second signal between the steps and finally
                if self.outcome == "running":
                    self._set_status("interrupted", f"{exc.signame} received")
                self.doc.cleanup = f"interrupted by a second {exc.signame}"
                self.exit_code = self.exit_code or exc.exit_code
            finally:
                self._end()
            # Still inside the guard, which is settled: a signal now is only noted.
            self.listener.run_finished(self.doc.to_json())
            if self.listener.failure and self.doc.console_error != self.listener.failure:
                self.doc.console_error = self.listener.failure
                self._safe_write()
        status = self.outcome
        code = self.exit_code if self.exit_code is not None else EXIT_CODES.get(status, 1)
        if code == 0 and self.doc.cleanup != "ok":
            code = 1  # the expectations passed, but the stack was not left as it should be
        return RunResult(status, self.journal.path, self.doc.to_json(), code, self.journal_error)

    def _steps_phase(self) -> None:
        try:
            self._write()
            self.listener.run_started(self.scenario, self.journal.path)
            try:
                self.probe.start()
            except Exception as exc:
                self._set_status(
                    "aborted",
                    f"setup failed: cannot read the backend's observations at the start: "
                    f"{type(exc).__name__}: {exc}",
                )
                return
            self._sample()
            self.watch.arm()
            self._steps()
        except _Stop:
            pass  # status and reason already recorded
        except Interrupted as exc:
            self._set_status("interrupted", f"{exc.signame} received during the steps")
            self.exit_code = exc.exit_code
        except KeyboardInterrupt:  # no handler installed (not the main thread)
            self._set_status("interrupted", "KeyboardInterrupt during the steps")
            self.exit_code = 130
        except Exception as exc:  # the engine itself: a journal write, a listener, a bug
            self._set_status("aborted", f"engine error: {type(exc).__name__}: {exc}")

    def _steps(self) -> None:
        steps = self.scenario.steps
        for index, step in enumerate(steps):
            record = self._run_step("steps", index, len(steps), step)
            if record.status == "error":
                self._set_status("aborted", f"step {index + 1} ({step.kind}): {record.error}")
                return
            if record.status == "failed":
                self.doc.reason = self._failed_reason()
        self._set_status("failed" if self._any_failed() else "completed", self.doc.reason)

    def _run_step(self, phase: str, index: int, total: int, step: Step) -> StepRecord:
        record = StepRecord(
            index=index,
            kind=step.kind,
            summary=step.summary(),
            line=step.line,
            args=step.args(),
            started_at=utc_now(),
            clock_start=self._elapsed(),
            phase=phase,
        )
        self.doc.steps_of(phase).append(record)
        error: str | None = None
        stop: StopConditionMet | None = None
        try:
            self._write(paced=True)
            self.listener.step_started(phase, index, total, step)
            outcome = execute(step, self.ctx)
            try:
                self.watch.check()  # a step that moves no time can still spend the budget
            except StopConditionMet as exc:
                stop = exc
            except Exception as exc:  # the step ran; reading the budget did not
                note = f"checking stop_when after the step: {type(exc).__name__}: {exc}"
                if phase == "steps":
                    outcome, error = StepOutcome("error", outcome.output), note
                else:  # cleanup is not failed by a budget it could not read
                    self._warn_once(f"finally {index + 1}: {note}")
        except Interrupted:
            self._end_step(record, StepOutcome("interrupted", {}), None, phase)
            raise
        except StopConditionMet as exc:
            self._end_step(
                record, StepOutcome("stopped", {"stop_condition": exc.entry}), None, phase
            )
            self._set_status("aborted", str(exc))
            raise _Stop from exc
        except Exception as exc:  # any backend failure: recorded, then finally runs
            if phase == "finally" and isinstance(exc, RailBraked):
                # The backend's own rail (the aws budget) tripped and braked during cleanup:
                # a stop in finally, recorded as such; the remaining cleanup goes on.
                hit = self.watch.rail_tripped(str(exc))
                self._end_step(record, StepOutcome("stopped", {"stop_condition": hit}), None, phase)
                return record
            self._end_step(record, StepOutcome("error", {}), f"{type(exc).__name__}: {exc}", phase)
            return record
        self._end_step(record, outcome, error, phase)
        if stop is not None:
            self._set_status("aborted", str(stop))
            self._write()
            raise _Stop from stop
        return record

    def _end_step(
        self, record: StepRecord, outcome: StepOutcome, error: str | None, phase: str
    ) -> None:
        record.status = outcome.status
        record.output = outcome.output
        record.error = error
        record.ended_at = utc_now()
        record.clock_end = self._elapsed()
        for entry in outcome.output.get("expectations", []):
            self.doc.expectations.append({"step": record.index, "phase": phase, **entry})
        if outcome.status == "timeout":
            self.doc.warnings.append(timeout_warning(phase, record))
        self._refresh(phase)
        self.journal.seal(record)  # finished: never serialised again
        self._sample()
        self._write(paced=True)
        self.listener.step_finished(phase, record.to_json())

    def _finally(self) -> None:
        self.guard.cleaning = True
        self.doc.phase = "finally"
        # Cleanup is never cut short by a stop condition, but it is still watched: a hit
        # (even the one that stopped the steps) brakes once and goes into the journal.
        self.watch.enter_finally()
        self.doc.stops_in_finally = self.watch.finally_hits
        steps = self.scenario.finally_
        failures: list[str] = []
        try:
            try:
                self.watch.check()
            except Exception as exc:  # reading the budget failed: recorded, cleanup goes on
                self._warn_once(f"finally: checking stop_when: {type(exc).__name__}: {exc}")
            for index, step in enumerate(steps):
                record = self._run_step("finally", index, len(steps), step)
                if record.status == "error":
                    failures.append(f"finally {index + 1} ({step.kind}): {record.error}")
            self.doc.cleanup = "failed" if failures else "ok"
        except Interrupted as exc:
            self.doc.cleanup = f"interrupted by a second {exc.signame}"
            self.exit_code = self.exit_code or exc.exit_code
        except Exception as exc:  # the engine itself (the journal cannot be written, ...)
            failures.append(f"engine error: {type(exc).__name__}: {exc}")
            self.doc.cleanup = "failed"
        if failures:
            note = "cleanup failed: " + "; ".join(failures)
            reason = self.doc.reason
            self.doc.reason = f"{reason}; {note}" if reason else note

    def _end(self) -> None:
        """The journal's last word; runs whatever happened before (a ``finally:`` clause)."""
        self.guard.settle()
        with contextlib.suppress(Exception):
            self.watch.disarm()
        for hit in self.watch.finally_hits:
            self.doc.warnings.append(finally_stop_warning(hit))
        # The backend's own rails after finally (restore protection, release a budget's cap).
        self.doc.backend_finish = backend_call(self.backend.finish)
        if self.outcome == "running":  # cannot happen, but never leave "running" behind
            self._set_status("aborted", self.doc.reason or "the run ended unexpectedly")
        if self.listener.failure:
            self.doc.console_error = self.listener.failure
        try:
            self.doc.observations_after_finally = self.probe.summary(self.queues)
        except Exception as exc:
            self.doc.observations_after_finally = {"error": f"{type(exc).__name__}: {exc}"}
        if self.guard.noted:
            self.doc.signals_during_finally = list(self.guard.noted)
        try:
            self.doc.timeline = self.recorder.timeline(self.doc.definition)
            self.journal.seal(self.doc.timeline)
        except Exception as exc:
            self.doc.timeline = {"error": f"{type(exc).__name__}: {exc}"}
        self.doc.ended_at = utc_now()
        self.doc.status = self.outcome
        self.doc.phase = "done"
        self._safe_write()

    def _safe_write(self) -> None:
        try:
            self._write()
        except Exception as exc:
            self.journal_error = f"{type(exc).__name__}: {exc}"
            # Say what happened when a smaller journal still fits (disk full): the steps
            # and the outcome without the timeline, the bulk of the document.
            if isinstance(self.doc.timeline, Timeline):
                self.doc.timeline = {"error": f"not written: {self.journal_error}"}
            self.doc.journal_error = self.journal_error
            # If even that fails, the previous journal stays, complete; RunResult says why.
            with contextlib.suppress(Exception):
                self._write()

    def _sample(self, force: bool = True) -> None:
        try:
            self.recorder.sample(force=force)
        except Exception as exc:  # a depth reading must not cost the run its steps
            note = f"queue depth sampling failed: {type(exc).__name__}: {exc}"
            if note not in self.recorder.notes:
                self.recorder.notes.append(note)

    def _refresh(self, phase: str) -> None:
        # Observations are re-read after every step, so an interrupted run still has them.
        # The "at the end" view is the one after the last step, before finally cleans up.
        if phase != "steps":
            return
        try:
            observations = self.probe.summary(self.queues)
            self.doc.observations = observations
            for snapshot in observations["snapshots"].values():  # taken once, never changed
                self.journal.seal(snapshot, observations, observations["snapshots"])
        except Exception as exc:
            self.doc.observations["error"] = f"{type(exc).__name__}: {exc}"

    def _set_status(self, status: str, reason: str | None) -> None:
        # The journal says "running" until finally is done too; "phase" says which part
        # runs, and the outcome is known (and recorded in "reason") as soon as it is.
        self.outcome = status
        self.doc.reason = reason

    def _warn_once(self, note: str) -> None:
        if note not in self.doc.warnings:
            self.doc.warnings.append(note)

    def _any_failed(self) -> bool:
        return any(not e["passed"] for e in self.doc.expectations)

    def _failed_reason(self) -> str:
        failed = [e for e in self.doc.expectations if not e["passed"]]
        return "; ".join(f"{e['check']}: {e['reason']}" for e in failed)

    def _elapsed(self) -> float:
        return round(self.backend.now() - self.start_clock, 6)

    def _progress(self, total: float) -> Any:
        def report(done: float) -> None:
            self._sample(force=False)  # waits are where queue depths change
            self.listener.step_progress(done, total)

        return report

    def _write(self, paced: bool = False) -> None:
        """Write the journal; ``paced`` writes (around steps) may be skipped while the
        journal is large and was written very recently (see engine/_journal.py)."""
        if paced and not self.journal.due():
            return
        self.doc.clock.elapsed = self._elapsed()
        self.doc.clock.wall_seconds = round(time.monotonic() - self.start_wall, 6)
        with self.guard.deferred():
            self.journal.write()


class _Stop(Exception):
    """Internal: unwinds the step loop after a stop condition (status already set)."""
