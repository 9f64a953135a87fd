"""No traceback anywhere: every stage's command line, as the registry builds it, on inputs that
are empty or edge cases, ends in one `tkiseq: error:` line or in success with warnings."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tkiseq.stages import STAGES, Stage, command_line

VALUES = {"sample": "S1", "phenotype": "auc_imatinib", "threads": "1", "strandedness": "auto"}


def _tkiseq(args: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tkiseq", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _one_line_or_success(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        assert last.startswith("tkiseq: error: "), proc.stderr[-2000:]


def _templates(stage: Stage) -> set[str]:
    names = set()
    for option in stage.options:
        names |= {f for _, f, _, _ in string.Formatter().parse(option.value) if f}
    return names


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_given_empty_files_says_so_in_one_line(stage: Stage, tmp_path: Path) -> None:
    """Every file a stage reads is there but empty (a failed download, a truncated copy)."""

    def empty(name: str) -> str:
        path = tmp_path / "in" / name.format(**VALUES)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return str(path)

    context: dict[str, object] = {n: empty(f"{n}.file") for n in _templates(stage)}
    context |= {k: v for k, v in VALUES.items() if k in context}
    context.pop("counts", None)  # a run from reads: every read-stage option applies
    context.pop("bam", None)

    rendered = command_line(
        stage, context, lambda producer, name: [empty(name)], str(tmp_path / "out")
    )
    _one_line_or_success(_tkiseq(rendered.args))


def _matrix(tmp_path: Path, values: np.ndarray, samples: list[str]) -> Path:
    table = pd.DataFrame(values, columns=samples, index=[f"G{i}" for i in range(len(values))])
    table.index.name = "gene_id"
    table.to_csv(tmp_path / "m.tsv", sep="\t")
    return tmp_path / "m.tsv"


def _phenotypes(tmp_path: Path, samples: list[str], auc: list[float], **extra) -> Path:
    frame = pd.DataFrame({"sample": samples, "auc_imatinib": auc, **extra})
    frame.to_csv(tmp_path / "p.csv", index=False, na_rep="NA")
    return tmp_path / "p.csv"


def _rng_counts(genes: int, samples: int) -> np.ndarray:
    return np.random.default_rng(4).poisson(30, size=(genes, samples))


SIX = [f"S{i}" for i in range(1, 7)]
CASES = {
    "empty matrix": lambda t: (
        _matrix(t, np.zeros((0, 6), int), SIX),
        _phenotypes(t, SIX, [1, 2, 3, 4, 5, 6]),
    ),
    "one sample": lambda t: (_matrix(t, _rng_counts(60, 1), ["S1"]), _phenotypes(t, ["S1"], [1])),
    "all-zero genes": lambda t: (
        _matrix(t, np.zeros((60, 6), int), SIX),
        _phenotypes(t, SIX, [1, 2, 3, 4, 5, 6]),
    ),
    "constant phenotype": lambda t: (
        _matrix(t, _rng_counts(60, 6), SIX),
        _phenotypes(t, SIX, [5.0] * 6),
    ),
    "NaN in a covariate": lambda t: (
        _matrix(t, _rng_counts(60, 6), SIX),
        _phenotypes(t, SIX, [1, 2, 3, 4, 5, 6], age=[3, np.nan, 5, 6, np.nan, 8]),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_de_on_edge_case_cohorts_says_so_in_one_line(case: str, tmp_path: Path) -> None:
    """`tkiseq de` reads the matrix directly, as a user with a lab's table would run it."""
    matrix, phenotypes = CASES[case](tmp_path)
    proc = _tkiseq(
        [
            "de",
            "--counts",
            str(matrix),
            "--phenotypes",
            str(phenotypes),
            "--phenotype",
            "auc_imatinib",
            "--outdir",
            str(tmp_path / "out"),
        ]
    )
    _one_line_or_success(proc)


def test_prepare_on_a_gtf_without_cds(tmp_path: Path) -> None:
    rows = [
        'chr1\tt\tgene\t1\t500\t.\t+\t.\tgene_id "G1"; gene_name "A";',
        'chr1\tt\ttranscript\t1\t500\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "A";',
        'chr1\tt\texon\t1\t500\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "A";',
    ]
    (tmp_path / "g.gtf").write_text("\n".join(rows) + "\n")
    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGT" * 200 + "\n")
    proc = _tkiseq(
        [
            "prepare",
            "--gtf",
            str(tmp_path / "g.gtf"),
            "--fasta",
            str(tmp_path / "g.fa"),
            "--outdir",
            str(tmp_path / "ref"),
        ]
    )
    _one_line_or_success(proc)
