"""STAR genome index and alignment, then duplicate marking with samtools (bundled in pysam).

Chimeric detection uses the settings Arriba recommends (docs/science.md#star-settings), with
multimapping chimeras written to ``Chimeric.out.junction`` in format 1.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pysam

from tkiseq import __version__
from tkiseq.align import fastq
from tkiseq.align.strandedness import read_reads_per_gene, resolve
from tkiseq.atomic import atomic_dir
from tkiseq.errors import InputError, ToolError, disk_full
from tkiseq.genome.contigs import require_shared
from tkiseq.genome.gtf import iter_records, open_text
from tkiseq.genome.sources import file_identity, same_source
from tkiseq.stage_options import option, positive_int
from tkiseq.stages import ALIGN_SUFFIXES as OUTPUT_SUFFIXES

log = logging.getLogger(__name__)

INDEX_MANIFEST = "tkiseq_index.json"  # the FASTA and GTF an index was built from
# Disk per genome base of a STAR index (SA, Genome, SAindex): 10.5 measured on the deep preset
# (40.4 MB for 3.85 Mb); GRCh38's is ~30 GB for 3.1 Gb (9.7).
INDEX_BYTES_PER_BASE = 10.5
STAR_INSTALL_HINT = (
    "install STAR >= 2.7.6a: 'apt-get install rna-star' on Debian/Ubuntu, "
    "'conda install -c bioconda star', or use -profile docker with Nextflow"
)

# Arriba's recommended STAR settings (STAR >= 2.7.6a) plus STAR-Fusion's junction format.
CHIMERIC_ARGS = [
    "--outFilterMultimapNmax",
    "50",
    "--peOverlapNbasesMin",
    "10",
    "--alignSplicedMateMapLminOverLmate",
    "0.5",
    "--alignSJstitchMismatchNmax",
    "5",
    "-1",
    "5",
    "5",
    "--chimSegmentMin",
    "10",
    "--chimJunctionOverhangMin",
    "10",
    "--chimScoreDropMax",
    "30",
    "--chimScoreJunctionNonGTAG",
    "0",
    "--chimScoreSeparation",
    "1",
    "--chimSegmentReadGapMax",
    "3",
    "--chimMultimapNmax",
    "50",
    "--chimOutType",
    "Junctions",
    "--chimOutJunctionFormat",
    "1",
]


@dataclass(frozen=True)
class IndexParams:
    """The index's read length (STAR's --sjdbOverhang is read_length - 1: junction flanks) and
    STAR's threads."""

    read_length: int = option(101, help="sets --sjdbOverhang to read length - 1")
    threads: int = option(1, type=positive_int, help="STAR threads")


def star_binary() -> str:
    """Path of STAR, or a ToolError that says how to install it."""
    star = shutil.which("STAR")
    if star is None:
        raise ToolError(f"STAR not found on PATH; {STAR_INSTALL_HINT}")
    return star


def star_version() -> str:
    return subprocess.run(
        [star_binary(), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to a tool's process group (it runs in its own session), SIGKILL after
    ``grace`` seconds; returns when the tool is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _raise_if_disk_full(folder: Path, what: str) -> None:
    """Tools report a full disk in their own words ('Couldn't write to output file: No such
    file or directory'); say what it is, naming the output folder (not the hidden temporary
    folder inside it)."""
    if disk_full(folder):
        while folder.name.startswith("."):
            folder = folder.parent
        raise ToolError(
            f"{folder}: no space left on device ({what} could not write its output);"
            " free space or choose another --outdir"
        )


def _samtools(command: str, *args: str, work: Path) -> None:
    """One ``pysam.samtools`` command; its failure becomes a one-line ToolError."""
    try:
        getattr(pysam.samtools, command)(*args, catch_stdout=False)
    except pysam.utils.SamtoolsError as exc:
        _raise_if_disk_full(work, f"samtools {command}")
        raise ToolError(f"samtools {command} failed: {' '.join(str(exc).split())}") from None


def fasta_contigs(fasta: Path) -> dict[str, int]:
    """Contig lengths from the ``.fai`` beside the FASTA, else by reading it once."""
    fai = Path(f"{fasta}.fai")
    if fai.exists() and fasta.suffix != ".gz":
        with fai.open() as fh:
            return {f[0]: int(f[1]) for f in (line.split("\t") for line in fh)}
    lengths: dict[str, int] = {}
    name = None
    with open_text(fasta) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.startswith(">"):
                name = line[1:].split()[0]
                lengths[name] = 0
            elif name is None:
                raise InputError(fasta, "sequence before the first '>' header", line=lineno)
            else:
                lengths[name] += len(line.strip())
    if not lengths:
        raise InputError(fasta, "no sequences", hint="is this a FASTA file?")
    return lengths


def _plain_copy(src: Path, dest: Path) -> Path:
    """STAR reads plain text only: decompress a ``.gz`` input into ``dest``."""
    if src.suffix != ".gz":
        return src
    with gzip.open(src, "rb") as fin, dest.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return dest


def harmonised_gtf(gtf: Path, contigs: dict[str, int], workdir: Path) -> Path:
    """The GTF with contig names as in the FASTA; genes on contigs the FASTA lacks dropped."""
    gtf_contigs: dict[str, None] = {}
    for _, fields in iter_records(gtf, frozenset({"exon"})):
        gtf_contigs.setdefault(fields[0])
    mapping = require_shared(str(gtf), gtf_contigs, "the FASTA", contigs)
    if all(mapping.get(c) == c for c in gtf_contigs):
        return _plain_copy(gtf, workdir / "annotation.gtf")
    dropped = [c for c in gtf_contigs if c not in mapping]
    if dropped:
        log.warning("%s: %d contig(s) absent from the FASTA skipped", gtf, len(dropped))
    out = workdir / "annotation.gtf"
    with open_text(gtf) as fin, out.open("w") as fout:
        for line in fin:
            if line.startswith("#"):
                continue
            contig, sep, rest = line.partition("\t")
            if contig in mapping:
                fout.write(f"{mapping[contig]}{sep}{rest}")
    return out


def index_parameters(contigs: dict[str, int], read_length: int) -> list[str]:
    """Size-dependent STAR settings the manual prescribes for small or fragmented genomes."""
    total = sum(contigs.values())
    sa_bits = min(14, int(math.log2(total) / 2 - 1))
    chr_bits = min(18, int(math.log2(max(total / len(contigs), read_length))))
    return [
        "--genomeSAindexNbases",
        str(sa_bits),
        "--genomeChrBinNbits",
        str(chr_bits),
        "--sjdbOverhang",
        str(read_length - 1),
    ]


def index_bytes(fasta: Path) -> int:
    """About the disk space a STAR index of ``fasta`` takes."""
    return int(INDEX_BYTES_PER_BASE * sum(fasta_contigs(fasta).values()))


def build_index(fasta: Path, gtf: Path, outdir: Path, *, threads: int, read_length: int) -> None:
    """Build a STAR index with the GTF's splice junctions; ``outdir`` appears only when done."""
    star = star_binary()
    contigs = fasta_contigs(fasta)
    hidden = f".{outdir.name}.tmp"  # swept by --resume if a kill leaves it behind
    with (
        atomic_dir(outdir) as tmp,
        tempfile.TemporaryDirectory(prefix=hidden, dir=outdir.parent) as work,
    ):
        work_dir = Path(work)
        annotation = harmonised_gtf(gtf, contigs, work_dir)
        genome = _plain_copy(fasta, work_dir / "genome.fa")
        cmd = [
            star,
            "--runMode",
            "genomeGenerate",
            "--runThreadN",
            str(threads),
            "--genomeDir",
            str(tmp),
            "--genomeFastaFiles",
            str(genome),
            "--sjdbGTFfile",
            str(annotation),
            "--outFileNamePrefix",
            f"{tmp}/",
            "--outTmpDir",
            str(work_dir / "star_tmp"),
            *index_parameters(contigs, read_length),
        ]
        run_pipe([(cmd, "STAR genomeGenerate", work_dir / "star_index.log")])
        manifest = {
            "fasta": file_identity(fasta),
            "gtf": file_identity(gtf),
            "read_length": read_length,
            "tkiseq_version": __version__,
        }
        (tmp / INDEX_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def index_matches(index: Path, fasta: Path, gtf: Path, read_length: int) -> bool:
    """Whether ``index`` was built by tkiseq from these files for this read length (the run's
    --reference-dir reuses it then)."""
    try:
        manifest = json.loads((index / INDEX_MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (
        manifest.get("read_length") == read_length
        and same_source(manifest.get("fasta"), fasta)
        and same_source(manifest.get("gtf"), gtf)
    )


def align_command(
    star: str,
    fastqs: list[Path],
    index: Path,
    prefix: str,
    sample: str,
    threads: int,
    extra_args: str,
) -> list[str]:
    """The STAR command: unsorted BAM on stdout (for ``duplicate_marking``), gene counts,
    chimeras.

    STAR applies one ``--readFilesCommand`` to every file: ``gzip -cd`` when all are gzipped,
    none when all are plain, and ``gzip -cdf`` (plain files pass through) for a mixed pair.
    """
    return [
        star,
        "--runMode",
        "alignReads",
        "--runThreadN",
        str(threads),
        "--genomeDir",
        str(index),
        "--readFilesIn",
        *map(str, fastqs),
        *read_files_command(fastqs),
        "--outFileNamePrefix",
        prefix,
        "--outTmpDir",
        f"{prefix}STARtmp",
        "--outSAMtype",
        "BAM",
        "Unsorted",
        "--outStd",
        "BAM_Unsorted",  # into the duplicate-marking pipe, uncompressed
        "--outBAMcompression",
        "0",
        "--outSAMunmapped",
        "Within",
        "--outSAMattributes",
        "NH",
        "HI",
        "AS",
        "nM",
        "NM",
        "MD",
        "jM",
        "jI",
        "MC",
        "--outSAMattrRGline",
        f"ID:{sample}",
        f"SM:{sample}",
        "--outSAMstrandField",
        "intronMotif",
        "--quantMode",
        "GeneCounts",
        *CHIMERIC_ARGS,
        *shlex.split(extra_args),
    ]


def read_files_command(fastqs: list[Path]) -> list[str]:
    """STAR's ``--readFilesCommand`` for these files, told by their content, not their names."""
    gzipped = [fastq.is_gzip(p) for p in fastqs]
    if not any(gzipped):
        return []
    return ["--readFilesCommand", "gzip", "-cd" if all(gzipped) else "-cdf"]


def samtools_command(*args: str) -> list[str]:
    """A pysam samtools command as a process (``samtools_cli``), so it can join a pipe."""
    return [sys.executable, "-m", "tkiseq.align.samtools_cli", *args]


def duplicate_marking(out_bam: Path, stats: Path, work: Path, threads: int) -> list[list[str]]:
    """samtools fixmate -m | sort | markdup, reading STAR's BAM from stdin: PCR duplicates
    flagged (not removed), the BAM written once, at compression level 1 as STAR writes its
    own, with its index.

    A pipe, not files: every step between STAR and the final BAM passes uncompressed BAM on,
    so nothing is compressed or written to disk twice. On a 1M-pair library the chain cost
    22.5 s CPU as files at level 1 (level 6 cost 2.3x that), 10.8 s as this pipe, which
    also runs while STAR aligns.
    """
    n = str(max(1, threads))
    return [
        samtools_command("fixmate", "-m", "-u", "-", "-"),
        samtools_command("sort", "-@", n, "-m", "768M", "-u", "-T", str(work / "sort"), "-"),
        samtools_command(
            "markdup",
            "-@",
            n,
            "-s",
            "-T",
            str(work / "markdup"),
            "-f",
            str(stats),
            "--output-fmt",
            "bam,level=1",
            "--write-index",
            "-",
            f"{out_bam}##idx##{out_bam}.bai",
        ),
    ]


def run_pipe(steps: list[tuple[list[str], str, Path]]) -> None:
    """Run ``steps`` (command, what it is, its log) joined stdout to stdin (one step: a tool
    alone), in one process group (an interrupt stops them all, and what they started, such as
    STAR's gzip -cd); the first failure, upstream first (a step whose input broke fails too),
    raises ToolError with the last lines of its log."""
    procs: list[subprocess.Popen] = []
    with contextlib.ExitStack() as logs:
        try:
            for i, (cmd, _, log_path) in enumerate(steps):
                log_fh = logs.enter_context(log_path.open("w"))
                procs.append(
                    subprocess.Popen(
                        cmd,
                        stdin=procs[-1].stdout if procs else subprocess.DEVNULL,
                        stdout=log_fh if i == len(steps) - 1 else subprocess.PIPE,
                        stderr=log_fh,
                        process_group=procs[0].pid if procs else 0,
                    )
                )
                if len(procs) > 1:
                    procs[-2].stdout.close()  # type: ignore[union-attr]  # only the next reads it
            for proc in procs:
                proc.wait()
        except BaseException:  # interrupted
            if procs:
                stop_group(procs[0])
                for proc in procs[1:]:
                    proc.wait()
            raise
    for proc, (_, what, log_path) in zip(procs, steps, strict=True):
        if proc.returncode != 0:
            _raise_if_disk_full(log_path.parent, what)
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise ToolError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")


def bam_to_fastq(bam: Path, workdir: Path, threads: int) -> list[Path]:
    """Reads of a BAM (any sort order) back to FASTQ, pairs kept together, for realignment.

    Public BAMs come aligned to other builds and without chimeric output, so they are
    realigned rather than trusted.
    """
    if not bam.exists():
        raise InputError(bam, "file not found")
    n = str(max(1, threads))
    collated = workdir / "collated.bam"
    try:
        pysam.samtools.collate(
            "-@", n, "-o", str(collated), str(bam), str(workdir / "collate"), catch_stdout=False
        )
    except pysam.utils.SamtoolsError as exc:
        raise InputError(bam, f"not a readable BAM ({exc})") from exc
    r1, r2, single, orphans = (workdir / f"{x}.fastq.gz" for x in ("R1", "R2", "single", "orphans"))
    _samtools(
        "fastq",
        "-@",
        n,
        "-F",
        "0x900",
        "-1",
        str(r1),
        "-2",
        str(r2),
        "-0",
        str(single),
        "-s",
        str(orphans),
        "-n",
        str(collated),
        work=workdir,
    )
    collated.unlink()
    paired = not fastq.is_empty(r1)
    left_out = fastq.count_records(orphans) + (fastq.count_records(single) if paired else 0)
    if left_out:
        log.warning(
            "%s: %d read(s) without their mate (or unpaired among pairs) left out of the"
            " realignment; the BAM may have been filtered",
            bam,
            left_out,
        )
    if not paired:
        log.warning(
            "%s holds single-end reads: realigned single-end, so its fusions get no"
            " spanning-pair support",
            bam,
        )
        return [single]
    return [r1, r2]


def align_sample(
    sample: str,
    fastq_1: Path | None,
    fastq_2: Path | None,
    star_index: Path,
    outdir: Path,
    *,
    strandedness: str = "auto",
    threads: int = 1,
    extra_args: str = "",
    bam: Path | None = None,
) -> None:
    """Align one sample; outputs ``<outdir>/<sample>.*`` appear only when all are complete.

    FASTQ integrity (complete gzip, matching mate counts) is checked while STAR runs, since
    STAR itself does not notice a truncated ``.gz`` input.
    """
    star = star_binary()
    if not (star_index / "SA").exists():
        raise InputError(star_index, "not a STAR index (no SA file)", hint="run tkiseq star-index")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{sample}.tmp", dir=outdir) as work:
        work_dir = Path(work)
        if bam is not None:
            reads = bam_to_fastq(bam, work_dir, threads)
        elif fastq_1 is not None:
            reads = [p for p in (fastq_1, fastq_2) if p is not None]
            if fastq_2 is not None and fastq_1.exists() and fastq_2.exists():
                fastq.check_mate_names(fastq_1, fastq_2)
        else:
            raise InputError(sample, "neither FASTQ nor BAM given")
        prefix = f"{work_dir}/{sample}."
        cmd = align_command(star, reads, star_index, prefix, sample, threads, extra_args)
        chain = duplicate_marking(
            work_dir / f"{sample}.bam", work_dir / f"{sample}.markdup.txt", work_dir, threads
        )
        what = f"STAR alignment of {sample}"
        steps = [(cmd, what, work_dir / "star.log")] + [
            (c, f"duplicate marking of {sample} (samtools {c[3]})", work_dir / f"{c[3]}.log")
            for c in chain
        ]
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1) as pool:
            check = pool.submit(fastq.check_pair, reads, stop)
            try:
                run_pipe(steps)
            except ToolError:
                check.result()  # a broken input file explains STAR's failure better
                raise
            except BaseException:  # interrupted: do not wait for the check to read it all
                stop.set()
                raise
            check.result()
        # STAR may exit 0 with truncated outputs when the disk fills up.
        _raise_if_disk_full(work_dir, what)
        counts, _ = read_reads_per_gene(work_dir / f"{sample}.ReadsPerGene.out.tab")
        decision = resolve(sample, strandedness, counts)
        if decision.warning:
            log.warning("sample %s: %s", sample, decision.warning)
        (work_dir / f"{sample}.strandedness.json").write_text(
            json.dumps(decision.to_dict(), indent=2) + "\n"
        )
        for suffix in OUTPUT_SUFFIXES:
            os.replace(work_dir / f"{sample}{suffix}", outdir / f"{sample}{suffix}")
