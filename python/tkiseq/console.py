"""What ``tkiseq run`` tells the user while it works and when it stops.

On a terminal, one status line is redrawn in place (tasks done/total, running tasks, elapsed
time, an estimate of the rest) and each finished task leaves a line above it. When stderr is not
a terminal (CI logs, ``2> run.log``), every event is a plain line instead, so logs stay readable.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

PREFIX = "[tkiseq]"


def duration(wall: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a status line."""
    seconds = round(wall)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Console:
    """Progress of a run's tasks; thread-safe (samples run in parallel)."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.clock = clock
        self.start = clock()
        self.total = 0
        self.done = 0
        self.running: dict[str, float] = {}  # task name -> start
        self.walls: list[float] = []  # wall time of each task run (not cached)
        self.workers = 1  # tasks that run at once: divides the estimate
        self._lock = threading.Lock()

    # -- events ----------------------------------------------------------------------------------
    def started(self, name: str) -> None:
        with self._lock:
            self.running[name] = self.clock()
            if self.tty:
                self._status()
            else:
                self._line(f"{name}: started | {self._progress()}")

    def finished(self, name: str, status: str, wall: float | None) -> None:
        """A task ended: ``status`` COMPLETED, CACHED or FAILED, ``wall`` None when cached."""
        with self._lock:
            self.done += 1
            self.running.pop(name, None)
            if wall is not None:
                self.walls.append(wall)
            note = "" if wall is None else f" ({wall:.1f} s)"
            self._line(f"[{self.done}/{self.total}] {name}: {status.lower()}{note}")
            if self.tty:
                self._status()
            else:
                self._line(self._progress())

    def say(self, text: str) -> None:
        with self._lock:
            self._line(text)

    def elapsed(self) -> float:
        return self.clock() - self.start

    # -- rendering -------------------------------------------------------------------------------
    def estimate(self) -> float | None:
        """Seconds left: the mean task so far times the tasks left, over the parallel workers;
        None before any task has run."""
        if not self.walls:
            return None
        left = self.total - self.done
        return sum(self.walls) / len(self.walls) * left / max(1, self.workers)

    def _progress(self) -> str:
        running = ", ".join(sorted(self.running)) or "none"
        left = self.estimate()
        rest = "" if left is None or self.done == self.total else f" | ~{duration(left)} left"
        return (
            f"{self.done}/{self.total} done | running: {running} | "
            f"{duration(self.elapsed())} elapsed{rest}"
        )

    def _line(self, text: str) -> None:
        clear = "\r\033[K" if self.tty else ""
        self.stream.write(f"{clear}{PREFIX} {text}\n")
        self.stream.flush()

    def _status(self) -> None:
        self.stream.write(f"\r\033[K{PREFIX} {self._progress()}")
        self.stream.flush()

    def summary(
        self,
        status: str,
        results: str,
        reports: list[str],
        failure: tuple[str, str, str] | None = None,
    ) -> None:
        """The closing lines: status, wall time, tasks, where results (and the report) are;
        ``failure`` is (task, what went wrong, log path)."""
        with self._lock:
            cached = self.done - len(self.walls)
            counts = f"{self.done}/{self.total} tasks" + (f", {cached} cached" if cached else "")
            self._line(f"{status} in {duration(self.elapsed())}: {counts}; results: {results}")
            for report in reports:
                self._line(f"report: {report}")
            if failure is not None:
                task, problem, log = failure
                self._line(f"failed task: {task}: {problem}")
                self._line(f"its log: {log}")
