"""BCR::ABL1 expression reported by ``tkiseq fusions call`` against the truth, whole cohort.

Run from the repository root:

    python -m tests.benchmarks.bench_fusion_expression [--workdir /tmp/tkiseq-bench-fusion-expr]

Simulates the ``cohort`` preset (51 samples, each BCR::ABL1 positive: e1a2, e13a2 and e14a2),
aligns every sample with STAR and calls fusions, then prints the Spearman correlation of the
reported ``expression_fpm`` (and of plain ``ffpm``) with the truth (BCR::ABL1 fragments per
million read pairs written). ``tests/test_fusions_cohort.py`` runs the same on the first 24.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr
from tests.fusion_cohort import align_and_call, bcr_abl1_expression

from tkiseq.simulate import simulate


def bench(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    data = workdir / "data"
    t0 = time.perf_counter()
    simulate(data, preset="cohort", seed=1)
    samples = list(pd.read_csv(data / "samplesheet.csv")["sample"])
    t1 = time.perf_counter()
    calls = align_and_call(data, samples, workdir / "work")
    t2 = time.perf_counter()
    both = bcr_abl1_expression(data, calls)
    n = len(samples)
    print(f"simulate {t1 - t0:.0f} s; STAR + fusions call on {n} samples {t2 - t1:.0f} s")
    print(f"isoforms: {both['isoform'].value_counts().to_dict()}")
    for column in ("expression_fpm", "ffpm"):
        rho = spearmanr(both["truth_fpm"], both[column]).statistic
        print(f"Spearman(truth fragments per million, {column}) = {rho:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-fusion-expr"))
    bench(parser.parse_args().workdir)


if __name__ == "__main__":
    main()
