"""End to end: `tkiseq run` on the tiny dataset writes subtypes/ with the planted subtypes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


@pytest.mark.slow
def test_tiny_run_subtypes_match_truth(tiny_data: Path, tiny_run: Path) -> None:
    got = pd.read_csv(tiny_run / "subtypes" / "subtypes.tsv", sep="\t", keep_default_na=False)
    truth = pd.read_csv(tiny_data / "truth" / "subtypes.tsv", sep="\t", keep_default_na=False)
    both = got.merge(truth, on="sample", suffixes=("", "_truth"), validate="one_to_one")
    assert len(both) == len(truth)
    # every tiny sample is fusion-defined: the fusion call decides, whatever the karyotype
    assert (both["subtype"] == both["subtype_truth"]).all(), both[["sample", "subtype"]]
    crlf2 = both["crlf2_rearranged"] == "yes"
    assert both.loc[crlf2, "evidence"].str.contains("secondary:CRLF2-r", regex=False).all()
    assert not both.loc[~crlf2, "evidence"].str.contains("CRLF2-r", regex=False).any()
    assert set(both["risk_group"]) <= {"high", "standard"}
    karyotype = pd.read_csv(tiny_run / "subtypes" / "karyotype.tsv", sep="\t")
    assert set(karyotype["sample"]) == set(truth["sample"])
