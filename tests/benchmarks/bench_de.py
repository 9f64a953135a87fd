"""Wall time and peak memory of ``tkiseq de`` + ``tkiseq gsea`` on generated count matrices.

Run from the repository root:

    python -m tests.benchmarks.bench_de [--samples 51,500] [--genes 20000] [--threads 2]
                                        [--workdir /tmp/tkiseq-bench-de] [--no-r]

Each matrix is negative binomial with 5 % of genes following the (capped) AUC and 100 random
gene sets of 15-300 genes plus one planted set; R DESeq2 (``Rscript`` with the DESeq2 package)
is timed on the same matrix and design when installed. Each step runs as its own process, so
peak RSS is that step's alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tests.benchmarks.measure import measured

R_SCRIPT = """
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE)[, -1])
pheno <- read.csv(args[2], row.names = 1)[colnames(counts), , drop = FALSE]
pheno$auc_imatinib <- pmin(pheno$auc_imatinib, 150)
keep <- rowSums(counts >= 10) >= 3
dds <- DESeqDataSetFromMatrix(counts[keep, ], pheno, ~ auc_imatinib)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, name = "auc_imatinib", cooksCutoff = FALSE)
"""


def generate(root: Path, n_samples: int, n_genes: int, seed: int = 1) -> tuple[Path, Path, Path]:
    """Write counts.tsv, phenotypes.csv and sets.gmt for one benchmark size."""
    rng = np.random.default_rng(seed)
    auc = np.clip(rng.normal(100, 40, n_samples), 5, 200).round(1)
    capped = np.minimum(auc, 150)
    z = (capped - capped.mean()) / capped.std(ddof=1)
    mean = rng.lognormal(4.5, 1.8, n_genes)
    slope = np.zeros(n_genes)
    planted = rng.choice(n_genes, n_genes // 20, replace=False)
    slope[planted] = rng.choice([-1, 1], planted.size) * rng.uniform(0.3, 0.9, planted.size)
    mu = rng.lognormal(0, 0.2, n_samples)[:, None] * mean * 2 ** (z[:, None] * slope)
    disp = 0.05 + 1 / mean
    counts = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp))
    names = [f"GENE{i}" for i in range(n_genes)]
    table = pd.DataFrame(counts.T, columns=[f"S{i:03d}" for i in range(n_samples)])
    table.insert(0, "gene_name", names)
    table.insert(0, "gene_id", [f"ENSG{i:011d}" for i in range(n_genes)])
    root.mkdir(parents=True, exist_ok=True)
    table.to_csv(root / "counts.tsv", sep="\t", index=False)
    pd.DataFrame({"sample": table.columns[2:], "auc_imatinib": auc}).to_csv(
        root / "phenotypes.csv", index=False
    )
    up = [names[g] for g in planted[slope[planted] > 0][:60]]
    lines = ["PLANTED_UP\tgenes rising with AUC\t" + "\t".join(up)]
    for k in range(100):
        members = rng.choice(names, int(rng.integers(15, 301)), replace=False)
        lines.append(f"RANDOM_{k}\trandom\t" + "\t".join(members))
    (root / "sets.gmt").write_text("\n".join(lines) + "\n")
    return root / "counts.tsv", root / "phenotypes.csv", root / "sets.gmt"


def bench(
    root: Path, n_samples: int, n_genes: int, threads: int, with_r: bool = True
) -> list[dict[str, object]]:
    """Generate, then time DE, GSEA and (if installed) R DESeq2 for one size."""
    counts, pheno, gmt = generate(root, n_samples, n_genes)
    tk = [sys.executable, "-m", "tkiseq"]
    de = [
        *tk,
        "de",
        "--counts",
        str(counts),
        "--phenotypes",
        str(pheno),
        "--outdir",
        str(root / "de"),
        "--threads",
        str(threads),
    ]
    gsea = [
        *tk,
        "gsea",
        "--de",
        str(root / "de" / "de_auc_imatinib.tsv"),
        "--gene-sets",
        str(gmt),
        "--outdir",
        str(root / "gsea"),
        "--threads",
        str(threads),
    ]
    rows = []

    def record(step: str, cmd: list[str]) -> None:
        wall, cpu, rss = measured(cmd, quiet=True)
        rows.append(
            {
                "samples": n_samples,
                "genes": n_genes,
                "step": step,
                "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "peak_rss_mb": round(rss),
                "load_1min": round(os.getloadavg()[0], 1),
            }
        )

    record("tkiseq de", de)  # R right after it, so both see the same load
    if with_r and shutil.which("Rscript"):
        (root / "deseq2.R").write_text(R_SCRIPT)
        record("R DESeq2", ["Rscript", str(root / "deseq2.R"), str(counts), str(pheno)])
    record("tkiseq gsea", gsea)
    table = pd.read_csv(root / "de" / "de_auc_imatinib.tsv", sep="\t")
    called = int((table["padj"] < 0.05).sum())
    print(f"{n_samples} x {n_genes}: {called} genes at padj < 0.05", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="51,500", help="comma-separated cohort sizes")
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-de"))
    parser.add_argument("--no-r", action="store_true", help="time tkiseq only, not R DESeq2")
    a = parser.parse_args()
    rows = []
    for n in (int(x) for x in a.samples.split(",")):
        rows += bench(a.workdir / f"n{n}", n, a.genes, a.threads, with_r=not a.no_r)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
