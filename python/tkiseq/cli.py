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
from tkiseq.stages import BY_NAME


def _simulate(a: argparse.Namespace) -> None:
    from tkiseq.simulate import simulate

    simulate(a.outdir, preset=a.preset, seed=a.seed)


def _validate(a: argparse.Namespace) -> None:
    from tkiseq.atomic import write_text
    from tkiseq.expression.de import phenotypes_for_de
    from tkiseq.inputs import validate_inputs
    from tkiseq.stages import TESTED_PHENOTYPES

    validate_inputs(a.input, a.phenotypes, a.cnv, a.outdir)
    tested = phenotypes_for_de(a.outdir / "phenotypes.valid.csv")
    write_text(a.outdir / TESTED_PHENOTYPES, "".join(f"{name}\n" for name in tested))


def _versions(a: argparse.Namespace) -> None:
    from tkiseq.pipeline_info import versions_yml
    from tkiseq.stages import BY_NAME

    sys.stdout.write(versions_yml(a.process, BY_NAME[a.stage].tools))


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


def _de(a: argparse.Namespace) -> None:
    from tkiseq.expression.de import DeParams, run

    covariates = tuple(c for c in a.covariates.split(",") if c) if a.covariates else ()
    params = DeParams(
        phenotype=a.phenotype,
        covariates=covariates,
        cap=a.cap if a.cap > 0 else None,
        zscore=a.zscore,
        min_count=a.min_count,
        min_samples=a.min_samples,
        alpha=a.alpha,
        threads=a.threads,
    )
    run(a.counts, a.phenotypes, params, a.outdir)


def _gsea(a: argparse.Namespace) -> None:
    from tkiseq.enrichment.gsea import GseaParams, run

    params = GseaParams(
        min_size=a.min_size,
        max_size=a.max_size,
        permutations=a.permutations,
        seed=a.seed,
        threads=a.threads,
    )
    run(a.de, [Path(p) for p in a.gene_sets.split(",") if p], params, a.outdir)


def _variants_call(a: argparse.Namespace) -> None:
    from tkiseq.variants.call import call_bam
    from tkiseq.variants.user_vcf import call_from_vcf

    if a.vcf is not None:
        call_from_vcf(a.sample, a.vcf, a.fasta, a.outdir, bam=a.bam)
    elif a.bam is None or a.gtf is None:
        raise InputError("--bam", "variants call needs --bam and --gtf, or --vcf")
    else:
        call_bam(a.sample, a.bam, a.fasta, a.gtf, a.outdir, threads=a.threads)


def _variants_filter(a: argparse.Namespace) -> None:
    from tkiseq.variants.filter import FilterParams, filter_calls

    params = FilterParams(min_alt_reads=a.min_alt_reads, min_vaf=a.min_vaf)
    filter_calls(a.sample, a.vcf, a.dbsnp, a.fasta, a.outdir, params, fusions=a.fusions)


def _variants_annotate(a: argparse.Namespace) -> None:
    from tkiseq.variants.annotate import annotate_calls

    annotate_calls(a.sample, a.vcf, a.fasta, a.gtf, a.outdir)


def _variants_cohort(a: argparse.Namespace) -> None:
    from tkiseq.variants.cohort import build_cohort

    build_cohort(a.tables, a.outdir)


def _fusions(a: argparse.Namespace) -> None:
    from tkiseq.fusions import run_fusions
    from tkiseq.fusions.artifacts import Thresholds

    thresholds = Thresholds(
        min_split=a.min_split,
        min_support=a.min_support,
        min_anchor=a.min_anchor,
        readthrough_distance=a.readthrough_distance,
        promiscuous_partners=a.promiscuous_partners,
    )
    run_fusions(
        a.sample, a.chimeric, a.sj, a.gtf, a.outdir, a.log_final, thresholds, a.fasta, a.bam
    )


def _fusions_cohort(a: argparse.Namespace) -> None:
    from tkiseq.fusions import run_cohort

    run_cohort(a.tables, a.outdir)


def _splice_lesions(a: argparse.Namespace) -> None:
    from tkiseq.splicing.lesions import run_splice_lesions

    genes = tuple(g.strip() for g in a.genes.split(",") if g.strip())
    run_splice_lesions(a.sample, a.sj, a.gtf, a.outdir, genes, a.min_reads)


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

    p = sub.add_parser("versions", help="versions.yml of a stage: tkiseq and the tools it uses")
    p.add_argument("--process", required=True, help="the Nextflow process name (task.process)")
    p.add_argument("--stage", required=True, choices=sorted(BY_NAME), help="registry stage name")
    p.set_defaults(func=_versions)

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
    p = sub.add_parser("de", help="differential expression against a phenotype, outlier flags")
    p.add_argument(
        "--counts",
        type=Path,
        nargs="+",
        required=True,
        help="cohort.h5ad, counts.tsv/.csv, featureCounts output or *.ReadsPerGene.out.tab",
    )
    p.add_argument("--phenotypes", type=Path, required=True)
    p.add_argument("--phenotype", default="auc_imatinib", help="numeric column to test")
    p.add_argument("--covariates", default="", help="comma-separated extra design terms")
    p.add_argument("--cap", type=float, default=150.0, help="cap the phenotype (0: no cap)")
    p.add_argument("--zscore", action="store_true", help="fit on the z-scored phenotype")
    p.add_argument("--min-count", type=int, default=10, help="low-count filter: reads ...")
    p.add_argument("--min-samples", type=int, default=3, help="... in at least this many")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--outdir", type=Path, required=True)
    p.set_defaults(func=_de)

    p = sub.add_parser("gsea", help="gene set enrichment (prerank) of a DE table")
    p.add_argument("--de", type=Path, required=True, help="de_<phenotype>.tsv")
    p.add_argument("--gene-sets", required=True, help="comma-separated GMT files")
    p.add_argument("--min-size", type=int, default=5)
    p.add_argument("--max-size", type=int, default=500)
    p.add_argument("--permutations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--outdir", type=Path, required=True)
    p.set_defaults(func=_gsea)

    p = sub.add_parser("variants", help="SNV/indel calling, study filter and annotation")
    vsub = p.add_subparsers(dest="variants_command", required=True, metavar="<step>")
    v = vsub.add_parser("call", help="allele counts at exonic sites from a BAM, or a user VCF")
    v.add_argument("--sample", required=True)
    v.add_argument("--bam", type=Path, help="coordinate-sorted, indexed BAM")
    v.add_argument("--vcf", type=Path, help="user VCF entry point (split + left-aligned)")
    v.add_argument("--fasta", type=Path, required=True)
    v.add_argument("--gtf", type=Path, help="exons + splice regions to call (with --bam)")
    v.add_argument("--outdir", type=Path, required=True)
    v.add_argument("--threads", type=int, default=1)
    v.set_defaults(func=_variants_call)
    v = vsub.add_parser("filter", help=">= N alt reads, VAF > x, not in dbSNP")
    v.add_argument("--sample", required=True)
    v.add_argument("--vcf", type=Path, required=True)
    v.add_argument("--dbsnp", type=Path, required=True)
    v.add_argument("--fasta", type=Path, required=True)
    v.add_argument("--min-alt-reads", type=int, default=3)
    v.add_argument("--min-vaf", type=float, default=0.1, help="VAF must be strictly above")
    v.add_argument(
        "--fusions", type=Path, help="<sample>.fusions.tsv: calls past its breakpoints are flagged"
    )
    v.add_argument("--outdir", type=Path, required=True)
    v.set_defaults(func=_variants_filter)
    v = vsub.add_parser("annotate", help="gene, consequence, HGVS, ABL1 KD and TKI flags")
    v.add_argument("--sample", required=True)
    v.add_argument("--vcf", type=Path, required=True, help="<sample>.all.vcf.gz")
    v.add_argument("--fasta", type=Path, required=True)
    v.add_argument("--gtf", type=Path, required=True)
    v.add_argument("--outdir", type=Path, required=True)
    v.set_defaults(func=_variants_annotate)
    v = vsub.add_parser("cohort", help="cohort PASS table and sample x gene alteration matrix")
    v.add_argument("tables", type=Path, nargs="+", help="<sample>.variants.tsv")
    v.add_argument("--outdir", type=Path, required=True)
    v.set_defaults(func=_variants_cohort)

    p = sub.add_parser("fusions", help="fusion calls from STAR chimeric and spliced junctions")
    fsub = p.add_subparsers(dest="fusions_command", required=True, metavar="<step>")
    f = fsub.add_parser("call", help="one sample's fusions, filtered and annotated")
    f.add_argument("--sample", required=True)
    f.add_argument("--chimeric", type=Path, required=True, help="<sample>.Chimeric.out.junction")
    f.add_argument("--sj", type=Path, required=True, help="<sample>.SJ.out.tab")
    f.add_argument("--gtf", type=Path, required=True)
    f.add_argument(
        "--log-final", type=Path, help="<sample>.Log.final.out (FFPM denominator; else footer)"
    )
    f.add_argument("--fasta", type=Path, help="genome FASTA: enables the low_complexity filter")
    f.add_argument(
        "--bam", type=Path, help="<sample>.bam (indexed): spanning pairs of spliced fusions"
    )
    f.add_argument("--min-split", type=int, default=2, help="split reads that suffice alone")
    f.add_argument("--min-support", type=int, default=3, help="split + spanning that suffice")
    f.add_argument("--min-anchor", type=int, default=20, help="bases aligned on both sides")
    f.add_argument("--readthrough-distance", type=int, default=100_000)
    f.add_argument("--promiscuous-partners", type=int, default=10)
    f.add_argument("--outdir", type=Path, required=True)
    f.set_defaults(func=_fusions)
    f = fsub.add_parser("cohort", help="merge per-sample fusion tables")
    f.add_argument("tables", type=Path, nargs="+", help="<sample>.fusions.tsv")
    f.add_argument("--outdir", type=Path, required=True)
    f.set_defaults(func=_fusions_cohort)

    p = sub.add_parser("splice-lesions", help="exon-deletion junctions such as IKZF1 delta4-7")
    p.add_argument("--sample", required=True)
    p.add_argument("--sj", type=Path, required=True, help="<sample>.SJ.out.tab")
    p.add_argument("--gtf", type=Path, required=True)
    p.add_argument("--genes", default="IKZF1,PAX5,ERG,CDKN2A,RB1,BTG1")
    p.add_argument("--min-reads", type=int, default=2)
    p.add_argument("--outdir", type=Path, required=True)
    p.set_defaults(func=_splice_lesions)
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
