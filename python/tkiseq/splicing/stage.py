"""``tkiseq splice-lesions``: exon-deletion junctions such as IKZF1 delta4-7 in one sample."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.fusions.annotation import read_annotation
from tkiseq.fusions.junctions import read_sj
from tkiseq.splicing.lesions import LesionParams as Params
from tkiseq.splicing.lesions import find_lesions
from tkiseq.stage_options import ANNOTATION_HELP, option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The sample's spliced junctions and the annotation bundle."""

    sample: str = option(help="sample name: the output files' stem")
    sj: Path = option(help="<sample>.SJ.out.tab")
    annotation: Path = option(help=ANNOTATION_HELP)


def run(inputs: Inputs, params: Params, outdir: Path) -> Path:
    """Write ``<outdir>/<sample>.splice_lesions.tsv``."""
    genes = params.genes
    junctions = read_sj(Path(inputs.sj))
    ann = read_annotation(Path(inputs.annotation)).in_naming_of(sorted(set(junctions["chrom"])))
    unknown = [g for g in genes if ann.gene_by_name(g) is None]
    if len(unknown) == len(genes):
        raise InputError(
            inputs.annotation, f"none of the genes {', '.join(genes)} is in the annotation"
        )
    table = find_lesions(inputs.sample, junctions, ann, genes, params.min_reads)
    dest = Path(outdir) / f"{inputs.sample}.splice_lesions.tsv"
    with atomic_path(dest) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    return dest
