"""The samplesheet: which samples exist and where their reads (or BAM, VCF) are."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tkiseq.atomic import atomic_path
from tkiseq.inputs.schema import resolve_path
from tkiseq.inputs.table import check_unique, read_table

SCHEMA = "schema_input.json"
HEADER = ("sample", "fastq_1", "fastq_2", "strandedness")
FILE_COLUMNS = ("fastq_1", "fastq_2", "bam", "vcf")


@dataclass(frozen=True)
class Sample:
    """One samplesheet row with absolute paths; None where a file is not given."""

    sample: str
    fastq_1: Path | None
    fastq_2: Path | None
    strandedness: str
    bam: Path | None = None
    vcf: Path | None = None


def load_samplesheet(path: str | Path) -> list[Sample]:
    """Validated samples in file order; raises InputError on the first problem."""
    return load_samplesheet_lines(path)[0]


def load_samplesheet_lines(path: str | Path) -> tuple[list[Sample], list[int]]:
    """Validated samples and the line each is on, for messages about several rows."""
    table = read_table(path, SCHEMA, HEADER)
    check_unique(table, ("sample",), "each sample once")
    return [_sample(row.values, table.base) for row in table.rows], [r.line for r in table.rows]


def _sample(values: dict[str, Any], base: Path) -> Sample:
    files = {c: resolve_path(base, values[c]) if c in values else None for c in FILE_COLUMNS}
    return Sample(sample=values["sample"], strandedness=values["strandedness"], **files)


def write_samplesheet(samples: Iterable[Sample], dest: Path) -> None:
    """Write every column, empty where absent, so later stages need no optional-column logic."""
    columns = [f.name for f in fields(Sample)]
    with atomic_path(dest) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for sample in samples:
            cells = (getattr(sample, c) for c in columns)
            writer.writerow("" if cell is None else str(cell) for cell in cells)
