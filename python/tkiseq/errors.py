"""One exception type for bad input, so every stage reports it the same way."""

from __future__ import annotations

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
