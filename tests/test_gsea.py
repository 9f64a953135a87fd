"""GSEA prerank: direction of NES, symbol matching, seeding, the planted immune set, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from test_de import cohort_de  # noqa: F401  (session fixture, shared)
from tkiseq.cli import main
from tkiseq.enrichment.gsea import (
    COLUMNS,
    DEMO_GMT,
    GeneSet,
    GseaParams,
    bounded,
    enrichment_plot,
    prerank,
    ranking,
    read_gmt,
)


def _de_table(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """A DE table whose UP genes lead and DOWN genes trail the Wald ranking."""
    rng = np.random.default_rng(seed)
    stat = rng.normal(size=n)
    stat[:20] = rng.uniform(4, 8, 20)
    stat[20:40] = -rng.uniform(4, 8, 20)
    names = [f"UP{i}" for i in range(20)] + [f"DOWN{i}" for i in range(20)]
    names += [f"BG{i}" for i in range(n - 40)]
    return pd.DataFrame(
        {
            "gene_id": [f"G{i}" for i in range(n)],
            "gene_name": names,
            "stat": stat,
            "pvalue": 0.5,
            "padj": 0.5,
        }
    )


def _write_gmt(path: Path, sets: dict[str, list[str]]) -> Path:
    path.write_text("".join(f"{k}\tdesc\t" + "\t".join(v) + "\n" for k, v in sets.items()))
    return path


def _gsea(de: Path, gmts: list[Path], outdir: Path, *extra: str) -> int:
    gene_sets = ",".join(map(str, gmts))
    args = ["gsea", "--de", str(de), "--gene-sets", gene_sets, "--outdir", str(outdir)]
    return main([*args, "--permutations", "200", *extra])


def test_nes_sign_and_symbol_matching(tmp_path: Path) -> None:
    de = _de_table()
    de.to_csv(tmp_path / "de_auc_imatinib.tsv", sep="\t", index=False)
    up = [f"up{i}" for i in range(20)]  # lower case: matched case-insensitively
    gmt1 = _write_gmt(tmp_path / "a.gmt", {"UP_SET": up, "BG_SET": [f"BG{i}" for i in range(30)]})
    gmt2 = _write_gmt(tmp_path / "b.gmt", {"DOWN_SET": [f"DOWN{i}" for i in range(20)]})
    assert _gsea(tmp_path / "de_auc_imatinib.tsv", [gmt1, gmt2], tmp_path / "gsea") == 0
    table = pd.read_csv(tmp_path / "gsea" / "gsea_auc_imatinib.tsv", sep="\t").set_index("term")
    assert list(table.reset_index().columns) == COLUMNS
    assert table.loc["UP_SET", "nes"] > 0 and table.loc["UP_SET", "fdr"] < 0.05
    assert table.loc["DOWN_SET", "nes"] < 0 and table.loc["DOWN_SET", "fdr"] < 0.05
    assert table.loc["BG_SET", "fdr"] > 0.05
    assert table.loc["UP_SET", "size"] == 20 and table.loc["DOWN_SET", "gene_set_file"] == "b.gmt"
    plots = sorted(p.name for p in (tmp_path / "gsea").glob("*.png"))
    assert "enrichment_auc_imatinib_UP_SET.png" in plots
    assert "enrichment_auc_imatinib_DOWN_SET.png" in plots


def test_seeded_and_size_bounds() -> None:
    rank = ranking(_de_table())
    sets = [
        GeneSet("UP", tuple(f"UP{i}" for i in range(20)), "x.gmt"),
        GeneSet("TINY", ("UP0", "UP1"), "x.gmt"),
        GeneSet("BG", tuple(f"BG{i}" for i in range(40)), "x.gmt"),
    ]
    params = GseaParams(permutations=100, seed=7)
    first, _ = prerank(rank, sets, params)
    again, _ = prerank(rank, sets, params)
    pd.testing.assert_frame_equal(first, again)
    assert "TINY" not in set(first["term"])  # below --min-size 5


def test_ranking_keeps_strongest_duplicate_and_drops_untested() -> None:
    de = pd.DataFrame(
        {
            "gene_id": ["a", "b", "c", "d"],
            "gene_name": ["X", "x", "Y", None],
            "stat": [1.0, -3.0, np.nan, 2.0],
        }
    )
    rank = ranking(de)
    assert rank.to_dict() == {"D": 2.0, "X": -3.0}


def test_immune_set_enriched_on_cohort(cohort_data: Path, cohort_de: Path, tmp_path: Path) -> None:  # noqa: F811
    """Done-when: the planted immune set at FDR < 0.05 with positive NES (up with AUC)."""
    gmts = [cohort_data / "gene_sets.gmt", DEMO_GMT]
    assert _gsea(cohort_de, gmts, tmp_path / "gsea", "--permutations", "1000") == 0
    table = pd.read_csv(tmp_path / "gsea" / "gsea_auc_imatinib.tsv", sep="\t").set_index("term")
    immune = table.loc["SIM_IMMUNE_RESPONSE"]
    assert immune["fdr"] < 0.05 and immune["nes"] > 0
    for control in ("SIM_HOUSEKEEPING", "SIM_B_CELL_DEVELOPMENT"):
        assert table.loc[control, "fdr"] >= 0.05
    assert table.loc["TKISEQ_LYMPHOCYTE_IMMUNE_RESPONSE", "nes"] > 0


def test_demo_gmt_parses_with_provenance() -> None:
    sets = read_gmt(DEMO_GMT)
    assert len(sets) >= 5 and all(len(s.genes) >= 5 for s in sets)
    readme = (DEMO_GMT.parent / "README.md").read_text()
    assert all(s.term in readme for s in sets)


@pytest.mark.parametrize(
    ("gmt_text", "problem"),
    [("", "no gene sets"), ("ONLY_NAME\n", "expected name, description and genes")],
)
def test_bad_gmt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gmt_text: str, problem: str
) -> None:
    _de_table().to_csv(tmp_path / "de_x.tsv", sep="\t", index=False)
    (tmp_path / "bad.gmt").write_text(gmt_text)
    out = tmp_path / "out"
    out.mkdir()
    assert _gsea(tmp_path / "de_x.tsv", [tmp_path / "bad.gmt"], out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.gmt" in err and problem in err
    assert list(out.iterdir()) == []


def test_no_set_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _de_table().to_csv(tmp_path / "de_x.tsv", sep="\t", index=False)
    gmt = _write_gmt(tmp_path / "mouse.gmt", {"M": [f"Gm{i}" for i in range(30)]})
    out = tmp_path / "out"
    assert _gsea(tmp_path / "de_x.tsv", [gmt], out) == 2
    assert "no gene set has 5-500 genes" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []


def test_plot_prints_p_as_a_bound_when_no_permutation_was_as_extreme() -> None:
    """With 1,000 permutations a p of 0 is < 1e-3: the plot must say so, not 0.000e+00."""
    rank = ranking(_de_table())
    sets = [GeneSet("UP_SET", tuple(f"UP{i}" for i in range(20)), "t.gmt")]
    table, res = prerank(rank, sets, GseaParams(permutations=1000))
    result = res.results[table["key"].iloc[0]]
    assert result["pval"] == 0  # the planted set beats every permutation
    fig = enrichment_plot("UP_SET", result, np.asarray(res.ranking), "auc_imatinib", 1000)
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "Pval: < 1.0e-03" in texts, texts
    assert not any("0.000e+00" in t for t in texts)
    assert bounded(0.0123, 1000) == "1.230e-02"
