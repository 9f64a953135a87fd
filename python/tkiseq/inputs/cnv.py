"""Copy-number calls (MLPA or SNP array) per sample and gene, used for IKZF1plus calls."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from tkiseq.inputs.table import check_known, check_unique, read_table, to_frame

SCHEMA = "schema_cnv.json"
HEADER = ("sample", "gene", "status")


def load_cnv(path: str | Path, sample_ids: Collection[str]) -> pd.DataFrame:
    """Columns sample, gene, status; status 'NA' (not assessed) is kept as the text 'NA'."""
    table = read_table(path, SCHEMA, HEADER)
    check_unique(table, ("sample", "gene"), "one status per sample and gene")
    check_known(table, sample_ids)
    return to_frame(table)
