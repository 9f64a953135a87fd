"""tkiseq's vectorised PyDESeq2 inference against PyDESeq2's own, on one generated matrix.

Run from the repository root:

    python -m tests.benchmarks.compare_de_inference [--samples 51] [--genes 3000]

Same matrix generator as ``bench_de``; the phenotype z-scored as ``tkiseq de`` fits it. Prints
each inference's wall time and the largest and 99.9th-percentile relative differences of the
genewise and MAP dispersions, log2FC, p and padj, and the calls at padj < 0.05 of each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from tests.benchmarks.bench_de import generate
from threadpoolctl import threadpool_limits

from tkiseq.expression.deseq_inference import BlockInference


def fit(counts: pd.DataFrame, design: pd.DataFrame, inference: object) -> pd.DataFrame:
    """PyDESeq2 as ``tkiseq de`` runs it, with the given inference object."""
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(
            counts=counts,
            metadata=design,
            design="~auc_imatinib",
            refit_cooks=False,
            quiet=True,
            inference=inference,
        )
        dds.deseq2()
        ds = DeseqStats(
            dds, contrast=np.array([0, 1.0]), cooks_filter=False, quiet=True, inference=inference
        )
        ds.summary()
    return ds.results_df.assign(
        genewise=dds.var["genewise_dispersions"], map=dds.var["dispersions"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=51)
    parser.add_argument("--genes", type=int, default=3000)
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        counts_tsv, pheno_csv, _ = generate(Path(tmp), a.samples, a.genes)
        counts = pd.read_csv(counts_tsv, sep="\t", index_col=0).drop(columns="gene_name").T
        pheno = pd.read_csv(pheno_csv, index_col=0)
    auc = np.minimum(pheno["auc_imatinib"], 150)
    design = pd.DataFrame({"auc_imatinib": (auc - auc.mean()) / auc.std()}).loc[counts.index]
    counts = counts.loc[:, (counts >= 10).sum() >= 3]
    out = {}
    for name, inference in (
        ("block", BlockInference(n_cpus=1)),
        ("default", DefaultInference(n_cpus=1)),
    ):
        t0 = time.perf_counter()
        out[name] = fit(counts, design, inference)
        print(f"{name}: {time.perf_counter() - t0:.1f} s")
    block, default = out["block"], out["default"]
    for column in ("genewise", "map", "log2FoldChange", "pvalue", "padj"):
        rel = (block[column] - default[column]).abs() / default[column].abs().clip(lower=1e-12)
        print(f"{column}: max {rel.max():.2e}, 99.9 % {rel.quantile(0.999):.2e}")
    ours, theirs = block["padj"] < 0.05, default["padj"] < 0.05
    print(f"padj < 0.05: {ours.sum()} vs {theirs.sum()}, differ {(ours != theirs).sum()}")


if __name__ == "__main__":
    main()
