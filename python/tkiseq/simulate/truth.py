"""Inputs (samplesheet, phenotypes, cnv) and truth tables, built from what was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.simulate import catalog
from tkiseq.simulate.cohort import Cohort, Sample
from tkiseq.simulate.fusions import Chimera
from tkiseq.simulate.genome import Genome
from tkiseq.simulate.reads import SampleReads, Template
from tkiseq.simulate.templates import DEL4_7_FRACTION, DEL4_7_LABEL, PARALOG_KEY, ParalogCopy
from tkiseq.simulate.variants import Variant
from tkiseq.variants.thresholds import MIN_ALT_READS, MIN_VAF


@dataclass
class SampleTruth:
    """What one sample's simulation produced, ready for the tables."""

    sample: Sample
    templates: list[Template]
    chimeras: list[Chimera]
    carried: list[tuple[Variant, float]]
    reads: SampleReads


def _tsv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, sep="\t", index=False, lineterminator="\n")


def write_inputs(cohort: Cohort, out: Path) -> None:
    """samplesheet.csv, phenotypes.csv, cnv.csv."""
    names = [s.sample for s in cohort.samples]
    sheet = pd.DataFrame(
        {
            "sample": names,
            "fastq_1": [f"fastq/{n}_R1.fastq.gz" for n in names],
            "fastq_2": [f"fastq/{n}_R2.fastq.gz" for n in names],
            "strandedness": "auto",
        }
    )
    sheet.to_csv(out / "samplesheet.csv", index=False, lineterminator="\n")
    cohort.phenotypes.to_csv(out / "phenotypes.csv", index=False, lineterminator="\n")
    rows = [(s.sample, g, st) for s in cohort.samples for g, st in s.cnv.items()]
    cnv = pd.DataFrame(rows, columns=["sample", "gene", "status"])
    cnv.to_csv(out / "cnv.csv", index=False, lineterminator="\n")


def _expression(genome: Genome, cohort: Cohort, results: list[SampleTruth]) -> pd.DataFrame:
    rows = []
    for r in results:
        frags: dict[str, int] = {}
        for t, n in zip(r.templates, r.reads.template_fragments, strict=True):
            if t.kind == "mature":
                frags[t.gene] = frags.get(t.gene, 0) + int(n)
        for name, gene in genome.genes.items():
            rows.append(
                (
                    r.sample.sample,
                    gene.gene_id,
                    name,
                    cohort.role[name],
                    round(cohort.log2fc[name], 3),
                    frags.get(name, 0),
                )
            )
    cols = ["sample", "gene_id", "gene_name", "role", "log2fc_per_sd_auc", "fragments"]
    return pd.DataFrame(rows, columns=cols)


def _per_label(r: SampleTruth, label: int) -> tuple[int, int, int, int]:
    sel = np.array([t.label == label for t in r.templates])
    rd = r.reads
    return (
        int(rd.template_fragments[sel].sum()),
        int(rd.split[sel].sum()),
        int(rd.spanning[sel].sum()),
        int(rd.junction_reads[sel].sum()),
    )


def _fusions(results: list[SampleTruth]) -> pd.DataFrame:
    rows = []
    for r in results:
        for label, c in enumerate(r.chimeras):
            frags, split, span, _ = _per_label(r, label)
            rows.append(
                (
                    r.sample.sample,
                    c.gene5,
                    c.gene3,
                    c.kind,
                    c.breakpoint5,
                    c.breakpoint3,
                    c.exon5,
                    c.exon3,
                    c.isoform,
                    c.reading_frame,
                    frags,
                    split,
                    span,
                )
            )
    cols = [
        "sample",
        "gene5",
        "gene3",
        "kind",
        "breakpoint5",
        "breakpoint3",
        "exon5",
        "exon3",
        "isoform",
        "reading_frame",
        "fragments",
        "split_reads",
        "spanning_pairs",
    ]
    return pd.DataFrame(rows, columns=cols)


def _variants(results: list[SampleTruth]) -> pd.DataFrame:
    rows = []
    for r in results:
        for k, (v, vaf) in enumerate(r.carried):
            alt, depth = r.reads.alt_reads.get(k, 0), r.reads.depth.get(k, 0)
            obs = round(alt / depth, 4) if depth else 0.0
            passing = alt >= MIN_ALT_READS and obs > MIN_VAF and v.kind != "germline_dbsnp"
            rows.append(
                (
                    r.sample.sample,
                    v.chrom,
                    v.pos,
                    v.ref,
                    v.alt,
                    v.gene,
                    v.kind,
                    v.consequence,
                    v.hgvsc,
                    v.hgvsp,
                    v.hgvsp_short,
                    vaf,
                    alt,
                    depth,
                    obs,
                    "yes" if passing else "no",
                )
            )
    cols = [
        "sample",
        "chrom",
        "pos",
        "ref",
        "alt",
        "gene",
        "kind",
        "consequence",
        "hgvsc",
        "hgvsp",
        "hgvsp_short",
        "planned_vaf",
        "alt_reads",
        "depth",
        "vaf",
        "expected_pass",
    ]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["sample", "chrom", "pos"], kind="stable")


def _splice(genome: Genome, results: list[SampleTruth]) -> pd.DataFrame:
    ikzf1 = genome.genes["IKZF1"]
    exons = ikzf1.transcripts[0].exons
    (_, e3_end), (e8_start, _) = exons[2], exons[7]
    intron = f"{ikzf1.chrom}:{e3_end + 1}-{e8_start - 1}"
    rows = [
        (
            r.sample.sample,
            "IKZF1",
            "IKZF1_del4-7",
            3,
            8,
            intron,
            _per_label(r, DEL4_7_LABEL)[3],
            DEL4_7_FRACTION,
        )
        for r in results
        if r.sample.ikzf1_del4_7
    ]
    cols = [
        "sample",
        "gene",
        "lesion",
        "donor_exon",
        "acceptor_exon",
        "intron",
        "junction_reads",
        "fraction_of_transcripts",
    ]
    return pd.DataFrame(rows, columns=cols)


# the simulator's design labels -> the subtype vocabulary of docs/output.md
VOCABULARY = {"KMT2A::AFF1": "KMT2A-r"}


def _ploidy_class(n: int) -> str:
    for upper, name in (
        (30, "near haploid"),
        (39, "low hypodiploid"),
        (46, "diploid"),
        (50, "low hyperdiploid"),
    ):
        if n <= upper:
            return name
    return "high hyperdiploid"


def _subtypes(results: list[SampleTruth]) -> pd.DataFrame:
    def yn(x: bool) -> str:
        return "yes" if x else "no"

    rows = [
        (
            s.sample,
            VOCABULARY.get(s.subtype, s.subtype),
            s.bcr_abl1_isoform,
            yn(s.crlf2),
            yn(s.ikzf1_del4_7),
            yn(s.ikzf1plus),
            yn(s.cnv["PAX5"] in ("DEL", "HOM_DEL")),
            s.chromosome_number,
            s.karyotype,
            _ploidy_class(s.chromosome_number),
        )
        for s in (r.sample for r in results)
    ]
    cols = [
        "sample",
        "subtype",
        "bcr_abl1_isoform",
        "crlf2_rearranged",
        "ikzf1_del4_7",
        "ikzf1plus",
        "pax5_del",
        "chromosome_number",
        "karyotype",
        "ploidy_class",
    ]
    return pd.DataFrame(rows, columns=cols)


def _lesion_profiles(results: list[SampleTruth]) -> pd.DataFrame:
    """IKZF1plus by both definitions and the Figure 3B deletion group, from the planted cnv."""
    rows = [
        (
            s.sample,
            "yes" if s.ikzf1plus else "no",
            {True: "yes", False: "no", None: "NA"}[s.ikzf1plus_stanulla],
            s.deletion_group,
        )
        for s in (r.sample for r in results)
    ]
    cols = ["sample", "ikzf1plus_core", "ikzf1plus_stanulla", "deletion_group"]
    return pd.DataFrame(rows, columns=cols)


def _paralog_sites(results: list[SampleTruth], copy: ParalogCopy) -> pd.DataFrame:
    """Sites where reads of the unassembled paralog copy mismatch the reference copy: not
    variants of the sample, so any call there is false (``alt_reads`` counts reads written)."""
    rows = []
    for r in results:
        for j, (_, chrom, pos, ref, alt) in enumerate(copy.sites):
            n_alt = r.reads.alt_reads.get(PARALOG_KEY + j, 0)
            depth = r.reads.depth.get(PARALOG_KEY + j, 0)
            vaf = round(n_alt / depth, 4) if depth else 0.0
            rows.append(
                (
                    r.sample.sample,
                    chrom,
                    pos,
                    ref,
                    alt,
                    catalog.PARALOG_TARGET,
                    catalog.PARALOG_SOURCE,
                    n_alt,
                    depth,
                    vaf,
                )
            )
    cols = ["sample", "chrom", "pos", "ref", "alt", "gene", "source", "alt_reads", "depth", "vaf"]
    return pd.DataFrame(rows, columns=cols)


def write_truth(
    genome: Genome,
    cohort: Cohort,
    results: list[SampleTruth],
    out: Path,
    paralog: ParalogCopy | None = None,
) -> None:
    """All truth tables into ``out`` (tab-separated, header row, 1-based positions);
    ``paralog_sites.tsv`` when the dataset has the paralog pair."""
    out.mkdir()
    samples = pd.DataFrame(
        [
            (
                r.sample.sample,
                r.sample.strandedness,
                r.reads.read_pairs,
                round(r.reads.duplicates / r.reads.read_pairs, 4),
            )
            for r in results
        ],
        columns=["sample", "library_strandedness", "read_pairs", "duplicate_fraction"],
    )
    _tsv(samples, out / "samples.tsv")
    _tsv(_expression(genome, cohort, results), out / "expression.tsv")
    _tsv(_fusions(results), out / "fusions.tsv")
    _tsv(_variants(results), out / "variants.tsv")
    _tsv(_splice(genome, results), out / "splice_lesions.tsv")
    _tsv(_subtypes(results), out / "subtypes.tsv")
    _tsv(_lesion_profiles(results), out / "lesion_profiles.tsv")
    if paralog is not None:
        _tsv(_paralog_sites(results, paralog), out / "paralog_sites.tsv")
