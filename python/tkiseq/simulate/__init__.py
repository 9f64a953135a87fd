"""Simulated B-ALL RNA-seq cohort with planted truth, for testing and demonstrating tkiseq.

``simulate`` writes the reference (genome, GTF, dbSNP), the inputs (samplesheet, phenotypes,
copy number, gene sets, FASTQ) and ``truth/`` tables that the pipeline's results are scored on.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tkiseq.atomic import atomic_dir
from tkiseq.errors import InputError
from tkiseq.simulate.catalog import gene_specs
from tkiseq.simulate.cohort import DUPLICATE_FRACTION, PRESETS, build_cohort
from tkiseq.simulate.genesets import gene_sets, write_gmt
from tkiseq.simulate.genome import build_genome, write_fasta
from tkiseq.simulate.gtf import write_gtf
from tkiseq.simulate.reads import sequence_sample, write_gzip
from tkiseq.simulate.reference import write_reference
from tkiseq.simulate.templates import sample_templates
from tkiseq.simulate.truth import SampleTruth, write_inputs, write_truth
from tkiseq.simulate.variants import assign_variants, plan_variants, write_dbsnp

__all__ = ["PRESETS", "simulate"]

REFERENCE_STREAM = 10  # the labelled reference's own stream: other outputs do not move


def simulate(outdir: Path, preset: str = "tiny", seed: int = 1) -> None:
    """Write a simulated dataset into ``outdir`` (atomically; same preset + seed = same bytes)."""
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise InputError(
            outdir, "exists and is not empty", hint="choose a new --outdir or remove it"
        )
    if preset not in PRESETS:
        raise InputError(preset, f"unknown preset (expected one of {', '.join(PRESETS)})")
    streams = np.random.SeedSequence(seed).spawn(5)
    genome_rng, cohort_rng, variant_rng, set_rng = (np.random.default_rng(x) for x in streams[:4])
    with atomic_dir(outdir) as tmp:
        genome = build_genome(genome_rng, gene_specs(preset), centromeres=preset == "cohort")
        write_fasta(genome, tmp / "genome.fa")
        write_gtf(genome, tmp / "genes.gtf")
        planted = plan_variants(variant_rng, genome)
        write_dbsnp(variant_rng, genome, planted, tmp / "dbsnp.vcf.gz")
        cohort = build_cohort(cohort_rng, preset)
        write_inputs(cohort, tmp)
        write_gmt(gene_sets(set_rng), tmp / "gene_sets.gmt")
        carried = assign_variants(
            variant_rng, planted, cohort.z_auc, preset == "tiny", cohort.samples
        )
        (tmp / "fastq").mkdir()
        results = []
        sample_streams = streams[4].spawn(len(cohort.samples))
        # zlib releases the GIL: compress one sample's FASTQs while the next one is drawn
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending: list[Future] = []
            for i, sample in enumerate(cohort.samples):
                rng = np.random.default_rng(sample_streams[i])
                templates, events, chimeras = sample_templates(rng, genome, cohort, i, carried[i])
                reads, texts = sequence_sample(
                    rng, templates, events, sample.sample, sample.strandedness, DUPLICATE_FRACTION
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
        write_truth(genome, cohort, results, tmp / "truth")
        if preset == "cohort":
            ref_rng = np.random.default_rng([seed, REFERENCE_STREAM])
            write_reference(ref_rng, cohort, genome, tmp / "truth" / "subtype_reference.h5ad")
