"""The console of `tkiseq run`: progress while tasks run, a summary at the end."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tkiseq.console import Console, duration
from tkiseq.runner import Runner, Task, _StageFailed


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def quick(name: str) -> Task:
    """A real task that finishes at once: `tkiseq versions` of a stage."""
    return Task("versions", name, ["versions", "--process", name, "--stage", "validate"], [], [])


def test_plain_lines_report_each_task_and_the_progress(tmp_path: Path) -> None:
    stream = io.StringIO()  # not a terminal: every event on its own line, as in CI logs
    console = Console(stream)
    console.total = 3
    runner = Runner(tmp_path, resume=False, console=console)
    runner.run_chains([[quick("a"), quick("b")], [quick("c")]], jobs=2)
    lines = stream.getvalue().splitlines()
    assert all(line.startswith("[tkiseq] ") for line in lines)
    assert "\r" not in stream.getvalue()
    done = [
        line for line in lines if re.match(r"\[tkiseq\] \[\d/3\] versions\.\w: completed", line)
    ]
    assert [line.split("]")[1] for line in done] == [" [1/3", " [2/3", " [3/3"]
    assert sum(": started | " in line for line in lines) == 3
    progress = [line for line in lines if line.startswith("[tkiseq] ") and " done | " in line]
    after_first = next(line for line in progress if line.startswith("[tkiseq] 1/3 done"))
    assert re.fullmatch(
        r"\[tkiseq\] 1/3 done \| running: .* \| \d+s elapsed \| ~\d+s left", after_first
    )
    assert progress[-1].startswith("[tkiseq] 3/3 done | running: none |")
    assert "left" not in progress[-1]
    trace = (tmp_path / "pipeline_info" / "trace.tsv").read_text().splitlines()[1:]
    assert [row.split("\t")[-1] for row in trace] == ["COMPLETED"] * 3


def test_a_terminal_gets_one_status_line_redrawn(tmp_path: Path) -> None:
    stream = Terminal()
    console = Console(stream)
    console.total = 1
    Runner(tmp_path, resume=False, console=console).run(quick("a"))
    text = stream.getvalue()
    assert text.startswith("\r\033[K[tkiseq] 0/1 done | running: versions.a |")
    assert "\r\033[K[tkiseq] [1/1] versions.a: completed" in text
    assert text.split("\n")[-1].startswith("\r\033[K[tkiseq] 1/1 done | running: none")
    assert not text.endswith("\n"), "the status line stays open for the next redraw"


def test_the_estimate_is_the_mean_task_times_the_tasks_left_over_the_workers() -> None:
    console = Console(io.StringIO(), clock=lambda: 100.0)
    console.total, console.workers = 6, 2
    assert console.estimate() is None
    console.finished("a", "COMPLETED", 10.0)
    console.finished("b", "COMPLETED", 20.0)
    console.finished("c", "CACHED", None)
    assert console.estimate() == pytest.approx(15.0 * 3 / 2)
    assert [duration(s) for s in (42, 185, 3720)] == ["42s", "3m05s", "1h02m"]


def test_a_failed_task_ends_with_a_summary_naming_it_and_its_log(tmp_path: Path) -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.total = 2
    runner = Runner(tmp_path, resume=False, console=console)
    runner.run(quick("a"))
    bad = ["validate", "--input", str(tmp_path / "missing.csv")]
    bad += ["--phenotypes", str(tmp_path / "missing.csv"), "--outdir", str(tmp_path / "v")]
    with pytest.raises(_StageFailed) as failed:
        runner.run(Task("validate", "", bad, [], []))
    exc = failed.value
    assert exc.code == 2 and "missing.csv" in str(exc)
    console.summary(
        "FAILED",
        str(tmp_path),
        [str(tmp_path / "report" / "report.html")],
        (exc.task.name, f"exit {exc.code}: {exc}", str(exc.log_path)),
    )
    tail = stream.getvalue().splitlines()[-4:]
    assert re.fullmatch(rf"\[tkiseq\] FAILED in \d+s: 2/2 tasks; results: {tmp_path}", tail[0])
    assert tail[1] == f"[tkiseq] report: {tmp_path / 'report' / 'report.html'}"
    assert tail[2].startswith("[tkiseq] failed task: validate: exit 2: ")
    assert tail[3] == f"[tkiseq] its log: {tmp_path / 'pipeline_info' / 'logs' / 'validate.log'}"
    assert (
        (tmp_path / "pipeline_info" / "logs" / "validate.log")
        .read_text()
        .startswith("$ tkiseq validate")
    )
