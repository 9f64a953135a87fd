"""Fusion calling: STAR chimeric + spliced junctions -> annotated, filtered fusion table."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.fusions.annotation import read_annotation
from tkiseq.fusions.artifacts import Thresholds
from tkiseq.fusions.call import COLUMNS, call_fusions
from tkiseq.fusions.junctions import read_chimeric, read_mapped_total, read_sj
from tkiseq.tables import read_table

log = logging.getLogger(__name__)

COHORT_FILE = "cohort_fusions.tsv"


def run_fusions(
    sample: str,
    chimeric: Path,
    sj: Path,
    annotation: Path,
    outdir: Path,
    log_final: Path | None = None,
    thresholds: Thresholds | None = None,
    fasta: Path | None = None,
    bam: Path | None = None,
) -> Path:
    """Write ``<outdir>/<sample>.fusions.tsv``; FFPM uses Log.final.out, else the footer; the
    BAM adds spanning pairs to fusions STAR aligned as splices."""
    reads, footer_mapped = read_chimeric(Path(chimeric))
    junctions = read_sj(Path(sj))
    mapped = read_mapped_total(Path(log_final)) if log_final else footer_mapped
    if mapped is None and len(reads):
        log.warning("%s: no mapped-read total (give --log-final); FFPM left empty", sample)
    named = set(reads["chr_a"]) | set(reads["chr_b"]) | set(junctions["chrom"])
    ann = read_annotation(Path(annotation)).in_naming_of(sorted(named))
    table = call_fusions(sample, reads, junctions, ann, mapped, thresholds, fasta, bam)
    dest = Path(outdir) / f"{sample}.fusions.tsv"
    with atomic_path(dest) as tmp:
        table.to_csv(tmp, sep="\t", index=False, na_rep="")
    n_pass = int((table["confidence"] != "low").sum())
    log.info("%s: %d fusion candidates, %d high/medium confidence", sample, len(table), n_pass)
    return dest


def run_cohort(tables: list[Path], outdir: Path) -> Path:
    """Concatenate per-sample fusion tables into ``<outdir>/cohort_fusions.tsv`` (all rows;
    filter on ``confidence`` downstream)."""
    frames = [read_table(path, "fusions") for path in tables]
    cohort = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    dest = Path(outdir) / COHORT_FILE
    with atomic_path(dest) as tmp:
        cohort.to_csv(tmp, sep="\t", index=False)
    return dest
