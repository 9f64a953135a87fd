"""The cohort count matrix: one strand-resolved column per sample from STAR's ReadsPerGene.

One matrix, one AnnData: ``counts.tsv`` for any tool, ``cohort.h5ad`` (samples x genes,
layers ``counts``, ``normalised`` and ``vst``, obs = phenotypes) for the Python stages.
"""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.align.strandedness import COLUMN, read_reads_per_gene
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.expression.normalise import median_of_ratios, vst
from tkiseq.genome.bundle import read_genes

RPG_SUFFIX = ".ReadsPerGene.out.tab"


def sample_of(path: Path) -> str:
    """``BA_P01.ReadsPerGene.out.tab`` -> ``BA_P01``."""
    if not path.name.endswith(RPG_SUFFIX):
        raise InputError(path, f"file name does not end in {RPG_SUFFIX}")
    return path.name[: -len(RPG_SUFFIX)]


def load_sample(path: Path) -> tuple[str, pd.Series, dict[str, object]]:
    """Counts in the column the sample's strandedness decision names."""
    sample = sample_of(path)
    decision_path = path.with_name(f"{sample}.strandedness.json")
    if not decision_path.exists():
        raise InputError(
            decision_path, "file not found", hint=f"it is written by tkiseq align with {path.name}"
        )
    decision = json.loads(decision_path.read_text())
    counts, _ = read_reads_per_gene(path)
    return sample, counts[COLUMN[decision["used"]]].rename(sample), decision


def count_matrix(columns: list[pd.Series], paths: list[Path]) -> pd.DataFrame:
    """Genes x samples; all samples must come from the same index (same genes, same order)."""
    first = columns[0].index
    for column, path in zip(columns[1:], paths[1:], strict=True):
        if not column.index.equals(first):
            raise InputError(
                path, f"gene list differs from {paths[0].name}", hint="align with one STAR index"
            )
    seen: set[str] = set()
    for column, path in zip(columns, paths, strict=True):
        if column.name in seen:
            raise InputError(path, f"sample {column.name!r} given twice")
        seen.add(str(column.name))
    return pd.concat(columns, axis=1)


def to_anndata(
    matrix: pd.DataFrame, genes: pd.DataFrame, phenotypes: pd.DataFrame, decisions: pd.DataFrame
) -> ad.AnnData:
    """Samples x genes AnnData with raw, size-factor normalised and variance-stabilised counts."""
    counts = matrix.T.to_numpy(dtype=np.int64)
    var = genes.reindex(matrix.index)
    var["gene_name"] = var["gene_name"].fillna(pd.Series(matrix.index, index=matrix.index))
    obs = phenotypes.reindex(matrix.columns).join(decisions)
    obs.index.name = "sample"
    sf = median_of_ratios(counts.astype(float))
    obs["size_factor"] = sf
    adata = ad.AnnData(X=counts.copy(), obs=obs, var=var)
    adata.layers["counts"] = counts
    adata.layers["normalised"] = counts / sf[:, None]
    adata.layers["vst"] = vst(counts)
    return adata


def build_cohort(
    reads_per_gene: list[Path], annotation: Path, phenotypes: Path, outdir: Path
) -> None:
    """Write ``counts.tsv``, ``cohort.h5ad`` and ``strandedness.tsv`` into ``outdir``."""
    loaded = [load_sample(p) for p in reads_per_gene]
    matrix = count_matrix([c for _, c, _ in loaded], reads_per_gene)
    genes = read_genes(annotation)
    pheno = pd.read_csv(phenotypes, dtype={"sample": str}).set_index("sample")
    decisions = pd.DataFrame([d for _, _, d in loaded]).set_index("sample")
    strand_cols = decisions[["declared", "inferred", "used"]].add_prefix("strandedness_")
    adata = to_anndata(matrix, genes, pheno, strand_cols)

    table = matrix.copy()
    table.insert(0, "gene_name", adata.var["gene_name"].to_numpy())
    table.index.name = "gene_id"
    with atomic_path(outdir / "cohort.h5ad") as tmp:  # the likeliest to fail, so first
        adata.write_h5ad(tmp)
    with atomic_path(outdir / "counts.tsv") as tmp:
        table.to_csv(tmp, sep="\t")
    with atomic_path(outdir / "strandedness.tsv") as tmp:
        decisions.to_csv(tmp, sep="\t")
