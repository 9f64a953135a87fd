"""Expression-level cohorts for the RNA karyotype: what broke on real patients, without reads.

A karyotype test needs many genes per arm, not reads; this makes counts and germline allele
counts directly (seconds for a cohort), with the features of real B-ALL RNA-seq that the
read-level simulator's miniature genome lacks:

* gene density as in GRCh38 (protein-coding genes per chromosome), so that many gained
  gene-dense chromosomes pull the size factors (the compositional effect);
* near-haploid genomes with retained disomies, low hypodiploid ones, high hyperdiploid ones
  with many gains, and samples without allele data (dosage only);
* RNA's damped dosage response (a copy adds less than its share of expression), a wide spread
  of per-gene means and dispersions, single highly variable genes along 21q (the interferon pair
  MX1/MX2 side by side, ITGB2, ADARB1, PDE9A), a co-regulated HLA cluster on 6p;
* sex-chromosome expression as in real samples: males with XIST at 14-72 normalised counts,
  females with chrY genes at 2-117;
* overdispersed allele counts (beta-binomial) and the fusion allele's skew in its genes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tkiseq.subtypes.arms import centromeres

# protein-coding genes per chromosome in GENCODE (GRCh38), rounded
GENES_PER_CHROM = {
    "chr1": 2050,
    "chr2": 1300,
    "chr3": 1080,
    "chr4": 760,
    "chr5": 880,
    "chr6": 1040,
    "chr7": 990,
    "chr8": 680,
    "chr9": 790,
    "chr10": 730,
    "chr11": 1300,
    "chr12": 1030,
    "chr13": 330,
    "chr14": 610,
    "chr15": 600,
    "chr16": 860,
    "chr17": 1190,
    "chr18": 270,
    "chr19": 1470,
    "chr20": 540,
    "chr21": 230,
    "chr22": 440,
    "chrX": 840,
}
# named genes at their GRCh38 positions (chrom, start): markers the karyotype reads
NAMED = {
    "RUNX1": ("chr21", 34_787_801),
    "MX1": ("chr21", 41_420_020),
    "MX2": ("chr21", 41_361_999),
    "ITGB2": ("chr21", 44_885_949),
    "ADARB1": ("chr21", 45_073_853),
    "PDE9A": ("chr21", 42_653_636),
    "XIST": ("chrX", 73_820_651),
    "ABL1": ("chr9", 130_713_946),
    "BCR": ("chr22", 23_180_365),
    **{f"HLA-{k}": ("chr6", 29_900_000 + 100_000 * i) for i, k in enumerate("ABCEFG")},
}
Y_GENES = ("RPS4Y1", "DDX3Y", "KDM5D", "UTY", "EIF1AY", "ZFY", "USP9Y")
VARIABLE_21Q = ("MX1", "MX2", "ITGB2", "ADARB1", "PDE9A")
LONG_GENE = 150_000  # BCR and ABL1 span this much: enough germline sites to skew


@dataclass
class Case:
    """One simulated sample: copies per chromosome (default 2; X default 2 in a female, 1 in
    a male), the minor copies of gained ones, sex, a fusion, whether it has allele data."""

    name: str
    sex: str = "female"
    copies: dict[str, int] = field(default_factory=dict)
    minor: dict[str, int] = field(default_factory=dict)
    fusion: tuple[str, str] | None = None
    alleles: bool = True

    def copy(self, chrom: str) -> int:
        default = 1 if (chrom == "chrX" and self.sex == "male") else 2
        return self.copies.get(chrom, default)

    @property
    def chromosome_number(self) -> int:
        return sum(self.copy(c) for c in GENES_PER_CHROM) + (self.sex == "male")


def _all(copies: int, keep: dict[str, int]) -> dict[str, int]:
    return {c: copies for c in GENES_PER_CHROM if c != "chrX"} | keep


# what broke on real samples, as karyotypes (chromosome numbers in the names)
HIGH_HYPERDIPLOID_59 = dict.fromkeys(
    ("chrX", "chr4", "chr5", "chr6", "chr8", "chr10", "chr11", "chr12", "chr14", "chr17", "chr18"),
    3,
) | {"chr21": 4}
HIGH_HYPERDIPLOID_52 = dict.fromkeys(("chrX", "chr11", "chr12", "chr17"), 3) | {"chr21": 4}
NEAR_HAPLOID_27 = _all(1, {"chrX": 2, "chr14": 2, "chr18": 2, "chr21": 2})
LOW_HYPODIPLOID_33 = dict.fromkeys(
    (f"chr{i}" for i in (2, 3, 4, 5, 7, 9, 12, 13, 15, 16, 17, 19, 20)), 1
)
LOW_HYPODIPLOID_36 = dict.fromkeys((f"chr{i}" for i in (3, 4, 7, 9, 13, 15, 16, 17, 20, 22)), 1)


def aneuploid_cases(alleles: bool) -> list[Case]:
    """The classes that broke, with or without allele data."""
    tag = "" if alleles else "_dosage"
    return [
        Case(f"hyper59{tag}", copies=HIGH_HYPERDIPLOID_59, minor={"chr21": 2}, alleles=alleles),
        Case(f"hyper52{tag}", copies=HIGH_HYPERDIPLOID_52, minor={"chr21": 2}, alleles=alleles),
        Case(f"haploid27{tag}", copies=NEAR_HAPLOID_27, alleles=alleles),
        Case(f"hypo33{tag}", copies=LOW_HYPODIPLOID_33, alleles=alleles),
        Case(f"hypo36{tag}", "male", copies=LOW_HYPODIPLOID_36, alleles=alleles),
        Case(f"male_X10{tag}", "male", copies={"chrX": 2, "chr10": 3}, alleles=alleles),
    ]


def layout(rng: np.random.Generator, density: float = 1.0) -> pd.DataFrame:
    """gene_id, gene_name, chrom, start, end: ``density`` x GRCh38's protein-coding genes per
    chromosome, uniform along each arm, the named genes at their real places, chrY genes."""
    cen = centromeres()
    rows = []
    for chrom, n in GENES_PER_CHROM.items():
        c = cen.loc[chrom]
        k = max(1, round(n * density))
        if c["acrocentric"]:
            pos = rng.uniform(c["centromere_end"] + 1e5, c["length"] - 1e5, k)
        else:
            pos = rng.uniform(1e5, c["length"] - 1e5, k)
            pos = pos[(pos < c["centromere_start"]) | (pos > c["centromere_end"])]
        rows += [(chrom, int(p)) for p in np.sort(pos)]
    genes = pd.DataFrame(rows, columns=["chrom", "start"])
    genes["gene_name"] = [f"G{i}" for i in range(len(genes))]
    named = pd.DataFrame(
        [(c, p, n) for n, (c, p) in NAMED.items()]
        + [("chrY", 2_800_000 + 1_000_000 * i, n) for i, n in enumerate(Y_GENES)],
        columns=["chrom", "start", "gene_name"],
    )
    genes = pd.concat([genes, named], ignore_index=True)
    genes["end"] = genes["start"] + np.where(
        genes["gene_name"].isin(("BCR", "ABL1")), LONG_GENE, 20_000
    )
    genes["gene_id"] = [f"ENSG{i:011d}.1" for i in range(len(genes))]
    return genes[["gene_id", "gene_name", "chrom", "start", "end"]]


def counts(rng: np.random.Generator, genes: pd.DataFrame, cases: list[Case]) -> pd.DataFrame:
    """Genes x samples raw counts of ``cases`` (negative binomial around per-gene means that
    span two orders of magnitude, each gene's dosage response damped to 0.7-1.0)."""
    n = len(genes)
    base = rng.lognormal(np.log(300), 1.0, n)
    dispersion = rng.lognormal(np.log(0.05), 0.5, n)
    response = rng.uniform(0.7, 1.0, n)
    names = genes["gene_name"].to_numpy()
    chrom = genes["chrom"].to_numpy()
    variable = np.isin(names, VARIABLE_21Q)
    hla = pd.Series(names).str.startswith("HLA-").to_numpy()
    xist, ygenes = names == "XIST", np.isin(names, Y_GENES)
    out = {}
    for case in cases:
        copies = np.array([case.copy(c) if c != "chrY" else 1 for c in chrom], dtype=float)
        mu = base * (copies / 2) ** response
        mu = mu * rng.lognormal(0, 0.15, n)  # the sample's own biology, gene by gene
        mu[variable] *= rng.lognormal(0, 1.5, variable.sum())  # single genes 4-20 fold off
        mu[names == "MX2"] = mu[names == "MX1"]  # the interferon pair moves together
        mu[hla] *= rng.lognormal(0, 1.0)  # one factor for the cluster
        female = case.sex == "female"
        mu[xist] = rng.uniform(2000, 9000) if female else rng.uniform(14, 72)
        mu[ygenes] = rng.uniform(0.3, 17, ygenes.sum()) if female else rng.uniform(80, 600)
        shape = 1 / dispersion
        out[case.name] = rng.poisson(rng.gamma(shape, mu / shape))
    return pd.DataFrame(out, index=genes["gene_id"])


def germline_sites(
    rng: np.random.Generator, genes: pd.DataFrame, case: Case, sites_per_gene: float = 0.1
) -> pd.DataFrame:
    """chrom, pos, alt_reads, depth of one sample's germline dbSNP sites in expressed genes:
    60 % heterozygous at the allele ratio of the copy number (one phase per chromosome; LOH
    where one copy is left), beta-binomial counts (allele-specific expression), only sites with
    >= 3 alt reads (as a caller writes them); in the genes of the sample's fusion one allele
    (the fused one) dominates."""
    fused = set(case.fusion or ())
    rows = []
    minor = {c: case.minor.get(c, 1) for c in GENES_PER_CHROM}
    for g in genes.itertuples(index=False):
        if g.chrom == "chrY":
            continue
        k = rng.poisson(sites_per_gene * (12 if g.gene_name in fused else 1))
        cn = case.copy(g.chrom)
        for pos in rng.integers(g.start, g.end, k):
            depth = int(rng.negative_binomial(4, 4 / (4 + 45))) + 5
            if rng.random() < 0.6 and cn > 1:
                m = minor[g.chrom] if cn > 2 else 1
                frac = (m if rng.random() < 0.5 else cn - m) / cn
                if g.gene_name in fused:
                    frac = 0.12 if rng.random() < 0.5 else 0.88
                frac = rng.beta(frac * 60, (1 - frac) * 60)
            elif rng.random() < 0.6:
                frac = 0.99
            else:
                continue  # homozygous reference, or the lost allele: no call
            alt = int(rng.binomial(depth, frac))
            if alt >= 3:
                rows.append((g.chrom, int(pos), alt, depth))
    return pd.DataFrame(rows, columns=["chrom", "pos", "alt_reads", "depth"])
