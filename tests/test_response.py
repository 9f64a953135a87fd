"""tkiseq response: cap, z-score (sample SD), classes, viability AUC, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.response.scores import ResponseParams, classify, read_aucs, run, score
from tkiseq.response.viability import curve_auc, read_viability, viability_aucs


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_cap_z_and_class_match_hand_computation(tmp_path: Path) -> None:
    ima = [40.0, 79.9, 80.0, 120.0, 120.5, 172.0]
    das = [50.0, 60.0, "NA", 90.0, 100.0, 110.0]
    rows = "\n".join(f"S{i},{a},{b}" for i, (a, b) in enumerate(zip(ima, das, strict=True)))
    pheno = _write(tmp_path / "p.csv", "sample,auc_imatinib,auc_dasatinib\n" + rows + "\n")
    dest = run(pheno, tmp_path / "out", ResponseParams())
    table = pd.read_csv(dest, sep="\t")
    im = table[table["drug"] == "imatinib"]
    capped = np.minimum(np.array(ima), 150.0)
    sd = np.sqrt(np.sum((capped - capped.mean()) ** 2) / (len(capped) - 1))  # ddof=1 by hand
    np.testing.assert_allclose(im["auc_capped"], capped)
    np.testing.assert_allclose(im["z"], (capped - capped.mean()) / sd, rtol=1e-5)
    assert list(im["class"]) == [
        "sensitive",
        "sensitive",
        "intermediate",
        "intermediate",
        "resistant",
        "resistant",
    ]
    da = table[table["drug"] == "dasatinib"]
    assert len(da) == 5 and da["class"].isna().all()  # no thresholds for dasatinib by default
    vals = np.array([50.0, 60, 90, 100, 110])
    np.testing.assert_allclose(da["z"], (vals - vals.mean()) / vals.std(ddof=1), rtol=1e-5)


def test_thresholds_per_drug_are_configurable() -> None:
    aucs = pd.DataFrame({"sample": ["a", "b", "c"], "drug": "dasatinib", "auc": [10.0, 50, 90]})
    params = ResponseParams(classes=(("dasatinib", 30.0, 60.0),))
    assert list(score(aucs, params)["class"]) == ["sensitive", "intermediate", "resistant"]
    assert classify(80, 80, 120) == "intermediate" and classify(120.01, 80, 120) == "resistant"


def test_cli_class_thresholds(tmp_path: Path) -> None:
    pheno = _write(tmp_path / "p.csv", "sample,auc_dasatinib\nA,10\nB,50\nC,90\n")
    out = tmp_path / "o"
    args = ["response", "--phenotypes", str(pheno), "--outdir", str(out), "--classes"]
    assert main([*args, "dasatinib:30,60"]) == 0
    table = pd.read_csv(out / "response.tsv", sep="\t")
    assert list(table["class"]) == ["sensitive", "intermediate", "resistant"]
    assert main([*args, "dasatinib:30"]) == 2


def test_drug_with_fewer_than_three_values_gets_na_and_a_note(tmp_path: Path) -> None:
    pheno = _write(tmp_path / "p.csv", "sample,auc_bosutinib\nA,100\nB,120\nC,\n")
    table = pd.read_csv(run(pheno, tmp_path / "o", ResponseParams()), sep="\t")
    assert table["z"].isna().all() and table["note"].str.contains("< 3").all()


@pytest.mark.parametrize("value", ["abc", "-5"])
def test_bad_auc_names_file_line_and_column(tmp_path: Path, value: str) -> None:
    pheno = _write(tmp_path / "p.csv", f"sample,auc_imatinib\nA,100\nB,{value}\nC,90\n")
    with pytest.raises(InputError, match=r"p\.csv: line 3, column auc_imatinib"):
        read_aucs(pheno)
    assert main(["response", "--phenotypes", str(pheno), "--outdir", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o" / "response.tsv").exists()


def test_viability_auc_equals_analytic_area() -> None:
    """Logistic viability over x = log10(c): area = 100 * [x - ln(1 + e^{k(x - x0)}) / k]."""
    k, x0 = 3.0, 0.5
    x = np.linspace(-2, 2, 2001)
    v = 100 / (1 + np.exp(k * (x - x0)))

    def primitive(t: float) -> float:
        return 100 * (t - np.log1p(np.exp(k * (t - x0))) / k)

    assert curve_auc(10**x, v) == pytest.approx(primitive(2) - primitive(-2), rel=1e-5)
    assert curve_auc(np.array([1.0, 100.0]), np.array([100.0, 100.0])) == pytest.approx(200)


def test_viability_table_replaces_given_auc(tmp_path: Path) -> None:
    pheno = _write(tmp_path / "p.csv", "sample,auc_imatinib\nA,100\nB,120\nC,90\n")
    via = _write(
        tmp_path / "v.csv",
        "sample,drug,concentration,viability_pct\nA,imatinib,1,50\nA,imatinib,10,30\n"
        "A,imatinib,10,50\nA,imatinib,100,20\n",
    )
    table = pd.read_csv(run(pheno, tmp_path / "o", ResponseParams(), via), sep="\t")
    a = table[table["sample"] == "A"].iloc[0]
    # replicates at 10 uM averaged to 40: (50 + 40) / 2 + (40 + 20) / 2 = 75
    assert a["auc"] == pytest.approx(75) and a["auc_source"] == "viability"
    assert set(table.loc[table["sample"] != "A", "auc_source"]) == {"phenotypes"}


def test_viability_with_one_concentration_is_an_error(tmp_path: Path) -> None:
    via = _write(
        tmp_path / "v.csv",
        "sample,drug,concentration,viability_pct\nA,imatinib,1,50\nA,imatinib,1,55\n",
    )
    with pytest.raises(
        InputError, match=r"v\.csv: line 2, column concentration.*one concentration"
    ):
        viability_aucs(read_viability(via), via)
