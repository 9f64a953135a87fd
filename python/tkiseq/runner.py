"""The embedded local runner: the stages in order on one machine, samples in parallel.

A plain driver, not a workflow engine: each task is the same ``tkiseq <stage>`` command a
Nextflow process runs, started as a subprocess so its CPU time and peak memory are measured
as Nextflow's trace does. ``--resume`` skips a task whose outputs exist and whose command
and input files (path, size, modification time: Nextflow's default cache key) are unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tkiseq import __version__
from tkiseq.align.star import OUTPUT_SUFFIXES, star_binary
from tkiseq.atomic import write_text
from tkiseq.errors import InputError, ToolError
from tkiseq.pipeline_info import TraceRow, write_trace, write_versions

STAR_INDEX_FILES = ("SA", "SAindex", "Genome", "chrName.txt", "geneInfo.tab")
JOB_OVERHEAD_BYTES = 1 << 30  # samtools sort buffers and Python per alignment job


@dataclass(frozen=True)
class RunConfig:
    """The parameters of ``tkiseq run`` (interface.md)."""

    input: Path
    phenotypes: Path
    fasta: Path
    gtf: Path
    dbsnp: Path
    outdir: Path
    cnv: Path | None = None
    gene_sets: list[Path] = field(default_factory=list)
    star_index: Path | None = None
    threads: int = 2
    resume: bool = False


@dataclass(frozen=True)
class Task:
    """One ``tkiseq <stage>`` call; complete when every output exists."""

    stage: str
    sample: str
    args: list[str]
    inputs: list[Path]
    outputs: list[Path]

    @property
    def name(self) -> str:
        return f"{self.stage}.{self.sample}" if self.sample else self.stage


def _fingerprint(path: Path) -> list[object]:
    """Path, size and mtime of a file, or of every file below a folder."""
    if path.is_dir():
        return [_fingerprint(p) for p in sorted(path.rglob("*")) if p.is_file()]
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def cache_key(task: Task) -> str:
    """Hash of the command, the inputs' fingerprints and the tkiseq version."""
    payload = json.dumps(
        [__version__, task.args, [_fingerprint(p) for p in task.inputs]], default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class Runner:
    """Runs tasks, records the trace, prints progress, honours ``--resume``."""

    def __init__(self, outdir: Path, resume: bool, total: int) -> None:
        self.info = outdir / "pipeline_info"
        self.cache = outdir / ".tkiseq" / "cache"
        self.logs = self.info / "logs"
        for folder in (self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.resume = resume
        self.total = total
        self.done = 0
        self.trace: list[TraceRow] = []
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        print(f"[tkiseq] {text}", file=sys.stderr, flush=True)

    def _finish(self, task: Task, row: TraceRow) -> None:
        with self._lock:
            self.done += 1
            self.trace.append(row)
            note = "" if row.status == "CACHED" else f" ({row.wall_s:.1f} s)"
            self._say(f"[{self.done}/{self.total}] {task.name}: {row.status.lower()}{note}")

    def run(self, task: Task) -> None:
        """Run one task unless resumable; a failure raises with the stage's own message."""
        key = cache_key(task)
        marker = self.cache / f"{task.name}.json"
        start = datetime.now(UTC).isoformat(timespec="seconds")
        if (
            self.resume
            and marker.exists()
            and json.loads(marker.read_text()).get("key") == key
            and all(p.exists() for p in task.outputs)
        ):
            self._finish(task, TraceRow(task.stage, task.sample, start, 0, 0, 0, 0, "CACHED"))
            return
        marker.unlink(missing_ok=True)
        log_path = self.logs / f"{task.name}.log"
        cmd = [sys.executable, "-m", "tkiseq", *task.args]
        t0 = time.perf_counter()
        with log_path.open("w") as log_fh:
            log_fh.write(f"$ tkiseq {shlex.join(task.args)}\n")
            log_fh.flush()
            proc = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        code = proc.returncode
        row = TraceRow(
            task.stage, task.sample, start, wall, usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024, code, "COMPLETED" if code == 0 else "FAILED",
        )  # fmt: skip
        self._finish(task, row)
        if code != 0:
            lines = log_path.read_text(errors="replace").strip().splitlines()
            errors = [ln for ln in lines if ln.startswith("tkiseq: error:")]
            detail = errors[-1].removeprefix("tkiseq: error: ") if errors else lines[-1]
            raise _StageFailed(task, code, detail, log_path)
        write_text(marker, json.dumps({"key": key, "outputs": [str(p) for p in task.outputs]}))

    def run_chains(self, chains: list[list[Task]], jobs: int) -> None:
        """Run each chain's tasks in order, ``jobs`` chains at a time; a failure stops all."""

        def run_chain(chain: list[Task]) -> None:
            for task in chain:
                self.run(task)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(run_chain, c) for c in chains]
            try:
                for fut in as_completed(futures):
                    fut.result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise


class _StageFailed(Exception):
    def __init__(self, task: Task, code: int, detail: str, log_path: Path) -> None:
        super().__init__(detail)
        self.task, self.code, self.log_path = task, code, log_path


def _read_valid_samplesheet(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _index_bytes(index: Path) -> int:
    return sum((index / n).stat().st_size for n in ("SA", "SAindex", "Genome"))


def parallel_jobs(threads: int, samples: int, index_bytes: int, free_bytes: int) -> int:
    """How many samples to align at once: bounded by threads and by memory for STAR's index."""
    by_memory = max(1, int(0.8 * free_bytes // (index_bytes + JOB_OVERHEAD_BYTES)))
    return max(1, min(threads, samples, by_memory))


def _free_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def _check_files(cfg: RunConfig) -> None:
    """Reference files are checked before any work starts, not when a late stage needs them."""
    named = [("--fasta", cfg.fasta), ("--gtf", cfg.gtf), ("--dbsnp", cfg.dbsnp)]
    named += [("--gene-sets", p) for p in cfg.gene_sets]
    for flag, path in named:
        if not path.exists():
            raise InputError(path, f"file not found (given as {flag})")


def sample_chain(
    row: dict[str, str], index: Path, out: Path, cfg: RunConfig, threads: int
) -> list[Task]:
    """One sample's tasks in order: alignment, then variants, fusions and splice lesions."""
    sample = row["sample"]
    align = out / "align" / sample
    if row.get("fastq_1"):
        reads = ["--fastq-1", row["fastq_1"]]
        if row.get("fastq_2"):
            reads += ["--fastq-2", row["fastq_2"]]
    else:
        reads = ["--bam", row["bam"]]
    aligned = [align / f"{sample}{s}" for s in OUTPUT_SUFFIXES]
    bam, sj, chimeric, log_final = (
        align / f"{sample}{s}"
        for s in (".bam", ".SJ.out.tab", ".Chimeric.out.junction", ".Log.final.out")
    )
    ref = ["--fasta", str(cfg.fasta)]
    gtf = ["--gtf", str(cfg.gtf)]
    var = out / "variants"
    calls, all_calls = var / f"{sample}.calls.vcf.gz", var / f"{sample}.all.vcf.gz"
    user_vcf = ["--vcf", row["vcf"]] if row.get("vcf") else [*gtf, "--threads", str(threads)]
    return [
        Task("align", sample, [
            "align", "--sample", sample, *reads, "--strandedness", row["strandedness"],
            "--star-index", str(index), "--outdir", str(align), "--threads", str(threads),
        ], [Path(p) for p in reads[1::2]] + [index / f for f in STAR_INDEX_FILES], aligned),
        Task("variants_call", sample, [
            "variants", "call", "--sample", sample, "--bam", str(bam), *ref, *user_vcf,
            "--outdir", str(var),
        ], [bam, cfg.fasta, cfg.gtf, *([Path(row["vcf"])] if row.get("vcf") else [])],
            [calls]),
        Task("variants_filter", sample, [
            "variants", "filter", "--sample", sample, "--vcf", str(calls),
            "--dbsnp", str(cfg.dbsnp), *ref, "--outdir", str(var),
        ], [calls, cfg.dbsnp, cfg.fasta], [all_calls, var / f"{sample}.pass.vcf.gz"]),
        Task("variants_annotate", sample, [
            "variants", "annotate", "--sample", sample, "--vcf", str(all_calls), *ref, *gtf,
            "--outdir", str(var),
        ], [all_calls, cfg.fasta, cfg.gtf], [var / f"{sample}.variants.tsv"]),
        Task("fusions", sample, [
            "fusions", "call", "--sample", sample, "--chimeric", str(chimeric), "--sj", str(sj),
            *gtf, "--log-final", str(log_final), *ref, "--bam", str(bam),
            "--outdir", str(out / "fusions"),
        ], [chimeric, sj, log_final, bam, cfg.gtf, cfg.fasta],
            [out / "fusions" / f"{sample}.fusions.tsv"]),
        Task("splice_lesions", sample, [
            "splice-lesions", "--sample", sample, "--sj", str(sj), *gtf,
            "--outdir", str(out / "splicing"),
        ], [sj, cfg.gtf], [out / "splicing" / f"{sample}.splice_lesions.tsv"]),
    ]  # fmt: skip


def tested_phenotypes(phenotypes: Path) -> list[str]:
    """AUC columns with enough samples for differential expression (at least 3 values)."""
    with phenotypes.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [c for c in (rows[0].keys() if rows else []) if c.startswith("auc_")]
    return [c for c in columns if sum(1 for r in rows if r[c] not in ("", "NA")) >= 3]


def cohort_tasks(
    chains: list[list[Task]], out: Path, cfg: RunConfig, phenotypes: Path
) -> list[Task]:
    """Cohort-level tasks after every sample: count matrix, cohort tables, DE and GSEA."""

    def output(stage: str, suffix: str) -> list[Path]:
        return [p for chain in chains for t in chain if t.stage == stage
                for p in t.outputs if p.name.endswith(suffix)]  # fmt: skip

    rpg = output("align", ".ReadsPerGene.out.tab")
    expr, var, fus = out / "expression", out / "variants", out / "fusions"
    h5ad = expr / "cohort.h5ad"
    tables = output("variants_annotate", ".variants.tsv")
    fusions = output("fusions", ".fusions.tsv")
    tasks = [
        Task("counts", "", [
            "counts", *map(str, rpg), "--gtf", str(cfg.gtf), "--phenotypes", str(phenotypes),
            "--outdir", str(expr),
        ], [*rpg, cfg.gtf, phenotypes], [expr / "counts.tsv", h5ad, expr / "strandedness.tsv"]),
        Task("variants_cohort", "", [
            "variants", "cohort", *map(str, tables), "--outdir", str(var),
        ], tables, [var / "cohort_variants.tsv", var / "alterations.tsv"]),
        Task("fusions_cohort", "", [
            "fusions", "cohort", *map(str, fusions), "--outdir", str(fus),
        ], fusions, [fus / "cohort_fusions.tsv"]),
    ]  # fmt: skip
    for phenotype in tested_phenotypes(phenotypes):
        de = out / "de" / f"de_{phenotype}.tsv"
        tasks.append(Task("de", phenotype, [
            "de", "--counts", str(h5ad), "--phenotypes", str(phenotypes),
            "--phenotype", phenotype, "--threads", str(cfg.threads),
            "--outdir", str(out / "de"),
        ], [h5ad, phenotypes], [de]))  # fmt: skip
        if cfg.gene_sets:
            tasks.append(Task("gsea", phenotype, [
                "gsea", "--de", str(de), "--gene-sets", ",".join(map(str, cfg.gene_sets)),
                "--threads", str(cfg.threads), "--outdir", str(out / "gsea"),
            ], [de, *cfg.gene_sets], [out / "gsea" / f"gsea_{phenotype}.tsv"]))  # fmt: skip
    return tasks


def run_pipeline(cfg: RunConfig) -> None:
    """Run every stage for the cohort in ``cfg``; see interface.md for the outputs."""
    star_binary()  # fail now, with the install hint, rather than after validation
    _check_files(cfg)
    out = cfg.outdir.resolve()
    info = out / "pipeline_info"
    started = datetime.now(UTC)
    params = {k: str(v) if v is not None else None for k, v in asdict(cfg).items()}
    params["gene_sets"] = [str(p) for p in cfg.gene_sets]
    write_text(info / "params.json", json.dumps(params, indent=2) + "\n")
    write_versions(info / "software_versions.yml")

    inputs_dir = info / "inputs"
    validate_args = ["validate", "--input", str(cfg.input), "--phenotypes", str(cfg.phenotypes)]
    validate_in = [cfg.input, cfg.phenotypes]
    if cfg.cnv:
        validate_args += ["--cnv", str(cfg.cnv)]
        validate_in.append(cfg.cnv)
    validate_args += ["--outdir", str(inputs_dir)]
    validated = [inputs_dir / "samplesheet.valid.csv", inputs_dir / "phenotypes.valid.csv"]

    runner = Runner(out, cfg.resume, total=0)
    status = "FAILED"
    try:
        runner.total = 1
        runner.run(Task("validate", "", validate_args, validate_in, validated))
        rows = _read_valid_samplesheet(validated[0])
        index = cfg.star_index.resolve() if cfg.star_index else out / "reference" / "star_index"
        runner.total += cfg.star_index is None
        if cfg.star_index is None:
            index_args = [
                "star-index", "--fasta", str(cfg.fasta), "--gtf", str(cfg.gtf),
                "--outdir", str(index), "--threads", str(cfg.threads),
            ]  # fmt: skip
            index_out = [index / f for f in STAR_INDEX_FILES]
            runner.run(Task("star_index", "", index_args, [cfg.fasta, cfg.gtf], index_out))
        elif not (index / "SA").exists():
            raise InputError(index, "not a STAR index (no SA file)", hint="omit --star-index")
        jobs = parallel_jobs(cfg.threads, len(rows), _index_bytes(index), _free_memory())
        chains = [sample_chain(r, index, out, cfg, max(1, cfg.threads // jobs)) for r in rows]
        cohort = cohort_tasks(chains, out, cfg, validated[1])
        runner.total += sum(map(len, chains)) + len(cohort)
        runner.run_chains(chains, jobs)
        for task in cohort:
            runner.run(task)
        status = "COMPLETED"
    except _StageFailed as exc:
        where = f"{exc.task.name} failed (exit {exc.code}; log: {exc.log_path})"
        if exc.code == 2:
            raise InputError(where, str(exc)) from None
        raise ToolError(f"{where}: {exc}") from None
    finally:
        write_trace(info / "trace.tsv", runner.trace)
        finished = datetime.now(UTC)
        run_meta = {
            "tkiseq_version": __version__,
            "command": shlex.join(sys.argv),
            "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round((finished - started).total_seconds(), 2),
            "status": status,
        }
        write_text(info / "run.json", json.dumps(run_meta, indent=2) + "\n")
