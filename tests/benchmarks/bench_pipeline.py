"""Wall time and peak memory of the whole tiny run and of one ``cohort`` sample.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.bench_pipeline [--workdir /tmp/tkiseq-bench]

Simulation time is reported apart from the pipeline's. Figures come from the pipeline's own
``trace.tsv`` (per task) and from the resource usage of the ``tkiseq run`` process tree.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd
from tests.benchmarks.measure import timed


def _run_args(data: Path, inputs: dict[str, Path], out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tkiseq",
        "run",
        "--input",
        str(inputs["samplesheet"]),
        "--phenotypes",
        str(inputs["phenotypes"]),
        "--cnv",
        str(inputs["cnv"]),
        "--fasta",
        str(data / "genome.fa"),
        "--gtf",
        str(data / "genes.gtf"),
        "--dbsnp",
        str(data / "dbsnp.vcf.gz"),
        "--gene-sets",
        str(data / "gene_sets.gmt"),
        "--outdir",
        str(out),
        "--threads",
        "2",
    ]


def _first_sample(data: Path) -> dict[str, Path]:
    """Samplesheet, phenotypes and cnv of the dataset's first sample only."""
    tables = {}
    first = pd.read_csv(data / "samplesheet.csv")["sample"].iloc[0]
    for name in ("samplesheet", "phenotypes", "cnv"):
        table = pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
        tables[name] = data / f"one_{name}.csv"
        table[table["sample"] == first].to_csv(tables[name], index=False)
    return tables


def _simulate(preset: str, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    wall, _ = timed(
        [sys.executable, "-m", "tkiseq", "simulate", "--preset", preset, "--outdir", str(out)]
    )
    return wall


def bench(workdir: Path) -> None:
    tiny = workdir / "tiny"
    sim = _simulate("tiny", tiny)
    inputs = {name: tiny / f"{name}.csv" for name in ("samplesheet", "phenotypes", "cnv")}
    wall, rss = timed(_run_args(tiny, inputs, workdir / "tiny_results"))
    trace = pd.read_csv(workdir / "tiny_results" / "pipeline_info" / "trace.tsv", sep="\t")
    print(f"tiny: simulate {sim:.1f} s; tkiseq run {wall:.1f} s wall, peak RSS {rss:.0f} MB")
    print(trace[["stage", "sample", "wall_s", "cpu_s", "peak_rss_mb"]].to_string(index=False))

    cohort = workdir / "cohort"
    sim = _simulate("cohort", cohort)
    out = workdir / "cohort_one"
    shutil.rmtree(out, ignore_errors=True)
    wall, rss = timed(_run_args(cohort, _first_sample(cohort), out))
    trace = pd.read_csv(out / "pipeline_info" / "trace.tsv", sep="\t")
    align = trace[trace["stage"] == "align"].iloc[0]
    print(
        f"cohort: simulate {sim:.1f} s (51 samples); one sample: tkiseq run {wall:.1f} s, "
        f"peak RSS {rss:.0f} MB; its align task {align.wall_s:.1f} s wall, "
        f"{align.cpu_s:.1f} s CPU, {align.peak_rss_mb:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench"))
    bench(parser.parse_args().workdir)


if __name__ == "__main__":
    main()
