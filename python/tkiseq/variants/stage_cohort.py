"""``tkiseq variants cohort``: the cohort PASS table and the sample x gene alteration matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.stage_options import NoParams, option
from tkiseq.variants.cohort import build_cohort

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the cohort tables"
Params = NoParams


@dataclass(frozen=True)
class Inputs:
    """Every sample's annotated calls."""

    tables: tuple[Path, ...] = option(positional=True, nargs="+", help="<sample>.variants.tsv")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``cohort_variants.tsv`` and ``alterations.tsv`` into ``outdir``."""
    build_cohort(list(inputs.tables), outdir)
