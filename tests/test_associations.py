"""tkiseq associations: every statistic equals scipy / scikit-posthocs on the same numbers,
eligibility equals a hand count on the simulated cohort, missing inputs give NA + reason."""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats
from statsmodels.stats.multitest import multipletests

from tkiseq import tables
from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.lesions.sources import LesionParams
from tkiseq.lesions.stage import Inputs as LesionInputs
from tkiseq.lesions.stage import run as run_lesions
from tkiseq.response.scores import ResponseParams
from tkiseq.response.scores import run as run_response
from tkiseq.simulate.cohort import build_cohort
from tkiseq.simulate.truth import write_inputs
from tkiseq.stats.associations import AssociationParams, associations, load

DRUGS = ("imatinib", "dasatinib", "bosutinib")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cohort preset's inputs (no reads), response and lesion profile, plus BCR::ABL1
    fusion and ABL1 expression tables built from the simulator's planted levels."""
    out = tmp_path_factory.mktemp("cohort_stats")
    rng = np.random.default_rng(np.random.SeedSequence(1).spawn(5)[1])
    c = build_cohort(rng, "cohort")
    write_inputs(c, out)
    run_response(out / "phenotypes.csv", out / "response", ResponseParams())
    lesion_inputs = LesionInputs(samplesheet=out / "samplesheet.csv", cnv=out / "cnv.csv")
    run_lesions(lesion_inputs, LesionParams(), out / "lesions")
    rows = [
        (
            s.sample,
            "BCR",
            "ABL1",
            "high",
            f.fragments / 10,
            f.fragments / 500,
            "p190" if s.bcr_abl1_isoform == "e1a2" else "p210",
        )
        for s in c.samples
        for f in s.fusions
        if f.gene5 == "BCR"
    ]
    cols = [
        "sample",
        "gene5",
        "gene3",
        "confidence",
        "expression_fpm",
        "bcr_abl1_abl1_ratio",
        "bcr_abl1_protein",
    ]
    table = pd.DataFrame(rows, columns=cols).reindex(columns=tables.columns("fusions"))
    table.to_csv(out / "fusions.tsv", sep="\t", index=False)  # the other columns empty
    return out


def _table(cohort: Path, params: AssociationParams | None = None, **drop) -> pd.DataFrame:
    params = params or AssociationParams()
    inputs = dict(
        phenotypes=cohort / "phenotypes.csv",
        profile=cohort / "lesions" / "profile.tsv",
        fusions=cohort / "fusions.tsv",
    )
    for k in drop:
        inputs.pop(k)
    d = load(cohort / "response" / "response.tsv", params, **inputs)
    return associations(d, params)


def _hand(cohort: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, float]]]:
    """Phenotype rows and z-scores read with the csv module, independent of pandas."""
    with open(cohort / "phenotypes.csv") as fh:
        pheno = {r["sample"]: r for r in csv.DictReader(fh)}
    z: dict[str, dict[str, float]] = {d: {} for d in DRUGS}
    with open(cohort / "response" / "response.tsv") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            z[r["drug"]][r["sample"]] = float(r["z"])
    return pheno, z


def _one(table: pd.DataFrame, analysis: str, variable: str, **match) -> pd.Series:
    sel = (table["analysis"] == analysis) & (table["variable"] == variable)
    for k, v in match.items():
        sel &= table[k] == v
    assert sel.sum() == 1, (analysis, variable, match)
    return table[sel].iloc[0]


def test_relapse_and_mrd_eligibility_equal_a_hand_count(cohort: Path) -> None:
    pheno, z = _hand(cohort)
    table = _table(cohort)
    rel, ccr, high, low = [], [], [], []
    for s, r in pheno.items():
        start = int(r["tki_start_days"]) if r["tki_start_days"] else None
        if start is not None and start <= 50 and r["died_in_cr"] != "yes":
            if r["relapse"] == "yes":
                rel.append(s)
            elif r["relapse"] == "no" and int(r["followup_days"]) >= 365:
                ccr.append(s)
        if start is not None and start <= 15 and r["mrd_eoi"]:
            (high if float(r["mrd_eoi"]) >= 1e-4 else low).append(s)
    # every exclusion branch is present in the simulated cohort
    assert any(not r["tki_start_days"] for r in pheno.values())
    assert any(r["died_in_cr"] == "yes" for r in pheno.values())
    assert any(r["relapse"] == "no" and int(r["followup_days"]) < 365 for r in pheno.values())
    assert any(r["relapse"] == "yes" and int(r["followup_days"]) < 365 for r in pheno.values())
    for drug in DRUGS:
        r = _one(table, "auc_z_by_relapse", f"z_{drug}")
        assert (r["n"], r["n_reference"]) == (len(rel), len(ccr))
        res = stats.mannwhitneyu([z[drug][s] for s in rel], [z[drug][s] for s in ccr])
        assert r["statistic"] == pytest.approx(res.statistic)
        assert r["pvalue"] == pytest.approx(res.pvalue, rel=1e-12)
        assert r["effect"] == pytest.approx(2 * res.statistic / (len(rel) * len(ccr)) - 1)
        m = _one(table, "auc_z_by_mrd", f"z_{drug}")
        assert (m["n"], m["n_reference"]) == (len(high), len(low))
        res = stats.mannwhitneyu([z[drug][s] for s in high], [z[drug][s] for s in low])
        assert m["pvalue"] == pytest.approx(res.pvalue, rel=1e-12)
        assert f"{len(rel) + len(ccr)} of 51" in r["eligibility"]


def test_deletion_groups_kruskal_and_dunn_equal_scipy_and_posthocs(cohort: Path) -> None:
    _, z = _hand(cohort)
    prof = pd.read_csv(cohort / "lesions" / "profile.tsv", sep="\t", dtype=str)
    group = dict(zip(prof["sample"], prof["deletion_group"], strict=True))
    table = _table(cohort)
    order = ["NO DEL", "PAX5+", "IKZF1", "IKZF1plus"]
    for drug in DRUGS:
        values = {g: [z[drug][s] for s in z[drug] if group[s] == g] for g in order}
        kw = _one(table, "auc_z_by_deletion_group", f"z_{drug}", reference_group="")
        res = stats.kruskal(*values.values())
        assert kw["statistic"] == pytest.approx(res.statistic)
        assert kw["pvalue"] == pytest.approx(res.pvalue, rel=1e-12)
        frame = pd.DataFrame([(v, g) for g in order for v in values[g]], columns=["v", "g"])
        holm = sp.posthoc_dunn(frame, val_col="v", group_col="g", p_adjust="holm")
        raw = sp.posthoc_dunn(frame, val_col="v", group_col="g")
        for a, b in combinations(order, 2):
            r = _one(table, "auc_z_by_deletion_group", f"z_{drug}", group=a, reference_group=b)
            assert r["pvalue"] == pytest.approx(holm.loc[a, b], rel=1e-12)
            # the reported z reproduces scikit-posthocs' unadjusted p
            assert 2 * stats.norm.sf(abs(r["statistic"])) == pytest.approx(raw.loc[a, b])
            assert (r["n"], r["n_reference"]) == (len(values[a]), len(values[b]))


def test_spearman_rows_equal_scipy(cohort: Path) -> None:
    _, z = _hand(cohort)
    table = _table(cohort)
    for a, b in combinations(DRUGS, 2):
        r = _one(table, "tki_z_correlation", f"z_{a} vs z_{b}")
        res = stats.spearmanr([z[a][s] for s in z[a]], [z[b][s] for s in z[a]])
        assert r["statistic"] == pytest.approx(res.statistic)
        assert r["pvalue"] == pytest.approx(res.pvalue, rel=1e-9)
    fus = pd.read_csv(cohort / "fusions.tsv", sep="\t").set_index("sample")
    resp = pd.read_csv(cohort / "response" / "response.tsv", sep="\t")
    capped = resp[resp["drug"] == "imatinib"].set_index("sample")["auc_capped"]
    for subset, members in (
        ("all BCR::ABL1", fus.index),
        ("p190", fus.index[fus["bcr_abl1_protein"] == "p190"]),
    ):
        r = _one(
            table,
            "bcr_abl1_expression_vs_auc",
            "auc_capped_imatinib vs BCR::ABL1 expression_fpm",
            group=subset,
        )
        res = stats.spearmanr(capped[members], fus.loc[members, "expression_fpm"])
        assert r["n"] == len(members) and r["statistic"] == pytest.approx(res.statistic)
        assert r["pvalue"] == pytest.approx(res.pvalue, rel=1e-9)
        assert r["statistic"] < 0  # planted: resistant samples express less BCR::ABL1


def test_padj_is_benjamini_hochberg_over_rows_with_a_p(cohort: Path) -> None:
    table = _table(cohort)
    have = table["pvalue"].notna()
    expected = multipletests(table.loc[have, "pvalue"], method="fdr_bh")[1]
    np.testing.assert_allclose(table.loc[have, "padj"], expected, rtol=1e-12)
    assert table.loc[~have, "padj"].isna().all()


def test_burden_shares_and_age_groups(cohort: Path) -> None:
    pheno, z = _hand(cohort)
    prof = pd.read_csv(cohort / "lesions" / "profile.tsv", sep="\t", dtype=str).set_index("sample")
    resp = pd.read_csv(cohort / "response" / "response.tsv", sep="\t")
    klass = resp[resp["drug"] == "imatinib"].set_index("sample")["class"]
    table = _table(cohort)
    for k in ("sensitive", "intermediate", "resistant"):
        members = klass.index[klass == k]
        hits = int((prof.loc[members, "secondary_lesion"] == "yes").sum())
        r = _one(table, "lesion_burden_by_class", "secondary_lesion", group=k)
        assert (r["n"], r["statistic"]) == (len(members), hits)
        assert r["effect"] == pytest.approx(hits / len(members))
    adult = [z["imatinib"][s] for s, r in pheno.items() if r["age_group"] == "adult"]
    paed = [z["imatinib"][s] for s, r in pheno.items() if r["age_group"] == "paediatric"]
    r = _one(table, "auc_z_by_age_group", "z_imatinib")
    assert r["pvalue"] == pytest.approx(stats.mannwhitneyu(adult, paed).pvalue, rel=1e-12)


def test_missing_columns_and_inputs_give_na_with_a_reason(cohort: Path, tmp_path: Path) -> None:
    pheno = pd.read_csv(cohort / "phenotypes.csv", dtype=str, keep_default_na=False)
    pheno.drop(columns=["died_in_cr", "mrd_eoi"]).to_csv(tmp_path / "p.csv", index=False)
    params = AssociationParams()
    d = load(cohort / "response" / "response.tsv", params, phenotypes=tmp_path / "p.csv")
    table = associations(d, params)
    rel = table[table["analysis"] == "auc_z_by_relapse"]
    assert rel["pvalue"].isna().all() and rel["note"].str.contains("died_in_cr").all()
    assert table.loc[table["analysis"] == "auc_z_by_mrd", "note"].str.contains("mrd_eoi").all()
    for analysis in (
        "auc_z_by_deletion_group",
        "pax5_del_in_ikzf1_wt",
        "lesion_burden_by_class",
        "bcr_abl1_expression_vs_auc",
        "abl1_expression_vs_auc",
    ):
        rows = table[table["analysis"] == analysis]
        assert len(rows) and rows["pvalue"].isna().all() and (rows["note"] != "").all()
    # groups too small: with a minimum of 40 per group only 51-sample correlations are tested
    small = _table(cohort, AssociationParams(min_group=40))
    tested = small[small["pvalue"].notna()]
    assert len(tested) and (tested["n"] >= 40).all() and tested["n_reference"].isna().all()
    assert small.loc[small["analysis"] == "auc_z_by_relapse", "note"].str.contains("fewer").all()


def test_cli_writes_table_and_figures(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "stats"
    args = [
        "associations",
        "--response",
        str(cohort / "response" / "response.tsv"),
        "--phenotypes",
        str(cohort / "phenotypes.csv"),
        "--profile",
        str(cohort / "lesions" / "profile.tsv"),
        "--fusions",
        str(cohort / "fusions.tsv"),
        "--outdir",
        str(out),
    ]
    assert main(args) == 0
    table = pd.read_csv(out / "associations.tsv", sep="\t")
    assert list(table.columns[:12]) == [
        "analysis",
        "variable",
        "group",
        "reference_group",
        "n",
        "n_reference",
        "statistic",
        "effect",
        "pvalue",
        "padj",
        "method",
        "eligibility",
    ]
    ids = {
        "auc_z_by_deletion_group",
        "auc_z_by_relapse",
        "auc_z_by_mrd",
        "bcr_abl1_expression_vs_auc",
        "bcr_abl1_abl1_ratio_vs_auc",
        "abl1_expression_vs_auc",
        "tki_z_correlation",
        "auc_z_by_age_group",
        "pax5_del_in_ikzf1_wt",
        "lesion_burden_by_class",
    }
    assert set(table["analysis"]) == ids
    stems = [
        "fig1abc_auc_by_age_group",
        "fig1d_z_correlation",
        "fig1ef_z_by_mrd_and_relapse",
        "fig3a_oncoprint",
        "fig3b_z_by_deletion_group",
        "fig5_expression_vs_auc",
    ]
    for stem in stems:
        for ext in ("png", "svg"):
            assert (out / "figures" / f"{stem}.{ext}").stat().st_size > 5000


def test_response_alone_still_gives_every_row_and_figure(cohort: Path, tmp_path: Path) -> None:
    from tkiseq.stages import FIGURE_FILES
    from tkiseq.stats.stage import Inputs, run

    dest = run(Inputs(response=cohort / "response" / "response.tsv"), AssociationParams(), tmp_path)
    table = pd.read_csv(dest, sep="\t")
    assert table["pvalue"].notna().sum() == 3  # only the drug-pair correlations are possible
    assert (table.loc[table["pvalue"].isna(), "note"].fillna("") != "").all()
    assert all((tmp_path / f).stat().st_size > 1000 for f in FIGURE_FILES)


def test_a_response_table_of_another_version_is_refused(cohort: Path, tmp_path: Path) -> None:
    table = pd.read_csv(cohort / "response" / "response.tsv", sep="\t")
    table.drop(columns=["auc_source"]).to_csv(tmp_path / "response.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"response\.tsv: line 1: not a response table"):
        load(tmp_path / "response.tsv", AssociationParams())


# -- small n: exact and permutation p-values, checked against values computed by hand ---------


def _brute_two_sided(stat_of, arrangements, observed: float) -> float:
    """Two-sided p as scipy defines it: twice the smaller tail over every arrangement."""
    values = np.array([stat_of(a) for a in arrangements])
    eps = 1e-12 * max(1.0, abs(observed))
    less, greater = np.mean(values <= observed + eps), np.mean(values >= observed - eps)
    return min(1.0, 2 * min(less, greater))


def test_spearman_exact_at_n3_and_n6_equals_the_hand_values() -> None:
    from tkiseq.stats.compare import spearman

    rho, test = spearman(np.array([1.0, 2.0, 3.0]), np.array([30.0, 20.0, 10.0]))
    assert rho == -1 and test.pvalue == pytest.approx(1 / 3)  # scipy's t approximation: 0
    assert "exact (all 6 arrangements)" in test.method and not test.bound
    rho, test = spearman(np.arange(6.0), np.arange(6.0) ** 2)
    assert rho == 1 and test.pvalue == pytest.approx(2 / 720)
    assert "exact (all 720 arrangements)" in test.method


def test_mann_whitney_with_ties_is_exact_over_every_split() -> None:
    from tkiseq.stats.compare import mann_whitney

    x, y = np.array([1.0, 2.0, 2.0, 5.0]), np.array([2.0, 3.0, 3.0, 6.0, 7.0])
    u, effect, test = mann_whitney(x, y)
    pooled = stats.rankdata(np.concatenate([x, y]))
    splits = [pooled[list(c)] for c in combinations(range(9), 4)]
    expected = _brute_two_sided(lambda r: r.sum() - 10, splits, u)
    assert test.pvalue == pytest.approx(expected, rel=1e-12)
    assert "exact (all 126 arrangements)" in test.method
    assert u == stats.mannwhitneyu(x, y).statistic and effect == pytest.approx(2 * u / 20 - 1)


def test_kruskal_and_dunn_small_groups_are_exact() -> None:
    from tkiseq.stats.compare import dunn, kruskal

    groups = [np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0, 4.0]), np.array([5.0, 6.0, 9.0])]
    h, _, test = kruskal(groups)
    assert h == pytest.approx(stats.kruskal(*groups).statistic)
    pooled = np.concatenate(groups)
    ranks = stats.rankdata(pooled)
    deals = []  # every way to deal the 9 ranks into three labelled groups of 3
    for a in combinations(range(9), 3):
        rest = [i for i in range(9) if i not in a]
        for b in combinations(rest, 3):
            c = [i for i in rest if i not in b]
            deals.append([ranks[list(a)], ranks[list(b)], ranks[c]])
    assert len(deals) == 1680 and "exact (all 1,680 arrangements)" in test.method

    hs = np.array([stats.kruskal(*p).statistic for p in deals])  # ranks keep the ties: same H
    assert test.pvalue == pytest.approx(np.mean(hs >= h - 1e-9), rel=1e-12)
    values = pd.Series(pooled)
    labels = pd.Series(["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    pairs = dunn(values, labels, ["a", "b", "c"], "holm")
    raw = [
        _brute_two_sided(
            lambda p, i=i, j=j: p[i].mean() - p[j].mean(),
            deals,
            ranks[3 * i : 3 * i + 3].mean() - ranks[3 * j : 3 * j + 3].mean(),
        )
        for i, j in ((0, 1), (0, 2), (1, 2))
    ]
    expected = multipletests(raw, method="holm")[1]
    assert [t.pvalue for *_, t in pairs] == pytest.approx(list(expected), rel=1e-12)
    assert all("Dunn, exact" in t.method for *_, t in pairs)


def test_permutation_p_at_its_floor_is_a_bound_and_large_n_is_asymptotic() -> None:
    from tkiseq.stats.compare import RESAMPLES, SMALL_N, spearman

    x = np.arange(12.0)
    rho, test = spearman(x, x)  # 12! arrangements: Monte Carlo, none as extreme
    assert rho == 1 and test.bound and test.pvalue == pytest.approx(2 / (RESAMPLES + 1))
    assert "permutation (99,999 random arrangements)" in test.method
    assert test.note().startswith("p is a bound: p <= ")
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=SMALL_N + 5), rng.normal(size=SMALL_N + 5)
    rho, test = spearman(a, b)
    assert test.pvalue == pytest.approx(stats.spearmanr(a, b).pvalue, rel=1e-12)
    assert "t approximation" in test.method


def test_no_p_below_the_minimum_n_and_small_rows_name_their_method() -> None:
    from tkiseq.stats.associations import Data, drug_correlation

    z = pd.DataFrame(
        {"imatinib": [0.1, 0.5, -1.0], "dasatinib": [0.2, 0.1, 0.9]}, index=["A", "B", "C"]
    )
    d = Data(z=z, capped=z, klass=pd.Series(dtype=str))
    (r,) = drug_correlation(d, AssociationParams())
    assert r["pvalue"] == pytest.approx(1 / 3) and "exact" in r["method"]
    (r,) = drug_correlation(d, AssociationParams(min_group=4))
    assert np.isnan(r["pvalue"]) and "fewer than 4 samples: no p-value" in r["note"]


def test_small_groups_are_drawn_as_dots_not_violins() -> None:
    from matplotlib.collections import PolyCollection

    from tkiseq.stats.associations import Data
    from tkiseq.stats.figures import fig1_auc_by_age, p_text

    idx = [f"S{i}" for i in range(18)]
    capped = pd.DataFrame({"imatinib": np.linspace(40, 160, 18)}, index=idx)
    age = ["adult"] * 2 + ["paediatric"] * 4 + ["AYA"] * 12  # groups of 2, 4 and 12
    d = Data(
        z=capped,
        capped=capped,
        klass=pd.Series(dtype=str),
        phenotypes=pd.DataFrame({"age_group": age}, index=idx),
    )
    fig = fig1_auc_by_age(d)
    violins = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(violins) == 1  # only the group of 12
    assert p_text(2e-5, "p is a bound: p <= 2e-05 (...)") == "P <= 2e-05"


def test_oncoprint_width_is_bounded() -> None:
    """Columns narrow past ~110 samples: at 2,000 the figure was 49,049 x 2,850 pixels."""
    from tkiseq.stats.oncoprint import MAX_WIDTH_IN, board_width

    assert board_width(10) == 4.0 and board_width(50) == 8.0
    assert board_width(2000) == MAX_WIDTH_IN == board_width(200)
