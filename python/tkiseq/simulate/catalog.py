"""The simulated gene catalogue: real HGNC symbols at their real relative order and strand.

Only the facts the pipeline tests depend on are pinned (exon counts, protein lengths, phases at
fusion junctions, reference codons of planted variants); everything else is drawn at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GeneSpec:
    """What is fixed about one gene; ``None`` fields are drawn at random."""

    name: str
    chrom: str
    mb: float
    strand: str
    gene_type: str = "protein_coding"
    n_exons: int | None = None
    aa: int | None = None
    first_coding: int | None = None  # 1: exon 1 is entirely 5' UTR
    phase0: tuple[int, ...] = ()  # exon numbers whose end leaves the CDS in phase 0
    codons: tuple[tuple[int, str], ...] = ()  # (codon number, codon) of the canonical CDS
    fixed_cds: tuple[tuple[int, int], ...] = ()  # (exon number, coding bases in that exon)
    alt: str = ""  # "", skip, alt_last, alt_first, alt_first_coding
    alt_extra_codons: int = 0  # alt_first_coding: extra codons of the alternative first exon
    alt_intron: int = 0  # alt_first*: length of the intron after the alternative first exon
    mt_range: tuple[int, int] | None = None  # chrM genes: fixed 1-based coordinates


def _g(name: str, chrom: str, mb: float, strand: str, **kw: object) -> GeneSpec:
    return GeneSpec(name, chrom, mb, strand, **kw)  # type: ignore[arg-type]


ABL1_CODONS = (
    (244, "ATG"),
    (250, "GGC"),
    (252, "CAG"),
    (253, "TAC"),
    (255, "GAG"),
    (299, "GTG"),
    (315, "ACT"),
    (317, "TTC"),
    (351, "ATG"),
    (359, "TTC"),
    (396, "CAT"),
    (404, "AAG"),
)

GENES: tuple[GeneSpec, ...] = (
    _g("RPL11", "chr1", 23.69, "+"),
    _g("CD52", "chr1", 26.32, "+"),
    _g("LCK", "chr1", 32.25, "+"),
    _g("GAPDHP1", "chr1", 50.10, "+", gene_type="processed_pseudogene"),
    _g("JUN", "chr1", 58.78, "-"),
    _g("GNG5", "chr1", 84.50, "-", n_exons=4, aa=68),
    _g("CTBS", "chr1", 84.55, "-", n_exons=7),
    _g("GBP1", "chr1", 89.05, "-"),
    _g("NRAS", "chr1", 114.70, "-", n_exons=5, aa=189, first_coding=1),
    _g("CD2", "chr1", 116.75, "+"),
    _g("MCL1", "chr1", 150.57, "-"),
    _g("S100A4", "chr1", 153.54, "-"),
    _g("MEF2D", "chr1", 156.46, "-", n_exons=7, alt="skip"),
    _g("FCER1G", "chr1", 161.21, "+"),
    _g("PBX1", "chr1", 164.56, "+", n_exons=9, phase0=(2,)),
    _g("SELL", "chr1", 169.69, "-"),
    _g("ABL2", "chr1", 179.10, "-"),
    _g("PTPRC", "chr1", 198.67, "+", n_exons=9, alt="skip"),
    _g("CD34", "chr1", 207.88, "-"),
    _g("ID2", "chr2", 8.68, "+"),
    _g("CD8A", "chr2", 86.78, "-"),
    _g("ZAP70", "chr2", 97.71, "+"),
    _g("CXCR4", "chr2", 136.11, "-"),
    _g("ZEB2", "chr2", 144.38, "-", n_exons=10, aa=1214, first_coding=1, codons=((1038, "CAC"),)),
    _g("STAT1", "chr2", 190.97, "-", n_exons=8, alt="skip"),
    _g("SETD2", "chr3", 47.06, "-", n_exons=8, aa=480),
    _g("CD86", "chr3", 122.06, "+"),
    _g("GATA2", "chr3", 128.48, "-"),
    _g("MME", "chr3", 155.08, "+"),
    _g("TFRC", "chr3", 196.03, "-"),
    _g("KIT", "chr4", 54.66, "+"),
    _g("CXCL9", "chr4", 76.00, "-"),
    _g("CXCL10", "chr4", 76.02, "-"),
    _g("AFF1", "chr4", 87.00, "+", n_exons=10, phase0=(4,)),
    _g("LEF1", "chr4", 108.08, "-"),
    _g("SDHA", "chr5", 0.22, "+"),
    _g("IL7R", "chr5", 35.86, "+"),
    _g("GZMA", "chr5", 55.10, "+"),
    _g("TSLP", "chr5", 111.07, "+"),
    _g("IRF1", "chr5", 132.48, "-"),
    _g("CD14", "chr5", 140.63, "-"),
    _g("NR3C1", "chr5", 143.28, "-", n_exons=6, alt="alt_last"),
    _g("CD74", "chr5", 150.40, "-", n_exons=6, alt="alt_last"),
    _g("EBF1", "chr5", 158.70, "-"),
    _g("NPM1", "chr5", 171.39, "+"),
    _g("SOX4", "chr6", 21.59, "+", n_exons=3, first_coding=1, alt="alt_first"),
    _g("HLA-A", "chr6", 29.94, "+"),
    _g("TUBB", "chr6", 30.72, "+"),
    _g("HLA-B", "chr6", 31.35, "-"),
    _g("TNF", "chr6", 31.58, "+"),
    _g("HLA-DRA", "chr6", 32.44, "+"),
    _g("HLA-DRB1", "chr6", 32.58, "-"),
    _g("TAP1", "chr6", 32.85, "-"),
    _g("PSMB9", "chr6", 32.86, "+"),
    _g("HLA-DPA1", "chr6", 33.07, "-"),
    _g("HLA-DPB1", "chr6", 33.08, "+"),
    _g("RPS18", "chr6", 33.27, "+"),
    _g("CCND3", "chr6", 41.93, "-", n_exons=5, first_coding=1, alt="alt_first"),
    _g("EEF1A1", "chr6", 73.52, "-"),
    _g("MYB", "chr6", 135.18, "+", n_exons=8, first_coding=1, alt="alt_first"),
    _g("TBP", "chr6", 170.55, "+"),
    _g("ACTB", "chr7", 5.53, "-"),
    _g("PPIA", "chr7", 44.80, "+"),
    _g(
        "IKZF1",
        "chr7",
        50.30,
        "+",
        n_exons=8,
        aa=519,
        first_coding=1,
        phase0=(3, 7),
        codons=((159, "AAT"),),
    ),
    _g("GUSB", "chr7", 65.96, "-"),
    _g("CDK6", "chr7", 92.60, "-"),
    _g("EZH2", "chr7", 148.80, "-", n_exons=8, alt="alt_last"),
    _g("IDO1", "chr8", 39.90, "+"),
    _g("YWHAZ", "chr8", 100.90, "-"),
    _g("MYC", "chr8", 127.74, "+"),
    _g("JAK2", "chr9", 4.99, "+", n_exons=9, aa=620),
    _g("CD274", "chr9", 5.45, "+"),
    _g("CDKN2A", "chr9", 21.97, "-", n_exons=3, aa=156),
    _g("CDKN2B", "chr9", 22.00, "-", n_exons=2, aa=138),
    _g("PAX5", "chr9", 37.00, "-", n_exons=10, aa=391, first_coding=0, codons=((80, "CCG"),)),
    _g(
        "ABL1",
        "chr9",
        130.71,
        "+",
        n_exons=11,
        aa=1130,
        first_coding=0,
        phase0=(1,),
        codons=ABL1_CODONS,
        fixed_cds=((1, 78), (2, 174), (3, 123)),
        alt="alt_first_coding",
        alt_extra_codons=19,
        alt_intron=40_000,
    ),
    _g("GATA3", "chr10", 8.05, "+"),
    _g("ARID5B", "chr10", 61.90, "+"),
    _g("PRF1", "chr10", 70.60, "-"),
    _g("BLNK", "chr10", 96.19, "-"),
    _g("DNTT", "chr10", 96.30, "+"),
    _g("NT5C2", "chr10", 103.09, "-"),
    _g("MKI67", "chr10", 128.10, "-"),
    _g("CD81", "chr11", 2.38, "+"),
    _g("CD44", "chr11", 35.14, "+", n_exons=9, alt="skip"),
    _g("RAG1", "chr11", 36.57, "+"),
    _g("RAG2", "chr11", 36.59, "-"),
    _g("MS4A1", "chr11", 60.46, "+"),
    _g("NEAT1", "chr11", 65.42, "+", gene_type="lncRNA", n_exons=1),
    _g("MALAT1", "chr11", 65.50, "+", gene_type="lncRNA", n_exons=2),
    _g("CD3E", "chr11", 118.30, "+"),
    _g("CD3D", "chr11", 118.33, "-"),
    _g("KMT2A", "chr11", 118.44, "+", n_exons=12, phase0=(9,)),
    _g("HMBS", "chr11", 119.08, "+"),
    _g("GAPDH", "chr12", 6.53, "+", n_exons=9, aa=335),
    _g("ZNF384", "chr12", 6.67, "-"),
    _g("CD4", "chr12", 6.81, "+"),
    _g("CD69", "chr12", 9.75, "-"),
    _g("ETV6", "chr12", 11.65, "+", n_exons=8, phase0=(5,)),
    _g(
        "KRAS",
        "chr12",
        25.20,
        "-",
        n_exons=5,
        aa=189,
        first_coding=1,
        codons=((12, "GGT"), (13, "GGC")),
    ),
    _g("IFNG", "chr12", 68.15, "-"),
    _g("LYZ", "chr12", 69.35, "+"),
    _g("BTG1", "chr12", 92.14, "-"),
    _g("SH2B3", "chr12", 111.40, "+", n_exons=8, aa=575),
    _g("RPLP0", "chr12", 120.19, "-"),
    _g("UBC", "chr12", 124.91, "-"),
    _g("FLT3", "chr13", 28.00, "-"),
    _g("FOXO1", "chr13", 40.50, "-"),
    _g("RB1", "chr13", 48.30, "+"),
    _g("GZMB", "chr14", 24.63, "-"),
    _g("TCL1A", "chr14", 95.70, "-"),
    _g("B2M", "chr15", 44.71, "+"),
    _g("CREBBP", "chr16", 3.73, "-"),
    _g("CIITA", "chr16", 10.88, "+"),
    _g("CD19", "chr16", 28.93, "+", n_exons=8, alt="skip"),
    _g("ALDOA", "chr16", 30.06, "+"),
    _g("IRF8", "chr16", 85.90, "+"),
    _g(
        "TP53",
        "chr17",
        7.66,
        "-",
        n_exons=11,
        aa=393,
        first_coding=1,
        codons=((248, "CGG"), (273, "CGT")),
    ),
    _g("CCL5", "chr17", 35.87, "-"),
    _g("TOP2A", "chr17", 40.39, "-"),
    _g("STAT3", "chr17", 42.31, "-", n_exons=9, alt="skip"),
    _g("CD79B", "chr17", 63.92, "-"),
    _g("BCL2", "chr18", 63.12, "-"),
    _g("TCF3", "chr19", 1.61, "-", n_exons=17, phase0=(16,)),
    _g("JUNB", "chr19", 12.79, "+"),
    _g("CD22", "chr19", 35.32, "+"),
    _g("TYROBP", "chr19", 35.90, "-"),
    _g("CD79A", "chr19", 41.88, "+"),
    _g("RPL13A", "chr19", 49.49, "+"),
    _g("NKG7", "chr19", 51.37, "-"),
    _g("CD40", "chr20", 46.12, "+"),
    _g("RUNX1", "chr21", 34.79, "-", n_exons=8, first_coding=0, phase0=(1,)),
    _g("ERG", "chr21", 38.38, "-", n_exons=8, alt="alt_last"),
    _g("VPREB1", "chr22", 22.24, "+"),
    _g("BCR", "chr22", 23.18, "+", n_exons=16, aa=900, first_coding=0, phase0=(1, 13, 14)),
    _g("IGLL1", "chr22", 23.57, "-"),
    _g("MIF", "chr22", 23.89, "+"),
    _g("CRLF2", "chrX", 1.19, "-", n_exons=6, first_coding=0),
    _g("P2RY8", "chrX", 1.46, "-", n_exons=4, first_coding=1),
    _g("PGK1", "chrX", 78.10, "+"),
    _g("HPRT1", "chrX", 134.46, "+"),
    _g("MT-RNR2", "chrM", 0.0017, "+", gene_type="Mt_rRNA", mt_range=(1671, 3229)),
    _g("MT-ND1", "chrM", 0.0033, "+", mt_range=(3307, 4263)),
    _g("MT-CO1", "chrM", 0.0059, "+", mt_range=(5904, 7445)),
)

CONTIG_ORDER = (*tuple(f"chr{i}" for i in range(1, 23)), "chrX", "chrM")
CHRM_LENGTH = 16_569

# Inter-gene distances that the biology needs (5' gene, 3' gene in transcription direction).
# P2RY8 exon 1 -> CRLF2 exon 1 must be a ~300 kb splice (PAR1 deletion); CTBS-GNG5 read through.
SPECIAL_GAPS = {("CRLF2", "P2RY8"): 290_000, ("GNG5", "CTBS"): 2_500}

HOUSEKEEPING = (
    "ACTB",
    "GAPDH",
    "B2M",
    "RPLP0",
    "EEF1A1",
    "TBP",
    "HPRT1",
    "PGK1",
    "PPIA",
    "TFRC",
    "GUSB",
    "YWHAZ",
    "UBC",
    "HMBS",
    "SDHA",
    "RPL13A",
    "RPS18",
    "TUBB",
    "ALDOA",
    "RPL11",
)
B_CELL = (
    "CD19",
    "CD22",
    "CD79A",
    "CD79B",
    "PAX5",
    "EBF1",
    "VPREB1",
    "IGLL1",
    "DNTT",
    "MME",
    "CD34",
    "RAG1",
    "RAG2",
    "BLNK",
    "TCL1A",
    "SOX4",
    "MS4A1",
    "CD81",
)
# All rise with imatinib AUC (resistant cells look immune-activated, as in the core study).
IMMUNE_UP = (
    "CD74",
    "HLA-DRA",
    "HLA-DRB1",
    "HLA-DPA1",
    "HLA-DPB1",
    "CIITA",
    "IRF1",
    "STAT1",
    "CXCL10",
    "GBP1",
    "LCK",
    "ZAP70",
    "CCL5",
    "GZMB",
)
AUC_DOWN = (
    "MYB",
    "ARID5B",
    "GATA3",
    "ID2",
    "LEF1",
    "CCND3",
    "MKI67",
    "TOP2A",
    "CDK6",
    "EZH2",
    "NPM1",
    "MYC",
    "TSLP",
    "KIT",
)
OUTLIER_DECOYS = ("LYZ", "CD14", "S100A4")
FUSION_PARTNERS = (
    "BCR",
    "ABL1",
    "P2RY8",
    "CRLF2",
    "ETV6",
    "RUNX1",
    "KMT2A",
    "AFF1",
    "TCF3",
    "PBX1",
)
CNV_GENES = ("IKZF1", "PAX5", "CDKN2A", "CDKN2B", "BTG1", "PAR1", "ERG", "RB1", "EBF1")
# Genes carrying planted variants: kept well expressed so VAF, not depth, decides the filter.
VARIANT_GENES = ("ABL1", "TP53", "ZEB2", "SH2B3", "IKZF1", "PAX5", "KRAS", "JAK2")
LOW_GENES = ("SETD2", "CRLF2", "CDKN2B", "IFNG", "TNF")

# The cohort preset's RNA karyotype needs genes and heterozygous dbSNP sites on every arm: short
# filler genes (FILL<arm><k>), evenly spread along each arm of the GRCh38 layout.
FILLERS_PER_ARM = 6
FILLER_SNPS = 3  # dbSNP germline sites per filler gene


def karyotype_fillers() -> tuple[GeneSpec, ...]:
    """``FILLERS_PER_ARM`` genes per assessable arm of chr1-22 and X, at GRCh38 positions."""
    from tkiseq.subtypes.arms import centromeres

    out = []
    for chrom, row in centromeres().iterrows():
        if chrom == "chrY":
            continue
        for arm in ("p", "q"):
            if arm == "p" and row["acrocentric"]:
                continue
            lo, hi = (
                (1e6, row["centromere_start"] - 1e6)
                if arm == "p"
                else (row["centromere_end"] + 1e6, row["length"] - 1e6)
            )
            for k, pos in enumerate(np.linspace(lo, hi, FILLERS_PER_ARM)):
                strand = "+" if k % 2 == 0 else "-"
                name = f"FILL{chrom[3:]}{arm.upper()}{k + 1}"
                out.append(GeneSpec(name, chrom, round(pos / 1e6, 3), strand, n_exons=3, aa=100))
    return tuple(out)


# The paralog pair (``Preset.paralog``): CD99L2 is in the reference; reads of a ~95 %-identical
# CD99 copy that the simulated assembly lacks (as GRCh38 lacks or collapses some segmental
# duplications) align to it with the copies' differences as mismatches.
PARALOG_TARGET = "CD99L2"
PARALOG_SOURCE = "CD99"
PARALOG_SPEC = GeneSpec(PARALOG_TARGET, "chrX", 150.77, "-", n_exons=9, aa=262)


def gene_specs(preset: str, paralog: bool = False) -> tuple[GeneSpec, ...]:
    """The catalogue of a preset: the cohort adds the karyotype fillers, ``paralog`` adds
    CD99L2 (after every other gene, so the others' models do not move); tiny stays as it is."""
    specs = GENES + karyotype_fillers() if preset == "cohort" else GENES
    return (*specs, PARALOG_SPEC) if paralog else specs
