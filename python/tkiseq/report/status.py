"""The run's final state in its report: COMPLETED, or FAILED with the tasks that failed.

``tkiseq run`` builds the report as its last task, when ``run.json`` still says RUNNING and
``trace.tsv`` lacks the report's own row. The page therefore carries its status as two marked
fragments (a banner under the title and the run summary's status block); once the run has
ended, :func:`finish_reports` (the local runner) or ``tkiseq report-status`` (a workflow
manager's completion handler) re-renders just those fragments in place, so a finished run's
report never says RUNNING and a failed one names what failed.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError

log = logging.getLogger(__name__)

FRAGMENTS = ("banner", "summary")
MAX_FAILED_SHOWN = 50


@dataclass
class RunState:
    """What the report says about the run as a whole."""

    status: str  # COMPLETED, FAILED, ABORTED, RUNNING, or UNKNOWN without run.json
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # stage, sample, exit
    n_tasks: int | None = None  # rows of trace.tsv; None without one
    finished: str = ""
    duration_s: float | None = None

    @property
    def final(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "ABORTED")


def read_state(
    results: Path, status: str | None = None, failed: list[str] | None = None
) -> RunState:
    """The run's state from ``pipeline_info/run.json`` and ``trace.tsv``.

    ``status`` and ``failed`` (task names, e.g. ``de.auc_imatinib``) override what the files
    say: a workflow manager knows the outcome before (or without) these files.
    """
    info = results / "pipeline_info"
    run: dict = {}
    path = info / "run.json"
    if path.exists():
        try:
            run = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not JSON ({exc.msg})", line=exc.lineno) from None
    state = RunState(
        str(status or run.get("status") or "UNKNOWN").upper(),
        finished=str(run.get("finished", "")),
        duration_s=run.get("duration_s"),
    )
    trace = info / "trace.tsv"
    if trace.exists():
        with trace.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        state.n_tasks = len(rows)
        state.failed = [
            (r.get("stage", ""), r.get("sample", ""), r.get("exit_code", ""))
            for r in rows
            if r.get("status") == "FAILED" or (r.get("exit_code") or "0").strip() not in ("0", "")
        ]
    for name in failed or []:
        stage, _, sample = local_task_name(name).partition(".")
        if not any((s, x) == (stage, sample) for s, x, _ in state.failed):
            state.failed.append((stage, sample, ""))
    if state.failed and state.status == "COMPLETED":
        state.status = "FAILED"  # a failed task outweighs a stale or optimistic status
    return state


def task_name(stage: str, sample: str) -> str:
    return f"{stage}.{sample}" if sample else stage


# Nextflow's name of a task: the process path, then the tag (meta.id) in brackets
NEXTFLOW_TASK = re.compile(r"(?:[A-Z0-9_]+:)*(TKISEQ_[A-Z0-9_]+)(?: \((.*)\))?")


def local_task_name(name: str) -> str:
    """A failed task as the local runner names it (``align.S01``, ``de.auc_imatinib``,
    ``counts``), also when given as Nextflow names it (``TKISEQ_PIPELINE:...:TKISEQ_ALIGN
    (S01)``), so a report says the same whichever runner ran it. A cohort task's tag (its
    meta.id, e.g. ``cohort``) is no sample and is dropped."""
    from tkiseq.stages import BY_PROCESS

    match = NEXTFLOW_TASK.fullmatch(name.strip())
    stage = BY_PROCESS.get(match.group(1)) if match else None
    if match is None or stage is None:
        return name
    tag = match.group(2) or ""
    return task_name(stage.name, "" if stage.scope == "cohort" else tag)


def _failed_text(state: RunState, limit: int = 8) -> str:
    names = [task_name(s, x) + (f" (exit {c})" if c else "") for s, x, c in state.failed]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def banner_html(state: RunState) -> str:
    """One line under the title: the final status and, when failed, which tasks."""
    text = f"Run {state.status}"
    if state.failed:
        text += f": failed task(s) {_failed_text(state)}"
    if state.status == "UNKNOWN":
        text = (
            "Run status not recorded here (no pipeline_info/run.json): the workflow's "
            "completion handler writes it (tkiseq report-status)"
        )
    if state.status == "RUNNING":
        text += (
            "; this report was built while the run was still going (as its last task): "
            "the final status is written here when the run ends"
        )
    if state.finished:
        text += f" \u00b7 finished {state.finished}"
    cls = "run-status status-" + re.sub(r"[^a-z]", "", state.status.lower())
    return f'<p class="{cls}" id="run-status">{html.escape(text)}</p>'


def summary_html(state: RunState) -> str:
    """The run summary's status block: status, tasks, and the failed tasks as a table."""
    facts = [("status", state.status)]
    if state.finished:
        facts.append(("finished", state.finished))
    if state.duration_s is not None:
        facts.append(("duration", f"{float(state.duration_s):,.1f} s"))
    if state.n_tasks is not None:
        facts.append(("tasks", f"{state.n_tasks} run, {len(state.failed)} failed"))
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    out = f'<dl class="facts run-facts">{rows}</dl>'
    if state.failed:
        body = "".join(
            f"<tr><td>{html.escape(task_name(s, x))}</td><td>{html.escape(c)}</td></tr>"
            for s, x, c in state.failed[:MAX_FAILED_SHOWN]
        )
        more = len(state.failed) - MAX_FAILED_SHOWN
        tail = f'<p class="note">and {more} more in pipeline_info/trace.tsv</p>' if more > 0 else ""
        out += (
            '<h3>Failed tasks</h3><table class="dt failed-tasks"><thead><tr><th>task</th>'
            f"<th>exit code</th></tr></thead><tbody>{body}</tbody></table>{tail}"
        )
    return out


def fragment(name: str, state: RunState) -> str:
    """A status fragment between its markers, as the page holds it."""
    inner = banner_html(state) if name == "banner" else summary_html(state)
    return f"<!--tkiseq:status:{name}-->{inner}<!--/tkiseq:status:{name}-->"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"<!--tkiseq:status:{name}-->.*?<!--/tkiseq:status:{name}-->", flags=re.DOTALL
    )


def update_report(report: Path, state: RunState) -> None:
    """Re-render the status fragments of ``report`` in place (atomically)."""
    text = report.read_text(encoding="utf-8")
    for name in FRAGMENTS:
        match = _pattern(name).search(text)
        if match is None:
            raise InputError(report, f"no status {name} in this page", hint="rebuild the report")
        text = text[: match.start()] + fragment(name, state) + text[match.end() :]
    with atomic_path(report) as tmp:
        tmp.write_text(text, encoding="utf-8")


def finish_reports(reports: list[Path], results: Path) -> list[Path]:
    """After the run: every report that exists gets the run's final state. Never raises (the
    run's own outcome must reach the user); a report that cannot be updated is a warning."""
    done = []
    for report in reports:
        if not report.exists():
            continue
        try:
            update_report(report, read_state(results))
            done.append(report)
        except (OSError, InputError) as exc:
            log.warning("%s: final status not written (%s)", report, exc)
    return done
