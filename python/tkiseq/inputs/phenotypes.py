"""Per-sample phenotypes: ex vivo TKI response (AUC), clinical annotations and covariates."""

from __future__ import annotations

import csv
import logging
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

import pandas as pd

from tkiseq.errors import InputError
from tkiseq.inputs.table import check_known, check_unique, read_table, to_frame

SCHEMA = "schema_phenotypes.json"
MISSING = ("", "NA")
MIN_SAMPLES = 3  # samples with a value that DE (and so GSEA) needs for a phenotype
_SOURCES = {"primary": "primary", "pdx": "PDX"}

log = logging.getLogger(__name__)


def load_phenotypes(
    path: str | Path, sample_ids: Collection[str], *, drop_unknown: str = ""
) -> pd.DataFrame:
    """One row per sample, columns as in the file; AUCs as floats, day counts as Int64.

    Samples without phenotypes are allowed (a warning) because response data often lag behind
    sequencing; a row for an unknown sample is an error because it is usually a typo, unless
    ``drop_unknown`` names where the samples came from (a published count matrix: its study's
    phenotype table often has more samples), and such rows are left out with a warning.
    """
    table = read_table(path, SCHEMA, ("sample",), missing=MISSING)
    check_unique(table, ("sample",), "each sample once")
    if drop_unknown:
        unknown = [row.raw["sample"] for row in table.rows if row.raw["sample"] not in sample_ids]
        if len(unknown) == len(table.rows):
            raise InputError(
                path,
                f"no sample of {drop_unknown} has a row (first rows: "
                f"{', '.join(unknown[:3])}; its samples: {', '.join(list(sample_ids)[:3])})",
                hint="the 'sample' column must name the matrix's columns",
            )
        if unknown:
            log.warning(
                "%s: %d row(s) for samples not in %s left out: %s",
                path,
                len(unknown),
                drop_unknown,
                ", ".join(unknown[:10]) + (", ..." if len(unknown) > 10 else ""),
            )
            table = replace(table, rows=[r for r in table.rows if r.raw["sample"] in sample_ids])
    else:
        check_known(table, sample_ids)
    given = {row.raw["sample"] for row in table.rows}
    absent = [s for s in sample_ids if s not in given]
    if absent:
        log.warning(
            "%s: no row for %d samplesheet sample(s): %s; they are left out of differential"
            " expression and response analyses",
            path,
            len(absent),
            ", ".join(absent),
        )
    frame = to_frame(table)
    if "source" in frame:
        frame["source"] = frame["source"].map(lambda v: _SOURCES[v.lower()], na_action="ignore")
    return frame


def read_phenotypes(path: Path) -> pd.DataFrame:
    """The phenotype table as text, indexed by sample: how the cohort stages (DE, response,
    associations) read validate's ``phenotypes.valid.csv``."""
    if not path.exists():
        raise InputError(path, "file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    if "sample" not in table.columns:
        raise InputError(path, "no 'sample' column", line=1)
    if table["sample"].duplicated().any():
        dup = table.loc[table["sample"].duplicated(), "sample"].iloc[0]
        raise InputError(path, f"sample {dup!r} appears twice", column="sample")
    return table.set_index("sample")


def phenotypes_for_de(phenotypes_csv: Path) -> list[str]:
    """The AUC columns differential expression is run against: those with a value for at least
    MIN_SAMPLES samples.

    The one place this rule lives: ``validate`` writes its result for both runners.
    """
    with open(phenotypes_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [c for c in (rows[0].keys() if rows else []) if c.startswith("auc_")]
    tested = []
    for column in columns:
        given = sum(r[column].strip() not in MISSING for r in rows)
        if given >= MIN_SAMPLES:
            tested.append(column)
        else:
            log.warning(
                "differential expression and GSEA of %s skipped: %d sample(s) with a value, "
                "at least %d needed",
                column,
                given,
                MIN_SAMPLES,
            )
    return tested
