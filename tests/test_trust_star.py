"""Issue 14 with real STAR runs on a prefix of a tiny-dataset sample: uncompressed FASTQ
aligns like gzipped FASTQ, a GTF named differently from the FASTA gives outputs in the
FASTA's naming, and a full disk during alignment is one line naming the folder."""

from __future__ import annotations

import gzip
import itertools
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from bundles import bundle_of
from tkiseq.align.star import build_index, read_files_command
from tkiseq.cli import main
from tkiseq.fusions import stage_call
from tkiseq.splicing import stage as splicing_stage

pytestmark = pytest.mark.slow

SAMPLE = "BA_P01"  # BCR::ABL1 e1a2 and IKZF1 delta4-7 in the truth tables
PAIRS = 60_000  # of ~185,000: enough for both lesions to pass their filters


@pytest.fixture(scope="module")
def work(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A STAR index of the tiny genome and the first reads of one sample, gzipped and plain."""
    work = tmp_path_factory.mktemp("trust_star")
    build_index(
        tiny_data / "genome.fa", tiny_data / "genes.gtf", work / "index", threads=2, read_length=101
    )
    for mate in (1, 2):
        with gzip.open(tiny_data / "fastq" / f"{SAMPLE}_R{mate}.fastq.gz", "rb") as fh:
            head = b"".join(itertools.islice(fh, 4 * PAIRS))
        (work / f"R{mate}.fastq").write_bytes(head)
        (work / f"R{mate}.fastq.gz").write_bytes(gzip.compress(head, compresslevel=1))
    return work


def align(work: Path, r1: str, r2: str, outdir: Path) -> int:
    return main(
        [
            "align",
            "--sample",
            SAMPLE,
            "--fastq-1",
            str(work / r1),
            "--fastq-2",
            str(work / r2),
            "--star-index",
            str(work / "index"),
            "--outdir",
            str(outdir),
            "--threads",
            "2",
        ]
    )


def input_reads(outdir: Path) -> int:
    text = (outdir / f"{SAMPLE}.Log.final.out").read_text()
    return int(re.search(r"Number of input reads \|\s+(\d+)", text)[1])  # type: ignore[index]


@pytest.fixture(scope="module")
def gz_run(work: Path) -> Path:
    assert align(work, "R1.fastq.gz", "R2.fastq.gz", work / "gz") == 0
    return work / "gz"


def test_read_files_command_follows_content(work: Path) -> None:
    gz, plain = work / "R1.fastq.gz", work / "R1.fastq"
    assert read_files_command([gz, gz]) == ["--readFilesCommand", "gzip", "-cd"]
    assert read_files_command([plain, plain]) == []
    assert read_files_command([gz, plain]) == ["--readFilesCommand", "gzip", "-cdf"]


@pytest.mark.parametrize(("r1", "r2"), [("R1.fastq", "R2.fastq"), ("R1.fastq.gz", "R2.fastq")])
def test_uncompressed_fastq_aligns_like_gzipped(work: Path, gz_run: Path, r1: str, r2: str) -> None:
    out = work / f"{r1}-{r2}"
    assert align(work, r1, r2, out) == 0
    assert input_reads(out) == input_reads(gz_run) == PAIRS
    counts = (out / f"{SAMPLE}.ReadsPerGene.out.tab").read_text()
    assert counts == (gz_run / f"{SAMPLE}.ReadsPerGene.out.tab").read_text()


def test_renamed_gtf_gives_outputs_in_the_fasta_naming(
    tiny_data: Path, work: Path, gz_run: Path
) -> None:
    """The tiny FASTA says chr1...; a GTF saying 1... must not change any output."""
    renamed = work / "renamed.gtf"
    text = (tiny_data / "genes.gtf").read_text()
    renamed.write_text(re.sub(r"^chr", "", text, flags=re.MULTILINE))
    tables = {}
    for name, gtf in (("original", tiny_data / "genes.gtf"), ("renamed", renamed)):
        annotation = bundle_of(gtf, tiny_data / "genome.fa")
        prefix = gz_run / SAMPLE
        inputs = stage_call.Inputs(
            sample=SAMPLE,
            chimeric=Path(f"{prefix}.Chimeric.out.junction"),
            sj=Path(f"{prefix}.SJ.out.tab"),
            annotation=annotation,
            log_final=Path(f"{prefix}.Log.final.out"),
            fasta=tiny_data / "genome.fa",
            bam=Path(f"{prefix}.bam"),
        )
        fusions = stage_call.run(inputs, stage_call.Params(), work / name)
        splice = splicing_stage.Inputs(
            sample=SAMPLE, sj=Path(f"{prefix}.SJ.out.tab"), annotation=annotation
        )
        lesions = splicing_stage.run(splice, splicing_stage.Params(), work / name)
        tables[name] = (pd.read_csv(fusions, sep="\t"), pd.read_csv(lesions, sep="\t"))
    pd.testing.assert_frame_equal(tables["renamed"][0], tables["original"][0])
    pd.testing.assert_frame_equal(tables["renamed"][1], tables["original"][1])
    fusions, lesions = tables["renamed"]
    bcr_abl1 = fusions[(fusions.gene5 == "BCR") & (fusions.gene3 == "ABL1")].iloc[0]
    assert (bcr_abl1.breakpoint5, bcr_abl1.breakpoint3) == ("chr22:40597:+", "chr9:176725:+")
    assert lesions.loc[lesions.lesion == "IKZF1_del4-7", "intron"].tolist() == ["chr7:74655-82878"]


def test_full_disk_during_alignment_is_one_line(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = work / "small"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        code = align(work, "R1.fastq.gz", "R2.fastq.gz", folder / "align")
        left = [p.name for p in (folder / "align").iterdir()]
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert re.fullmatch(
        rf"tkiseq: error: {folder / 'align'}: no space left on device \((STAR alignment of"
        rf" {SAMPLE}|duplicate marking of {SAMPLE} \(samtools \w+\)) could not write its"
        r" output\); free space or choose another"
        r" --outdir\n",
        err,
    ), err
    assert left == []  # the temporary folder is gone


def descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (children of every thread, recursively), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(("signum", "code", "name"), [(15, 143, "SIGTERM"), (2, 130, "SIGINT")])
def test_interrupted_alignment_stops_star_and_leaves_nothing(
    work: Path, signum: int, code: int, name: str
) -> None:
    import sys
    import time

    out = work / f"interrupted-{name}"
    cmd = [
        sys.executable,
        "-m",
        "tkiseq",
        "align",
        "--sample",
        SAMPLE,
        "--fastq-1",
        str(work / "R1.fastq.gz"),
        "--fastq-2",
        str(work / "R2.fastq.gz"),
        "--star-index",
        str(work / "index"),
        "--outdir",
        str(out),
        "--threads",
        "1",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    star: list[int] = []
    deadline = time.monotonic() + 120
    while not star and time.monotonic() < deadline:
        time.sleep(0.2)
        star = [p for p in descendants(proc.pid) if "STAR" in cmdline(p)]
    assert star, "STAR never started"
    time.sleep(1)  # STAR is loading the index or aligning
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert err.splitlines()[-1] == f"tkiseq: interrupted ({name}): stopped, temporaries removed"
    assert "Traceback" not in err
    assert [cmdline(p) for p in star if alive(p)] == []  # STAR and its gzip -cd are gone
    assert list(out.iterdir()) == []  # no temporaries, nothing that looks finished
