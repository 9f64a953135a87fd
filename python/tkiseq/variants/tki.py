"""ABL1 kinase-domain and TKI-resistance flags, and the leukemia gene panel (shipped tables)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import pandas as pd

ABL1_KD = (242, 493)  # kinase domain, isoform 1a (NM_005157) numbering; 1b numbering is +19
_SUBST = re.compile(r"^p\.([A-Z])(\d+)([A-Z*])$")
_RESIDUE = re.compile(r"^p\.[A-Z*](\d+)")


def _table(name: str) -> pd.DataFrame:
    with resources.files("tkiseq.data").joinpath(name).open() as fh:
        return pd.read_csv(fh, sep="\t", comment="#", dtype=str).fillna("")


@cache
def resistance_table() -> dict[tuple[str, str], tuple[str, ...]]:
    """(gene, substitution e.g. T315I) -> drugs it confers resistance to (table order)."""
    out: dict[tuple[str, str], list[str]] = {}
    for row in _table("tki_resistance.tsv").itertuples():
        out.setdefault((row.gene, row.substitution), []).append(row.drug)
    return {k: tuple(v) for k, v in out.items()}


@cache
def panel_genes() -> frozenset[str]:
    return frozenset(_table("leukemia_genes.tsv")["gene"])


def abl1_kd(gene: str, hgvsp_short: str) -> bool:
    """True when an ABL1 protein change starts inside the kinase domain (residues 242-493)."""
    m = _RESIDUE.match(hgvsp_short)
    return gene == "ABL1" and m is not None and ABL1_KD[0] <= int(m.group(1)) <= ABL1_KD[1]


def tki_resistance(gene: str, hgvsp_short: str) -> str:
    """Semicolon-separated drugs a substitution is known to resist, '' if none listed."""
    m = _SUBST.match(hgvsp_short)
    if m is None:
        return ""
    return ";".join(resistance_table().get((gene, "".join(m.groups())), ()))
