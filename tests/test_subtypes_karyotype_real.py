"""RNA karyotype on RNAseqCNV's 44 real diploid B-ALL profiles: each against the other 43.

The false-positive check real data needs: the expression noise of real diploid genomes (single
highly variable genes along 21q, GC-rich chromosomes standing out in some libraries) must
give neither iAMP21 nor a confident aneuploid number. Gene positions come from the
package's GRCh38 table; log2(normalised + 1) stands in for the VST (the two agree at the
counts the gene filter keeps) so the 44 runs take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from realdata import realdata
from tkiseq.expression.counts import median_of_ratios
from tkiseq.subtypes import karyotype as kt
from tkiseq.subtypes.arms import gene_arms
from tkiseq.subtypes.sex import infer_sex
from tkiseq.subtypes.stage import read_reference_counts

# Ensembl IDs of the sex marker genes (the package's gene table has positions only)
SEX_GENES = {
    "ENSG00000229807": "XIST",
    "ENSG00000129824": "RPS4Y1",
    "ENSG00000067048": "DDX3Y",
    "ENSG00000012817": "KDM5D",
    "ENSG00000114374": "USP9Y",
    "ENSG00000183878": "UTY",
    "ENSG00000198692": "EIF1AY",
    "ENSG00000067646": "ZFY",
}
RUNX1 = "ENSG00000159216"


@pytest.fixture(scope="module")
def diploid() -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = realdata("rnaseqcnv_diploid")
    counts = read_reference_counts(folder / "diploid_standard_hg38.tsv.gz")
    annot = pd.read_csv(folder / "gene_annot_hg38.tsv.gz", sep="\t", dtype={"chr": str})
    annot = annot.drop_duplicates("ENSG").set_index("ENSG").rename(columns={"chr": "chrom"})
    return counts, annot


def test_published_table_read_as_it_is(diploid) -> None:
    counts, annot = diploid
    assert counts.shape == (44, 60616)  # 60,622 rows; 6 IDs twice (PAR genes) are summed
    assert not counts.columns.str.contains(r"\.").any()
    assert counts.index[0] == "dipl_BALL1"
    assert counts.columns.isin(annot.index).mean() > 0.99


def test_each_diploid_profile_against_the_other_43(diploid) -> None:
    counts, annot = diploid
    annot = annot[annot["chrom"].isin([*map(str, range(1, 23)), "X", "Y"])]
    counts = counts[counts.columns.intersection(annot.index)]
    counts = counts.loc[:, (counts >= 10).mean(axis=0) >= 0.5]
    norm = counts / median_of_ratios(counts.to_numpy(float))[:, None]
    logn = np.log2(norm + 1)
    genes = annot.loc[counts.columns]
    arms = gene_arms(genes)
    order = genes.loc[arms.index[arms == "21q"], "start"].sort_values().index
    sex = infer_sex(norm, pd.Series(SEX_GENES))
    assert set(sex) == {"female", "male"}
    params = kt.KaryotypeParams()
    no_sites = pd.DataFrame(columns=["sample", "arm_label", "alt_reads", "depth"])
    got = {}
    for s in counts.index:
        rest = counts.index.drop(s)
        found = kt.call_karyotypes(
            logn.loc[[s]],
            logn.loc[rest],
            norm.loc[rest],
            arms,
            order,
            RUNX1,
            no_sites,
            sex.loc[[s]],
            sex.loc[rest],
            params,
        )
        summary = kt.summarise(found.table, sex[s], found.centres[s])
        got[s] = (summary.ploidy_class, found.iamp21[s])
    classes = pd.Series({s: c for s, (c, _) in got.items()})
    assert sum(amp for _, amp in got.values()) == 0  # no iAMP21 on a normal genome
    assert (classes == "diploid").all(), classes[classes != "diploid"]
