"""STAR + ``tkiseq fusions call`` on simulated cohort samples, and the truth to score them by.

Shared by ``test_fusions_cohort.py`` (a prefix of the cohort) and
``tests/benchmarks/bench_fusion_expression.py`` (all of it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from bundles import bundle_of
from tkiseq.align.star import align_sample, build_index
from tkiseq.fusions import stage_call, stage_cohort
from tkiseq.stage_options import NoParams

READ_LENGTH = 101


def align_and_call(data: Path, samples: list[str], work: Path, workers: int = 2) -> pd.DataFrame:
    """Align ``samples`` (one STAR thread each, ``workers`` at once) and call their fusions."""
    index = work / "star_index"
    build_index(
        data / "genome.fa", data / "genes.gtf", index, threads=workers, read_length=READ_LENGTH
    )
    fastq = data / "fastq"

    def one(sample: str) -> Path:
        align = work / "align"
        align_sample(
            sample,
            fastq / f"{sample}_R1.fastq.gz",
            fastq / f"{sample}_R2.fastq.gz",
            index,
            align,
            threads=1,
        )
        prefix = align / sample
        inputs = stage_call.Inputs(
            sample=sample,
            chimeric=Path(f"{prefix}.Chimeric.out.junction"),
            sj=Path(f"{prefix}.SJ.out.tab"),
            annotation=bundle_of(data / "genes.gtf"),
            log_final=Path(f"{prefix}.Log.final.out"),
        )
        return stage_call.run(inputs, stage_call.Params(), work / "fusions")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        tables = list(pool.map(one, samples))
    cohort = stage_cohort.run(stage_cohort.Inputs(tuple(tables)), NoParams(), work / "fusions")
    return pd.read_csv(
        cohort, sep="\t", keep_default_na=False, dtype={"expression_fpm": float, "ffpm": float}
    )


def bcr_abl1_expression(data: Path, calls: pd.DataFrame) -> pd.DataFrame:
    """Per sample: truth BCR::ABL1 fragments per million read pairs, and what was reported.

    The reported value sums the sample's high/medium BCR::ABL1 rows (one per breakpoint).
    """
    truth = pd.read_csv(data / "truth" / "fusions.tsv", sep="\t", keep_default_na=False)
    pairs = pd.read_csv(data / "truth" / "samples.tsv", sep="\t").set_index("sample")
    planted = truth[(truth["gene5"] == "BCR") & (truth["gene3"] == "ABL1")].set_index("sample")
    planted = planted[planted.index.isin(calls["sample"])]
    truth_fpm = planted["fragments"] / pairs.loc[planted.index, "read_pairs"] * 1e6
    found = calls[
        (calls["gene5"] == "BCR")
        & (calls["gene3"] == "ABL1")
        & calls["confidence"].isin({"high", "medium"})
    ]
    reported = found.groupby("sample")[["expression_fpm", "ffpm"]].sum()
    return (
        pd.DataFrame({"isoform": planted["isoform"], "truth_fpm": truth_fpm})
        .join(reported, how="left")
        .fillna({"expression_fpm": 0.0, "ffpm": 0.0})
    )
