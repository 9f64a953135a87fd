"""RNA karyotype on synthetic cohorts with known copy numbers (no STAR, no simulator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.subtypes_synthetic import arm_layout, cohort_counts, germline_sites, log_normalised

from tkiseq.subtypes import karyotype as kt
from tkiseq.subtypes.arms import arm_boundaries, arm_labels, gene_arms
from tkiseq.subtypes.sex import infer_sex

PARAMS = kt.KaryotypeParams()
HYPERDIPLOID = {
    "chrX": 3,
    "chr4": 3,
    "chr6": 3,
    "chr10": 3,
    "chr14": 3,
    "chr17": 3,
    "chr18": 3,
    "chr21": 4,
}
# near haploid: every chromosome single except the disomies of X, 14, 18 and 21
NEAR_HAPLOID = {f"chr{i}": 1 for i in range(1, 23)} | {"chr14": 2, "chr18": 2, "chr21": 2}
LOW_HYPODIPLOID = {f"chr{i}": 1 for i in (3, 4, 7, 9, 13, 15, 16, 17, 20, 22)}
SINGLE_GAIN = {"chrX": 3}


def test_weighted_median_matches_numpy_and_weights() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 11))
    np.testing.assert_allclose(kt.weighted_median(x, np.ones(11)), np.median(x, axis=1))
    got = kt.weighted_median(np.array([[0.0, 1.0, 5.0]]), np.array([1.0, 1.0, 10.0]))
    assert got[0] == 5.0


@pytest.mark.parametrize(
    ("fraction", "state"),
    [(0.5, (2, 1)), (1 / 3, (3, 1)), (2 / 3, (3, 1)), (0.25, (4, 1)), (1.0, (2, 0))],
)
def test_allele_likelihood_picks_the_planted_ratio(fraction: float, state: tuple) -> None:
    rng = np.random.default_rng(7)
    depth = rng.integers(25, 60, 30)
    het = rng.random(30) < 0.6
    alt = np.where(het, rng.binomial(depth, fraction), rng.binomial(depth, 0.99))
    ll = kt.allele_loglik(alt, depth, PARAMS)
    best = kt.STATES[int(np.argmax(ll))]
    # alleles alone cannot tell 2:2 from 1:1 nor LOH-loss from copy-neutral LOH
    alike = {(2, 1): {(2, 1), (4, 2)}, (2, 0): {(1, 0), (2, 0)}}.get(state, {state})
    assert best in alike


def test_combined_calls() -> None:
    ll_loh = kt.allele_loglik(np.full(10, 40), np.full(10, 40), PARAMS)
    loss = kt.combine_arm(-1.0, 0.1, ll_loh, 2, PARAMS)
    assert (loss.copy_number, loss.call, loss.confidence) == (1.0, "loss", "high")
    assert kt.combine_arm(0.0, 0.1, ll_loh, 2, PARAMS).call == "cnLOH"
    assert kt.combine_arm(np.nan, 0.1, None, 2, PARAMS).call == kt.NOT_ASSESSABLE
    gain = kt.combine_arm(0.44, 0.1, None, 2, PARAMS)  # RNA's damped trisomy
    assert (gain.copy_number, gain.call) == (3.0, "gain")
    # dosage half-way between two states: not a confident call
    assert kt.combine_arm(0.24, 0.1, None, 2, PARAMS).confidence == "low"
    # a male X at one copy is normal
    assert kt.combine_arm(0.0, 0.1, None, 1, PARAMS).call == "normal"


def test_ploidy_class_boundaries() -> None:
    expected = {
        24: "near haploid",
        30: "near haploid",
        31: "low hypodiploid",
        39: "low hypodiploid",
        40: "diploid",
        46: "diploid",
        47: "low hyperdiploid",
        50: "low hyperdiploid",
        51: "high hyperdiploid",
        67: "high hyperdiploid",
    }
    for n, name in expected.items():
        assert kt.ploidy_class(float(n)) == name


def test_arms_on_real_and_miniature_assemblies() -> None:
    genes = pd.DataFrame(
        {
            "chrom": ["1", "chr1", "chr21", "chrM"],
            "start": [1e6, 2e8, 4e7, 100],
            "end": [1.1e6, 2.0001e8, 4.0001e7, 900],
        },
        index=["a", "b", "c", "m"],
    )
    assert gene_arms(genes).to_dict() == {"a": "1p", "b": "1q", "c": "21q"}
    # a 1 Mb chr1 with genes to 1 Mb: the boundary sits at 123.4/248.96 of it
    mini = pd.DataFrame({"chrom": ["chr1"] * 2, "start": [0, 990_000], "end": [10_000, 1_000_000]})
    b = arm_boundaries(mini)["chr1"]
    assert b == pytest.approx(1_000_000 * 123_400_000.5 / 248_956_422, rel=1e-6)
    labels = arm_labels(pd.Series(["chr1", "chr1"]), pd.Series([400_000, 600_000]), {"chr1": b})
    assert list(labels) == ["1p", "1q"]


def _synthetic(rng: np.random.Generator, planted: list[dict]) -> pd.DataFrame:
    layout = arm_layout()
    n_normal = 20
    copies = [{}] * n_normal + planted
    counts = cohort_counts(rng, layout, copies)
    norm, logn = log_normalised(counts)
    names = [f"S{i}" for i in range(len(copies))]
    idx = pd.Index(layout["gene_id"])
    vst = pd.DataFrame(logn, index=names, columns=idx)
    ratios, weights = kt.gene_ratios(vst, vst, pd.DataFrame(norm, index=names, columns=idx), PARAMS)
    arms = pd.Series((layout["chrom"].str[3:] + layout["arm"]).to_numpy(), index=idx)
    lr, n = kt.dosage_by_arm(ratios, weights, arms, PARAMS)
    sites = pd.concat(
        [
            germline_sites(rng, layout, c).assign(sample=s)
            for s, c in zip(names, copies, strict=True)
        ]
    )
    alleles = kt.alleles_by_arm(sites, PARAMS)
    sex = pd.Series("unknown", index=names)
    return kt.karyotype_table(lr, n, alleles, sex, PARAMS)[0]


def test_planted_karyotypes_recovered() -> None:
    planted = [HYPERDIPLOID, NEAR_HAPLOID, LOW_HYPODIPLOID, SINGLE_GAIN]
    table = _synthetic(np.random.default_rng(11), planted)
    expected = [
        (55, "high hyperdiploid", "+X,+4,+6,+10,+14,+17,+18,+21,+21"),
        (27, "near haploid", None),
        (36, "low hypodiploid", "-3,-4,-7,-9,-13,-15,-16,-17,-20,-22"),
        (47, "low hyperdiploid", "+X"),
    ]
    for k, (number, ploidy, text) in enumerate(expected):
        s = kt.summarise(table[table["sample"] == f"S{20 + k}"], "unknown")
        assert (s.chromosome_number, s.ploidy_class) == (number, ploidy)
        if text:
            assert s.karyotype == text
    normal = kt.summarise(table[table["sample"] == "S0"], "unknown")
    assert (normal.chromosome_number, normal.karyotype) == (46, "no whole-chromosome change")
    lost = table[(table["sample"] == "S21") & (table["chrom"] == "chr5")]
    assert set(lost["call"]) == {"loss"} and set(lost["confidence"]) == {"high"}
    assert (table["call"] == kt.NOT_ASSESSABLE).sum() == 0


def test_iamp21_needs_a_multi_gene_segment_not_single_variable_genes() -> None:
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 0.5, 120)  # the per-gene spread of real RNA-seq log2 ratios
    focal = noise + np.r_[np.zeros(60), np.full(30, 1.6), np.full(30, 0.3)]
    assert kt.iamp21(focal, PARAMS, runx1=70)
    assert not kt.iamp21(focal, PARAMS, runx1=10)  # the amplicon must hold RUNX1
    # a diploid 21q with interferon genes (MX1, MX2 side by side) and others 16-fold up
    variable = noise.copy()
    variable[[100, 101, 40, 41, 80]] += 4.0
    assert not kt.iamp21(variable, PARAMS, runx1=70)
    # the old 5-gene window called exactly this
    assert not kt.iamp21(np.r_[np.zeros(60), np.full(5, 1.4), np.zeros(55)], PARAMS)
    assert not kt.iamp21(noise + 1.0, PARAMS)  # tetrasomy 21: no lower remainder
    assert not kt.iamp21(noise, PARAMS)


def test_sex_from_xist_against_chry_genes_relative_to_the_cohort() -> None:
    # real ranges: males XIST 14-72, a female chrY genes 2-117 normalised counts
    xist = [14.0, 72.0, 30.0, 4000.0, 9000.0, 2500.0, 0.0]
    ygenes = [900.0, 2500.0, 1500.0, 117.0, 2.0, 40.0, 0.0]
    norm = pd.DataFrame(
        {"g_xist": xist, "g_rps4y1": [y / 2 for y in ygenes], "g_ddx3y": [y / 2 for y in ygenes]},
        index=["m1", "m2", "m3", "f1", "f2", "f3", "silent"],
    )
    names = pd.Series({"g_xist": "XIST", "g_rps4y1": "RPS4Y1", "g_ddx3y": "DDX3Y"})
    got = infer_sex(norm, names).to_dict()
    assert got == {
        "m1": "male",
        "m2": "male",
        "m3": "male",
        "f1": "female",
        "f2": "female",
        "f3": "female",
        "silent": "unknown",
    }
    # the old fixed threshold (10 counts) left every one of these unknown
    other = pd.Series({"g_xist": "A", "g_rps4y1": "B", "g_ddx3y": "C"})
    assert set(infer_sex(norm, other)) == {"unknown"}
    # a sample half-way (XIST and chrY genes alike) stays unknown
    both = pd.DataFrame({"g_xist": [300.0], "g_rps4y1": [150.0], "g_ddx3y": [150.0]})
    assert infer_sex(both, names).tolist() == ["unknown"]


def test_summary_counts_the_change_both_arms_share() -> None:
    rows = []
    for chrom in (*(f"chr{i}" for i in range(1, 23)), "chrX"):
        for arm in ("p", "q"):
            cn = {("chr4", "p"): 3, ("chr4", "q"): 5, ("chr9", "p"): 1, ("chr9", "q"): 3}.get(
                (chrom, arm), 2
            )
            rows.append((chrom, arm, float(cn), "gain" if cn > 2 else "normal"))
    table = pd.DataFrame(rows, columns=["chrom", "arm", "copy_number", "call"])
    s = kt.summarise(table, "unknown")
    assert (s.chromosome_number, s.karyotype) == (47, "+4")  # 9p loss + 9q gain: no count change
    male = kt.summarise(
        table.assign(copy_number=table["copy_number"].where(table["chrom"] != "chrX", 1.0)), "male"
    )
    assert (male.chromosome_number, male.karyotype) == (47, "+4")
