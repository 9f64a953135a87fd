"""A fake ``results/`` folder for the report: every cohort table in its documented format.

Shared by ``test_report*.py`` and ``tests/benchmarks/bench_report.py``. Values are drawn from a
seeded generator; a few samples get planted QC problems so the outlier flags have a truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

STAR_LOG = """\
                                 Started job on |\tNov 30 19:46:25
                             Started mapping on |\tNov 30 19:46:26
                                    Finished on |\tNov 30 19:47:41
       Mapping speed, Million of reads per hour |\t7.69

                          Number of input reads |\t{reads}
                      Average input read length |\t202
                                    UNIQUE READS:
                   Uniquely mapped reads number |\t{unique_n}
                        Uniquely mapped reads % |\t{unique:.2f}%
                          Average mapped length |\t201.88
                       Number of splices: Total |\t100613
            Number of splices: Annotated (sjdb) |\t100574
                       Number of splices: GT/AG |\t100613
                       Number of splices: GC/AG |\t0
                       Number of splices: AT/AC |\t0
               Number of splices: Non-canonical |\t0
                      Mismatch rate per base, % |\t0.38%
                         Deletion rate per base |\t0.00%
                        Deletion average length |\t1.00
                        Insertion rate per base |\t0.00%
                       Insertion average length |\t0.00
                             MULTI-MAPPING READS:
        Number of reads mapped to multiple loci |\t{multi_n}
             % of reads mapped to multiple loci |\t{multi:.2f}%
        Number of reads mapped to too many loci |\t0
             % of reads mapped to too many loci |\t0.00%
                                  UNMAPPED READS:
  Number of reads unmapped: too many mismatches |\t0
       % of reads unmapped: too many mismatches |\t0.00%
            Number of reads unmapped: too short |\t{short_n}
                 % of reads unmapped: too short |\t{short:.2f}%
                Number of reads unmapped: other |\t0
                     % of reads unmapped: other |\t0.00%
                                  CHIMERIC READS:
                       Number of chimeric reads |\t44
                            % of chimeric reads |\t0.03%
"""

MARKDUP = """\
COMMAND: samtools markdup -@ 1 -s -f {sample}.markdup.txt sorted.bam {sample}.bam
READ: {read}
WRITTEN: {read}
EXCLUDED: 0
EXAMINED: {examined}
PAIRED: {examined}
SINGLE: 0
DUPLICATE PAIR: {dup}
DUPLICATE SINGLE: 0
DUPLICATE PAIR OPTICAL: 0
DUPLICATE SINGLE OPTICAL: 0
DUPLICATE NON PRIMARY: 0
DUPLICATE NON PRIMARY OPTICAL: 0
DUPLICATE PRIMARY TOTAL: {dup}
DUPLICATE TOTAL: {dup}
ESTIMATED_LIBRARY_SIZE: 1428468

"""

SUBTYPES = [
    ("BCR::ABL1", "high"),
    ("BCR::ABL1-like", "high"),
    ("high hyperdiploid", "standard"),
    ("ETV6::RUNX1", "standard"),
    ("PAX5alt", "intermediate"),
    ("B-other", "undetermined"),
]
LESIONS = [
    ("IKZF1", "cnv"),
    ("PAX5", "cnv"),
    ("CDKN2A", "cnv"),
    ("IKZF1_del4-7", "junction"),
    ("CRLF2-r", "fusion"),
    ("ZEB2 p.H1038R", "variant"),
]


@dataclass(frozen=True)
class FakeRun:
    """Where the fake results are and what was planted in them."""

    results: Path
    samples: list[str]
    low_unique: str  # uniquely mapped % far below the others
    high_duplicates: str
    strand_mismatch: str  # declared forward, inferred reverse
    tki_hit: str  # carries ABL1 p.T315I
    n_genes: int
    detected: dict[str, int]  # genes with >= 1 read per sample


def _tsv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)


ARMS = [
    (c, a)
    for c in [str(i) for i in range(1, 23)] + ["X"]
    for a in ("p", "q")
    if not (a == "p" and c in ("13", "14", "15", "21", "22"))
]
NOT_ASSESSABLE_ARM = ("10", "p")  # every sample: the karyotype could not assess it


def write_karyotype(
    root: Path, samples: list[str], rng: np.random.Generator, points: bool, genes_per_arm: int
) -> None:
    """subtypes/karyotype.tsv, and (``points``) its per-gene and per-site tables: one planted
    gain of 21q (+21) on every third sample; 10p not assessable everywhere."""
    arms, genes, sites = [], [], []
    for j, s in enumerate(samples):
        for c, a in ARMS:
            gain = (c, a) == ("21", "q") and j % 3 == 0
            na = (c, a) == NOT_ASSESSABLE_ARM
            level = np.log2(3 / 2) if gain else 0.0
            minor = 1 / 3 if gain else 0.5
            arms.append(
                (
                    s,
                    c,
                    a,
                    0 if na else genes_per_arm,
                    "" if na else round(level, 3),
                    0 if na else 12,
                    "" if na else round(minor, 3),
                    "" if na else (3 if gain else 2),
                    "not assessable" if na else "gain" if gain else "normal",
                    "" if na else "high",
                )
            )
            if points and not na:
                pos = np.sort(rng.integers(1, 50_000_000, genes_per_arm))
                for k, x in enumerate(pos):
                    genes.append((s, c, a, int(x), f"G{c}{a}{k}", level + rng.normal(0, 0.15)))
                for x in pos[:: max(1, genes_per_arm // 8)]:
                    af = rng.choice([minor, 1 - minor]) + rng.normal(0, 0.05)
                    sites.append((s, c, a, int(x), 40, float(np.clip(af, 0.02, 0.98))))
    cols = [
        "sample",
        "chrom",
        "arm",
        "n_genes",
        "log2_ratio",
        "n_snvs",
        "maf_peak",
        "copy_number",
        "call",
        "confidence",
    ]
    _tsv(root / "subtypes" / "karyotype.tsv", pd.DataFrame(arms, columns=cols))
    if points:
        cols = ["sample", "chrom", "arm", "pos", "gene_id", "log2_ratio"]
        pd.DataFrame(genes, columns=cols).to_csv(
            root / "subtypes" / "karyotype_genes.tsv.gz", sep="\t", index=False
        )
        cols = ["sample", "chrom", "arm", "pos", "depth", "alt_fraction"]
        pd.DataFrame(sites, columns=cols).to_csv(
            root / "subtypes" / "karyotype_sites.tsv.gz", sep="\t", index=False
        )


def write_stats_figures(root: Path) -> None:
    """Small stand-ins for the associations stage's figures the report shows first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = root / "stats" / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    for stem in ("fig1abc_auc_by_age_group", "fig3b_z_by_deletion_group", "fig5_expression_vs_auc"):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], [1, 0, 2], "o")
        ax.set_title(stem)
        fig.savefig(folder / f"{stem}.png", dpi=60)
        plt.close(fig)


def make_results(
    root: Path,
    n_samples: int,
    seed: int = 1,
    n_genes: int = 300,
    karyotype_points: bool = True,
    genes_per_arm: int = 30,
) -> FakeRun:
    """Write a complete fake ``results/`` for ``n_samples`` samples under ``root``."""
    rng = np.random.default_rng(seed)
    samples = [f"S{i:03d}" for i in range(1, n_samples + 1)]
    low_unique, high_dup, mismatch, tki_hit = samples[1], samples[2], samples[3], samples[0]
    info = root / "pipeline_info"
    (info / "inputs").mkdir(parents=True)
    pd.DataFrame(
        {
            "sample": samples,
            "fastq_1": [f"/data/{s}_R1.fastq.gz" for s in samples],
            "fastq_2": [f"/data/{s}_R2.fastq.gz" for s in samples],
            "strandedness": "auto",
        }
    ).to_csv(info / "inputs" / "samplesheet.valid.csv", index=False)
    (info / "params.json").write_text(json.dumps({"threads": 2, "outdir": str(root)}))
    (info / "run.json").write_text(json.dumps({"status": "COMPLETED", "duration_s": 142.7}))
    (info / "software_versions.yml").write_text("TKISEQ:\n  tkiseq: '0.1.0'\n  star: '2.7.10b'\n")
    trace = [("align", s, "0", "COMPLETED") for s in samples] + [
        ("de", "auc_imatinib", "1", "FAILED")
    ]
    _tsv(
        info / "trace.tsv", pd.DataFrame(trace, columns=["stage", "sample", "exit_code", "status"])
    )
    _tsv(info / "warnings.tsv", pd.DataFrame({"stage": ["counts"], "message": ["one warning"]}))

    for s in samples:
        folder = root / "align" / s
        folder.mkdir(parents=True)
        reads = int(rng.integers(150_000, 190_000))
        unique = 45.0 if s == low_unique else float(rng.uniform(92, 96))
        multi = float(rng.uniform(2, 3))
        short = 100 - unique - multi
        (folder / f"{s}.Log.final.out").write_text(
            STAR_LOG.format(
                reads=reads,
                unique=unique,
                unique_n=round(reads * unique / 100),
                multi=multi,
                multi_n=round(reads * multi / 100),
                short=short,
                short_n=round(reads * short / 100),
            )
        )
        examined = 2 * reads
        dup_share = 0.40 if s == high_dup else float(rng.uniform(0.04, 0.06))
        (folder / f"{s}.markdup.txt").write_text(
            MARKDUP.format(
                sample=s, read=examined, examined=examined, dup=round(examined * dup_share)
            )
        )

    declared = ["forward" if s == mismatch else "auto" for s in samples]
    _tsv(
        root / "expression" / "strandedness.tsv",
        pd.DataFrame(
            {
                "sample": samples,
                "declared": declared,
                "inferred": "reverse",
                "used": ["forward" if s == mismatch else "reverse" for s in samples],
            }
        ),
    )
    counts = rng.poisson(rng.gamma(0.6, 40, size=(n_genes, 1)), size=(n_genes, n_samples))
    genes = pd.DataFrame(
        {
            "gene_id": [f"ENSG{i:011d}" for i in range(n_genes)],
            "gene_name": [f"GENE{i}" for i in range(n_genes)],
        }
    )
    _tsv(
        root / "expression" / "counts.tsv",
        pd.concat([genes, pd.DataFrame(counts, columns=samples)], axis=1),
    )
    detected = {s: int((counts[:, j] >= 1).sum()) for j, s in enumerate(samples)}

    picks = rng.integers(0, len(SUBTYPES), n_samples)
    _tsv(
        root / "subtypes" / "subtypes.tsv",
        pd.DataFrame(
            {
                "sample": samples,
                "subtype": [SUBTYPES[i][0] for i in picks],
                "confidence": rng.choice(["high", "medium", "low"], n_samples),
                "risk_group": [SUBTYPES[i][1] for i in picks],
                "evidence": [
                    "fusion:BCR::ABL1 e1a2 (p190);expression:CRLF2 high (VST 11.2);"
                    "reference:none given;sex:unknown"
                ]
                * n_samples,
                "chromosome_number": 46,
                "ploidy_class": "diploid",
                "karyotype": "46,XX",
                "ph_like_score": rng.uniform(0, 1, n_samples).round(3),
                "cd19_expression": 10.1,
                "cd22_expression": 9.2,
            }
        ),
    )
    rows = []
    for j, s in enumerate(samples):
        for lesion, source in LESIONS:
            if rng.random() < 0.3:
                status = "DEL" if source == "cnv" else "present"
                rows.append((s, lesion, source, status, f"{source}:{lesion}"))
        if j % 3 == 0:
            rows.append((s, "chr21q_gain", "karyotype", "present", "copy number 3"))
        # how an older lesions stage wrote arms it could not assess: must never be shown
        rows.append((s, "chr10p_not assessable", "karyotype", "present", "karyotype"))
    _tsv(
        root / "lesions" / "lesions.tsv",
        pd.DataFrame(rows, columns=["sample", "lesion", "source", "status", "evidence"]),
    )
    _tsv(
        root / "lesions" / "profile.tsv",
        pd.DataFrame(
            {
                "sample": samples,
                "ikzf1plus_core": rng.choice(["yes", "no"], n_samples),
                "ikzf1plus_stanulla": "no",
                "deletion_group": "NO DEL",
                "jak_stat": rng.choice(["yes", "no"], n_samples, p=[0.2, 0.8]),
                "secondary_lesion": rng.choice(["yes", "no"], n_samples),
                "n_lesions": 1,
            }
        ),
    )
    resp = []
    for s in samples:
        for drug in ("imatinib", "dasatinib", "bosutinib"):
            auc = float(rng.uniform(40, 180))
            cls = (
                ""
                if drug != "imatinib"
                else "sensitive"
                if auc < 80
                else "intermediate"
                if auc <= 120
                else "resistant"
            )
            resp.append((s, drug, round(auc, 1), round(min(auc, 150), 1), 0.0, cls))
    _tsv(
        root / "response" / "response.tsv",
        pd.DataFrame(resp, columns=["sample", "drug", "auc", "auc_capped", "z", "class"]),
    )
    _tsv(
        root / "stats" / "associations.tsv",
        pd.DataFrame(
            {
                "analysis": [
                    "auc_z_by_deletion_group",
                    "auc_z_by_deletion_group",
                    "auc_z_by_relapse",
                    "abl1_expression_vs_auc",
                ],
                "variable": [
                    "z_imatinib",
                    "z_imatinib",
                    "z_imatinib",
                    "auc_capped_imatinib vs ABL1 normalised expression",
                ],
                "group": ["NO DEL,PAX5+,IKZF1,IKZF1plus", "PAX5+", "relapse", "all BCR::ABL1"],
                "reference_group": ["", "NO DEL", "CCR", ""],
                "n": [40, 10, 8, 12],
                "n_reference": [None, 30, 20, None],
                "statistic": [7.1, 2.2, 55.0, -0.6],
                "effect": [0.1, 0.8, 0.5, -0.6],
                "pvalue": [0.07, 0.03, 0.2, 2e-05],
                "padj": [0.09, 0.04, 0.2, 0.0001],
                "method": [
                    "Kruskal-Wallis, chi-squared approximation (scipy); effect: epsilon squared",
                    "Dunn, exact (all 1,680 arrangements)",
                    "Mann-Whitney U, two-sided, exact (all 20,030,010 arrangements)",
                    "Spearman, permutation (99,999 random arrangements)",
                ],
                "eligibility": ["all", "all", "tki<=50d", "BCR::ABL1"],
                "note": ["", "", "", "p is a bound: p <= 2e-05 (no random arrangement as extreme)"],
            }
        ),
    )
    de = pd.DataFrame(
        {
            "gene_id": genes["gene_id"],
            "gene_name": genes["gene_name"],
            "base_mean": rng.gamma(2, 50, n_genes),
            "log2fc": rng.normal(0, 0.01, n_genes),
            "stat": rng.normal(0, 2, n_genes),
            "pvalue": rng.uniform(0, 1, n_genes) ** 3,
        }
    )
    de["padj"] = np.minimum(1, de["pvalue"] * 20)
    de["spearman_rho"] = rng.uniform(-0.5, 0.5, n_genes)
    de["spearman_p"] = rng.uniform(0, 1, n_genes)
    de["outlier_driven"] = (de["padj"] < 0.05) & (rng.random(n_genes) < 0.5)
    de["log2fc_per_sd"] = de["log2fc"] * 30
    _tsv(root / "de" / "de_auc_imatinib.tsv", de)
    _tsv(
        root / "gsea" / "gsea_auc_imatinib.tsv",
        pd.DataFrame(
            {
                "term": ["IMMUNE_RESPONSE", "CELL_CYCLE"],
                "es": [0.6, -0.4],
                "nes": [2.1, -1.3],
                "pvalue": [0.001, 0.2],
                "fdr": [0.01, 0.4],
                "size": [40, 60],
                "leading_edge": ["GENE1;GENE2", "GENE3"],
            }
        ),
    )
    fus = [
        (
            s,
            "BCR",
            "ABL1",
            "22:23180365:+",
            "9:130714455:+",
            12,
            8,
            55.2,
            "in-frame",
            "e1a2",
            "high",
            "PASS",
        )
        for s in samples[: max(1, n_samples // 2)]
    ]
    fus.append(
        (
            samples[-1],
            "P2RY8",
            "CRLF2",
            "X:1:-",
            "X:2:-",
            1,
            0,
            0.4,
            "unknown",
            "",
            "low",
            "min_support",
        )
    )
    _tsv(
        root / "fusions" / "cohort_fusions.tsv",
        pd.DataFrame(
            fus,
            columns=[
                "sample",
                "gene5",
                "gene3",
                "breakpoint5",
                "breakpoint3",
                "split_reads",
                "spanning_pairs",
                "ffpm",
                "reading_frame",
                "isoform",
                "confidence",
                "filters",
            ],
        ),
    )
    var = [
        (
            tki_hit,
            "9",
            130872896,
            "C",
            "T",
            "ABL1",
            "missense_variant",
            "p.Thr315Ile",
            12,
            40,
            0.3,
            "PASS",
            "imatinib,dasatinib,nilotinib,bosutinib",
        )
    ]
    var += [
        (
            s,
            "2",
            144400000,
            "T",
            "C",
            "ZEB2",
            "missense_variant",
            "p.His1038Arg",
            9,
            30,
            0.3,
            "PASS",
            "",
        )
        for s in samples[1::3]
    ]
    _tsv(
        root / "variants" / "cohort_variants.tsv",
        pd.DataFrame(
            var,
            columns=[
                "sample",
                "chrom",
                "pos",
                "ref",
                "alt",
                "gene",
                "consequence",
                "hgvsp",
                "alt_reads",
                "depth",
                "vaf",
                "filter",
                "tki_resistance",
            ],
        ),
    )
    write_karyotype(root, samples, rng, karyotype_points, genes_per_arm)
    write_stats_figures(root)
    return FakeRun(root, samples, low_unique, high_dup, mismatch, tki_hit, n_genes, detected)
