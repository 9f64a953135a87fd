"""One exception type for bad input, so every stage reports it the same way."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path


class InputError(Exception):
    """Bad user input: the message names the file, where in it, what was found and expected.

    The CLI prints it as one line (``tkiseq: error: <message>``) and exits with status 2.
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
        hint: str | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f": line {line}"
        if column is not None:
            where += f", column {column}" if line is not None else f": column {column}"
        message = f"{where}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.column = column


class ToolError(Exception):
    """An external tool (STAR, samtools) failed or is missing; the message says what to do."""


# File-system failures a user fixes outside tkiseq: what to say, and whether the folder
# (rather than the file) is what needs the fix.
_WRITE_FAILURES = {
    errno.EROFS: "read-only file system; choose a writable --outdir",
    errno.ENOSPC: "no space left on device; free space or choose another --outdir",
    errno.EDQUOT: "disk quota exceeded; free space or choose another --outdir",
}
_ACCESS_FAILURES = {
    errno.EACCES: "permission denied; check the permissions or choose another --outdir",
    errno.EPERM: "operation not permitted; check the permissions or choose another --outdir",
}
# Below this many free bytes a tool's unexplained write failure is taken as a full disk.
FULL_DISK_BYTES = 1 << 20


def environment_message(exc: OSError) -> str:
    """One line for an OSError: the folder (or file) concerned and the cause in words.

    Outputs are written under hidden temporary names, so a failed write names the folder
    that refused it, not the temporary file.
    """
    path = Path(exc.filename) if exc.filename else None
    cause = _WRITE_FAILURES.get(exc.errno or 0) or _ACCESS_FAILURES.get(exc.errno or 0)
    if cause is None:
        cause = (exc.strerror or str(exc)).lower()
    if path is None:
        return cause
    folder_failure = exc.errno in _WRITE_FAILURES or not path.is_file()
    where = path.parent if folder_failure and not path.is_dir() else path
    return f"{where}: {cause}"


def disk_full(folder: Path) -> bool:
    """True when ``folder``'s file system has (almost) no space left."""
    try:
        return shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        return False


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwinds like KeyboardInterrupt (so ``finally`` blocks remove
    temporaries and ``subprocess.run`` kills its tool) without being caught as an Exception."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process killed by it (130, 143)."""
        return 128 + self.signum


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` inside the block (main thread only);
    the previous handlers come back afterwards."""

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# Set by the runner for the stages it starts: a stage stops (SIGTERM, so it cleans up) when
# the runner dies, even by SIGKILL, instead of running on as an orphan.
STOP_WITH_PARENT_ENV = "TKISEQ_STOP_WITH_PARENT"
_PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent process dies (``prctl(PR_SET_PDEATHSIG)``);
    if it died already, stop now. Elsewhere a no-op. Call inside :func:`interruptible`."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise Interrupted(signal.SIGTERM)
