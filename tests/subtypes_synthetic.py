"""Synthetic cohorts with known karyotypes for the subtype tests (no STAR, no simulator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.expression.counts import median_of_ratios
from tkiseq.subtypes.arms import AUTOSOMES, centromeres

GENES_PER_ARM = 12
SNVS_PER_ARM = 12


def arm_layout() -> pd.DataFrame:
    """One row per gene: gene_id, gene_name, chrom, start, end, arm on real GRCh38 scale."""
    cen = centromeres()
    rows = []
    for chrom in (*AUTOSOMES, "chrX"):
        c = cen.loc[chrom]
        for arm in ("p", "q"):
            if arm == "p" and c["acrocentric"]:
                continue
            lo, hi = (
                (1e6, c["centromere_start"] - 1e6)
                if arm == "p"
                else (c["centromere_end"] + 1e6, c["length"] - 1e6)
            )
            for k, pos in enumerate(np.linspace(lo, hi, GENES_PER_ARM)):
                gid = f"ENSG{len(rows):011d}.3"
                rows.append((gid, f"G{chrom[3:]}{arm}{k}", chrom, int(pos), int(pos) + 5000, arm))
    return pd.DataFrame(rows, columns=["gene_id", "gene_name", "chrom", "start", "end", "arm"])


def cohort_counts(
    rng: np.random.Generator, layout: pd.DataFrame, copies: list[dict[str, float]]
) -> np.ndarray:
    """Negative-binomial counts; ``copies[i]`` maps a chromosome to its copy number (default 2)."""
    base = rng.lognormal(np.log(400), 0.7, len(layout))
    out = []
    for cn in copies:
        factor = layout["chrom"].map(lambda c, cn=cn: cn.get(c, 2) / 2).to_numpy()
        mu = base * factor
        out.append(rng.poisson(rng.gamma(1 / 0.03, mu * 0.03)))
    return np.array(out)


def log_normalised(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(normalised counts, log2(normalised + 1)) by median-of-ratios size factors."""
    norm = counts / median_of_ratios(counts.astype(float))[:, None]
    return norm, np.log2(norm + 1)


def germline_sites(
    rng: np.random.Generator, layout: pd.DataFrame, copies: dict[str, float]
) -> pd.DataFrame:
    """dbSNP-site calls of one sample: het sites at the allele ratio its copy number implies
    (2:1 for three copies, 3:1 or 2:2 for four, LOH for one; one phase per chromosome),
    depth 30-60."""
    rows = []
    minor = {c: int(rng.integers(1, int(n) // 2 + 1)) for c, n in copies.items() if n > 2}
    for (chrom, arm), genes in layout.groupby(["chrom", "arm"]):
        cn = copies.get(chrom, 2)
        for pos in np.linspace(genes["start"].min(), genes["end"].max(), SNVS_PER_ARM):
            depth = int(rng.integers(30, 61))
            het = rng.random() < 0.7
            if not het or cn == 1:
                frac = 1.0 if (not het or rng.random() < 0.5) else 0.0
                if frac == 0.0:
                    continue  # the retained reference allele: no call at this site
            else:
                m = minor.get(chrom, 1)  # the alt allele sits on either haplotype
                frac = (m if rng.random() < 0.5 else cn - m) / cn
            alt = int(rng.binomial(depth, frac))
            if alt:
                rows.append((chrom, int(pos), alt, depth, f"{chrom[3:]}{arm}"))
    return pd.DataFrame(rows, columns=["chrom", "pos", "alt_reads", "depth", "arm_label"])


def write_gtf(layout: pd.DataFrame, path: Path) -> None:
    """One ``gene`` row per gene of the layout."""
    lines = [
        f'{r.chrom}\tsynthetic\tgene\t{r.start}\t{r.end}\t.\t+\t.\tgene_id "{r.gene_id}"; '
        f'gene_name "{r.gene_name}"; gene_type "protein_coding";'
        for r in layout.itertuples(index=False)
    ]
    path.write_text("\n".join(lines) + "\n")


def write_cohort(
    rng: np.random.Generator, layout: pd.DataFrame, copies: list[dict], names: list[str], path: Path
) -> None:
    """cohort.h5ad (layers counts / normalised / vst) of the synthetic karyotypes."""
    from tkiseq.expression.counts import to_anndata

    counts = cohort_counts(rng, layout, copies)
    matrix = pd.DataFrame(counts.T, index=layout["gene_id"], columns=names)
    genes = layout.set_index("gene_id")[["gene_name", "chrom", "start", "end"]]
    pheno = pd.DataFrame(index=pd.Index(names, name="sample"))
    to_anndata(matrix, genes, pheno, pd.DataFrame(index=pheno.index)).write_h5ad(path)


def write_sample_vcf(
    rng: np.random.Generator, layout: pd.DataFrame, copies: dict, sample: str, path: Path
) -> None:
    """``<sample>.all.vcf.gz`` with the sample's germline dbSNP sites (FILTER dbsnp, AD)."""
    from tests.subtypes_inputs import write_vcf

    cen = centromeres()
    sites = germline_sites(rng, layout, copies).assign(ref="A", alt="G")
    contigs = {c: int(cen.loc[c, "length"]) for c in pd.unique(layout["chrom"])}
    write_vcf(sites, sample, contigs, path)


def write_fusions(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """A fusion table with (sample, gene5, gene3) rows at high confidence."""
    table = pd.DataFrame(rows, columns=["sample", "gene5", "gene3"]).assign(confidence="high")
    table.to_csv(path, sep="\t", index=False)
