"""Wall time and peak memory of the subtypes stage on a generated cohort.

Run from the repository root:

    python -m tests.benchmarks.bench_subtypes [--samples 500] [--genes 20000] [--sites 2000]
                                              [--workdir /tmp/tkiseq-bench-subtypes]

Generates once (cached in ``--workdir``): a GTF of ``--genes`` genes spread over the arms of
GRCh38, ``cohort.h5ad`` (negative-binomial counts; a tenth of the samples high hyperdiploid;
the ``vst`` layer is log2(normalised + 1) to keep generation quick, the stage only reads it for
expression gates and CD19/CD22), a cohort fusion table with BCR::ABL1 in a fifth of the samples
and one ``<sample>.all.vcf.gz`` per sample with ``--sites`` dbSNP-FILTERed germline sites. Then
runs ``tkiseq.subtypes.stage.run`` in its own process and prints wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tests.benchmarks.measure import timed

GAINS = {
    "chrX": 3,
    "chr4": 3,
    "chr6": 3,
    "chr10": 3,
    "chr14": 3,
    "chr17": 3,
    "chr18": 3,
    "chr21": 4,
}


def generate(root: Path, n_samples: int, n_genes: int, n_sites: int, seed: int = 1) -> None:
    """Write genes.gtf (and its bundle), cohort.h5ad, cohort_fusions.tsv, per-sample VCFs."""
    import anndata as ad
    from tests.subtypes_inputs import write_vcf

    from tkiseq.expression.counts import median_of_ratios
    from tkiseq.subtypes.arms import centromeres

    rng = np.random.default_rng(seed)
    cen = centromeres().drop(index="chrY")
    weight = cen["length"] / cen["length"].sum()
    chrom = rng.choice(cen.index.to_numpy(), n_genes, p=weight.to_numpy())
    start = (rng.random(n_genes) * (cen.loc[chrom, "length"].to_numpy() - 2e5)).astype(int) + 1
    ids = [f"ENSG{i:011d}.1" for i in range(n_genes)]
    genes = pd.DataFrame({"gene_id": ids, "chrom": chrom, "start": start, "end": start + 20_000})
    genes["gene_name"] = [f"GENE{i}" for i in range(n_genes)]
    for k, name in enumerate(("CD19", "CD22", "CRLF2", "CDX2", "NUTM1", "DUX4")):
        genes.loc[k, "gene_name"] = name
    root.mkdir(parents=True, exist_ok=True)
    (root / "genes.gtf").write_text(
        "".join(
            f'{r.chrom}\tbench\tgene\t{r.start}\t{r.end}\t.\t+\t.\tgene_id "{r.gene_id}"; '
            f'gene_name "{r.gene_name}";\n'
            for r in genes.itertuples(index=False)
        )
    )
    from tkiseq.genome.bundle import build_bundle

    build_bundle(root / "genes.gtf", None, root / "annotation")  # tkiseq prepare, once
    names = [f"S{i:03d}" for i in range(n_samples)]
    hyper = set(names[::10])
    base = rng.lognormal(4.5, 1.8, n_genes)
    dosage = np.array([[GAINS.get(c, 2) / 2 if s in hyper else 1.0 for c in chrom] for s in names])
    mu = base * dosage * rng.lognormal(0, 0.2, n_samples)[:, None]
    counts = rng.poisson(rng.gamma(1 / 0.1, mu * 0.1)).astype(np.int64)
    norm = counts / median_of_ratios(counts.astype(float))[:, None]
    adata = ad.AnnData(
        X=counts.copy(),
        obs=pd.DataFrame(index=pd.Index(names, name="sample")),
        var=genes.set_index("gene_id")[["gene_name", "chrom", "start", "end"]],
    )
    adata.layers["counts"] = counts
    adata.layers["normalised"] = norm
    adata.layers["vst"] = np.log2(norm + 1)
    adata.write_h5ad(root / "cohort.h5ad")
    fusions = pd.DataFrame({"sample": names[1::5], "gene5": "BCR", "gene3": "ABL1"})
    fusions.assign(confidence="high").to_csv(root / "cohort_fusions.tsv", sep="\t", index=False)
    contigs = {c: int(n) for c, n in cen["length"].items()}
    site_chrom = rng.choice(cen.index.to_numpy(), n_sites, p=weight.to_numpy())
    site_pos = (rng.random(n_sites) * cen.loc[site_chrom, "length"].to_numpy()).astype(int) + 1
    for s in names:
        depth = rng.integers(10, 80, n_sites)
        het = rng.random(n_sites) < 0.6
        copies = np.array([GAINS.get(c, 2) if s in hyper else 2 for c in site_chrom])
        frac = np.where(het, np.where(copies > 2, 1 / copies, 0.5), 0.99)
        rows = pd.DataFrame(
            {
                "chrom": site_chrom,
                "pos": site_pos,
                "ref": "A",
                "alt": "G",
                "alt_reads": rng.binomial(depth, frac),
                "depth": depth,
            }
        )
        rows = rows[rows["alt_reads"] > 0].drop_duplicates(["chrom", "pos"])
        write_vcf(rows, s, contigs, root / f"{s}.all.vcf.gz")


def stage(root: Path) -> None:
    """The timed part: the stage on the generated inputs."""
    from tkiseq.subtypes.stage import SubtypesInputs, SubtypesParams, run

    vcfs = sorted(root.glob("*.all.vcf.gz"))
    inputs = SubtypesInputs(
        root / "cohort.h5ad", root / "annotation", [root / "cohort_fusions.tsv"], vcfs
    )
    run(inputs, SubtypesParams(), root / "out")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--sites", type=int, default=2_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-subtypes"))
    ap.add_argument("--stage-only", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.stage_only:
        stage(a.stage_only)
        return
    root = a.workdir / f"{a.samples}x{a.genes}x{a.sites}"
    if not (root / "cohort.h5ad").exists():
        generate(root, a.samples, a.genes, a.sites)
    wall, rss = timed(
        [sys.executable, "-m", "tests.benchmarks.bench_subtypes", "--stage-only", str(root)]
    )
    calls = pd.read_csv(root / "out" / "subtypes.tsv", sep="\t")
    counts = calls["subtype"].value_counts().to_dict()
    print(
        f"subtypes {a.samples} samples x {a.genes} genes, {a.sites} sites/sample: "
        f"{wall:.1f} s wall, peak RSS {rss:.0f} MB; calls {counts}"
    )


if __name__ == "__main__":
    main()
