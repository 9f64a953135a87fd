"""Which chromosome arm each gene lies on (GRCh38 centromeres, ``data/centromeres_grch38.tsv``).

A contig whose genes reach past its GRCh38 centromere is taken at face value. A miniature
assembly (the simulator's, or any test genome far shorter than GRCh38) is placed by relative
position instead: the arm boundary sits at the same fraction of the genes' extent as the
centromere does of the real chromosome.
"""

from __future__ import annotations

from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

AUTOSOMES = tuple(f"chr{i}" for i in range(1, 23))
SEX_CHROMS = ("chrX", "chrY")


def centromeres() -> pd.DataFrame:
    """The shipped table, indexed by ``chr``-style chromosome name."""
    text = resources.files("tkiseq.data").joinpath("centromeres_grch38.tsv").read_text()
    table = pd.read_csv(StringIO(text), sep="\t", comment="#")
    table["acrocentric"] = table["acrocentric"] == "yes"
    return table.set_index("chrom")


def canonical_chrom(name: str) -> str:
    """``1``/``chr1``/``CHR1`` -> ``chr1``; ``MT``/``chrM`` and unplaced contigs pass unchanged."""
    bare = name[3:] if name.lower().startswith("chr") else name
    return f"chr{bare}" if bare in {*map(str, range(1, 23)), "X", "Y"} else name


def arm_boundaries(genes: pd.DataFrame) -> dict[str, float]:
    """Chromosome (``chr``-style) -> position of its p/q boundary in this assembly's coordinates.

    ``genes``: chrom and end per gene (any contig naming). Real-scale contigs use the GRCh38
    centromere midpoint; contigs whose genes end before the centromere are miniature and get
    the same fraction of their genes' extent.
    """
    cen = centromeres()
    chrom = genes["chrom"].astype(str).map(canonical_chrom)
    out = {}
    for c, ends in genes["end"].groupby(chrom):
        if c not in cen.index:
            continue
        row = cen.loc[c]
        boundary = (row["centromere_start"] + row["centromere_end"]) / 2
        extent = float(ends.max())
        out[c] = boundary if extent >= row["centromere_end"] else extent * boundary / row["length"]
    return out


def arm_labels(chrom: pd.Series, pos: pd.Series, boundaries: dict[str, float]) -> pd.Series:
    """``1p``/``Xq`` per position; empty string on contigs without arms (chrM, unplaced)."""
    names = chrom.astype(str)
    c = names.map({n: canonical_chrom(n) for n in names.unique()})
    b = c.map(boundaries)
    arm = np.where(pos.to_numpy() < b.to_numpy(), "p", "q")
    label = c.str.removeprefix("chr") + arm
    return label.where(b.notna(), "")


def gene_arms(genes: pd.DataFrame) -> pd.Series:
    """``genes`` (gene_id index; chrom, start, end) -> arm label (``1p``, ``21q``, ``Xq``) for genes
    on chromosomes 1-22, X and Y; other contigs are dropped."""
    mid = (genes["start"] + genes["end"]) / 2
    label = arm_labels(genes["chrom"], mid, arm_boundaries(genes))
    return label[label != ""]
