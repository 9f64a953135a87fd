"""``tkiseq associations``: the table of every analysis, then the figures drawn from it.

The stage's I/O edge: ``associations`` holds the analyses, ``figures`` and ``oncoprint`` draw
from their results, and this module runs them in order.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tkiseq.atomic import atomic_path
from tkiseq.stats.associations import AssociationParams, associations, load
from tkiseq.stats.figures import write_figures

log = logging.getLogger(__name__)


def run(outdir: Path, params: AssociationParams, response: Path, **inputs: Path | None) -> Path:
    """``tkiseq associations``: stats/associations.tsv and the figures in stats/figures/."""
    d = load(response, params, **inputs)
    table = associations(d, params)
    out = Path(outdir)
    write_figures(d, table, params, out / "figures")
    dest = out / "associations.tsv"
    with atomic_path(dest) as tmp:  # last: its presence means the stage finished
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    log.info("%d tests, %d with a p-value", len(table), int(table["pvalue"].notna().sum()))
    return dest
