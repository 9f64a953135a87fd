"""Read a CSV into rows checked against its schema, keeping each row's line number.

Every problem becomes one InputError naming the file, the line and the column, so a user can
fix a sheet without reading a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tkiseq.errors import InputError
from tkiseq.inputs.schema import check_row, convert, load_schema, row_validator


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based line, the stripped cell text, and the converted values."""

    line: int
    raw: dict[str, str]
    values: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A validated CSV: header as given and rows that passed the schema."""

    path: Path
    schema: dict[str, Any]
    header: list[str]
    rows: list[Row]

    @property
    def base(self) -> Path:
        """The CSV's own folder, against which relative paths in it are resolved.

        The CSV itself is resolved through links: Nextflow stages it as a symlink in a work
        folder, and its relative paths mean the folder where the file really lives.
        """
        return Path(self.path).resolve().parent


def read_table(
    path: str | Path,
    schema_name: str,
    header: Sequence[str],
    missing: Collection[str] = ("",),
) -> Table:
    """Read and validate ``path``; ``header`` lists the columns that must be present."""
    path = Path(path)
    schema = load_schema(schema_name)
    records = _records(path, _read_text(path))
    if not records:
        raise InputError(path, f"found an empty file; expected a header line {','.join(header)}")
    header_line, names = records[0]
    names = [name.strip() for name in names]
    _check_header(path, header_line, names, header, schema["items"])
    validator = row_validator(schema, Path(path).resolve().parent)
    rows = []
    for line, fields in records[1:]:
        if len(fields) != len(names):
            raise InputError(
                path,
                f"found {len(fields)} fields; expected {len(names)} as in the header",
                line=line,
            )
        raw = dict(zip(names, (field.strip() for field in fields), strict=True))
        values = convert(raw, schema, missing)
        check_row(path, line, raw, values, validator)
        rows.append(Row(line, raw, values))
    if len(rows) < schema.get("minItems", 0):
        raise InputError(path, "found a header but no rows; expected at least one row", line=1)
    return Table(path, schema, names, rows)


def _read_text(path: Path) -> str:
    """The file as text; binary or mis-encoded files are refused with the offending line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file not found", hint="check the path") from None
    except IsADirectoryError:
        raise InputError(path, "found a folder; expected a CSV file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror})") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path,
            f"found byte 0x{data[exc.start]:02x}, which is not UTF-8 text; expected a plain CSV",
            line=line,
            hint="is it compressed or a spreadsheet? export it as CSV (UTF-8)",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(path, "found a NUL byte; expected a plain-text CSV", line=line)
    return text


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    previous = 0
    try:
        for fields in reader:
            if any(field.strip() for field in fields) or len(fields) > 1:
                records.append((previous + 1, fields))
            previous = reader.line_num
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({exc})", line=reader.line_num) from None
    return records


def _check_header(
    path: Path, line: int, names: list[str], required: Sequence[str], items: dict[str, Any]
) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(path, f"found column '{name}' twice; expected each once", line=line)
        seen.add(name)
    absent = [c for c in required if c not in seen]
    if absent:
        raise InputError(
            path,
            f"found header '{','.join(names)}'; expected columns {','.join(required)}"
            f" (missing: {', '.join(absent)})",
            line=line,
            hint="the file looks tab-separated; use commas" if "\t" in ",".join(names) else None,
        )
    if items.get("additionalProperties") is False:
        unknown = [name for name in names if name not in items["properties"]]
        if unknown:
            raise InputError(
                path,
                f"found unknown column(s) {', '.join(map(repr, unknown))};"
                f" expected only {', '.join(items['properties'])}",
                line=line,
                hint="check the spelling",
            )


def check_unique(table: Table, key: Sequence[str], expected: str) -> None:
    """Refuse a repeated ``key``, naming both lines."""
    first: dict[tuple[str, ...], int] = {}
    for row in table.rows:
        value = tuple(row.raw[c] for c in key)
        if value in first:
            found = " with ".join(f"{c} '{v}'" for c, v in zip(key, value, strict=True))
            raise InputError(
                table.path,
                f"found {found} again (first on line {first[value]}); expected {expected}",
                line=row.line,
            )
        first[value] = row.line


def check_known(table: Table, samples: Collection[str]) -> None:
    """Refuse rows about samples the samplesheet does not list (usually a typo)."""
    for row in table.rows:
        sample = row.raw["sample"]
        if sample not in samples:
            raise InputError(
                table.path,
                f"found '{sample}', which is not in the samplesheet; expected one of its samples",
                line=row.line,
                column="'sample'",
            )


def to_frame(table: Table) -> pd.DataFrame:
    """Rows as a DataFrame in the file's column order; schema numbers as float or Int64."""
    frame = pd.DataFrame([row.values for row in table.rows], columns=table.header, dtype=object)
    properties = table.schema["items"]["properties"]
    for column in table.header:
        kind = properties.get(column, {}).get("type")
        if kind == "number":
            frame[column] = frame[column].astype(float)
        elif kind == "integer":
            frame[column] = frame[column].astype(float).astype("Int64")
    return frame
