"""Shared fixtures: the tiny dataset is simulated once and the pipeline run once per session.

Stage tests read the run's outputs and compare them with the simulator's truth tables.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tkiseq.runner import RunConfig, run_pipeline

# Every command a test starts (bin/tkiseq, a module's script block, STAR wrappers) must use the
# interpreter running the tests, never whichever python3 comes first on the user's PATH.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``tiny`` preset (seed 1): inputs, references, FASTQs and ``truth/``."""
    from tkiseq.simulate import simulate

    out = tmp_path_factory.mktemp("tiny") / "data"
    simulate(out, preset="tiny", seed=1)
    return out


def tiny_config(data: Path, outdir: Path, **changes: object) -> RunConfig:
    """The ``tkiseq run`` parameters for the tiny dataset, as README's demo uses them."""
    params: dict[str, object] = {
        "input": data / "samplesheet.csv",
        "phenotypes": data / "phenotypes.csv",
        "cnv": data / "cnv.csv",
        "fasta": data / "genome.fa",
        "gtf": data / "genes.gtf",
        "dbsnp": data / "dbsnp.vcf.gz",
        "gene_sets": (data / "gene_sets.gmt",),
        "outdir": outdir,
        "threads": 2,
    }
    params.update(changes)
    return RunConfig(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def tiny_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``results/`` of the whole pipeline on the tiny dataset."""
    if shutil.which("STAR") is None:
        pytest.fail("STAR is not installed: run scripts/install.sh")
    out = tmp_path_factory.mktemp("tiny_run") / "results"
    run_pipeline(tiny_config(tiny_data, out))
    return out


@pytest.fixture(scope="session")
def cohort_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``cohort`` preset (seed 1, 51 samples): inputs, references, FASTQs and ``truth/``."""
    from tkiseq.simulate import simulate

    out = tmp_path_factory.mktemp("cohort") / "data"
    simulate(out, preset="cohort", seed=1)
    return out
