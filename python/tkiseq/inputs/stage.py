"""``tkiseq validate``: the input tables, read files and references checked before any stage
runs; the phenotypes that differential expression will test are written for both runners."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.atomic import write_text
from tkiseq.inputs.phenotypes import phenotypes_for_de
from tkiseq.inputs.references import References
from tkiseq.inputs.validate import validate_inputs
from tkiseq.stage_options import option
from tkiseq.stages import TESTED_PHENOTYPES

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "where *.valid.csv (absolute paths) go"


@dataclass(frozen=True)
class Params:
    """What validation lets through."""

    allow_same_reads: bool = option(
        False,
        help="accept the same reads (file or copy) for two samples, e.g. technical replicates",
    )


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The run's inputs: reads (a samplesheet) or a count matrix, tables and references."""

    input: Path | None = option(None, help="samplesheet.csv (reads); or --counts")
    counts: tuple[Path, ...] = option(
        (),
        help="instead of --input: a count matrix (comma-separated HTSeq-count files); its "
        "columns are the samples",
    )
    phenotypes: Path = option(help="phenotypes.csv")
    cnv: Path | None = option(None, help="cnv.csv (MLPA or SNP array), optional")
    fasta: Path | None = option(None, help="check it opens with its .fai (made if missing)")
    gtf: Path | None = option(None, help="check it exists (tkiseq prepare reads it)")
    dbsnp: Path | None = option(None, help="check it is bgzipped with a .tbi/.csi index")
    gene_sets: tuple[Path, ...] = option((), help="comma-separated GMT files to check")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write the ``*.valid.csv`` tables and ``tested_phenotypes.txt`` into ``outdir``."""
    references = References(inputs.fasta, inputs.gtf, inputs.dbsnp, inputs.gene_sets)
    validate_inputs(
        inputs.input,
        inputs.phenotypes,
        inputs.cnv,
        outdir,
        references=references,
        allow_same_reads=params.allow_same_reads,
        counts=list(inputs.counts),
    )
    tested = phenotypes_for_de(outdir / "phenotypes.valid.csv")  # warns for each one skipped
    write_text(outdir / TESTED_PHENOTYPES, "".join(f"{name}\n" for name in tested))
