"""User count matrices as an entry point to DE: the pipeline's own files or a lab's existing ones.

Accepted, recognised from the file itself:
- ``cohort.h5ad`` from ``tkiseq counts`` (layer ``counts``);
- a genes x samples TSV/CSV: first column gene IDs, optional ``gene_name`` column, then one
  integer column per sample (``expression/counts.tsv`` is one);
- featureCounts output (``# Program:featureCounts`` header; annotation columns dropped, BAM
  paths reduced to sample names);
- one or more STAR ``<sample>.ReadsPerGene.out.tab`` files (the strand column chosen by the
  sample's ``strandedness.json`` beside it, else inferred from the file as ``tkiseq align`` does).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.align.strandedness import COLUMN, read_reads_per_gene, resolve
from tkiseq.errors import InputError

RPG_SUFFIX = ".ReadsPerGene.out.tab"
FEATURECOUNTS_ANNOTATION = ["Chr", "Start", "End", "Strand", "Length"]
BAM_SUFFIXES = re.compile(r"(\.Aligned\.sortedByCoord\.out|\.Aligned\.out|\.sorted)?\.bam$")


@dataclass(frozen=True)
class CountMatrix:
    """Raw counts (genes x samples, int64) with gene names indexed like the counts."""

    counts: pd.DataFrame
    gene_names: pd.Series
    source: Path


def read_counts(paths: list[Path]) -> CountMatrix:
    """Read any accepted count input; checks shared by all formats are applied here."""
    if not paths:
        raise InputError("--counts", "no count file given")
    if all(p.name.endswith(RPG_SUFFIX) for p in paths):
        matrix = _read_reads_per_gene(paths)
    elif len(paths) > 1:
        raise InputError(
            paths[1], "only STAR ReadsPerGene files may be given several at a time",
            hint="merge other formats into one genes x samples table",
        )  # fmt: skip
    elif paths[0].suffix == ".h5ad":
        matrix = _read_h5ad(paths[0])
    else:
        matrix = _read_table(paths[0])
    return _checked(matrix)


def _checked(m: CountMatrix) -> CountMatrix:
    """Reject what DESeq2 cannot model: no genes, repeated IDs, negative or fractional counts."""
    counts = m.counts
    if counts.shape[0] == 0 or counts.shape[1] == 0:
        raise InputError(m.source, "count matrix is empty", hint="expected genes x samples")
    dup = counts.index[counts.index.duplicated()].unique()
    if len(dup):
        raise InputError(
            m.source, f"duplicated gene IDs: {', '.join(map(str, dup[:5]))}",
            hint="gene IDs must be unique; sum or drop the duplicates first",
        )  # fmt: skip
    dup_samples = counts.columns[counts.columns.duplicated()].unique()
    if len(dup_samples):
        raise InputError(m.source, f"duplicated sample columns: {', '.join(dup_samples[:5])}")
    values = counts.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & counts.notna()
    if bad.any().any() or counts.isna().any().any():
        col = values.columns[(bad | counts.isna()).any()][0]
        gene = values.index[(bad | counts.isna())[col]][0]
        raise InputError(
            m.source, f"non-numeric count {counts.at[gene, col]!r} for gene {gene}", column=col
        )
    array = values.to_numpy(dtype=float)
    if (array < 0).any():
        col = values.columns[(array < 0).any(axis=0)][0]
        raise InputError(m.source, "negative counts", column=col, hint="expected raw read counts")
    if (array != np.round(array)).any():
        col = values.columns[(array != np.round(array)).any(axis=0)][0]
        raise InputError(
            m.source, "non-integer counts", column=col,
            hint="give raw read counts, not TPM/FPKM or normalised values",
        )  # fmt: skip
    counts = pd.DataFrame(array.astype(np.int64), index=counts.index, columns=counts.columns)
    counts.index.name = "gene_id"
    return CountMatrix(counts, m.gene_names.reindex(counts.index), m.source)


def _read_h5ad(path: Path) -> CountMatrix:
    adata = ad.read_h5ad(path)
    layer = adata.layers.get("counts", adata.X)
    counts = pd.DataFrame(np.asarray(layer).T, index=adata.var_names, columns=adata.obs_names)
    names = adata.var["gene_name"] if "gene_name" in adata.var else pd.Series(adata.var_names)
    return CountMatrix(counts, pd.Series(names.to_numpy(), index=adata.var_names), path)


def _read_table(path: Path) -> CountMatrix:
    with path.open() as fh:
        first = fh.readline()
    featurecounts = first.startswith("#") and "featureCounts" in first
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    table = pd.read_csv(path, sep=sep, comment="#" if featurecounts else None, dtype=str)
    if table.shape[1] < 2:
        raise InputError(path, "expected a gene ID column and at least one sample column")
    table = table.set_index(table.columns[0])
    if featurecounts:
        table = table.drop(columns=[c for c in FEATURECOUNTS_ANNOTATION if c in table])
        table.columns = [BAM_SUFFIXES.sub("", Path(c).name) for c in table.columns]
    names = table.pop("gene_name") if "gene_name" in table else pd.Series(table.index)
    names = pd.Series(np.asarray(names), index=table.index)
    return CountMatrix(table, names.fillna(pd.Series(table.index, index=table.index)), path)


def _read_reads_per_gene(paths: list[Path]) -> CountMatrix:
    columns = []
    for path in paths:
        sample = path.name[: -len(RPG_SUFFIX)]
        counts, _ = read_reads_per_gene(path)
        decision = path.with_name(f"{sample}.strandedness.json")
        if decision.exists():
            used = json.loads(decision.read_text())["used"]
        else:
            used = resolve(sample, "auto", counts).used
        columns.append(counts[COLUMN[used]].rename(sample))
    for column, path in zip(columns[1:], paths[1:], strict=True):
        if not column.index.equals(columns[0].index):
            raise InputError(path, f"gene list differs from {paths[0].name}")
    table = pd.concat(columns, axis=1)
    return CountMatrix(table, pd.Series(table.index, index=table.index), paths[0])
