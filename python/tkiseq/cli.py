"""Command line: one subcommand per stage. Argument parsing only; the work is in the stages.

The Nextflow processes and the local runner call these same subcommands, so a stage behaves
the same on a laptop and on a cluster.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from tkiseq import __version__
from tkiseq.errors import InputError, ToolError


def _simulate(a: argparse.Namespace) -> None:
    from tkiseq.simulate import simulate

    simulate(a.outdir, preset=a.preset, seed=a.seed)


def _validate(a: argparse.Namespace) -> None:
    from tkiseq.inputs import validate_inputs

    validate_inputs(a.input, a.phenotypes, a.cnv, a.outdir)


def _star_index(a: argparse.Namespace) -> None:
    from tkiseq.align.star import build_index

    build_index(a.fasta, a.gtf, a.outdir, threads=a.threads, read_length=a.read_length)


def _align(a: argparse.Namespace) -> None:
    from tkiseq.align.star import align_sample

    align_sample(
        a.sample,
        a.fastq_1,
        a.fastq_2,
        a.star_index,
        a.outdir,
        strandedness=a.strandedness,
        threads=a.threads,
        extra_args=a.star_args,
        bam=a.bam,
    )


def _counts(a: argparse.Namespace) -> None:
    from tkiseq.expression.counts import build_cohort

    build_cohort(a.reads_per_gene, a.gtf, a.phenotypes, a.outdir)


def _run(a: argparse.Namespace) -> None:
    from tkiseq.runner import RunConfig, run_pipeline

    run_pipeline(
        RunConfig(
            input=a.input,
            phenotypes=a.phenotypes,
            cnv=a.cnv,
            fasta=a.fasta,
            gtf=a.gtf,
            dbsnp=a.dbsnp,
            gene_sets=[Path(p) for p in a.gene_sets.split(",")] if a.gene_sets else [],
            outdir=a.outdir,
            star_index=a.star_index,
            threads=a.threads,
            resume=a.resume,
        )
    )


def build_parser() -> argparse.ArgumentParser:
    """The full ``tkiseq`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="tkiseq",
        description="RNA-seq pipeline for B-ALL and ex vivo TKI response.",
    )
    parser.add_argument("--version", action="version", version=f"tkiseq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")

    p = sub.add_parser("simulate", help="write the tiny or cohort test dataset with its truth")
    p.add_argument("--outdir", type=Path, required=True)
    p.add_argument("--preset", choices=["tiny", "cohort"], default="tiny")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_simulate)

    p = sub.add_parser("validate", help="check samplesheet, phenotypes and cnv tables")
    p.add_argument("--input", type=Path, required=True, help="samplesheet.csv")
    p.add_argument("--phenotypes", type=Path, required=True)
    p.add_argument("--cnv", type=Path)
    p.add_argument(
        "--outdir", type=Path, required=True, help="where *.valid.csv (absolute paths) go"
    )
    p.set_defaults(func=_validate)

    p = sub.add_parser("star-index", help="build the STAR genome index (once per reference)")
    p.add_argument("--fasta", type=Path, required=True)
    p.add_argument("--gtf", type=Path, required=True)
    p.add_argument("--outdir", type=Path, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--read-length", type=int, default=101, help="sets --sjdbOverhang to read length - 1"
    )
    p.set_defaults(func=_star_index)

    p = sub.add_parser("align", help="STAR alignment with chimeric output, BAM and gene counts")
    p.add_argument("--sample", required=True)
    reads = p.add_mutually_exclusive_group(required=True)
    reads.add_argument("--fastq-1", type=Path)
    reads.add_argument("--bam", type=Path, help="realign the reads of an existing BAM")
    p.add_argument("--fastq-2", type=Path)
    p.add_argument("--star-index", type=Path, required=True)
    p.add_argument("--outdir", type=Path, required=True)
    p.add_argument(
        "--strandedness", choices=["auto", "unstranded", "forward", "reverse"], default="auto"
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--star-args", default="", help="extra STAR options, appended last (they win)")
    p.set_defaults(func=_align)

    p = sub.add_parser("counts", help="cohort count matrix and AnnData from ReadsPerGene files")
    p.add_argument("reads_per_gene", type=Path, nargs="+", help="<sample>.ReadsPerGene.out.tab")
    p.add_argument("--gtf", type=Path, required=True)
    p.add_argument("--phenotypes", type=Path, required=True)
    p.add_argument("--outdir", type=Path, required=True)
    p.set_defaults(func=_counts)

    p = sub.add_parser("run", help="the whole pipeline on this machine (no Nextflow)")
    p.add_argument("--input", type=Path, required=True, help="samplesheet.csv")
    p.add_argument("--phenotypes", type=Path, required=True)
    p.add_argument("--cnv", type=Path)
    p.add_argument("--fasta", type=Path, required=True)
    p.add_argument("--gtf", type=Path, required=True)
    p.add_argument("--dbsnp", type=Path, required=True)
    p.add_argument("--gene-sets", help="comma-separated GMT files")
    p.add_argument("--outdir", type=Path, required=True)
    p.add_argument("--star-index", type=Path, help="reuse a STAR index instead of building one")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--resume", action="store_true", help="skip stages already complete")
    p.set_defaults(func=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: bad input and tool failures become one line on stderr, not a traceback."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(format="tkiseq: %(levelname)s: %(message)s", level=logging.INFO)
    try:
        args.func(args)
    except InputError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 1
    return 0
