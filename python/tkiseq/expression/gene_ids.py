"""The genes of a published count matrix matched to the run's annotation.

Public matrices are keyed by the gene IDs of some GTF release (``ENSG00000141510.17``), by the
same IDs without their version, or by gene symbols (``TP53``). Every later stage looks genes up
in the annotation bundle, so each row is matched to one annotation gene, in this order: the
gene ID as it is, the gene ID without its version, the matrix's key or its own ``gene_name``
column as a GTF ``gene_name``. Rows that match nothing are left out and reported; rows that
match the same gene (two versions of one ID) are summed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

VERSION = re.compile(r"\.\d+(?=(_PAR_Y)?$)")  # ENSG00000182378.14_PAR_Y keeps _PAR_Y
HOW = ("gene_id", "gene_id without version", "gene_name")


@dataclass(frozen=True)
class GeneMatch:
    """Counts re-keyed by annotation gene_id (annotation order) and how the rows matched."""

    counts: pd.DataFrame
    matched: dict[str, int]  # rows matched each way (keys: HOW)
    unmatched: pd.Series  # matrix key -> its total reads, rows with no annotation gene
    merged: int  # rows summed into a gene that another row also matched

    def summary(self) -> str:
        ways = ", ".join(f"{n:,} by {how}" for how, n in self.matched.items() if n)
        total = sum(self.matched.values()) + len(self.unmatched)
        text = f"{sum(self.matched.values()):,} of {total:,} genes matched the annotation ({ways})"
        if self.merged:
            text += f"; {self.merged:,} rows summed into a gene another row also matched"
        return text


def strip_version(ids: pd.Index) -> pd.Index:
    """``ENSG00000141510.17`` -> ``ENSG00000141510``; IDs without a version are kept."""
    return pd.Index([VERSION.sub("", i) for i in ids.astype(str)])


def _first(keys: pd.Index, values: pd.Index) -> pd.Series:
    """``keys`` -> ``values``, the first value where a key repeats (the GTF's order)."""
    table = pd.Series(np.asarray(values, dtype=object), index=keys)
    table = table[table.index.notna() & (table.index != "")]
    return table[~table.index.duplicated(keep="first")]


def match_genes(
    counts: pd.DataFrame, genes: pd.DataFrame, names: pd.Series | None = None
) -> GeneMatch:
    """Match ``counts`` (genes x samples) to ``genes`` (the bundle's table, gene_id index).

    ``names`` is the matrix's own gene_name column, if it had one (indexed like ``counts``).
    """
    keys = pd.Index(counts.index.astype(str))
    ids = pd.Index(genes.index.astype(str))
    by_id = _first(ids, ids)
    by_unversioned = _first(strip_version(ids), ids)
    by_name = _first(pd.Index(genes["gene_name"].astype(object)), ids)
    target = pd.Series(keys.map(by_id), index=keys, dtype=object)
    how = pd.Series(np.where(target.notna(), HOW[0], ""), index=keys, dtype=object)
    tries = [(strip_version(keys), by_unversioned, HOW[1]), (keys, by_name, HOW[2])]
    if names is not None:
        tries.append((pd.Index(names.reindex(counts.index).astype(str)), by_name, HOW[2]))
    for lookup, table, label in tries:
        todo = target.isna().to_numpy()
        if not todo.any():
            break
        found = pd.Series(lookup[todo].map(table), index=keys[todo], dtype=object)
        hit = found.notna()
        target[found.index[hit]] = found[hit]
        how[found.index[hit]] = label
    ok = target.notna().to_numpy()
    dest = pd.Index(target[ok].to_numpy())
    if dest.is_unique:  # each gene matched once: pick its row (one copy of the matrix, where
        order = ids[ids.isin(dest)]  # select + group + reindex made three at 2,000 samples)
        summed = counts.iloc[np.flatnonzero(ok)[dest.get_indexer(order)]]
        summed.index = order
    else:
        summed = counts[ok].groupby(dest.to_numpy(), sort=False).sum()
        summed = summed.reindex(ids[ids.isin(summed.index)])
    summed.index.name = "gene_id"
    unmatched = counts[~ok].sum(axis=1).sort_values(ascending=False)
    unmatched.index.name = "gene"
    return GeneMatch(
        counts=summed,
        matched={label: int((how == label).sum()) for label in HOW},
        unmatched=unmatched.rename("reads"),
        merged=int(ok.sum() - len(summed)),
    )
