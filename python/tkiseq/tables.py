"""Output table contracts: each TSV's columns and types, read from ``data/tables.json``.

The writer of a table takes its columns from here, and a stage that reads another stage's table
checks it against the same schema, so a table written by another tkiseq version (columns added,
renamed or reordered) fails with one clear line instead of a wrong merge.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from tkiseq.errors import InputError

_VALUE = {
    "integer": re.compile(r"-?\d+"),
    "number": re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|-?inf|nan", re.I),
    "boolean": re.compile(r"True|False"),
}


@cache
def schema() -> dict:
    return json.loads(resources.files("tkiseq.data").joinpath("tables.json").read_text())


def version() -> int:
    return int(schema()["version"])


def columns(table: str) -> list[str]:
    """The columns of ``table`` in the order they are written."""
    return [c["name"] for c in schema()["tables"][table]["columns"]]


def types(table: str) -> dict[str, str]:
    return {c["name"]: c["type"] for c in schema()["tables"][table]["columns"]}


def _some(names: list[str], shown: int = 4) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def read_table(path: Path, table: str) -> pd.DataFrame:
    """A tkiseq ``table`` as strings (cells untouched, so they are written back as they were);
    InputError when the header or a value does not match schema version ``version()``."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    expected = columns(table)
    if list(frame.columns) != expected:
        missing = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in expected]
        diff = "; ".join(
            part
            for part in (
                f"missing {_some(missing)}" if missing else "",
                f"unexpected {_some(extra)}" if extra else "",
                "columns in another order" if not (missing or extra) else "",
            )
            if part
        )
        raise InputError(
            path,
            f"not a {table} table of tkiseq table schema v{version()} ({diff})",
            line=1,
            hint="written by another tkiseq version? rerun the stage that wrote it",
        )
    for name, kind in types(table).items():
        pattern = _VALUE.get(kind)
        if pattern is None:
            continue
        for row, value in enumerate(frame[name], start=2):
            if value and not pattern.fullmatch(value):
                raise InputError(path, f"{value!r} is not a {kind}", line=row, column=name)
    return frame
