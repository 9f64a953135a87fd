"""The data behind the per-sample RNA karyotype plot: per-gene log2 ratios and allele sites.

Long tables, one row per sample and gene (site), gzip level 1: at 2,000 samples x 20,000 genes
they are 40 million rows, which pyarrow's CSV writer formats in batches of samples into a
fast-compressing stream (a pandas ``to_csv`` would take minutes).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from tkiseq.atomic import atomic_path
from tkiseq.subtypes.arms import canonical_chrom

GENE_COLUMNS = ["sample", "chrom", "arm", "pos", "gene_id", "log2_ratio"]
SITE_COLUMNS = ["sample", "chrom", "arm", "pos", "depth", "alt_fraction"]
SAMPLES_PER_BATCH = 50


def _chrom_order(chrom: pd.Series) -> np.ndarray:
    bare = chrom.str.removeprefix("chr")
    return bare.map(lambda c: int(c) if c.isdigit() else {"X": 23, "Y": 24}.get(c, 25)).to_numpy()


def gene_layout(arms: pd.Series, genes: pd.DataFrame, columns: pd.Index) -> pd.DataFrame:
    """chrom, arm, pos, gene_id of the genes ``columns`` in genome order (``arms``: gene ->
    arm label; ``genes``: the annotation's chrom and start per gene ID)."""
    ids = columns[columns.isin(arms.index)]
    chrom = genes.loc[ids, "chrom"].astype(str).map(canonical_chrom)
    layout = pd.DataFrame(
        {
            "chrom": chrom.to_numpy(),
            "arm": arms.loc[ids].str[-1].to_numpy(),
            "pos": genes.loc[ids, "start"].astype(np.int64).to_numpy(),
            "gene_id": ids.to_numpy(),
        }
    )
    layout["_order"] = _chrom_order(layout["chrom"])
    return layout.sort_values(["_order", "pos"], kind="stable").drop(columns="_order")


def write_genes(path: Path, ratios: pd.DataFrame, layout: pd.DataFrame, threads: int = 2) -> None:
    """``karyotype_genes.tsv.gz``: one row per sample and gene of ``layout`` (``ratios``:
    samples x genes, centred log2 ratios, rounded to 3 decimals).

    Each batch of samples is formatted and compressed as its own gzip member (a gzip file may
    be a series of members; zcat, Python and pandas read them as one stream), ``threads`` at a
    time: at 2,000 samples x 32,000 genes (64 M rows) formatting and compressing one after the
    other took minutes on one core. The sample column is dictionary-encoded (one string per
    sample, not per row); the text is the same.
    """
    from concurrent.futures import ThreadPoolExecutor

    values = np.round(ratios[layout["gene_id"]].to_numpy(float), 3)
    n = len(layout)
    fixed = {c: pa.array(layout[c].to_numpy()) for c in ("chrom", "arm", "pos", "gene_id")}
    names = pa.array(ratios.index.to_numpy(dtype=str))
    rows = pacsv.WriteOptions(delimiter="\t", quoting_style="none", include_header=False)

    def member(first: int) -> bytes:
        k = min(SAMPLES_PER_BATCH, len(ratios) - first)
        index = np.repeat(np.arange(first, first + k, dtype=np.int32), n)
        batch = {
            "sample": pa.DictionaryArray.from_arrays(pa.array(index), names),
            **{c: pa.concat_arrays([a] * k) for c, a in fixed.items()},
            "log2_ratio": pa.array(values[first : first + k].ravel()),
        }
        sink = pa.BufferOutputStream()
        pacsv.write_csv(pa.table({c: batch[c] for c in GENE_COLUMNS}), sink, rows)
        return gzip.compress(sink.getvalue().to_pybytes(), compresslevel=1)

    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        out.write(gzip.compress(("\t".join(GENE_COLUMNS) + "\n").encode(), compresslevel=1))
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            for data in pool.map(member, range(0, len(ratios), SAMPLES_PER_BATCH)):
                out.write(data)


def write_sites(path: Path, snvs: pd.DataFrame, min_depth: int, het_range: tuple) -> None:
    """``karyotype_sites.tsv.gz``: the heterozygous sites the allele evidence used (depth >=
    ``min_depth``, alt fraction in ``het_range``); a header only without allele data."""
    lo, hi = het_range
    deep = snvs[snvs["depth"].astype(int) >= min_depth]
    fraction = deep["alt_reads"].astype(int) / deep["depth"].astype(int)
    deep = deep[(fraction >= lo) & (fraction <= hi)]
    out = pd.DataFrame(
        {
            "sample": deep["sample"].astype(str),
            "chrom": deep["chrom"].astype(str).map(canonical_chrom),
            "arm": deep["arm_label"].astype(str).str[-1],
            "pos": deep["pos"].astype(np.int64),
            "depth": deep["depth"].astype(np.int64),
            "alt_fraction": (fraction[deep.index]).round(3),
        },
        columns=SITE_COLUMNS,
    )
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", compresslevel=1) as sink:
        out.to_csv(sink, sep="\t", index=False, lineterminator="\n")
