"""A labelled expression reference (``truth/subtype_reference.h5ad``, cohort preset) for testing
the projection of a cohort onto labelled samples (``tkiseq subtypes --subtype-reference``).

Each subtype gets its own marker genes (two-fold up) and high hyperdiploid samples their
chromosome gains, on the cohort's genes and base expression; obs ``subtype`` holds the label.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.simulate.cohort import HYPERDIPLOID_GAINS, Cohort
from tkiseq.simulate.genome import Genome

REFERENCE_SUBTYPES = ("BCR::ABL1", "ETV6::RUNX1", "high hyperdiploid", "KMT2A-r", "TCF3::PBX1")
PER_SUBTYPE = 12
MARKERS = 15
MARKER_LOG2FC = 1.0
REFERENCE_FRAGMENTS = 400_000


def reference_counts(rng: np.random.Generator, cohort: Cohort, genome: Genome) -> ad.AnnData:
    """Samples x genes counts with obs ``subtype`` (gene IDs with versions, as in the GTF)."""
    names = list(cohort.base_mean)
    pool = [g for g in names if cohort.role[g] in ("background", "karyotype_filler")]
    drawn = rng.permutation(pool)
    markers = {
        s: set(drawn[k * MARKERS : (k + 1) * MARKERS]) for k, s in enumerate(REFERENCE_SUBTYPES)
    }
    base = np.array([cohort.base_mean[g] for g in names])
    phi = np.array([cohort.dispersion[g] for g in names])
    chrom = np.array([cohort.chrom[g] for g in names])
    gains, tetra, _ = HYPERDIPLOID_GAINS[0]
    dosage = np.where(np.isin(chrom, gains), 1.5, 1.0) * np.where(chrom == tetra, 2.0, 1.0)
    rows, labels = [], []
    for subtype in REFERENCE_SUBTYPES:
        up = np.array([2**MARKER_LOG2FC if g in markers[subtype] else 1.0 for g in names])
        mu = base * up * (dosage if subtype == "high hyperdiploid" else 1.0)
        mu = mu / mu.sum() * REFERENCE_FRAGMENTS
        for _ in range(PER_SUBTYPE):
            rows.append(rng.poisson(rng.gamma(1 / phi, mu * phi)))
            labels.append(subtype)
    counts = np.array(rows, dtype=np.int64)
    obs = pd.DataFrame({"subtype": labels}, index=[f"REF{i + 1:03d}" for i in range(len(rows))])
    var = pd.DataFrame({"gene_name": names}, index=[genome.genes[g].gene_id for g in names])
    adata = ad.AnnData(X=counts.copy(), obs=obs, var=var)
    adata.layers["counts"] = counts
    return adata


def write_reference(rng: np.random.Generator, cohort: Cohort, genome: Genome, path: Path) -> None:
    """Write the reference ``.h5ad``."""
    reference_counts(rng, cohort, genome).write_h5ad(path)
