"""The JSON Schemas shared with Nextflow (nf-schema style), applied to one CSV row at a time.

Nextflow reads the same files through ``assets/``, so a rule changes in one place only.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Collection, Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from tkiseq.errors import InputError

NUMERIC = ("number", "integer")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` from the package data (cached: it is read for every table)."""
    return json.loads((files("tkiseq") / "data" / name).read_text(encoding="utf-8"))


def resolve_path(base: Path, text: str) -> Path:
    """``text`` as an absolute path, relative ones taken from ``base``; symlinks are kept
    because Nextflow stages inputs as links whose targets may have other names."""
    return Path(os.path.abspath(base / text))


def convert(raw: Mapping[str, str], schema: Mapping[str, Any], missing: Collection[str]) -> dict:
    """Cells as nf-schema sees them: missing cells absent, numeric columns as numbers.

    A cell that is not a finite number stays text, so the schema reports it with its message.
    """
    properties = schema["items"]["properties"]
    values: dict[str, Any] = {}
    for column, text in raw.items():
        if text in missing:
            continue
        numeric = properties.get(column, {}).get("type") in NUMERIC
        values[column] = _number(text) if numeric else text
    return values


def _number(text: str) -> float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def row_validator(schema: Mapping[str, Any], base: Path) -> Draft202012Validator:
    """A validator for one row; nf-schema's ``exists`` keyword checks files under ``base``."""

    def exists(
        validator: Draft202012Validator, wanted: bool, instance: Any, subschema: Mapping
    ) -> Iterator[ValidationError]:
        if wanted and isinstance(instance, str):
            path = resolve_path(base, instance)
            if not path.is_file():
                yield ValidationError(f"{path} does not exist or is not a file")

    cls = validators.extend(Draft202012Validator, {"exists": exists})
    return cls(schema["items"])


def check_row(
    path: Path,
    line: int,
    raw: Mapping[str, str],
    values: Mapping[str, Any],
    validator: Draft202012Validator,
) -> None:
    """Raise the row's first problem (leftmost column first) as a one-line InputError."""
    columns = list(raw)
    errors = list(validator.iter_errors(values))
    if not errors:
        return

    def rank(error: ValidationError) -> tuple[int, bool]:
        column = _column(error)
        index = columns.index(column) if column in columns else len(columns)
        return index, error.validator == "exists"

    raise _input_error(path, line, raw, min(errors, key=rank), validator.schema)


def _column(error: ValidationError) -> str | None:
    """The column an error is about; None for rules that combine columns (oneOf, ...)."""
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        return next(c for c in error.validator_value if c not in error.instance)
    return None


def _input_error(
    path: Path, line: int, raw: Mapping[str, str], error: ValidationError, items: Mapping
) -> InputError:
    column = _column(error)
    if column is None:
        named = _named(error.validator_value)
        found = ", ".join(f"{c} '{v}'" if v else f"{c} empty" for c, v in raw.items() if c in named)
        return InputError(path, f"found {found}; expected {items['errorMessage']}", line=line)
    text = raw.get(column, "")
    if error.validator == "exists":
        problem = f"found '{text}', but {error.message}; expected an existing file"
    else:
        found = f"'{text}'" if text else "nothing"
        expected = items["properties"].get(column, {}).get("errorMessage", error.message)
        problem = f"found {found}; expected {expected}"
    return InputError(path, problem, line=line, column=f"'{column}'")


def _named(rule: Any) -> set[str]:
    """Every string in a combining rule, which includes the column names it mentions."""
    if isinstance(rule, str):
        return {rule}
    if isinstance(rule, Mapping):
        return set(rule).union(*(_named(v) for v in rule.values()))
    if isinstance(rule, list):
        return set().union(*(_named(v) for v in rule))
    return set()
