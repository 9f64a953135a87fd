"""Simulated B-ALL RNA-seq cohort with planted truth, for testing and demonstrating tkiseq.

``simulate`` writes the reference (genome, GTF, dbSNP), the inputs (samplesheet, phenotypes,
copy number, gene sets, FASTQ) and ``truth/`` tables that the pipeline's results are scored on.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tkiseq.atomic import atomic_dir
from tkiseq.errors import InputError
from tkiseq.simulate.catalog import gene_specs
from tkiseq.simulate.cohort import MIN_COHORT_SAMPLES, PRESETS, Preset, build_cohort
from tkiseq.simulate.genesets import gene_sets, write_gmt
from tkiseq.simulate.genome import build_genome, write_fasta
from tkiseq.simulate.gtf import DIALECTS, write_gtf
from tkiseq.simulate.reads import sequence_sample, write_gzip
from tkiseq.simulate.reference import write_reference
from tkiseq.simulate.templates import paralog_copy, sample_templates
from tkiseq.simulate.truth import SampleTruth, write_inputs, write_truth
from tkiseq.simulate.variants import assign_variants, plan_variants, write_dbsnp

__all__ = ["PRESETS", "Preset", "library", "simulate"]

REFERENCE_STREAM = 10  # the labelled reference's own stream: other outputs do not move
PARALOG_STREAM = 11  # the paralog copy's own stream, likewise
MIN_PAIRS = 1000


def library(
    preset: str,
    *,
    pairs: int | None = None,
    samples: int | None = None,
    duplicates: float | None = None,
    intronic: float | None = None,
    confident_errors: float | None = None,
) -> Preset:
    """The preset's design with the given options overriding its defaults (None: keep)."""
    if preset not in PRESETS:
        raise InputError(preset, f"unknown preset (expected one of {', '.join(PRESETS)})")
    base = PRESETS[preset]
    change: dict[str, object] = {}
    if samples is not None:
        if base.design != "cohort":
            raise InputError(
                f"--samples {samples}",
                f"the {preset} preset places its {base.n_samples} samples by hand",
                hint="use --preset cohort for another number of samples",
            )
        if samples < MIN_COHORT_SAMPLES:
            raise InputError(
                f"--samples {samples}", f"the cohort preset needs >= {MIN_COHORT_SAMPLES}"
            )
        change |= {
            "n_samples": samples,
            "n_paediatric": round(samples * base.n_paediatric / base.n_samples),
            "n_pdx": round(samples * base.n_pdx / base.n_samples),
        }
    if pairs is not None:
        if pairs < MIN_PAIRS:
            raise InputError(f"--pairs {pairs}", f"expected at least {MIN_PAIRS} read pairs")
        change["pairs"] = pairs
    for name, value, upper in (
        ("duplicates", duplicates, 0.9),
        ("intronic", intronic, 0.5),
        ("confident_errors", confident_errors, 1.0),
    ):
        if value is None:
            continue
        if not 0 <= value <= upper:
            flag = "--" + name.replace("_", "-")
            raise InputError(f"{flag} {value}", f"expected a fraction from 0 to {upper}")
        change[name] = value
    return dataclasses.replace(base, **change)  # type: ignore[arg-type]


def simulate(
    outdir: Path,
    preset: str = "tiny",
    seed: int = 1,
    *,
    pairs: int | None = None,
    samples: int | None = None,
    duplicates: float | None = None,
    intronic: float | None = None,
    confident_errors: float | None = None,
    gtf_dialect: str = "gencode",
) -> None:
    """Write a simulated dataset into ``outdir`` (atomically; same preset + seed + options =
    same bytes). Options left at None take the preset's value (``PRESETS``); ``gtf_dialect``
    writes the GTF as another annotation source would (``simulate.gtf.DIALECTS``)."""
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise InputError(
            outdir, "exists and is not empty", hint="choose a new --outdir or remove it"
        )
    if gtf_dialect not in DIALECTS:
        raise InputError(
            gtf_dialect, f"unknown GTF dialect (expected one of {', '.join(DIALECTS)})"
        )
    design = library(
        preset,
        pairs=pairs,
        samples=samples,
        duplicates=duplicates,
        intronic=intronic,
        confident_errors=confident_errors,
    )
    streams = np.random.SeedSequence(seed).spawn(5)
    genome_rng, cohort_rng, variant_rng, set_rng = (np.random.default_rng(x) for x in streams[:4])
    with atomic_dir(outdir) as tmp:
        specs = gene_specs(preset, design.paralog)
        genome = build_genome(
            genome_rng, specs, preset == "cohort", junction_homology=design.junction_homology
        )
        write_fasta(genome, tmp / "genome.fa")
        write_gtf(genome, tmp / "genes.gtf", gtf_dialect)
        planted = plan_variants(variant_rng, genome)
        write_dbsnp(variant_rng, genome, planted, tmp / "dbsnp.vcf.gz")
        cohort = build_cohort(cohort_rng, design)
        paralog = (
            paralog_copy(np.random.default_rng([seed, PARALOG_STREAM]), genome)
            if design.paralog
            else None
        )
        write_inputs(cohort, tmp)
        write_gmt(gene_sets(set_rng), tmp / "gene_sets.gmt")
        carried = assign_variants(variant_rng, planted, cohort.z_auc, design.design, cohort.samples)
        (tmp / "fastq").mkdir()
        results = []
        sample_streams = streams[4].spawn(len(cohort.samples))
        # zlib releases the GIL: compress one sample's FASTQs while the next one is drawn
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending: list[Future] = []
            for i, sample in enumerate(cohort.samples):
                rng = np.random.default_rng(sample_streams[i])
                templates, events, chimeras = sample_templates(
                    rng, genome, cohort, i, carried[i], design, paralog
                )
                reads, texts = sequence_sample(
                    rng,
                    templates,
                    events,
                    sample.sample,
                    sample.strandedness,
                    design.duplicates,
                    design.confident_errors,
                )
                for f in pending:
                    f.result()
                pending = [
                    pool.submit(write_gzip, tmp / "fastq" / f"{sample.sample}_R{m}.fastq.gz", text)
                    for m, text in ((1, texts[0]), (2, texts[1]))
                ]
                results.append(SampleTruth(sample, templates, chimeras, carried[i], reads))
            for f in pending:
                f.result()
        write_truth(genome, cohort, results, tmp / "truth", paralog)
        if preset == "cohort":
            ref_rng = np.random.default_rng([seed, REFERENCE_STREAM])
            write_reference(ref_rng, cohort, genome, tmp / "truth" / "subtype_reference.h5ad")
