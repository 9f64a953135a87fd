"""The real Nextflow engine runs the pipeline from a count matrix (``--counts``, no reads): only
the cohort stages run, with no FASTA or dbSNP, and the report is written and says how the run
ended.

The matrix is written here (the tiny dataset's genes x its phenotype samples, seeded counts),
so the run needs no STAR and takes a few minutes.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nextflow_engine import nextflow_run, process_name
from tkiseq.stages import STAGES

pytestmark = pytest.mark.slow

# The processes a run from a count matrix has (the registry's `when`), and those it must not
MATRIX = {"counts": ["matrix.tsv"], "gene_sets": ["gene_sets.gmt"], "cnv": "cnv.csv"}
COHORT_ONLY = {s.process for s in STAGES if s.runs(MATRIX)}
NEED_READS = {s.process for s in STAGES} - COHORT_ONLY


def _write_matrix(data: Path, path: Path) -> list[str]:
    """genes x samples counts for the tiny dataset's GTF genes and phenotype samples."""
    genes = sorted(set(re.findall(r'gene_id "([^"]+)"', (data / "genes.gtf").read_text())))
    with open(data / "phenotypes.csv", newline="") as handle:
        samples = [row["sample"] for row in csv.DictReader(handle)]
    rng = np.random.default_rng(7)
    means = rng.lognormal(5, 1.5, size=len(genes))
    counts = rng.poisson(means[:, None] * rng.uniform(0.7, 1.3, size=(1, len(samples))))
    with open(path, "w") as handle:
        handle.write("gene_id\t" + "\t".join(samples) + "\n")
        for gene, row in zip(genes, counts, strict=True):
            handle.write(gene + "\t" + "\t".join(str(v) for v in row) + "\n")
    return samples


def test_a_count_matrix_runs_only_the_cohort_stages(tiny_data: Path, tmp_path: Path) -> None:
    launch = tmp_path / "launch"
    tiny = launch / "tiny"
    tiny.mkdir(parents=True)
    for name in ("phenotypes.csv", "cnv.csv", "genes.gtf", "gene_sets.gmt"):
        (tiny / name).symlink_to(tiny_data / name)
    samples = _write_matrix(tiny_data, tiny / "matrix.tsv")
    # the test profile's reads and genome unset: a count matrix needs neither
    unset = {"input": None, "fasta": None, "dbsnp": None, "counts": "tiny/matrix.tsv"}
    (launch / "params.json").write_text(json.dumps(unset))
    assert {"TKISEQ_ALIGN", "TKISEQ_STAR_INDEX", "TKISEQ_VARIANTS_CALL"} <= NEED_READS

    run = nextflow_run(
        launch, "-profile", "test", "-params-file", "params.json", trace="trace_matrix.tsv"
    )
    assert run.proc.returncode == 0, run.output[-4000:]
    ran = {process_name(row) for row in run.trace}
    assert ran == COHORT_ONLY, f"missing: {COHORT_ONLY - ran}; need reads: {ran & NEED_READS}"
    assert {row["status"] for row in run.trace} == {"COMPLETED"}

    results = launch / "results"
    with open(results / "expression" / "counts.tsv") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    assert header[header.index("gene_name") + 1 :] == samples  # gene_id, gene_name, samples
    assert not (results / "align").exists() and not (results / "variants").exists()
    report = (results / "report" / "report.html").read_text()
    assert "Run COMPLETED" in report and "RUNNING" not in report.split("<script")[0]
    print(f"\nmatrix run ({run.seconds:.0f} s): {run.summary()}")


def test_reads_and_a_count_matrix_together_stop_before_any_task(
    tiny_data: Path, tmp_path: Path
) -> None:
    launch = tmp_path / "launch"
    launch.mkdir()
    (launch / "tiny").symlink_to(tiny_data)
    run = nextflow_run(
        launch,
        "-profile",
        "test",
        "--counts",
        "tiny/genes.gtf",
        "-w",
        "bad_work",
        trace="trace_bad.tsv",
        timeout=600,
    )
    assert run.proc.returncode != 0
    errors = [line for line in run.output.splitlines() if "tkiseq: error:" in line]
    assert errors == [
        "tkiseq: error: --counts: give reads (--input) or a count matrix (--counts), not both"
    ], run.output[-2000:]
    assert "Submitted process" not in run.output
