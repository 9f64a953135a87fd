"""``tkiseq response``: AUC per drug, capped, z-scored and classed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.response import scores
from tkiseq.response.scores import ResponseParams as Params
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for response.tsv"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The phenotypes' AUC columns, or the raw viability measurements."""

    phenotypes: Path = option(help="auc_<drug> columns")
    viability: Path | None = option(None, help="sample,drug,concentration,viability_pct")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``response.tsv`` into ``outdir``."""
    scores.run(inputs.phenotypes, outdir, params, inputs.viability)
