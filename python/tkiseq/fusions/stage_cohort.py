"""``tkiseq fusions cohort``: the per-sample fusion tables merged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.fusions.call import COLUMNS
from tkiseq.stage_options import NoParams, option
from tkiseq.tables import read_table

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the cohort table"
COHORT_FILE = "cohort_fusions.tsv"
Params = NoParams


@dataclass(frozen=True)
class Inputs:
    """Every sample's fusion table."""

    tables: tuple[Path, ...] = option(positional=True, nargs="+", help="<sample>.fusions.tsv")


def run(inputs: Inputs, params: Params, outdir: Path) -> Path:
    """Concatenate the per-sample fusion tables into ``<outdir>/cohort_fusions.tsv`` (all rows;
    filter on ``confidence`` downstream)."""
    frames = [read_table(path, "fusions") for path in inputs.tables]
    cohort = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    dest = Path(outdir) / COHORT_FILE
    with atomic_path(dest) as tmp:
        cohort.to_csv(tmp, sep="\t", index=False)
    return dest
