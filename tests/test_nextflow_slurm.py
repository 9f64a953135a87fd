"""The pipeline on a real SLURM cluster of one node (this machine), through Nextflow's slurm
executor: `nextflow run . -profile test,slurm` on the tiny dataset.

Every task must be a SLURM job (its native_id in the trace is a job id the controller recorded
as COMPLETED), and the published results must equal `tkiseq run`'s (the session's
`tiny_run`), as the local executor's do. The daemons are started for the test and stopped after
it. Skipped, with the reason, where Debian's slurm-wlm and munge are not installed
(scripts/install.sh installs them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nextflow_engine import (
    PROCESSES,
    compare_launch_results,
    nextflow_run,
    process_name,
    tiny_launch_dir,
)
from slurm_cluster import completed_jobs, missing_tools, slurm_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    missing = missing_tools()
    if missing:
        pytest.skip(
            f"SLURM not installed (no {', '.join(missing)}): apt-get install slurm-wlm munge"
        )
    root = tmp_path_factory.mktemp("slurm")
    with slurm_cluster(root) as env:
        yield root, env


def test_every_task_runs_as_a_slurm_job(cluster, tiny_data: Path, tiny_run: Path, tmp_path: Path):
    root, env = cluster
    launch = tiny_launch_dir(tiny_data, tmp_path / "launch", own_copy="")
    run = nextflow_run(launch, "-profile", "test,slurm", trace="trace_slurm.tsv", env=env)
    assert run.proc.returncode == 0, run.output[-4000:]
    print(f"\nSLURM run ({run.seconds:.0f} s): {run.summary()}")

    assert {process_name(row) for row in run.trace} == PROCESSES
    jobs = completed_jobs(root)
    for row in run.trace:
        assert row["status"] == "COMPLETED", row
        job = jobs.get(row["native_id"])
        assert job, f"{row['name']}: native_id {row['native_id']!r} is no SLURM job"
        assert job["JobState"] == "COMPLETED" and job["Name"].startswith("nf-"), job
    assert len(jobs) == len(run.trace), "one SLURM job per task"

    problems = compare_launch_results(launch, tiny_data, tiny_run)
    assert not problems, "\n".join(problems)
