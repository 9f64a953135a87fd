"""Reading only what a stage needs from ``cohort.h5ad``.

``anndata.read_h5ad`` loads ``X`` and every layer: at 2,000 samples x 60,000 genes that is
gigabytes read (and held) by a stage that uses one layer, or one gene of one layer.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
from anndata.io import read_elem

from tkiseq.errors import InputError


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, f"not a readable .h5ad file ({exc})") from None


def layer_names(path: Path) -> list[str]:
    """The layers stored in the file."""
    with _open(path) as f:
        return list(f["layers"].keys()) if "layers" in f else []


def read_cohort(path: Path, layers: tuple[str, ...], with_x: bool = False) -> ad.AnnData:
    """obs, var and only ``layers`` (those present; ``X`` only if ``with_x``)."""
    with _open(path) as f:
        try:
            obs = read_elem(f["obs"])
            var = read_elem(f["var"])
            stored = f.get("layers", {})
            kept = {name: read_elem(stored[name]) for name in layers if name in stored}
            x = read_elem(f["X"]) if with_x and "X" in f else None
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(path, f"not a readable .h5ad file ({exc})") from None
    return ad.AnnData(X=x, obs=obs, var=var, layers=kept)


def read_gene(path: Path, layer: str, gene_name: str) -> pd.Series | None:
    """One gene's values (the first var row whose gene_name matches) of a dense layer, per
    sample; None when the layer or the gene is absent."""
    with _open(path) as f:
        if "layers" not in f or layer not in f["layers"]:
            return None
        try:
            obs = read_elem(f["obs"])
            var = read_elem(f["var"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(path, f"not a readable .h5ad file ({exc})") from None
        if "gene_name" not in var:
            return None
        cols = np.flatnonzero(var["gene_name"].astype(str).to_numpy() == gene_name)
        if cols.size == 0:
            return None
        stored = f["layers"][layer]
        if isinstance(stored, h5py.Dataset):
            values = np.asarray(stored[:, int(cols[0])], dtype=float)
        else:  # a sparse layer: read whole
            values = np.asarray(read_elem(stored)[:, int(cols[0])].toarray(), dtype=float).ravel()
    return pd.Series(values, index=pd.Index(obs.index, name="sample"))
