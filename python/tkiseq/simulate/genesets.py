"""Gene sets for GSEA: the planted immune-response set, B-cell, housekeeping and random sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tkiseq.simulate import catalog


def gene_sets(rng: np.random.Generator) -> dict[str, tuple[str, list[str]]]:
    """name -> (description, genes); sizes 10-40."""
    taken = {*catalog.IMMUNE_UP, *catalog.B_CELL, *catalog.HOUSEKEEPING, *catalog.AUC_DOWN}
    rest = [s.name for s in catalog.GENES if s.name not in taken and s.chrom != "chrM"]
    sets = {
        "SIM_IMMUNE_RESPONSE": (
            "simulated: immune-response genes planted to rise with imatinib AUC",
            list(catalog.IMMUNE_UP),
        ),
        "SIM_B_CELL_DEVELOPMENT": (
            "simulated: B-cell development genes, no AUC relation",
            list(catalog.B_CELL),
        ),
        "SIM_HOUSEKEEPING": (
            "simulated: housekeeping genes, no AUC relation",
            list(catalog.HOUSEKEEPING),
        ),
    }
    for k in range(1, 4):
        size = int(rng.integers(10, 26))
        genes = sorted(rng.choice(rest, size=size, replace=False).tolist())
        sets[f"SIM_RANDOM_{k}"] = ("simulated: random genes, no planted signal", genes)
    return sets


def write_gmt(sets: dict[str, tuple[str, list[str]]], path: Path) -> None:
    """GMT: name, description, genes (tab-separated)."""
    path.write_text("".join(f"{n}\t{d}\t" + "\t".join(g) + "\n" for n, (d, g) in sets.items()))
