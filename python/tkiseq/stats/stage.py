"""``tkiseq associations``: the table of every analysis, then the figures drawn from it.

The stage's I/O edge: ``associations`` holds the analyses, ``figures`` and ``oncoprint`` draw
from their results, and this module runs them in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tkiseq.atomic import atomic_path
from tkiseq.stage_options import option
from tkiseq.stats.associations import AssociationParams as Params
from tkiseq.stats.associations import associations, load
from tkiseq.stats.figures import write_figures

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table and figures/"
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The drug response and, when given, what it is tested against."""

    response: Path = option(help="response.tsv")
    phenotypes: Path | None = option(None, help="relapse, MRD, timing, age_group columns")
    profile: Path | None = option(None, help="lesions/profile.tsv")
    fusions: Path | None = option(None, help="cohort_fusions.tsv (BCR::ABL1 expression)")
    expression: Path | None = option(None, help="cohort.h5ad (ABL1 expression)")


def run(inputs: Inputs, params: Params, outdir: Path) -> Path:
    """``tkiseq associations``: stats/associations.tsv and the figures in stats/figures/."""
    i = inputs
    d = load(i.response, params, i.phenotypes, i.profile, i.fusions, i.expression)
    table = associations(d, params)
    out = Path(outdir)
    write_figures(d, table, params, out / "figures")
    dest = out / "associations.tsv"
    with atomic_path(dest) as tmp:  # last: its presence means the stage finished
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    log.info("%d tests, %d with a p-value", len(table), int(table["pvalue"].notna().sum()))
    return dest
