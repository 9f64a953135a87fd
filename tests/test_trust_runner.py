"""Issue 14 with real ``tkiseq run`` processes on the tiny dataset: Ctrl-C and SIGTERM stop
every child and leave a clean, resumable folder; a SIGKILLed runner takes its stages with
it; ``--resume`` sweeps what a kill left; warnings reach the console and warnings.tsv; an
output folder of another run is refused."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_trust_star import alive, cmdline, descendants
from tkiseq.align.star import build_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny dataset with BA_P06 missing from the phenotypes (two warnings to expect),
    and a STAR index built once for every run here."""
    work = tmp_path_factory.mktemp("trust_runner")
    lines = (tiny_data / "phenotypes.csv").read_text().splitlines()
    pheno = work / "phenotypes.csv"
    pheno.write_text("\n".join(ln for ln in lines if not ln.startswith("BA_P06,")) + "\n")
    index = work / "index"
    build_index(tiny_data / "genome.fa", tiny_data / "genes.gtf", index, threads=2, read_length=101)
    return {"data": tiny_data, "phenotypes": pheno, "index": index, "work": work}


def run_command(inputs: dict[str, Path], outdir: Path, *extra: str) -> list[str]:
    data = inputs["data"]
    return [
        sys.executable,
        "-m",
        "tkiseq",
        "run",
        "--input",
        str(data / "samplesheet.csv"),
        "--phenotypes",
        str(inputs["phenotypes"]),
        "--cnv",
        str(data / "cnv.csv"),
        "--fasta",
        str(data / "genome.fa"),
        "--gtf",
        str(data / "genes.gtf"),
        "--dbsnp",
        str(data / "dbsnp.vcf.gz"),
        "--gene-sets",
        str(data / "gene_sets.gmt"),
        "--star-index",
        str(inputs["index"]),
        "--outdir",
        str(outdir),
        "--threads",
        "2",
        *extra,
    ]


def start_until_aligning(cmd: list[str]) -> tuple[subprocess.Popen, list[int]]:
    """Start ``tkiseq run`` and return once STAR aligns reads, with every process below it."""
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        below = descendants(proc.pid)
        if any("alignReads" in cmdline(p) for p in below):
            time.sleep(2)  # STAR has started writing its temporaries
            return proc, descendants(proc.pid)
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("no alignment started within 300 s")


def hidden_entries(outdir: Path) -> list[Path]:
    return [p for p in outdir.rglob(".*") if p.relative_to(outdir).parts[0] != ".tkiseq"]


def trace_rows(outdir: Path) -> list[dict[str, str]]:
    lines = (outdir / "pipeline_info" / "trace.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_stops_every_child_and_records_the_run(
    inputs: dict[str, Path], signum: int, code: int
) -> None:
    outdir = inputs["work"] / f"interrupted-{signum}"
    proc, below = start_until_aligning(run_command(inputs, outdir))
    assert hidden_entries(outdir), "no temporaries to clean up: the test proves nothing"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    name = signal.Signals(signum).name
    assert proc.returncode == code
    assert err.splitlines()[-1] == f"tkiseq: interrupted ({name}): stopped, temporaries removed"
    assert "Traceback" not in err and "aborted" not in err
    assert [cmdline(p) for p in below if alive(p)] == []  # STAR and every stage are gone
    assert hidden_entries(outdir) == []
    run = json.loads((outdir / "pipeline_info" / "run.json").read_text())
    assert run["status"] == "ABORTED" and run["finished"]
    rows = trace_rows(outdir)
    assert [r["status"] for r in rows if r["stage"] == "validate"] == ["COMPLETED"]
    assert {r["status"] for r in rows if r["stage"] == "align"} == {"ABORTED"}


def test_killed_runner_takes_its_stages_and_resume_sweeps_and_completes(
    inputs: dict[str, Path],
) -> None:
    outdir = inputs["work"] / "killed"
    proc, below = start_until_aligning(run_command(inputs, outdir))
    proc.kill()  # SIGKILL: the runner cannot clean up; its stages must stop by themselves
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while any(alive(p) for p in below) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [cmdline(p) for p in below if alive(p)] == []
    run = json.loads((outdir / "pipeline_info" / "run.json").read_text())
    assert run["status"] == "RUNNING"  # what a SIGKILL leaves; --resume continues it
    assert [r["stage"] for r in trace_rows(outdir)] == ["validate", "prepare"]  # appended, survives
    stale = outdir / "align" / "BA_P01" / ".BA_P01.tmpstale"  # as a power cut would leave
    (stale / "STARtmp").mkdir(parents=True)
    (stale / "BA_P01.Aligned.out.bam").write_bytes(b"\0" * 1000)

    done = subprocess.run(
        run_command(inputs, outdir, "--resume"), capture_output=True, text=True, timeout=3600
    )
    assert done.returncode == 0, done.stderr
    assert "removed 1 temporary file(s) or folder(s) of an earlier run" in done.stderr
    assert hidden_entries(outdir) == []
    assert json.loads((outdir / "pipeline_info" / "run.json").read_text())["status"] == (
        "COMPLETED"
    )
    # warnings: on the console as they happen, in the closing summary, and in warnings.tsv
    missing = (
        f"{inputs['phenotypes']}: no row for 1 samplesheet sample(s): BA_P06; they are left"
        " out of differential expression and response analyses"
    )
    assert f"[tkiseq] warning: validate: {missing}" in done.stderr
    assert f"[tkiseq]   validate: {missing}" in done.stderr
    rows = (outdir / "pipeline_info" / "warnings.tsv").read_text().splitlines()
    assert rows[0] == "stage\tsample\tmessage"
    assert f"validate\t\t{missing}" in rows
    dropped = [r for r in rows if r.startswith("de\tauc_imatinib\t")]
    assert dropped == [
        "de\tauc_imatinib\tdifferential expression: 1 sample(s) left out for lack of"
        " auc_imatinib: BA_P06"
    ]

    # the folder now holds a finished run: another samplesheet may not write into it
    other = inputs["work"] / "other.csv"
    shutil.copy(inputs["data"] / "samplesheet.csv", other)
    cmd = run_command(inputs, outdir)
    cmd[cmd.index("--input") + 1] = str(other)
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"tkiseq: error: {outdir}: holds the results of another run (samplesheet"
        f" {inputs['data'] / 'samplesheet.csv'}, started {run_started(outdir)}, completed)"
        " (--resume continues it, --overwrite replaces it, or choose another --outdir)\n"
    )


def run_started(outdir: Path) -> str:
    return json.loads((outdir / "pipeline_info" / "run.json").read_text())["started"]
