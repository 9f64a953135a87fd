"""``tkiseq validate``: check all input tables together, then write normalised copies.

Everything is checked before anything is written, so a bad input leaves no output behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.inputs.cnv import load_cnv
from tkiseq.inputs.phenotypes import load_phenotypes
from tkiseq.inputs.samplesheet import Sample, load_samplesheet, write_samplesheet


@dataclass(frozen=True)
class Cohort:
    """The validated inputs of one run."""

    samples: list[Sample]
    phenotypes: pd.DataFrame
    cnv: pd.DataFrame | None


def validate_inputs(samplesheet: Path, phenotypes: Path, cnv: Path | None, outdir: Path) -> Cohort:
    """Validate the tables and write ``samplesheet.valid.csv`` (absolute paths),
    ``phenotypes.valid.csv`` and, if given, ``cnv.valid.csv`` into ``outdir``."""
    samples = load_samplesheet(samplesheet)
    sample_ids = [s.sample for s in samples]
    cohort = Cohort(
        samples=samples,
        phenotypes=load_phenotypes(phenotypes, sample_ids),
        cnv=load_cnv(cnv, sample_ids) if cnv is not None else None,
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
