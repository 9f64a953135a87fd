"""Issue 14: a read-only output folder and a full disk give one line naming the folder and
the cause, not a traceback or a tool's misleading message.

Root ignores file permissions, so a chmod'ed folder proves nothing here; the folder is a
real read-only or tiny tmpfs mount when ``mount`` is permitted (root in a container that
allows it), and the test is skipped otherwise. The errno mapping itself is unit-tested
with constructed errors, which runs anywhere.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tkiseq.cli import main
from tkiseq.errors import environment_message

HEADER = "sample,fastq_1,fastq_2,strandedness"


@contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """``folder`` as a tmpfs mounted with ``options``; skips the test where mounting fails."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fusions_table(path: Path) -> Path:
    from tkiseq.fusions.call import COLUMNS

    path.write_text("\t".join(COLUMNS) + "\n")
    return path


def test_read_only_outdir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = fusions_table(tmp_path / "S1.fusions.tsv")
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        code = main(["fusions", "cohort", str(table), "--outdir", str(ro / "results")])
    assert code == 1
    assert capsys.readouterr().err == (
        f"tkiseq: error: {ro}: read-only file system; choose a writable --outdir\n"
    )


def test_full_disk_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = fusions_table(tmp_path / "S1.fusions.tsv")
    with tmpfs(tmp_path / "full", "size=64k") as full:
        filler = full / "filler"
        with filler.open("wb") as fh, pytest.raises(OSError, match="No space left"):
            fh.write(b"\0" * (1 << 20))
            fh.flush()
            os.fsync(fh.fileno())
        (full / "results").mkdir()
        code = main(["fusions", "cohort", str(table), "--outdir", str(full / "results")])
    assert code == 1
    assert capsys.readouterr().err == (
        f"tkiseq: error: {full / 'results'}: no space left on device;"
        " free space or choose another --outdir\n"
    )


def test_validate_refuses_a_too_small_disk_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    (data / "fastq").mkdir(parents=True)
    (data / "fastq" / "S1_R1.fastq.gz").write_bytes(b"\x1f\x8b" + os.urandom(599_998))
    (data / "ss.csv").write_text(f"{HEADER}\nS1,fastq/S1_R1.fastq.gz,,auto\n")
    (data / "ph.csv").write_text("sample\nS1\n")
    with tmpfs(tmp_path / "small", "size=1m") as small:
        argv = ["validate", "--input", str(data / "ss.csv"), "--phenotypes", str(data / "ph.csv")]
        code = main([*argv, "--outdir", str(small / "results" / "inputs")])
        left = list(small.iterdir())
    assert code == 2
    err = capsys.readouterr().err
    expected = f"tkiseq: error: {small}: only 1.0 MB free; the outputs need about 1.5 MB"
    assert err.startswith(expected)
    assert err.count("\n") == 1 and left == []


@pytest.mark.parametrize(
    ("code", "filename", "expected"),
    [
        (errno.EROFS, "/data/out/.x.tmp1.tsv", "/data/out: read-only file system"),
        (errno.ENOSPC, "/data/out/.x.tmp1.tsv", "/data/out: no space left on device"),
        (errno.EDQUOT, "/data/out/run", "/data/out: disk quota exceeded"),
        (errno.EACCES, "/data/out/run", "/data/out: permission denied"),
        (errno.EIO, None, "input/output error"),
    ],
)
def test_environment_message_names_the_folder(
    code: int, filename: str | None, expected: str
) -> None:
    exc = OSError(code, os.strerror(code), filename)
    message = environment_message(exc)
    assert message.startswith(expected) and "\n" not in message


def test_fasta_without_fai_in_a_read_only_folder(tmp_path: Path) -> None:
    from tkiseq.errors import InputError
    from tkiseq.inputs.references import check_fasta

    with tmpfs(tmp_path / "ref", "size=1m") as ref:
        fasta = ref / "genome.fa"
        fasta.write_text(">chr1\n" + "ACGT" * 25 + "\n")
        subprocess.run(["mount", "-o", "remount,ro", str(ref)], check=True)
        with pytest.raises(InputError) as caught:
            check_fasta(fasta)
    message = str(caught.value)
    assert message.startswith(
        f"{fasta}: no index (genome.fa.fai) beside it, and its folder is not writable to make one"
    )
    assert message.endswith(
        f"(run 'samtools faidx {fasta}' where you can write, or copy the FASTA to a writable"
        " folder)"
    )
