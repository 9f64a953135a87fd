"""Cohort tables: the PASS calls of all samples and a sample x gene alteration matrix.

The matrix feeds the lesion overview (oncoprint): a cell lists a sample's protein-altering or
splice-site changes in a gene (short HGVS, else the consequence), empty when none.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tkiseq import tables
from tkiseq.atomic import atomic_path
from tkiseq.variants.annotate import COLUMNS

ALTERING = frozenset(
    {
        "splice_acceptor_variant",
        "splice_donor_variant",
        "stop_gained",
        "frameshift_variant",
        "stop_lost",
        "start_lost",
        "inframe_insertion",
        "inframe_deletion",
        "missense_variant",
    }
)


def read_variant_tables(paths: list[Path]) -> pd.DataFrame:
    """All rows of the per-sample tables, cells as written; a table whose header is not the
    ``variants`` schema (another tkiseq version) is an error."""
    frames = [tables.read_table(path, "variants") for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def alteration_matrix(calls: pd.DataFrame, samples: list[str]) -> pd.DataFrame:
    """Samples x genes; each cell joins the PASS protein-altering changes with ';'."""
    hits = calls[calls["consequence"].isin(ALTERING) & (calls["gene"] != "")]
    label = hits["hgvsp_short"].where(hits["hgvsp_short"] != "", hits["consequence"])
    cells = hits.assign(label=label).groupby(["sample", "gene"])["label"].agg(";".join).unstack()
    return cells.reindex(index=samples).fillna("").rename_axis(index="sample", columns=None)


def build_cohort(paths: list[Path], outdir: Path) -> tuple[Path, Path]:
    """Write ``cohort_variants.tsv`` (PASS rows) and ``alterations.tsv`` into ``outdir``."""
    table = read_variant_tables(paths)
    samples = [p.name.removesuffix(".variants.tsv") for p in paths]
    passed = table[table["filter"] == "PASS"]
    cohort, matrix = outdir / "cohort_variants.tsv", outdir / "alterations.tsv"
    with atomic_path(cohort) as tmp:
        passed.to_csv(tmp, sep="\t", index=False)
    with atomic_path(matrix) as tmp:
        alteration_matrix(passed, samples).to_csv(tmp, sep="\t")
    return cohort, matrix
