"""A published count matrix at real size through the cohort part of ``tkiseq run --counts``.

Run from the repository root:

    python -m tests.benchmarks.bench_cohort_scale [--genes 60000] [--samples 2000]
                                                  [--threads 2] [--workdir /tmp/tkiseq-bench-scale]

Generates once per size (cached in ``--workdir``): a GTF of ``--genes`` genes over the 24
chromosomes (GENCODE-like versioned IDs, the named marker genes at their GRCh38 positions), a
genes x samples count TSV (negative binomial, written in gene blocks by pyarrow), phenotypes
with ``auc_imatinib`` (5 % of genes follow it), a labelled 100-sample subtype reference
(``reference.h5ad``, obs ``subtype``) and a GMT. The cohort plants what the stages read: sex
(XIST against the chrY genes), high hyperdiploid gains, ETV6::RUNX1 (EPOR), TCF3::PBX1 (PBX1,
WNT16), DUX4-r (DUX4, CLEC12A), CRLF2-high, each subtype with its own expression signature.
Then runs ``tkiseq run --counts`` once (wall time and peak RSS of the process tree) and prints
each stage's row of ``pipeline_info/trace.tsv``, the 1-minute load average sampled during the
run, and whether the targets hold: <= 10 min in all on 2 cores, <= 8 GB peak.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from tests.benchmarks.measure import measured

TARGET_WALL_S = 600.0
TARGET_RSS_MB = 8 * 1024.0
# protein-coding genes per chromosome in GENCODE (GRCh38), rounded: gene density as in life
WEIGHTS = {
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
    "chrY": 60,
}
# the genes the stages read by name, at their GRCh38 starts
NAMED = {
    "XIST": ("chrX", 73_820_651),
    "CRLF2": ("chrX", 1_190_449),
    "CDX2": ("chr13", 27_960_918),
    "NUTM1": ("chr15", 34_343_000),
    "DUX4": ("chr4", 190_173_774),
    "PBX1": ("chr1", 164_559_000),
    "WNT16": ("chr7", 121_325_000),
    "EPOR": ("chr19", 11_377_207),
    "CLEC12A": ("chr12", 9_964_000),
    "RUNX1": ("chr21", 34_787_801),
    "ERG": ("chr21", 38_380_027),
    "ABL1": ("chr9", 130_713_946),
    "BCR": ("chr22", 23_180_365),
    "IKZF1": ("chr7", 50_304_000),
    "ETV6": ("chr12", 11_649_000),
    "TCF3": ("chr19", 1_609_000),
    "PAX5": ("chr9", 36_833_000),
    "CD19": ("chr16", 28_931_000),
    "CD22": ("chr19", 35_329_000),
    "CDKN2A": ("chr9", 21_967_752),
    "RPS4Y1": ("chrY", 2_841_602),
    "ZFY": ("chrY", 2_935_281),
    "DDX3Y": ("chrY", 12_904_108),
    "USP9Y": ("chrY", 12_701_231),
    "UTY": ("chrY", 13_248_379),
    "KDM5D": ("chrY", 19_703_865),
    "EIF1AY": ("chrY", 20_575_776),
    **{f"HLA-{k}": ("chr6", 29_900_000 + 100_000 * i) for i, k in enumerate("ABCEFG")},
}
Y_GENES = ("RPS4Y1", "ZFY", "DDX3Y", "USP9Y", "UTY", "KDM5D", "EIF1AY")
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
# subtype: (share of the cohort, marker genes raised 8-fold)
SUBTYPES = {
    "High hyperdiploid": (0.25, ()),
    "ETV6::RUNX1": (0.20, ("EPOR",)),
    "TCF3::PBX1": (0.05, ("PBX1", "WNT16")),
    "DUX4-r": (0.05, ("DUX4", "CLEC12A")),
    "BCR::ABL1": (0.10, ()),
    "CRLF2-high": (0.05, ("CRLF2",)),
    "B-other": (0.30, ()),
}
REFERENCE_LABELS = ("High hyperdiploid", "ETV6::RUNX1", "TCF3::PBX1", "DUX4-r", "BCR::ABL1")
BLOCK = 4_000  # genes generated and written at a time


def genes_table(n_genes: int, rng: np.random.Generator) -> pd.DataFrame:
    """Gene ID, name and position: chromosomes by gene density, named genes where they are."""
    from tkiseq.subtypes.arms import centromeres

    length = centromeres()["length"]
    chroms = list(WEIGHTS)
    share = np.array([WEIGHTS[c] for c in chroms], float)
    per = np.floor(share / share.sum() * n_genes).astype(int)
    per[0] += n_genes - per.sum()
    chrom = np.repeat(chroms, per)
    start = (rng.random(n_genes) * (length.loc[chrom].to_numpy() - 1e5)).astype(int) + 1
    names = np.array([f"GENE{i}" for i in range(n_genes)], dtype=object)
    for name, (c, pos) in NAMED.items():  # the first unnamed gene of the chromosome
        k = next(i for i in np.flatnonzero(chrom == c) if names[i].startswith("GENE"))
        names[k], start[k] = name, pos
    table = pd.DataFrame(
        {
            "gene_name": names,
            "chrom": chrom,
            "start": start,
            "end": start + rng.integers(2_000, 60_000, n_genes),
        }
    ).sort_values(["chrom", "start"], key=lambda c: c.map(_order) if c.name == "chrom" else c)
    table.insert(0, "gene_id", [f"ENSG{i:011d}.{1 + i % 9}" for i in range(n_genes)])
    return table.reset_index(drop=True)


def _order(chrom: str) -> int:
    return list(WEIGHTS).index(chrom)


def write_gtf(genes: pd.DataFrame, path: Path) -> None:
    """One gene, one transcript, one exon per gene, GENCODE attributes."""
    lines = []
    for i, r in enumerate(genes.itertuples(index=False)):
        gid = f'gene_id "{r.gene_id}"; gene_name "{r.gene_name}"; gene_type "protein_coding";'
        tid = f'{gid} transcript_id "ENST{i:011d}.1";'
        for kind, attrs in (("gene", gid), ("transcript", tid), ("exon", tid)):
            lines.append(f"{r.chrom}\tbench\t{kind}\t{r.start}\t{r.end}\t.\t+\t.\t{attrs}\n")
    path.write_text("".join(lines))


def cohort_means(
    genes: pd.DataFrame,
    labels: np.ndarray,
    female: np.ndarray,
    z: np.ndarray | None,
    rng: np.random.Generator,
    base: np.ndarray,
    signatures: dict[str, np.ndarray],
    slope: np.ndarray,
) -> np.ndarray:
    """Samples x genes NB means: depth, sex, copies, markers, signatures, AUC slope."""
    chrom = genes["chrom"].to_numpy()
    names = genes["gene_name"].to_numpy()
    mu = np.outer(rng.lognormal(0, 0.25, labels.size), base)
    x, y = chrom == "chrX", chrom == "chrY"
    mu[np.ix_(~female, x)] *= 0.5  # one X
    mu[np.ix_(female, y)] = 0.02  # no Y
    xist = names == "XIST"
    mu[np.ix_(female, xist)] *= 40
    mu[np.ix_(~female, xist)] *= 0.05
    hyper = labels == "High hyperdiploid"
    for c, copies in GAINS.items():
        mu[np.ix_(hyper, chrom == c)] *= (copies / 2) ** 0.8  # RNA's damped dosage
    for label, (_, markers) in SUBTYPES.items():
        rows = labels == label
        for m in markers:
            mu[np.ix_(rows, names == m)] *= 8 if m != "DUX4" else 300
        if label in signatures:
            mu[np.ix_(rows, signatures[label])] *= 4.0
    if z is not None:
        mu *= 2 ** (z[:, None] * slope)
    return mu


def generate(root: Path, n_genes: int, n_samples: int, seed: int = 1) -> None:
    """Write genes.gtf, counts.tsv, phenotypes.csv, reference.h5ad and sets.gmt."""
    import anndata as ad
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    genes = genes_table(n_genes, rng)
    write_gtf(genes, root / "genes.gtf")
    base = rng.lognormal(3.0, 2.2, n_genes)  # most genes low, as in a 60,000-gene annotation
    named = genes["gene_name"].isin(list(NAMED)).to_numpy()
    base[named] = np.maximum(base[named], 50)
    base[(genes["gene_name"] == "DUX4").to_numpy()] = 3.0  # silent unless rearranged
    free = np.flatnonzero(~named)
    signatures = {s: rng.choice(free, 100, replace=False) for s in SUBTYPES if s != "B-other"}
    slope = np.zeros(n_genes)
    planted = rng.choice(free, n_genes // 20, replace=False)
    slope[planted] = rng.choice([-1, 1], planted.size) * rng.uniform(0.3, 0.9, planted.size)
    disp = 0.05 + 1 / np.maximum(base, 1)

    shares = np.array([v[0] for v in SUBTYPES.values()])
    labels = rng.choice(list(SUBTYPES), n_samples, p=shares / shares.sum())
    female = rng.random(n_samples) < 0.45
    auc = np.clip(rng.normal(100, 40, n_samples), 5, 200).round(1)
    capped = np.minimum(auc, 150)
    z = (capped - capped.mean()) / capped.std(ddof=1)
    samples = [f"S{i:04d}" for i in range(n_samples)]
    pd.DataFrame({"sample": samples, "auc_imatinib": auc}).to_csv(
        root / "phenotypes.csv", index=False
    )
    sample_fields = [pa.field(s, pa.int32()) for s in samples]
    schema = pa.schema(
        [pa.field("gene_id", pa.string()), pa.field("gene_name", pa.string()), *sample_fields]
    )
    options = pacsv.WriteOptions(delimiter="\t", quoting_style="none", include_header=False)
    with (
        (root / "counts.tsv.part").open("wb") as fh,
        pacsv.CSVWriter(fh, schema, write_options=options) as writer,
    ):
        fh.write(("\t".join(schema.names) + "\n").encode())
        for lo in range(0, n_genes, BLOCK):
            part = genes.iloc[lo : lo + BLOCK]
            sig = {k: v[(v >= lo) & (v < lo + BLOCK)] - lo for k, v in signatures.items()}
            mu = cohort_means(
                part, labels, female, z, rng, base[lo : lo + BLOCK], sig, slope[lo : lo + BLOCK]
            )
            d = disp[lo : lo + BLOCK]
            counts = rng.negative_binomial(1 / d, 1 / (1 + mu * d)).astype(np.int32).T
            arrays = [
                pa.array(part["gene_id"]),
                pa.array(part["gene_name"].astype(str)),
                *(pa.array(counts[:, j]) for j in range(n_samples)),
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    (root / "counts.tsv.part").rename(root / "counts.tsv")

    ref_labels = np.repeat(REFERENCE_LABELS, 20)
    ref_female = rng.random(ref_labels.size) < 0.45
    mu = cohort_means(genes, ref_labels, ref_female, None, rng, base, signatures, slope)
    ref_counts = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp)).astype(np.int32)
    reference = ad.AnnData(
        X=ref_counts,
        obs=pd.DataFrame(
            {"subtype": ref_labels}, index=pd.Index([f"R{i:03d}" for i in range(ref_labels.size)])
        ),
        var=genes.set_index("gene_id")[["gene_name"]],
    )
    reference.write_h5ad(root / "reference.h5ad")
    names = genes["gene_name"].to_numpy()
    up = names[planted[slope[planted] > 0][:60]]
    lines = ["PLANTED_UP\tgenes rising with AUC\t" + "\t".join(up)]
    for k in range(100):
        members = rng.choice(names, int(rng.integers(15, 301)), replace=False)
        lines.append(f"RANDOM_{k}\trandom\t" + "\t".join(members))
    (root / "sets.gmt").write_text("\n".join(lines) + "\n")
    pd.DataFrame({"sample": samples, "planted_subtype": labels, "female": female}).to_csv(
        root / "truth.csv", index=False
    )


def _sample_load(stop: threading.Event, out: list[float]) -> None:
    while not stop.wait(10):
        out.append(os.getloadavg()[0])


def run(root: Path, threads: int) -> None:
    """Time ``tkiseq run --counts`` once and print the per-stage trace and the targets."""
    out = root / "results"
    cmd = [
        sys.executable,
        "-m",
        "tkiseq",
        "run",
        "--counts",
        str(root / "counts.tsv"),
        "--phenotypes",
        str(root / "phenotypes.csv"),
        "--gtf",
        str(root / "genes.gtf"),
        "--gene-sets",
        str(root / "sets.gmt"),
        "--subtype-reference",
        str(root / "reference.h5ad"),
        "--outdir",
        str(out),
        "--threads",
        str(threads),
        "--overwrite",
    ]
    loads = [os.getloadavg()[0]]
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_load, args=(stop, loads), daemon=True)
    sampler.start()
    try:
        wall, cpu, rss = measured(cmd)
    finally:
        stop.set()
    trace = pd.read_csv(out / "pipeline_info" / "trace.tsv", sep="\t")
    print(trace[["stage", "wall_s", "cpu_s", "peak_rss_mb", "status"]].to_string(index=False))
    calls = pd.read_csv(out / "subtypes" / "subtypes.tsv", sep="\t")
    truth = pd.read_csv(root / "truth.csv")
    both = calls.merge(truth, on="sample")
    print(pd.crosstab(both["planted_subtype"], both["subtype"]).to_string(), file=sys.stderr)
    peak = max(rss, float(trace["peak_rss_mb"].max()))
    print(
        f"tkiseq run: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB; "
        f"load (1 min) {min(loads):.1f}-{max(loads):.1f}, mean {np.mean(loads):.1f}"
    )
    verdict = {True: "met", False: "NOT met"}
    print(
        f"targets: wall <= {TARGET_WALL_S:.0f} s {verdict[wall <= TARGET_WALL_S]}; "
        f"peak <= {TARGET_RSS_MB:.0f} MB {verdict[peak <= TARGET_RSS_MB]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=60_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-scale"))
    a = parser.parse_args()
    root = a.workdir / f"{a.samples}x{a.genes}"
    if not (root / "truth.csv").exists():
        generate(root, a.genes, a.samples)
    run(root, a.threads)


if __name__ == "__main__":
    main()
