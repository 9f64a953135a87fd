"""Command line: one subcommand per stage. Argument parsing only; the work is in the stages.

The Nextflow processes and the local runner call these same subcommands, so a stage behaves
the same on a laptop and on a cluster. Each subcommand's options sit next to its handler; a
tunable option's default is read from the stage's parameter dataclass (the one place it is
written) and shown in ``--help``. Stage modules are imported only for the subcommand asked for,
so ``tkiseq --version`` and ``tkiseq versions`` stay fast.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tkiseq import __version__
from tkiseq.errors import (
    STOP_WITH_PARENT_ENV,
    InputError,
    Interrupted,
    ToolError,
    environment_message,
    interruptible,
    stop_with_parent,
)
from tkiseq.pipeline_info import configure_logging
from tkiseq.stages import BY_NAME, STAGES, Stage, Tuning

Parser = argparse.ArgumentParser
ANNOTATION_HELP = "annotation bundle folder (tkiseq prepare writes <outdir>/annotation)"


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: x)`` for options that have a default (not for required ones)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required or action.default in (None, False, ""):
            return action.help
        return super()._get_help_string(action)


def default(cls: type, name: str) -> object:
    """The default of field ``name`` of the parameter dataclass ``cls``."""
    value = getattr(cls(), name)
    return ",".join(value) if isinstance(value, tuple) else value


def _split(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def positive_int(text: str) -> int:
    """An argparse type for counts such as ``--threads``: 0 or less is refused here, in
    words, not by the tool that receives it."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found '{text}'; expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"found {value}; expected 1 or more")
    return value


def _allow_same_reads(p: Parser) -> None:
    p.add_argument(
        "--allow-same-reads",
        action="store_true",
        help="accept the same reads (file or copy) for two samples, e.g. technical replicates",
    )


# -- versions -------------------------------------------------------------------------------------
def _versions_options(p: Parser) -> None:
    p.add_argument("--process", required=True, help="the Nextflow process name (task.process)")
    p.add_argument("--stage", required=True, choices=sorted(BY_NAME), help="registry stage name")


def _versions(a: argparse.Namespace) -> None:
    from tkiseq.pipeline_info import versions_yml

    sys.stdout.write(versions_yml(a.process, BY_NAME[a.stage].tools))


# -- simulate -------------------------------------------------------------------------------------
def _simulate_options(p: Parser) -> None:
    from tkiseq.simulate import PRESETS, simulate
    from tkiseq.simulate.cohort import MIN_COHORT_SAMPLES

    defaults = inspect.signature(simulate).parameters
    p.add_argument("--outdir", type=Path, required=True, help="new or empty folder to write")
    p.add_argument(
        "--preset",
        choices=list(PRESETS),
        default=defaults["preset"].default,
        help="dataset design and library defaults: "
        + "; ".join(
            f"{k}: {v.n_samples} x {v.pairs:,} pairs, duplicates {v.duplicates}, intronic "
            f"{v.intronic}, confident errors {v.confident_errors}"
            for k, v in PRESETS.items()
        ),
    )
    p.add_argument(
        "--seed",
        type=int,
        default=defaults["seed"].default,
        help="same preset, seed and options: same bytes",
    )
    p.add_argument("--pairs", type=int, help="read pairs per sample (default: the preset's)")
    p.add_argument(
        "--samples",
        type=int,
        help=f"samples (cohort preset only, >= {MIN_COHORT_SAMPLES}; default: the preset's)",
    )
    p.add_argument("--duplicates", type=float, help="PCR duplicate share of the read pairs")
    p.add_argument("--intronic", type=float, help="pre-mRNA (intronic) share of the fragments")
    p.add_argument(
        "--confident-errors",
        type=float,
        help="share of sequencing errors that keep an ordinary base quality (29-41)",
    )
    p.add_argument(
        "--gtf-dialect",
        choices=["gencode", "exon-cds", "refseq"],
        default="gencode",
        help="GTF rows as the source writes them: gencode (gene, transcript, exon, CDS, codon,"
        " UTR rows), exon-cds (exon and CDS only, as many exports), refseq (exon and CDS, the "
        "CDS ending with the stop codon)",
    )


def _simulate(a: argparse.Namespace) -> None:
    from tkiseq.simulate import simulate

    simulate(
        a.outdir,
        preset=a.preset,
        seed=a.seed,
        pairs=a.pairs,
        samples=a.samples,
        duplicates=a.duplicates,
        intronic=a.intronic,
        confident_errors=a.confident_errors,
        gtf_dialect=a.gtf_dialect,
    )


# -- validate -------------------------------------------------------------------------------------
def _validate_options(p: Parser) -> None:
    p.add_argument("--input", type=Path, help="samplesheet.csv (reads); or --counts")
    p.add_argument(
        "--counts", help="instead of --input: a count matrix (comma-separated HTSeq-count "
        "files); its columns are the samples",
    )  # fmt: skip
    p.add_argument("--phenotypes", type=Path, required=True, help="phenotypes.csv")
    p.add_argument("--cnv", type=Path, help="cnv.csv (MLPA or SNP array), optional")
    p.add_argument("--fasta", type=Path, help="check it opens with its .fai (made if missing)")
    p.add_argument("--gtf", type=Path, help="check it exists (tkiseq prepare reads it)")
    p.add_argument("--dbsnp", type=Path, help="check it is bgzipped with a .tbi/.csi index")
    p.add_argument("--gene-sets", help="comma-separated GMT files to check")
    _allow_same_reads(p)
    p.add_argument(
        "--outdir", type=Path, required=True, help="where *.valid.csv (absolute paths) go"
    )


def _validate(a: argparse.Namespace) -> None:
    from tkiseq.atomic import write_text
    from tkiseq.expression.de import phenotypes_for_de
    from tkiseq.inputs import validate_inputs
    from tkiseq.inputs.references import References
    from tkiseq.stages import TESTED_PHENOTYPES

    gene_sets = tuple(Path(p) for p in _split(a.gene_sets or ""))
    validate_inputs(
        a.input,
        a.phenotypes,
        a.cnv,
        a.outdir,
        references=References(a.fasta, a.gtf, a.dbsnp, gene_sets),
        allow_same_reads=a.allow_same_reads,
        counts=[Path(p) for p in _split(a.counts or "")],
    )
    tested = phenotypes_for_de(a.outdir / "phenotypes.valid.csv")  # warns for each one skipped
    write_text(a.outdir / TESTED_PHENOTYPES, "".join(f"{name}\n" for name in tested))


# -- star-index -----------------------------------------------------------------------------------
def _star_index_options(p: Parser) -> None:
    from tkiseq.align.star import IndexParams

    p.add_argument("--fasta", type=Path, required=True, help="genome FASTA")
    p.add_argument("--gtf", type=Path, required=True, help="gene annotation GTF")
    p.add_argument("--outdir", type=Path, required=True, help="the index folder to create")
    p.add_argument("--threads", type=positive_int, default=1, help="STAR threads")
    p.add_argument(
        "--read-length",
        type=int,
        default=default(IndexParams, "read_length"),
        help="sets --sjdbOverhang to read length - 1",
    )


def _star_index(a: argparse.Namespace) -> None:
    from tkiseq.align.star import IndexParams, build_index

    params = IndexParams(read_length=a.read_length)
    build_index(a.fasta, a.gtf, a.outdir, threads=a.threads, read_length=params.read_length)


# -- prepare --------------------------------------------------------------------------------------
def _prepare_options(p: Parser) -> None:
    p.add_argument("--gtf", type=Path, required=True, help="gene annotation GTF (plain or .gz)")
    p.add_argument(
        "--fasta", type=Path,
        help="genome FASTA (contig names); optional for a run from a count matrix",
    )  # fmt: skip
    p.add_argument(
        "--outdir",
        type=Path,
        required=True,
        help="reference folder: the bundle is <outdir>/annotation",
    )


def _prepare(a: argparse.Namespace) -> None:
    from tkiseq.genome.bundle import prepare

    prepare(a.gtf, a.fasta, a.outdir)


# -- align ----------------------------------------------------------------------------------------
def _align_options(p: Parser) -> None:
    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    reads = p.add_mutually_exclusive_group(required=True)
    reads.add_argument("--fastq-1", type=Path, help="read 1 (.fastq.gz)")
    reads.add_argument("--bam", type=Path, help="realign the reads of an existing BAM")
    p.add_argument("--fastq-2", type=Path, help="read 2 (.fastq.gz); none for single-end")
    p.add_argument("--star-index", type=Path, required=True, help="STAR index folder")
    p.add_argument("--outdir", type=Path, required=True, help="folder for the sample's files")
    p.add_argument(
        "--strandedness",
        choices=["auto", "unstranded", "forward", "reverse"],
        default="auto",
        help="library strandedness; auto: inferred from the gene counts",
    )
    p.add_argument("--threads", type=positive_int, default=1, help="STAR and samtools threads")
    p.add_argument("--star-args", default="", help="extra STAR options, appended last (they win)")


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


# -- counts ---------------------------------------------------------------------------------------
def _counts_options(p: Parser) -> None:
    from tkiseq.expression.counts import CountsParams

    p.add_argument(
        "counts", type=Path, nargs="+",
        help="<sample>.ReadsPerGene.out.tab files, or one count matrix: a genes x samples "
        "TSV/CSV (Ensembl IDs with or without version, or gene symbols), featureCounts output, "
        "HTSeq-count files (one per sample) or a cohort.h5ad",
    )  # fmt: skip
    p.add_argument("--annotation", type=Path, required=True, help=ANNOTATION_HELP)
    p.add_argument("--phenotypes", type=Path, required=True, help="phenotypes.valid.csv")
    p.add_argument(
        "--samplesheet", type=Path,
        help="samplesheet.valid.csv: a count matrix is limited to its samples (default: all)",
    )  # fmt: skip
    p.add_argument(
        "--log-final", type=Path, nargs="+", default=[],
        help="<sample>.Log.final.out files: the QC gate on the uniquely mapped share",
    )  # fmt: skip
    p.add_argument(
        "--min-mapped", type=float, default=default(CountsParams, "min_mapped_pct"),
        help="QC gate: samples with a lower uniquely mapped %% are left out of the cohort",
    )  # fmt: skip
    p.add_argument("--outdir", type=Path, required=True, help="folder for the cohort files")


def _counts(a: argparse.Namespace) -> None:
    from tkiseq.expression.counts import CountsParams, build_cohort

    params = CountsParams(min_mapped_pct=a.min_mapped)
    build_cohort(a.counts, a.annotation, a.phenotypes, a.outdir, a.samplesheet, a.log_final, params)


# -- run ------------------------------------------------------------------------------------------
def _tuning_option(p: argparse._ArgumentGroup, stage: Stage, tuning: Tuning) -> None:
    """A study threshold of ``tkiseq run``: passed on to the stages that take it only when
    given, so their own default (shown here) applies otherwise."""
    cls = stage.params_class()
    assert cls is not None, f"{stage.name}: a tuning option needs a parameter dataclass"
    shown = default(cls, tuning.field)
    takers = "; ".join(
        f"tkiseq {' '.join(s.command)} {t.flag}"
        for s in STAGES
        for t in s.tuning
        if t.name == tuning.name
    )
    p.add_argument(
        f"--{tuning.name.replace('_', '-')}",
        type=type(shown) if isinstance(shown, int | float) else str,
        help=f"{tuning.help} (default: {shown}; {takers})",
    )


def _run_options(p: Parser) -> None:
    from tkiseq.runner import RunConfig

    defaults = {f.name: f.default for f in dataclasses.fields(RunConfig)}
    p.add_argument("--input", type=Path, help="samplesheet.csv (the reads); or --counts")
    p.add_argument(
        "--counts",
        help="instead of --input: a published count matrix (genes x samples TSV/CSV keyed by "
        "Ensembl IDs or gene symbols, featureCounts output, or comma-separated HTSeq-count "
        "files); its columns are the samples, and the stages that need reads are skipped",
    )  # fmt: skip
    p.add_argument("--phenotypes", type=Path, required=True, help="phenotypes.csv")
    p.add_argument("--cnv", type=Path, help="cnv.csv (MLPA or SNP array), optional")
    p.add_argument("--fasta", type=Path, help="genome FASTA (not needed with --counts)")
    p.add_argument("--gtf", type=Path, required=True, help="gene annotation GTF (prepare reads it)")
    p.add_argument("--dbsnp", type=Path, help="dbSNP VCF, bgzip + tabix (not needed with --counts)")
    p.add_argument("--gene-sets", help="comma-separated GMT files (no GSEA without)")
    p.add_argument("--outdir", type=Path, required=True, help="results folder")
    p.add_argument("--star-index", type=Path, help="reuse a STAR index instead of building one")
    p.add_argument(
        "--annotation", type=Path, help="reuse an annotation bundle instead of preparing one"
    )
    p.add_argument(
        "--reference-dir", type=Path,
        help="where the STAR index and annotation bundle are prepared, and reused by later runs "
        "while the FASTA and GTF match (default: <outdir>/reference)",
    )  # fmt: skip
    p.add_argument(
        "--subtype-reference", type=Path,
        help="labelled .h5ad (obs 'subtype', raw counts) the subtypes stage projects onto",
    )  # fmt: skip
    p.add_argument(
        "--karyotype-reference", type=Path,
        help="known-diploid .h5ad (raw counts) for the RNA karyotype (default: cohort median)",
    )  # fmt: skip
    p.add_argument(
        "--threads", type=positive_int, default=defaults["threads"], help="CPU threads for the run"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --outdir: skip stages already complete",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the tkiseq results already in --outdir (refused without it)",
    )
    _allow_same_reads(p)
    study = p.add_argument_group("study thresholds (default: the stage's own)")
    added: set[str] = set()
    for stage in STAGES:
        for tuning in stage.tuning:
            if tuning.name not in added:  # one option may reach several stages (min_vaf)
                _tuning_option(study, stage, tuning)
                added.add(tuning.name)


def _run(a: argparse.Namespace) -> None:
    from tkiseq.runner import RunConfig, run_pipeline

    tuning = {
        t.name: str(getattr(a, t.name))
        for stage in STAGES
        for t in stage.tuning
        if getattr(a, t.name) is not None
    }
    counts = [Path(p) for p in _split(a.counts or "")]
    if counts and a.input:
        raise InputError("--counts", "give reads (--input) or a count matrix (--counts), not both")
    for name in () if counts else ("input", "fasta", "dbsnp"):  # a matrix needs no genome
        if getattr(a, name) is None:
            hint = "or give a count matrix with --counts" if name == "input" else None
            raise InputError(f"--{name}", "required for a run from reads", hint=hint)
    run_pipeline(
        RunConfig(
            input=a.input,
            counts=counts,
            phenotypes=a.phenotypes,
            cnv=a.cnv,
            fasta=a.fasta,
            gtf=a.gtf,
            dbsnp=a.dbsnp,
            gene_sets=[Path(p) for p in _split(a.gene_sets or "")],
            outdir=a.outdir,
            star_index=a.star_index,
            annotation=a.annotation,
            reference_dir=a.reference_dir,
            subtype_reference=a.subtype_reference,
            karyotype_reference=a.karyotype_reference,
            threads=a.threads,
            resume=a.resume,
            overwrite=a.overwrite,
            allow_same_reads=a.allow_same_reads,
            tuning=tuning,
        )
    )


# -- de -------------------------------------------------------------------------------------------
def _de_options(p: Parser) -> None:
    from tkiseq.expression.de import DeParams

    p.add_argument(
        "--counts",
        type=Path,
        nargs="+",
        required=True,
        help="cohort.h5ad, counts.tsv/.csv, featureCounts output or *.ReadsPerGene.out.tab",
    )
    p.add_argument("--phenotypes", type=Path, required=True, help="phenotypes.csv")
    p.add_argument(
        "--phenotype", default=default(DeParams, "phenotype"), help="numeric column to test"
    )
    p.add_argument("--covariates", default="", help="comma-separated extra design terms")
    p.add_argument(
        "--cap",
        type=float,
        default=default(DeParams, "cap"),
        help="cap the phenotype at this value (0: no cap)",
    )
    p.add_argument(
        "--min-count",
        type=int,
        default=default(DeParams, "min_count"),
        help="low-count filter: a gene needs this many reads ...",
    )
    p.add_argument(
        "--min-samples",
        type=int,
        default=default(DeParams, "min_samples"),
        help="... in at least this many samples",
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=default(DeParams, "alpha"),
        help="adjusted p-value threshold (independent filtering, significance)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        default=default(DeParams, "threads"),
        help="PyDESeq2 worker processes",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table and plots")


def _de(a: argparse.Namespace) -> None:
    from tkiseq.expression.de import DeParams, run

    params = DeParams(
        phenotype=a.phenotype,
        covariates=_split(a.covariates),
        cap=a.cap if a.cap > 0 else None,
        min_count=a.min_count,
        min_samples=a.min_samples,
        alpha=a.alpha,
        threads=a.threads,
    )
    run(a.counts, a.phenotypes, params, a.outdir)


# -- gsea -----------------------------------------------------------------------------------------
def _gsea_options(p: Parser) -> None:
    from tkiseq.enrichment.gsea import GseaParams

    p.add_argument("--de", type=Path, required=True, help="de_<phenotype>.tsv")
    p.add_argument("--gene-sets", required=True, help="comma-separated GMT files")
    p.add_argument(
        "--min-size",
        type=int,
        default=default(GseaParams, "min_size"),
        help="smallest gene set tested (genes in the ranking)",
    )
    p.add_argument(
        "--max-size", type=int, default=default(GseaParams, "max_size"), help="largest gene set"
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=default(GseaParams, "permutations"),
        help="gene-set permutations for the p-values",
    )
    p.add_argument("--seed", type=int, default=default(GseaParams, "seed"), help="permutation seed")
    p.add_argument(
        "--threads",
        type=positive_int,
        default=default(GseaParams, "threads"),
        help="gseapy threads",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table and plots")


def _gsea(a: argparse.Namespace) -> None:
    from tkiseq.enrichment.gsea import GseaParams, run

    params = GseaParams(
        min_size=a.min_size,
        max_size=a.max_size,
        permutations=a.permutations,
        seed=a.seed,
        threads=a.threads,
    )
    run(a.de, [Path(p) for p in _split(a.gene_sets)], params, a.outdir)


# -- variants -------------------------------------------------------------------------------------
def _variants_call_options(p: Parser) -> None:
    from tkiseq.variants.call import CallParams

    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    p.add_argument("--bam", type=Path, help="coordinate-sorted, indexed BAM")
    p.add_argument("--vcf", type=Path, help="user VCF entry point (split + left-aligned)")
    p.add_argument("--fasta", type=Path, required=True, help="genome FASTA")
    p.add_argument(
        "--annotation", type=Path, help="annotation bundle: exons + splice regions (with --bam)"
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the calls")
    p.add_argument("--threads", type=positive_int, default=1, help="regions called in parallel")
    helps = {
        "min_alt_reads": "SNVs with fewer alt reads (base quality >= 20) are not written, "
        "they cannot pass (the filter's --min-alt-reads)",
        "min_vaf": "SNVs whose VAF stays at or below this whatever the recount removes are "
        "not recounted (the filter's --min-vaf)",
        "edge": "bases this close to a plain alignment end are not evidence (0: off)",
        "clip_pad": "bases this close to a soft clip are not evidence (0: off)",
        "junction_pad": "bases this close to an unannotated splice junction are not evidence",
        "overhang": "a block shorter than this between a junction and a read end is not "
        "evidence (0: off)",
        "intron_end": "intron bases within this many of the end of a segment that runs into "
        "an annotated intron are not evidence",
    }
    for name, text in helps.items():
        value = default(CallParams, name)
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, type=type(value), default=value, help=text)


def _variants_call(a: argparse.Namespace) -> None:
    from tkiseq.variants.call import CallParams, call_bam
    from tkiseq.variants.user_vcf import call_from_vcf

    if a.vcf is not None:
        call_from_vcf(a.sample, a.vcf, a.fasta, a.outdir, bam=a.bam)
    elif a.bam is None or a.annotation is None:
        raise InputError("--bam", "variants call needs --bam and --annotation, or --vcf")
    else:
        params = CallParams(**{f.name: getattr(a, f.name) for f in dataclasses.fields(CallParams)})
        call_bam(a.sample, a.bam, a.fasta, a.annotation, a.outdir, threads=a.threads, params=params)


def _variants_filter_options(p: Parser) -> None:
    from tkiseq.variants.filter import FilterParams

    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    p.add_argument("--vcf", type=Path, required=True, help="<sample>.calls.vcf.gz")
    p.add_argument("--dbsnp", type=Path, required=True, help="dbSNP VCF (bgzip + tabix)")
    p.add_argument("--fasta", type=Path, required=True, help="genome FASTA")
    p.add_argument(
        "--min-alt-reads",
        type=int,
        default=default(FilterParams, "min_alt_reads"),
        help="a PASS call has at least this many alt reads",
    )
    p.add_argument(
        "--min-vaf",
        type=float,
        default=default(FilterParams, "min_vaf"),
        help="a PASS call's VAF is strictly above this",
    )
    p.add_argument(
        "--fusions",
        type=Path,
        help="<sample>.fusions.tsv: calls just past its breakpoints get FILTER fusion_junction",
    )
    p.add_argument(
        "--fusion-window",
        type=int,
        default=default(FilterParams, "fusion_window"),
        help="fusion_junction: bases past a breakpoint, on the intron side",
    )
    p.add_argument(
        "--paralog-noisy-fraction",
        type=float,
        default=default(FilterParams, "paralog_noisy_fraction"),
        help="paralog: share of the alt reads with >= 2 other mismatches (INFO/AXM) at least this",
    )
    p.add_argument(
        "--paralog-pvalue",
        type=float,
        default=default(FilterParams, "paralog_pvalue"),
        help="paralog: ... and more of them than among the ref reads, Fisher P below this",
    )
    p.add_argument(
        "--paralog-low-mapq",
        type=float,
        default=default(FilterParams, "paralog_low_mapq"),
        help="paralog: or this fraction of the reads over the site multi-mapped (INFO/LMQ)",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the filtered calls")


def _variants_filter(a: argparse.Namespace) -> None:
    from tkiseq.variants.filter import FilterParams, filter_calls

    params = FilterParams(**{f.name: getattr(a, f.name) for f in dataclasses.fields(FilterParams)})
    filter_calls(a.sample, a.vcf, a.dbsnp, a.fasta, a.outdir, params, fusions=a.fusions)


def _variants_annotate_options(p: Parser) -> None:
    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    p.add_argument("--vcf", type=Path, required=True, help="<sample>.all.vcf.gz")
    p.add_argument("--fasta", type=Path, required=True, help="genome FASTA")
    p.add_argument("--annotation", type=Path, required=True, help=ANNOTATION_HELP)
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table")


def _variants_annotate(a: argparse.Namespace) -> None:
    from tkiseq.variants.annotate import annotate_calls

    annotate_calls(a.sample, a.vcf, a.fasta, a.annotation, a.outdir)


def _variants_cohort_options(p: Parser) -> None:
    p.add_argument("tables", type=Path, nargs="+", help="<sample>.variants.tsv")
    p.add_argument("--outdir", type=Path, required=True, help="folder for the cohort tables")


def _variants_cohort(a: argparse.Namespace) -> None:
    from tkiseq.variants.cohort import build_cohort

    build_cohort(a.tables, a.outdir)


# -- fusions --------------------------------------------------------------------------------------
def _fusions_call_options(p: Parser) -> None:
    from tkiseq.fusions.artifacts import Thresholds

    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    p.add_argument("--chimeric", type=Path, required=True, help="<sample>.Chimeric.out.junction")
    p.add_argument("--sj", type=Path, required=True, help="<sample>.SJ.out.tab")
    p.add_argument("--annotation", type=Path, required=True, help=ANNOTATION_HELP)
    p.add_argument(
        "--log-final", type=Path, help="<sample>.Log.final.out (FFPM denominator; else footer)"
    )
    p.add_argument("--fasta", type=Path, help="genome FASTA: enables the low_complexity filter")
    p.add_argument(
        "--bam", type=Path, help="<sample>.bam (indexed): spanning pairs of spliced fusions"
    )
    helps = {
        "min_split": "split reads that suffice alone",
        "min_support": "split + spanning fragments that suffice (with >= 1 split read)",
        "min_anchor": "bases aligned on both sides of the breakpoint",
        "readthrough_distance": "partners closer than this (bp, same strand) are read-through",
        "promiscuous_partners": "a gene with more partners than this is promiscuous",
    }
    for name, text in helps.items():
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, type=int, default=default(Thresholds, name), help=text)
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table")


def _fusions_call(a: argparse.Namespace) -> None:
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
        a.sample, a.chimeric, a.sj, a.annotation, a.outdir, a.log_final, thresholds, a.fasta, a.bam
    )


def _fusions_cohort_options(p: Parser) -> None:
    p.add_argument("tables", type=Path, nargs="+", help="<sample>.fusions.tsv")
    p.add_argument("--outdir", type=Path, required=True, help="folder for the cohort table")


def _fusions_cohort(a: argparse.Namespace) -> None:
    from tkiseq.fusions import run_cohort

    run_cohort(a.tables, a.outdir)


# -- splice-lesions -------------------------------------------------------------------------------
def _splice_lesions_options(p: Parser) -> None:
    from tkiseq.splicing.lesions import LesionParams

    p.add_argument("--sample", required=True, help="sample name: the output files' stem")
    p.add_argument("--sj", type=Path, required=True, help="<sample>.SJ.out.tab")
    p.add_argument("--annotation", type=Path, required=True, help=ANNOTATION_HELP)
    p.add_argument(
        "--genes",
        default=default(LesionParams, "genes"),
        help="comma-separated genes whose exon-deletion junctions are reported",
    )
    p.add_argument(
        "--min-reads",
        type=int,
        default=default(LesionParams, "min_reads"),
        help="junction reads a lesion needs",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table")


def _splice_lesions(a: argparse.Namespace) -> None:
    from tkiseq.splicing.lesions import LesionParams, run_splice_lesions

    params = LesionParams(genes=_split(a.genes), min_reads=a.min_reads)
    run_splice_lesions(a.sample, a.sj, a.annotation, a.outdir, params.genes, params.min_reads)


# -- subtypes -------------------------------------------------------------------------------------
def _subtypes_options(p: Parser) -> None:
    from tkiseq.subtypes.stage import SubtypesParams

    p.add_argument("--expression", type=Path, required=True, help="cohort.h5ad of tkiseq counts")
    p.add_argument("--annotation", type=Path, required=True, help=ANNOTATION_HELP)
    p.add_argument(
        "--fusions", type=Path, nargs="+", default=[],
        help="<sample>.fusions.tsv files (a sample without one is unclassified unless other "
        "evidence defines it) or cohort_fusions.tsv",
    )  # fmt: skip
    p.add_argument(
        "--vcfs", type=Path, nargs="+", default=[],
        help="<sample>.all.vcf.gz files (dbsnp-FILTERed records give the allele fractions)",
    )  # fmt: skip
    p.add_argument("--variants", type=Path, help="cohort_variants.tsv (PASS calls)")
    p.add_argument("--cnv", type=Path, help="validated cnv.csv (PAR1, ERG deletions)")
    p.add_argument(
        "--karyotype-reference", type=Path,
        help="cohort.h5ad-like file of known-diploid samples (default: the cohort's median)",
    )  # fmt: skip
    p.add_argument(
        "--subtype-reference", type=Path, help="labelled .h5ad (obs 'subtype', raw counts)"
    )
    p.add_argument(
        "--subtype-centroids", type=Path,
        help="centroid TSV: gene column, one column per subtype (mean log2(CPM + 1))",
    )  # fmt: skip
    p.add_argument(
        "--neighbours", type=positive_int,
        default=default(SubtypesParams, "reference_neighbours"),
        help="subtype reference: neighbours per sample",
    )  # fmt: skip
    p.add_argument(
        "--reference-pcs", type=positive_int, default=default(SubtypesParams, "reference_pcs"),
        help="subtype reference: principal components of the projection",
    )  # fmt: skip
    p.add_argument(
        "--reference-min-fraction", type=float,
        default=default(SubtypesParams, "reference_min_fraction"),
        help="subtype reference: share of neighbours for a confident call",
    )  # fmt: skip
    p.add_argument("--outdir", type=Path, required=True, help="folder for the tables")


def _subtypes(a: argparse.Namespace) -> None:
    from tkiseq.subtypes.stage import SubtypesInputs, SubtypesParams, run

    inputs = SubtypesInputs(
        expression=a.expression,
        annotation=a.annotation,
        fusions=a.fusions,
        vcfs=a.vcfs,
        variants=a.variants,
        cnv=a.cnv,
        karyotype_reference=a.karyotype_reference,
        subtype_reference=a.subtype_reference,
        subtype_centroids=a.subtype_centroids,
    )
    params = SubtypesParams(
        reference_neighbours=a.neighbours,
        reference_pcs=a.reference_pcs,
        reference_min_fraction=a.reference_min_fraction,
    )
    run(inputs, a.outdir, params)


# -- response -------------------------------------------------------------------------------------
def _response_options(p: Parser) -> None:
    from tkiseq.response.scores import ResponseParams

    classes = " ".join(f"{d}:{lo:g},{hi:g}" for d, lo, hi in ResponseParams().classes)
    p.add_argument("--phenotypes", type=Path, required=True, help="auc_<drug> columns")
    p.add_argument("--viability", type=Path, help="sample,drug,concentration,viability_pct")
    p.add_argument("--cap", type=float, default=default(ResponseParams, "cap"), help="AUC cap")
    p.add_argument(
        "--classes",
        nargs="*",
        default=[classes],
        help="class thresholds per drug, drug:sensitive_below,resistant_above",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for response.tsv")


def _response(a: argparse.Namespace) -> None:
    from tkiseq.response.scores import ResponseParams, run

    classes = []
    for text in " ".join(a.classes).split():
        drug, _, bounds = text.partition(":")
        try:
            low, high = (float(b) for b in bounds.split(","))
        except ValueError:
            raise InputError("--classes", f"{text!r} is not drug:low,high") from None
        classes.append((drug, low, high))
    run(a.phenotypes, a.outdir, ResponseParams(cap=a.cap, classes=tuple(classes)), a.viability)


# -- lesions --------------------------------------------------------------------------------------
def _lesions_options(p: Parser) -> None:
    from tkiseq.lesions.sources import LesionParams

    rules = ", ".join(f"{g} VST >= {t:g}" for g, t in LesionParams().expression_rules)
    p.add_argument("--samplesheet", type=Path, required=True, help="sample column: the cohort")
    p.add_argument("--cnv", type=Path, help="cnv.csv (sample,gene,status)")
    p.add_argument("--splice", type=Path, nargs="*", default=[], help="*.splice_lesions.tsv")
    p.add_argument("--fusions", type=Path, help="cohort_fusions.tsv")
    p.add_argument("--variants", type=Path, help="cohort_variants.tsv (PASS rows)")
    p.add_argument("--expression", type=Path, help=f"cohort.h5ad ({rules})")
    p.add_argument("--karyotype", type=Path, help="subtypes/karyotype.tsv")
    p.add_argument("--outdir", type=Path, required=True, help="folder for the two tables")


def _lesions(a: argparse.Namespace) -> None:
    from tkiseq.lesions import run
    from tkiseq.lesions.sources import LesionParams

    inputs = dict(cnv=a.cnv, splice=a.splice, fusions=a.fusions, variants=a.variants)
    inputs |= dict(expression=a.expression, karyotype=a.karyotype)
    run(a.samplesheet, a.outdir, LesionParams(), **inputs)


# -- associations ---------------------------------------------------------------------------------
def _associations_options(p: Parser) -> None:
    from tkiseq.stats.associations import AssociationParams

    p.add_argument("--response", type=Path, required=True, help="response.tsv")
    p.add_argument("--phenotypes", type=Path, help="relapse, MRD, timing, age_group columns")
    p.add_argument("--profile", type=Path, help="lesions/profile.tsv")
    p.add_argument("--fusions", type=Path, help="cohort_fusions.tsv (BCR::ABL1 expression)")
    p.add_argument("--expression", type=Path, help="cohort.h5ad (ABL1 expression)")
    p.add_argument(
        "--min-group",
        type=int,
        default=default(AssociationParams, "min_group"),
        help="smallest group that is tested",
    )
    p.add_argument(
        "--dunn-adjust",
        default=default(AssociationParams, "dunn_adjust"),
        help="p adjustment over Dunn's pairs (scikit-posthocs p_adjust)",
    )
    p.add_argument("--outdir", type=Path, required=True, help="folder for the table and figures/")


def _associations(a: argparse.Namespace) -> None:
    from tkiseq.stats.associations import AssociationParams
    from tkiseq.stats.stage import run

    params = AssociationParams(min_group=a.min_group, dunn_adjust=a.dunn_adjust)
    inputs = dict(phenotypes=a.phenotypes, profile=a.profile, fusions=a.fusions)
    run(a.outdir, params, a.response, expression=a.expression, **inputs)


# -- report ---------------------------------------------------------------------------------------
def _report_options(p: Parser) -> None:
    from tkiseq.report.params import ReportParams

    p.add_argument(
        "files", type=Path, nargs="*", help="the run's output files the report reads (by name)"
    )
    p.add_argument("--results", type=Path, help="instead of files: a tkiseq run --outdir folder")
    p.add_argument(
        "--outlier-z", type=float, default=default(ReportParams, "outlier_z"),
        help="QC outliers: modified z-score cut-off",
    )  # fmt: skip
    p.add_argument(
        "--outlier-min-fraction", type=float,
        default=default(ReportParams, "outlier_min_fraction"),
        help="QC outliers: counts must also lie this share of the median away",
    )  # fmt: skip
    p.add_argument(
        "--outlier-min-points", type=float, default=default(ReportParams, "outlier_min_points"),
        help="QC outliers: percentages must also lie this many points away",
    )  # fmt: skip
    p.add_argument(
        "--min-reads-detected", type=int, default=default(ReportParams, "min_reads_detected"),
        help="reads that make a gene detected",
    )  # fmt: skip
    p.add_argument(
        "--top-genes", type=int, default=default(ReportParams, "top_genes"),
        help="DE rows shown per phenotype",
    )  # fmt: skip
    p.add_argument("--no-multiqc", action="store_true", help="the HTML report only")
    p.add_argument("--outdir", type=Path, required=True, help="folder for report.html, multiqc/")


def _report(a: argparse.Namespace) -> None:
    from tkiseq.report.build import run, run_files
    from tkiseq.report.params import ReportParams

    params = ReportParams(
        outlier_z=a.outlier_z,
        outlier_min_fraction=a.outlier_min_fraction,
        outlier_min_points=a.outlier_min_points,
        min_reads_detected=a.min_reads_detected,
        top_genes=a.top_genes,
        multiqc=not a.no_multiqc,
    )
    if a.results is not None:
        if a.files:
            raise InputError("--results", "give a results folder or files, not both")
        run(a.results, a.outdir, params)
    elif a.files:
        run_files(a.files, a.outdir, params)
    else:
        raise InputError("tkiseq report", "nothing to report", hint="give --results or files")


def _report_status_options(p: Parser) -> None:
    p.add_argument("--results", type=Path, required=True, help="the run's --outdir folder")
    p.add_argument(
        "--report", type=Path, help="the page to update (default: <results>/report/report.html)"
    )
    p.add_argument(
        "--status", choices=("COMPLETED", "FAILED", "ABORTED"),
        help="the run's outcome (default: from pipeline_info/run.json and trace.tsv)",
    )  # fmt: skip
    p.add_argument(
        "--failed", action="append", default=[], metavar="TASK",
        help="a task that failed (repeatable), e.g. de.auc_imatinib, or as Nextflow names it, "
        "e.g. 'TKISEQ_PIPELINE:TKISEQ:ALIGN:TKISEQ_ALIGN (S01)'",
    )  # fmt: skip


def _report_status(a: argparse.Namespace) -> None:
    from tkiseq.report.status import read_state, update_report

    report = a.report or a.results / "report" / "report.html"
    if not report.exists():
        raise InputError(report, "file not found", hint="build it with tkiseq report first")
    update_report(report, read_state(a.results, a.status, a.failed))


# -- the parser -----------------------------------------------------------------------------------
Command = tuple[str, str, Callable[[Parser], None], Callable[[argparse.Namespace], None]]

COMMANDS: list[Command] = [
    ("run", "the whole pipeline on this machine (no Nextflow)", _run_options, _run),
    ("simulate", "write a test dataset (tiny, cohort, deep) with its truth", _simulate_options,
     _simulate),
    ("validate", "check the input tables, read files, references and free space",
     _validate_options, _validate),
    ("star-index", "build the STAR genome index (once per reference)", _star_index_options,
     _star_index),
    ("prepare", "parse the GTF once into the annotation bundle the stages read",
     _prepare_options, _prepare),
    ("align", "STAR alignment with chimeric output, BAM and gene counts", _align_options, _align),
    ("counts", "cohort count matrix and AnnData from ReadsPerGene files or a count matrix",
     _counts_options,
     _counts),
    ("de", "differential expression against a phenotype, outlier flags", _de_options, _de),
    ("gsea", "gene set enrichment (prerank) of a DE table", _gsea_options, _gsea),
    ("splice-lesions", "exon-deletion junctions such as IKZF1 delta4-7",
     _splice_lesions_options, _splice_lesions),
    ("subtypes", "subtype, RNA karyotype, risk group, CD19/CD22 per sample", _subtypes_options,
     _subtypes),
    ("response", "AUC per drug: cap, z-score, class", _response_options, _response),
    ("lesions", "lesions from every source; IKZF1plus and deletion group", _lesions_options,
     _lesions),
    ("associations", "the core study's tests and figures", _associations_options,
     _associations),
    ("report", "the cohort report (one HTML file) and MultiQC", _report_options, _report),
    ("report-status", "write the run's final status into its report", _report_status_options,
     _report_status),
    ("versions", "versions.yml of a stage: tkiseq and the tools it uses", _versions_options,
     _versions),
]  # fmt: skip
STEPS: dict[str, tuple[str, list[Command]]] = {
    "variants": ("SNV/indel calling, study filter and annotation", [
        ("call", "allele counts at exonic sites from a BAM, or a user VCF",
         _variants_call_options, _variants_call),
        ("filter", ">= N alt reads, VAF > x, not in dbSNP", _variants_filter_options,
         _variants_filter),
        ("annotate", "gene, consequence, HGVS, ABL1 KD and TKI flags",
         _variants_annotate_options, _variants_annotate),
        ("cohort", "cohort PASS table and sample x gene alteration matrix",
         _variants_cohort_options, _variants_cohort),
    ]),
    "fusions": ("fusion calls from STAR chimeric and spliced junctions", [
        ("call", "one sample's fusions, filtered and annotated", _fusions_call_options,
         _fusions_call),
        ("cohort", "merge per-sample fusion tables", _fusions_cohort_options, _fusions_cohort),
    ]),
}  # fmt: skip


def _add(sub: argparse._SubParsersAction, command: Command, full: bool) -> None:
    name, text, options, handler = command
    p = sub.add_parser(name, help=text, description=text, formatter_class=_Help)
    if full:
        options(p)
    p.set_defaults(func=handler)


def build_parser(only: str | None = None, step: str | None = None) -> Parser:
    """The ``tkiseq`` argument parser; with ``only``, just that command (with ``step``, just
    that step of it) gets its options (the others are listed), so a call imports only its own
    stage's modules: a per-sample step then starts in a fifth of a second, not a second."""
    parser = Parser(
        prog="tkiseq", description="RNA-seq pipeline for B-ALL and ex vivo TKI response."
    )
    parser.add_argument("--version", action="version", version=f"tkiseq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for command in COMMANDS:
        _add(sub, command, only in (None, command[0]))
    for group, (text, steps) in STEPS.items():
        p = sub.add_parser(group, help=text, description=text)
        steps_sub = p.add_subparsers(dest=f"{group}_command", required=True, metavar="<step>")
        for one in steps:
            _add(steps_sub, one, only in (None, group) and step in (None, one[0]))
    return parser


def _unreadable_table(exc: Exception) -> str | None:
    """``<file>: <what pandas said>`` when ``exc`` was raised inside ``pandas.read_csv`` (an
    empty file, no delimiter to be found, ragged rows), whose errors do not name the file;
    None for any other error."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        source = frame.f_locals.get("filepath_or_buffer")
        if frame.f_code.co_name == "read_csv" and isinstance(source, str | os.PathLike):
            what = " ".join(str(exc).split()) or type(exc).__name__
            return f"{source}: not a readable table ({what})"
        tb = tb.tb_next
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: bad input, tool failures, file-system failures (read-only folder, full
    disk) and interrupts (Ctrl-C, SIGTERM) become one line on stderr, not a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    names = {c[0] for c in COMMANDS} | set(STEPS)
    words = [word for word in argv if not word.startswith("-")]
    first = words[0] if words else ""
    step = words[1] if first in STEPS and len(words) > 1 else None
    args = build_parser(only=first if first in names else "", step=step).parse_args(argv)
    configure_logging()
    try:
        with interruptible():
            if os.environ.get(STOP_WITH_PARENT_ENV):
                stop_with_parent()
            args.func(args)
    except InputError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tkiseq: error: {environment_message(exc)}", file=sys.stderr)
        return 1
    except (ValueError, csv.Error) as exc:  # pandas' EmptyDataError, ParserError, sniffer
        message = _unreadable_table(exc)
        if message is None:
            raise
        print(f"tkiseq: error: {message}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"tkiseq: interrupted ({exc}): stopped, temporaries removed", file=sys.stderr)
        return exc.exit_code
    return 0
