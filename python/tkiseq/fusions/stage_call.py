"""``tkiseq fusions call``: one sample's fusions from STAR's chimeric and spliced junctions,
filtered and annotated."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tkiseq.atomic import atomic_path
from tkiseq.fusions.annotation import read_annotation
from tkiseq.fusions.artifacts import Thresholds as Params
from tkiseq.fusions.call import call_fusions
from tkiseq.fusions.junctions import read_chimeric, read_mapped_total, read_sj
from tkiseq.stage_options import ANNOTATION_HELP, option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table"
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """STAR's outputs for the sample, the annotation bundle and the genome."""

    sample: str = option(help="sample name: the output files' stem")
    chimeric: Path = option(help="<sample>.Chimeric.out.junction")
    sj: Path = option(help="<sample>.SJ.out.tab")
    annotation: Path = option(help=ANNOTATION_HELP)
    log_final: Path | None = option(
        None, help="<sample>.Log.final.out (FFPM denominator; else footer)"
    )
    fasta: Path | None = option(None, help="genome FASTA: enables the low_complexity filter")
    bam: Path | None = option(
        None, help="<sample>.bam (indexed): spanning pairs of spliced fusions"
    )


def run(inputs: Inputs, params: Params, outdir: Path) -> Path:
    """Write ``<outdir>/<sample>.fusions.tsv``; FFPM uses Log.final.out, else the footer; the
    BAM adds spanning pairs to fusions STAR aligned as splices."""
    sample = inputs.sample
    reads, footer_mapped = read_chimeric(Path(inputs.chimeric))
    junctions = read_sj(Path(inputs.sj))
    mapped = read_mapped_total(Path(inputs.log_final)) if inputs.log_final else footer_mapped
    if mapped is None and len(reads):
        log.warning("%s: no mapped-read total (give --log-final); FFPM left empty", sample)
    named = set(reads["chr_a"]) | set(reads["chr_b"]) | set(junctions["chrom"])
    ann = read_annotation(Path(inputs.annotation)).in_naming_of(sorted(named))
    table = call_fusions(sample, reads, junctions, ann, mapped, params, inputs.fasta, inputs.bam)
    dest = Path(outdir) / f"{sample}.fusions.tsv"
    with atomic_path(dest) as tmp:
        table.to_csv(tmp, sep="\t", index=False, na_rep="")
    n_pass = int((table["confidence"] != "low").sum())
    log.info("%s: %d fusion candidates, %d high/medium confidence", sample, len(table), n_pass)
    return dest
