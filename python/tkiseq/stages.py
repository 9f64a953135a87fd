"""The stage registry: one declarative entry per pipeline stage.

Each entry says what a stage is: its ``tkiseq`` subcommand, whether it runs once per sample, per
cohort or per tested phenotype, the options its command line takes and where their values come
from, the files it writes and the folder (below ``--outdir``) they are published in, its
resource label and its tunable parameters. The local runner builds its tasks from these entries;
the module contract tests hold every Nextflow module
(``modules/local/tkiseq/<stage>/main.nf``) to its entry, so the two runners cannot drift apart.

Option values are templates. ``{name}`` is filled from the task's context: a run input
(``fasta``, ``gtf``, ``annotation``, ``dbsnp``, ``star_index``, ``gene_sets``...), a
samplesheet column (``sample``, ``fastq_1``, ``strandedness``, ``vcf``...), ``phenotype`` or
``threads``.
``"<stage>:<file>"`` names a file another stage writes (``"align:{sample}.bam"``); in a cohort
stage it means that file of every sample.

A run given a count matrix (``counts``) instead of reads has no per-sample stage: the stages that
need reads have ``when="!counts"``, and so do the options that name their outputs.

What would otherwise be the runner's special cases are fields too: a reference output the user
may give instead (``given``) and the check of a prepared one a later run reuses (``reuse``), a
yes/no run option handed to one stage (``switches``), what each task holds in memory
(``loads``), and the validated tables every run reads (``VALID_SAMPLESHEET``, ``TESTED``).

Entries are in data-flow order, which is the local runner's order: the stages before the first
per-sample stage set up the run, the per-sample stages form each sample's chain, and the
stages after them run once every sample is done.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

Scope = Literal["cohort", "sample", "phenotype"]

ALIGN_SUFFIXES = (
    ".bam",
    ".bam.bai",
    ".SJ.out.tab",
    ".Chimeric.out.junction",
    ".ReadsPerGene.out.tab",
    ".Log.final.out",
    ".markdup.txt",
    ".strandedness.json",  # last: its presence means the sample is complete
)
TESTED_PHENOTYPES = "tested_phenotypes.txt"  # written by validate, read by both runners
# Figure file stems below stats/figures/, each written as .png and .svg (docs/science.md#figures).
FIGURES = (
    "fig1abc_auc_by_age_group",
    "fig1d_z_correlation",
    "fig1ef_z_by_mrd_and_relapse",
    "fig3a_oncoprint",
    "fig3b_z_by_deletion_group",
    "fig5_expression_vs_auc",
)
FIGURE_FILES = tuple(f"figures/{stem}.{ext}" for stem in FIGURES for ext in ("png", "svg"))


@dataclass(frozen=True)
class Option:
    """One option of a stage's command line, and where its value comes from."""

    flag: str  # "--bam"; "" for positional arguments
    value: str  # a template (module docstring)
    file: bool = True  # a file the stage reads: part of the task's cache key
    when: str = ""  # only when this context value is set ("vcf"), or "!vcf": when it is not


@dataclass(frozen=True)
class Tuning:
    """A study threshold a user may set for a whole run: a ``tkiseq run`` option and a Nextflow
    param named ``name``, handed to the stage as ``flag`` only when set (ext.args in
    conf/modules.config), so its default stays the one in the stage's parameter dataclass."""

    name: str  # min_vaf -> `tkiseq run --min-vaf`, `--min_vaf` (params.min_vaf)
    flag: str  # the stage's own option
    field: str  # the parameter dataclass field that holds the default
    help: str


@dataclass(frozen=True)
class Switch:
    """A yes/no option a user may set for a whole run: a ``tkiseq run`` option and a Nextflow
    param (false by default) named ``name``, handed to the stage as ``flag`` only when set."""

    name: str  # allow_same_reads -> `tkiseq run --allow-same-reads`, params.allow_same_reads
    flag: str  # the stage's own option


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: a ``tkiseq`` subcommand with its inputs, outputs and publish folder."""

    name: str  # registry key, the local runner's trace name
    python: str  # the stage's module: its Params, Inputs and run(inputs, params, outdir)
    process: str  # the Nextflow process, TKISEQ_<X>: modules/local/tkiseq/<x>/main.nf
    command: tuple[str, ...]  # ("variants", "call") -> `tkiseq variants call`
    scope: Scope
    options: tuple[Option, ...]
    outputs: tuple[str, ...]  # file names in the publish folder; all exist when it is complete
    publish: str  # folder below --outdir; "{sample}" for per-sample folders
    label: Literal["process_low", "process_medium", "process_high"] = "process_low"
    outdir: str = "."  # the stage's --outdir, relative to its publish folder
    optional: tuple[str, ...] = ()  # outputs (or glob patterns) written only in some cases
    tools: tuple[str, ...] = ()  # what its versions.yml names besides tkiseq
    tuning: tuple[Tuning, ...] = ()  # run-wide study thresholds it takes
    when: str = ""  # the stage runs only when this run value is set ("gene_sets"; "!counts": not)
    # A run value (a RunConfig field and Nextflow param) by which the user gives this stage's
    # first output ("star_index"): the stage is then not run; unset, it names that output.
    given: str = ""
    # "module:name" of the tkiseq.prepared.Prepared that says whether an output already in the
    # reference folder was made from this run's inputs (then reused rather than rebuilt)
    reuse: str = ""
    switches: tuple[Switch, ...] = ()  # run-wide yes/no options handed to this stage only
    # A run value naming what each task holds in memory (STAR's index): its size bounds how
    # many samples run at once
    loads: str = ""

    def runs(self, run_values: dict[str, object]) -> bool:
        """Whether a run with these values has this stage at all (``when``; ``given`` only
        uses an output the user gave instead of running the stage)."""
        return applies(self.when, run_values)

    @property
    def module(self) -> str:
        """The module folder below modules/local (nf-core's tool/subtool layout)."""
        return self.process.lower().replace("tkiseq_", "tkiseq/", 1)

    def code(self) -> ModuleType:
        """The stage's module (imported only when asked: stage modules are heavy)."""
        return importlib.import_module(self.python)

    def params_class(self) -> type:
        """The stage's frozen parameter dataclass (``Params`` of its module)."""
        params: type = self.code().Params
        return params

    def prepared(self) -> Any:
        """The check of a reusable output (``reuse``, "module:name"; imported only when asked)."""
        if not self.reuse:
            return None
        module, _, name = self.reuse.partition(":")
        return getattr(importlib.import_module(module), name)


def _o(flag: str, value: str, **kw: object) -> Option:
    return Option(flag, value, **kw)  # type: ignore[arg-type]


def _v(flag: str, value: str, **kw: object) -> Option:
    """An option whose value is not a file."""
    return Option(flag, value, file=False, **kw)  # type: ignore[arg-type]


SAMPLE = _v("--sample", "{sample}")
READS = "!counts"  # a run from reads, not from a count matrix (--counts)
FASTA = _o("--fasta", "{fasta}")
GTF = _o("--gtf", "{gtf}")
ANNOTATION = _o("--annotation", "{annotation}")  # the bundle prepare writes
THREADS = _v("--threads", "{threads}")
# variants call skips recounting the SNVs that cannot pass the filter, so both take the thresholds
VARIANTS_MIN_ALT_READS = Tuning(
    "min_alt_reads",
    "--min-alt-reads",
    "min_alt_reads",
    "variants: a PASS call has at least this many alt reads",
)
VARIANTS_MIN_VAF = Tuning(
    "min_vaf", "--min-vaf", "min_vaf", "variants: a PASS call's VAF is strictly above this"
)
# drug response and DE analyse the same capped AUC (docs/science.md#drug-response)
AUC_CAP = Tuning(
    "auc_cap", "--cap", "cap", "drug response and DE: cap the AUC at this value (DE: 0, no cap)"
)
# the report marks the genes DE called: the same threshold (docs/science.md#differential-expression)
DE_ALPHA = Tuning("de_alpha", "--alpha", "alpha", "DE and report: adjusted p-value threshold")

STAGES: tuple[Stage, ...] = (
    Stage(
        "validate",
        "tkiseq.inputs.stage",
        "TKISEQ_VALIDATE",
        ("validate",),
        "cohort",
        (
            _o("--input", "{input}", when="input"),
            _o("--counts", "{counts}", when="counts"),
            _o("--phenotypes", "{phenotypes}"),
            _o("--cnv", "{cnv}", when="cnv"),
        ),
        ("samplesheet.valid.csv", "phenotypes.valid.csv", TESTED_PHENOTYPES),
        "pipeline_info/inputs",
        optional=("cnv.valid.csv",),
        switches=(Switch("allow_same_reads", "--allow-same-reads"),),
    ),
    # first after validate: it reads the GTF (a bad row is reported in seconds, not after
    # STAR's index), and every later stage reads its bundle instead
    Stage(
        "prepare",
        "tkiseq.genome.stage",
        "TKISEQ_PREPARE",
        ("prepare",),
        "cohort",
        (GTF, _o("--fasta", "{fasta}", when="fasta")),
        ("annotation",),
        "reference",
        tools=("pyarrow",),
        given="annotation",
        reuse="tkiseq.prepared:ANNOTATION",
    ),
    Stage(
        "star_index",
        "tkiseq.align.stage_index",
        "TKISEQ_STAR_INDEX",
        ("star-index",),
        "cohort",
        (FASTA, GTF, THREADS),
        ("star_index",),
        "reference",
        "process_high",
        outdir="star_index",
        tools=("star",),
        when=READS,
        given="star_index",
        reuse="tkiseq.prepared:STAR_INDEX",
        tuning=(
            Tuning(
                "read_length",
                "--read-length",
                "read_length",
                "read length of the library (STAR's --sjdbOverhang is one less)",
            ),
        ),
    ),
    Stage(
        "align",
        "tkiseq.align.stage_align",
        "TKISEQ_ALIGN",
        ("align",),
        "sample",
        (
            SAMPLE,
            _o("--fastq-1", "{fastq_1}", when="fastq_1"),
            _o("--fastq-2", "{fastq_2}", when="fastq_2"),
            _o("--bam", "{bam}", when="!fastq_1"),
            _v("--strandedness", "{strandedness}"),
            _o("--star-index", "{star_index}"),
            THREADS,
        ),
        tuple(f"{{sample}}{s}" for s in ALIGN_SUFFIXES),
        "align/{sample}",
        "process_high",
        tools=("star",),
        when=READS,
        loads="star_index",
    ),
    Stage(
        "variants_call",
        "tkiseq.variants.stage_call",
        "TKISEQ_VARIANTS_CALL",
        ("variants", "call"),
        "sample",
        (
            SAMPLE,
            _o("--bam", "align:{sample}.bam"),
            FASTA,
            _o("--vcf", "{vcf}", when="vcf"),
            _o("--annotation", "{annotation}", when="!vcf"),
            _v("--threads", "{threads}", when="!vcf"),
        ),
        ("{sample}.calls.vcf.gz", "{sample}.calls.vcf.gz.tbi"),
        "variants",
        "process_medium",
        tools=("pysam",),
        when=READS,
        tuning=(VARIANTS_MIN_ALT_READS, VARIANTS_MIN_VAF),
    ),
    Stage(
        "fusions",
        "tkiseq.fusions.stage_call",
        "TKISEQ_FUSIONS_CALL",
        ("fusions", "call"),
        "sample",
        (
            SAMPLE,
            _o("--chimeric", "align:{sample}.Chimeric.out.junction"),
            _o("--sj", "align:{sample}.SJ.out.tab"),
            _o("--log-final", "align:{sample}.Log.final.out"),
            _o("--bam", "align:{sample}.bam"),
            ANNOTATION,
            FASTA,
        ),
        ("{sample}.fusions.tsv",),
        "fusions",
        tools=("pysam",),
        when=READS,
        tuning=(
            Tuning(
                "fusion_min_split",
                "--min-split",
                "min_split",
                "fusions: split reads that support a fusion alone",
            ),
            Tuning(
                "fusion_min_support",
                "--min-support",
                "min_support",
                "fusions: split + spanning fragments that support a fusion",
            ),
        ),
    ),
    Stage(
        "variants_filter",
        "tkiseq.variants.stage_filter",
        "TKISEQ_VARIANTS_FILTER",
        ("variants", "filter"),
        "sample",
        (
            SAMPLE,
            _o("--vcf", "variants_call:{sample}.calls.vcf.gz"),
            _o("--dbsnp", "{dbsnp}"),
            FASTA,
            _o("--fusions", "fusions:{sample}.fusions.tsv"),
        ),
        (
            "{sample}.all.vcf.gz",
            "{sample}.all.vcf.gz.tbi",
            "{sample}.pass.vcf.gz",
            "{sample}.pass.vcf.gz.tbi",
        ),
        "variants",
        tools=("pysam",),
        when=READS,
        tuning=(VARIANTS_MIN_ALT_READS, VARIANTS_MIN_VAF),
    ),
    Stage(
        "variants_annotate",
        "tkiseq.variants.stage_annotate",
        "TKISEQ_VARIANTS_ANNOTATE",
        ("variants", "annotate"),
        "sample",
        (SAMPLE, _o("--vcf", "variants_filter:{sample}.all.vcf.gz"), FASTA, ANNOTATION),
        ("{sample}.variants.tsv",),
        "variants",
        tools=("pysam",),
        when=READS,
    ),
    Stage(
        "splice_lesions",
        "tkiseq.splicing.stage",
        "TKISEQ_SPLICE_LESIONS",
        ("splice-lesions",),
        "sample",
        (SAMPLE, _o("--sj", "align:{sample}.SJ.out.tab"), ANNOTATION),
        ("{sample}.splice_lesions.tsv",),
        "splicing",
        when=READS,
        tuning=(
            Tuning(
                "splice_genes",
                "--genes",
                "genes",
                "splice lesions: comma-separated genes to report",
            ),
        ),
    ),
    Stage(
        "counts",
        "tkiseq.expression.stage_counts",
        "TKISEQ_COUNTS",
        ("counts",),
        "cohort",
        (
            ANNOTATION,
            _o("--phenotypes", "validate:phenotypes.valid.csv"),
            _o("", "align:{sample}.ReadsPerGene.out.tab", when=READS),
            _o("--log-final", "align:{sample}.Log.final.out", when=READS),
            _o("", "{counts}", when="counts"),
            _o("--samplesheet", "validate:samplesheet.valid.csv", when="counts"),
        ),
        ("counts.tsv", "cohort.h5ad", "strandedness.tsv"),
        "expression",
        "process_medium",
        optional=("unmatched_genes.tsv",),
        tools=("anndata",),
        tuning=(
            Tuning(
                "min_mapped",
                "--min-mapped",
                "min_mapped_pct",
                "QC gate: a sample with a lower uniquely mapped percentage (STAR) is "
                "left out of the cohort analyses",
            ),
        ),
    ),
    Stage(
        "variants_cohort",
        "tkiseq.variants.stage_cohort",
        "TKISEQ_VARIANTS_COHORT",
        ("variants", "cohort"),
        "cohort",
        (_o("", "variants_annotate:{sample}.variants.tsv"),),
        ("cohort_variants.tsv", "alterations.tsv"),
        "variants",
        when=READS,
    ),
    Stage(
        "fusions_cohort",
        "tkiseq.fusions.stage_cohort",
        "TKISEQ_FUSIONS_COHORT",
        ("fusions", "cohort"),
        "cohort",
        (_o("", "fusions:{sample}.fusions.tsv"),),
        ("cohort_fusions.tsv",),
        "fusions",
        when=READS,
    ),
    Stage(
        "subtypes",
        "tkiseq.subtypes.stage",
        "TKISEQ_SUBTYPES",
        ("subtypes",),
        "cohort",
        (
            _o("--expression", "counts:cohort.h5ad"),
            ANNOTATION,
            _o("--fusions", "fusions:{sample}.fusions.tsv", when=READS),
            _o("--vcfs", "variants_filter:{sample}.all.vcf.gz", when=READS),
            _o("--variants", "variants_cohort:cohort_variants.tsv", when=READS),
            _o("--cnv", "validate:cnv.valid.csv", when="cnv"),
            _o("--subtype-reference", "{subtype_reference}", when="subtype_reference"),
            _o("--karyotype-reference", "{karyotype_reference}", when="karyotype_reference"),
            _o("--subtype-centroids", "{subtype_centroids}", when="subtype_centroids"),
        ),
        ("subtypes.tsv", "karyotype.tsv", "karyotype_genes.tsv.gz", "karyotype_sites.tsv.gz"),
        "subtypes",
        "process_medium",
        optional=("subtype_reference_pca.png",),
        tools=("pysam", "anndata"),
    ),
    Stage(
        "de",
        "tkiseq.expression.stage_de",
        "TKISEQ_DE",
        ("de",),
        "phenotype",
        (
            _o("--counts", "counts:cohort.h5ad"),
            _o("--phenotypes", "validate:phenotypes.valid.csv"),
            _v("--phenotype", "{phenotype}"),
            THREADS,
        ),
        ("de_{phenotype}.tsv", "volcano_{phenotype}.png", "top_genes_{phenotype}.png"),
        "de",
        "process_medium",
        tools=("pydeseq2",),
        tuning=(AUC_CAP, DE_ALPHA),
    ),
    Stage(
        "gsea",
        "tkiseq.enrichment.stage",
        "TKISEQ_GSEA",
        ("gsea",),
        "phenotype",
        (_o("--de", "de:de_{phenotype}.tsv"), _o("--gene-sets", "{gene_sets}"), THREADS),
        ("gsea_{phenotype}.tsv",),
        "gsea",
        "process_medium",
        optional=("enrichment_*.png",),
        tools=("gseapy",),
        when="gene_sets",
    ),
    Stage(
        "response",
        "tkiseq.response.stage",
        "TKISEQ_RESPONSE",
        ("response",),
        "cohort",
        (_o("--phenotypes", "validate:phenotypes.valid.csv"),),
        ("response.tsv",),
        "response",
        tuning=(AUC_CAP,),
    ),
    Stage(
        "lesions",
        "tkiseq.lesions.stage",
        "TKISEQ_LESIONS",
        ("lesions",),
        "cohort",
        (
            _o("--samplesheet", "validate:samplesheet.valid.csv"),
            _o("--cnv", "validate:cnv.valid.csv", when="cnv"),
            _o("--splice", "splice_lesions:{sample}.splice_lesions.tsv", when=READS),
            _o("--fusions", "fusions_cohort:cohort_fusions.tsv", when=READS),
            _o("--variants", "variants_cohort:cohort_variants.tsv", when=READS),
            _o("--expression", "counts:cohort.h5ad"),
            _o("--karyotype", "subtypes:karyotype.tsv"),
        ),
        ("lesions.tsv", "profile.tsv"),
        "lesions",
        tools=("anndata",),
    ),
    Stage(
        "associations",
        "tkiseq.stats.stage",
        "TKISEQ_ASSOCIATIONS",
        ("associations",),
        "cohort",
        (
            _o("--response", "response:response.tsv"),
            _o("--phenotypes", "validate:phenotypes.valid.csv"),
            _o("--profile", "lesions:profile.tsv"),
            _o("--fusions", "fusions_cohort:cohort_fusions.tsv", when=READS),
            _o("--expression", "counts:cohort.h5ad"),
        ),
        (*FIGURE_FILES, "associations.tsv"),
        "stats",
        tools=("scipy", "scikit-posthocs", "marsilea"),
    ),
    Stage(
        "report",
        "tkiseq.report.stage",
        "TKISEQ_REPORT",
        ("report",),
        "cohort",
        (
            _o("", "validate:samplesheet.valid.csv"),
            _o("", "align:{sample}.Log.final.out", when=READS),
            _o("", "align:{sample}.markdup.txt", when=READS),
            _o("", "align:{sample}.ReadsPerGene.out.tab", when=READS),
            _o("", "counts:counts.tsv"),
            _o("", "counts:strandedness.tsv"),
            _o("", "variants_cohort:cohort_variants.tsv", when=READS),
            _o("", "fusions_cohort:cohort_fusions.tsv", when=READS),
            _o("", "subtypes:subtypes.tsv"),
            _o("", "subtypes:karyotype.tsv"),
            _o("", "subtypes:karyotype_genes.tsv.gz"),
            _o("", "subtypes:karyotype_sites.tsv.gz"),
            *(_o("", f"associations:{f}") for f in FIGURE_FILES),
            _o("", "response:response.tsv"),
            _o("", "lesions:lesions.tsv"),
            _o("", "lesions:profile.tsv"),
            _o("", "associations:associations.tsv"),
            _o("", "de:de_{phenotype}.tsv"),
            _o("", "gsea:gsea_{phenotype}.tsv", when="gene_sets"),
        ),
        ("report.html", "multiqc"),
        "report",
        "process_medium",
        tools=("multiqc",),
        tuning=(DE_ALPHA,),
    ),
)

BY_NAME = {stage.name: stage for stage in STAGES}
BY_PROCESS = {stage.process: stage for stage in STAGES}
BY_GIVEN = {stage.given: stage for stage in STAGES if stage.given}  # run value -> its stage
# The validated tables every run reads once the setup is done ("<stage>:<file>", as in options)
VALID_SAMPLESHEET = "validate:samplesheet.valid.csv"
TESTED = f"validate:{TESTED_PHENOTYPES}"
_FIRST_SAMPLE = next(i for i, s in enumerate(STAGES) if s.scope == "sample")
_LAST_SAMPLE = max(i for i, s in enumerate(STAGES) if s.scope == "sample")
SETUP = STAGES[:_FIRST_SAMPLE]  # before any sample: the checked inputs and the reference
PER_SAMPLE = STAGES[_FIRST_SAMPLE : _LAST_SAMPLE + 1]  # each sample's chain
COHORT = STAGES[_LAST_SAMPLE + 1 :]  # once every sample is done


@dataclass(frozen=True)
class Rendered:
    """A stage's command line for one task, with the files it reads."""

    args: list[str]
    inputs: list[str] = field(default_factory=list)


def applies(when: str, context: dict[str, object]) -> bool:
    """A ``when`` condition: "" always, "name" when the value is set, "!name" when it is not."""
    if not when:
        return True
    if when.startswith("!"):
        return not context.get(when[1:])
    return bool(context.get(when))


def command_line(
    stage: Stage,
    context: dict[str, object],
    upstream: Callable[[str, str], list[str]],
    outdir: str,
) -> Rendered:
    """The ``tkiseq`` arguments of one task of ``stage``.

    ``context`` fills ``{name}`` templates (a list value is joined with commas) and holds the
    tuning values and switches the user set;
    ``upstream(stage, file)`` gives the paths of another stage's output ``file`` (one per sample
    in a cohort task); ``outdir`` is the folder the task writes to.
    """
    args: list[str] = list(stage.command)
    inputs: list[str] = []
    for option in stage.options:
        if not applies(option.when, context):
            continue
        producer, sep, name = option.value.partition(":")
        if sep:
            values = upstream(producer, name)
        else:
            value = context[option.value.strip("{}")]
            values = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        if option.file:
            inputs += values
        if not option.flag:
            args += values
        elif sep:
            args += [option.flag, *values]
        else:
            args += [option.flag, ",".join(values)]
    for tuning in stage.tuning:
        if context.get(tuning.name) is not None:
            args += [tuning.flag, str(context[tuning.name])]
    args += [switch.flag for switch in stage.switches if context.get(switch.name)]
    args += ["--outdir", outdir]
    return Rendered(args, inputs)


def read_tested_phenotypes(path: str) -> list[str]:
    """The phenotype columns validate chose for differential expression (its TESTED_PHENOTYPES
    file: one name per line)."""
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip()]
