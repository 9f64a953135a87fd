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
from tkiseq.align.star import star_binary
from tkiseq.atomic import write_text
from tkiseq.errors import InputError, ToolError
from tkiseq.pipeline_info import TraceRow, write_trace, write_versions
from tkiseq.stages import (
    BY_NAME,
    STAGES,
    TESTED_PHENOTYPES,
    Stage,
    command_line,
    read_tested_phenotypes,
)

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


class Plan:
    """Tasks built from the stage registry for one run: paths below ``out``, values from
    the run's parameters and each sample's samplesheet row."""

    def __init__(self, cfg: RunConfig, out: Path, index: Path, rows: list[dict[str, str]]):
        self.out = out
        self.rows = rows
        self.phenotypes: list[str] = []  # the tested phenotypes, once validate chose them
        self.run_values: dict[str, object] = {
            "input": cfg.input, "phenotypes": cfg.phenotypes, "cnv": cfg.cnv,
            "fasta": cfg.fasta, "gtf": cfg.gtf, "dbsnp": cfg.dbsnp,
            "gene_sets": list(cfg.gene_sets), "star_index": index, "threads": cfg.threads,
        }  # fmt: skip

    @property
    def samples(self) -> list[str]:
        return [r["sample"] for r in self.rows]

    def folder(self, stage: Stage, sample: str = "") -> Path:
        return self.out / stage.publish.format(sample=sample)

    def task(self, stage: Stage, sample: str = "", phenotype: str = "", **values: object) -> Task:
        """The task of ``stage`` for one sample, one phenotype or the cohort."""
        row = next((r for r in self.rows if r["sample"] == sample), {})
        context = {**self.run_values, **row, "phenotype": phenotype, **values}
        names = {"sample": sample, "phenotype": phenotype}

        def upstream(producer: str, name: str) -> list[str]:
            """The producer's file for this task; in a cohort task, for every sample (or
            tested phenotype) when the producer runs per sample (or per phenotype)."""
            made_by = BY_NAME[producer]
            if made_by.scope == "sample":
                each = [{"sample": s} for s in ([sample] if sample else self.samples)]
            elif made_by.scope == "phenotype":
                each = [{"phenotype": p} for p in ([phenotype] if phenotype else self.phenotypes)]
            else:
                each = [{}]
            return [
                str(self.folder(made_by, ns.get("sample", "")) / name.format(**{**names, **ns}))
                for ns in each
            ]

        folder = self.folder(stage, sample)
        rendered = command_line(stage, context, upstream, str(folder / stage.outdir))
        outputs = [folder / name.format(**names) for name in stage.outputs]
        inputs = [Path(p) for p in rendered.inputs]
        return Task(stage.name, sample or phenotype, rendered.args, inputs, outputs)

    def sample_chain(self, sample: str, threads: int) -> list[Task]:
        """One sample's tasks in registry order: alignment, variants, fusions, splice lesions."""
        stages = [s for s in STAGES if s.scope == "sample"]
        return [self.task(s, sample, threads=threads) for s in stages]

    def cohort_tasks(self, phenotypes: list[str]) -> list[Task]:
        """The stages after every sample: cohort tables, then one task per tested phenotype."""
        last = max(i for i, s in enumerate(STAGES) if s.scope == "sample")
        self.phenotypes = phenotypes
        tasks = []
        for stage in STAGES[last + 1 :]:
            if stage.when and not self.run_values.get(stage.when):
                continue
            if stage.scope == "phenotype":
                tasks += [self.task(stage, phenotype=p) for p in phenotypes]
            else:
                tasks.append(self.task(stage))
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

    runner = Runner(out, cfg.resume, total=0)
    status = "FAILED"
    validate, star_index = BY_NAME["validate"], BY_NAME["star_index"]
    built_index = Plan(cfg, out, Path(), []).folder(star_index) / star_index.outdir
    index = cfg.star_index.resolve() if cfg.star_index else built_index
    plan = Plan(cfg, out, index, [])
    try:
        runner.total = 1 + (cfg.star_index is None)
        runner.run(plan.task(validate))
        inputs = plan.folder(validate)
        plan.rows = _read_valid_samplesheet(inputs / "samplesheet.valid.csv")
        if cfg.star_index is None:
            runner.run(plan.task(star_index))
        elif not (index / "SA").exists():
            raise InputError(index, "not a STAR index (no SA file)", hint="omit --star-index")
        jobs = parallel_jobs(cfg.threads, len(plan.rows), _index_bytes(index), _free_memory())
        threads = max(1, cfg.threads // jobs)
        chains = [plan.sample_chain(r["sample"], threads) for r in plan.rows]
        cohort = plan.cohort_tasks(read_tested_phenotypes(str(inputs / TESTED_PHENOTYPES)))
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
