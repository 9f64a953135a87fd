"""``tkiseq validate``: check all inputs together, then write normalised copies.

Tables, read files, references with their indexes and free space are all checked before
anything is written (and before any alignment), so a bad input leaves no output behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tkiseq.align.fastq import check_mate_names
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.inputs.cnv import load_cnv
from tkiseq.inputs.count_matrix import sample_names
from tkiseq.inputs.phenotypes import load_phenotypes
from tkiseq.inputs.reads import (
    check_distinct_reads,
    check_free_space,
    estimate_output_bytes,
    read_files,
    warn_mixed_layouts,
)
from tkiseq.inputs.references import References, check_bam, check_references
from tkiseq.inputs.samplesheet import Sample, load_samplesheet_lines, write_samplesheet

SAMPLE_ID = re.compile(r"[A-Za-z0-9._-]+")  # as the samplesheet schema's sample pattern


@dataclass(frozen=True)
class Cohort:
    """The validated inputs of one run."""

    samples: list[Sample]
    phenotypes: pd.DataFrame
    cnv: pd.DataFrame | None


def validate_inputs(
    samplesheet: Path | None,
    phenotypes: Path,
    cnv: Path | None,
    outdir: Path,
    *,
    references: References | None = None,
    allow_same_reads: bool = False,
    counts: list[Path] | None = None,
) -> Cohort:
    """Validate the inputs and write ``samplesheet.valid.csv`` (absolute paths),
    ``phenotypes.valid.csv`` and, if given, ``cnv.valid.csv`` into ``outdir``.

    The same reads for two samples are refused unless ``allow_same_reads``; samples whose
    layout (single/paired-end) differs from the rest are warned about. Given ``counts`` (a
    published count matrix) instead of a samplesheet, the matrix's columns are the samples.
    """
    if counts:
        if samplesheet is not None:
            raise InputError("--input", "give reads (--input) or a count matrix, not both")
        return _validate_matrix(counts, phenotypes, cnv, outdir, references)
    if samplesheet is None:
        raise InputError("--input", "no samplesheet given", hint="give --input, or --counts")
    samples, lines = load_samplesheet_lines(samplesheet)
    files = read_files(samples, lines)
    if not allow_same_reads:
        check_distinct_reads(Path(samplesheet), files)
    warn_mixed_layouts(Path(samplesheet), samples, lines)
    for f in files:
        if f.column == "bam":
            check_bam(f.path, Path(samplesheet), f.line)
    for sample in samples:
        if sample.fastq_1 is not None and sample.fastq_2 is not None:
            check_mate_names(sample.fastq_1, sample.fastq_2)
    if references is not None:
        check_references(references)
    sample_ids = [s.sample for s in samples]
    cohort = Cohort(
        samples=samples,
        phenotypes=load_phenotypes(phenotypes, sample_ids),
        cnv=load_cnv(cnv, sample_ids) if cnv is not None else None,
    )
    outdir = Path(outdir)
    check_free_space(outdir, estimate_output_bytes(files))
    write_samplesheet(cohort.samples, outdir / "samplesheet.valid.csv")
    _write_frame(cohort.phenotypes, outdir / "phenotypes.valid.csv")
    if cohort.cnv is not None:
        _write_frame(cohort.cnv, outdir / "cnv.valid.csv")
    return cohort


def _validate_matrix(
    counts: list[Path],
    phenotypes: Path,
    cnv: Path | None,
    outdir: Path,
    references: References | None,
) -> Cohort:
    """A run from a count matrix: its columns are the samples (no reads, no samplesheet)."""
    names = sample_names(counts)
    for name in names:
        if not SAMPLE_ID.fullmatch(name):
            raise InputError(
                counts[0],
                f"sample column {name!r}: letters, digits, '.', '_' or '-' only",
                hint="rename the column: sample names are file-name stems in the results",
            )
    if references is not None:
        check_references(references)
    source = f"the count matrix {counts[0].name}"
    samples = [Sample(sample=n, fastq_1=None, fastq_2=None, strandedness="auto") for n in names]
    cohort = Cohort(
        samples=samples,
        phenotypes=load_phenotypes(phenotypes, names, drop_unknown=source),
        cnv=load_cnv(cnv, names) if cnv is not None else None,
    )
    outdir = Path(outdir)
    write_samplesheet(cohort.samples, outdir / "samplesheet.valid.csv")
    _write_frame(cohort.phenotypes, outdir / "phenotypes.valid.csv")
    if cohort.cnv is not None:
        _write_frame(cohort.cnv, outdir / "cnv.valid.csv")
    return cohort


def _write_frame(frame: pd.DataFrame, dest: Path) -> None:
    with atomic_path(dest) as tmp:
        frame.to_csv(tmp, index=False, na_rep="")
