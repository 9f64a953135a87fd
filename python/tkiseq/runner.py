"""The embedded local runner: the stages in order on one machine, samples in parallel.

A plain driver, not a workflow engine: each task is the same ``tkiseq <stage>`` command a
Nextflow process runs, started as a subprocess so its CPU time and peak memory are measured
as Nextflow's trace does. ``--resume`` skips a task whose outputs exist and whose command
and input files (path, size, modification time: Nextflow's default cache key) are unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from tkiseq import __version__
from tkiseq.align.star import (
    INDEX_MANIFEST,
    IndexParams,
    index_bytes,
    index_matches,
    star_binary,
)
from tkiseq.atomic import write_text
from tkiseq.console import Console
from tkiseq.errors import STOP_WITH_PARENT_ENV, InputError, Interrupted, ToolError
from tkiseq.genome.bundle import BUNDLE_DIR, MANIFEST, read_manifest
from tkiseq.genome.bundle import matches as bundle_matches
from tkiseq.inputs.reads import check_free_space
from tkiseq.inputs.references import References, check_references
from tkiseq.pipeline_info import (
    RUN_FILE,
    TraceRow,
    append_trace,
    claim_outdir,
    start_trace,
    stray_samples,
    sweep_temporaries,
    warnings_in,
    write_versions,
    write_warnings,
)
from tkiseq.report.status import finish_reports
from tkiseq.stages import (
    BY_NAME,
    STAGES,
    TESTED_PHENOTYPES,
    Stage,
    command_line,
    read_tested_phenotypes,
)

JOB_OVERHEAD_BYTES = 1 << 30  # samtools sort buffers and Python per alignment job
# Seconds a stopped task gets to stop its own tools (align gives STAR 10) and remove its
# temporaries before its process group is killed.
STOP_GRACE_S = 30.0
# Why a stage's `when` leaves it out of a run: said on the console and in warnings.tsv.
SKIP_REASONS = {
    "!counts": "they need reads, and this run started from a count matrix (--counts)",
    "gene_sets": "no gene sets given (--gene-sets)",
}


@dataclass(frozen=True)
class RunConfig:
    """The parameters of ``tkiseq run`` (docs/usage.md)."""

    input: Path | None  # the samplesheet; None for a run from a count matrix (counts)
    phenotypes: Path
    fasta: Path | None  # None: a run from a count matrix needs no genome
    gtf: Path
    dbsnp: Path | None
    outdir: Path
    counts: list[Path] = field(default_factory=list)  # a published count matrix instead of reads
    cnv: Path | None = None
    gene_sets: list[Path] = field(default_factory=list)
    star_index: Path | None = None
    annotation: Path | None = None  # a prepared bundle (tkiseq prepare) to use as it is
    reference_dir: Path | None = None  # index + bundle; None: <outdir>/reference
    subtype_reference: Path | None = None  # labelled .h5ad for the subtypes stage
    karyotype_reference: Path | None = None  # known-diploid .h5ad for the RNA karyotype
    subtype_centroids: Path | None = None  # centroid table (genes x subtypes) for subtypes
    threads: int = 2
    resume: bool = False
    overwrite: bool = False
    allow_same_reads: bool = False
    tuning: dict[str, str] = field(default_factory=dict)  # study thresholds set (stages.Tuning)


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
    """Runs tasks, records the trace, prints progress and warnings, honours ``--resume``,
    and stops every task's process group when the run is interrupted.

    Each task runs in its own session (process group), so stopping it reaches the tools it
    started; ``trace.tsv`` gets a row as each task ends, so it survives a kill of the runner.
    """

    def __init__(self, outdir: Path, resume: bool, console: Console | None = None) -> None:
        self.info = outdir / "pipeline_info"
        self.cache = outdir / ".tkiseq" / "cache"
        self.logs = self.info / "logs"
        for folder in (self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.trace_path = self.info / "trace.tsv"
        self.warnings_path = self.info / "warnings.tsv"
        start_trace(self.trace_path)
        write_warnings(self.warnings_path, [])
        self.resume = resume
        self.console = console or Console()
        self.warnings: list[tuple[str, str, str]] = []
        self.children: dict[int, subprocess.Popen] = {}
        self.stopping = threading.Event()  # a task failed or the run was interrupted
        self.aborting = threading.Event()  # the run was interrupted: tasks are being killed
        self._lock = threading.Lock()

    def _finish(self, task: Task, row: TraceRow, log_path: Path) -> None:
        """Record a finished task: trace row, progress line, and the warnings it printed."""
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        with self._lock:
            append_trace(self.trace_path, row)
            if row.status == "ABORTED":
                return
            wall = None if row.status == "CACHED" else row.wall_s
            self.console.finished(task.name, row.status, wall)
            for message in warnings_in(text):
                self.console.say(f"warning: {task.name}: {message}")
                self.warnings.append((task.stage, task.sample, message))
            write_warnings(self.warnings_path, self.warnings)

    def reuse(self, task: Task) -> None:
        """Record a task whose output is reused from an earlier run (the prepared reference)."""
        start = datetime.now(UTC).isoformat(timespec="seconds")
        row = TraceRow(task.stage, task.sample, start, 0, 0, 0, 0, "CACHED")
        self._finish(task, row, self.logs / f"{task.name}.log")

    def warn(self, stage: str, message: str) -> None:
        """A warning of the runner itself: on the console and in warnings.tsv."""
        with self._lock:
            self.console.say(f"warning: {stage}: {message}")
            self.warnings.append((stage, "", message))
            write_warnings(self.warnings_path, self.warnings)

    def stop(self) -> None:
        """Interrupted: SIGTERM to every running task's process group, SIGKILL to those
        still there after :data:`STOP_GRACE_S`; the threads waiting on them reap them.
        Further Ctrl-C or SIGTERM are ignored while the run winds down."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
        if self.aborting.is_set():
            return
        self.stopping.set()
        self.aborting.set()
        with self._lock:
            groups = list(self.children)
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)

        def kill_remaining() -> None:
            with self._lock:
                remaining = [g for g in groups if g in self.children]
            for pgid in remaining:
                _signal_group(pgid, signal.SIGKILL)

        timer = threading.Timer(STOP_GRACE_S, kill_remaining)
        timer.daemon = True
        timer.start()

    def run(self, task: Task) -> None:
        """Run one task unless resumable; a failure raises with the stage's own message."""
        if self.stopping.is_set():
            raise _Stopped(task.name)
        key = cache_key(task)
        marker = self.cache / f"{task.name}.json"
        start = datetime.now(UTC).isoformat(timespec="seconds")
        if (
            self.resume
            and marker.exists()
            and json.loads(marker.read_text()).get("key") == key
            and all(p.exists() for p in task.outputs)
        ):
            cached = TraceRow(task.stage, task.sample, start, 0, 0, 0, 0, "CACHED")
            self._finish(task, cached, self.logs / f"{task.name}.log")
            return
        marker.unlink(missing_ok=True)
        self.console.started(task.name)
        log_path = self.logs / f"{task.name}.log"
        cmd = [sys.executable, "-m", "tkiseq", *task.args]
        t0 = time.perf_counter()
        with log_path.open("w") as log_fh:
            log_fh.write(f"$ tkiseq {shlex.join(task.args)}\n")
            log_fh.flush()
            with self._lock:
                if self.stopping.is_set():
                    raise _Stopped(task.name)
                proc = subprocess.Popen(
                    cmd, stdout=log_fh, stderr=subprocess.STDOUT, start_new_session=True,
                    env={**os.environ, STOP_WITH_PARENT_ENV: "1"},
                )  # fmt: skip
                self.children[proc.pid] = proc
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:  # the main thread, interrupted while it waited
                self.stop()
                _, status, usage = os.wait4(proc.pid, 0)
                raise
            finally:
                with self._lock:
                    self.children.pop(proc.pid, None)
                proc.returncode = os.waitstatus_to_exitcode(status)
                wall = time.perf_counter() - t0
                code = proc.returncode
                state = "COMPLETED" if code == 0 else "FAILED"
                row = TraceRow(
                    task.stage, task.sample, start, wall, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024, code, "ABORTED" if self.aborting.is_set() else state,
                )  # fmt: skip
                self._finish(task, row, log_path)
        if self.aborting.is_set():
            raise _Stopped(task.name)
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
            except BaseException as exc:
                if isinstance(exc, Interrupted):
                    self.stop()
                self.stopping.set()  # chains end after their running task
                pool.shutdown(wait=True, cancel_futures=True)
                raise


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pgid, signum)


class _Stopped(Exception):
    """A task not started, or killed, because the run is stopping."""


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


class Plan:
    """Tasks built from the stage registry for one run: paths below ``out``, values from
    the run's parameters and each sample's samplesheet row."""

    def __init__(self, cfg: RunConfig, out: Path, index: Path, rows: list[dict[str, str]]):
        self.out = out
        self.reference = (cfg.reference_dir or out / "reference").resolve()
        self.rows = rows
        self.phenotypes: list[str] = []  # the tested phenotypes, once validate chose them
        self.run_values: dict[str, object] = {
            "input": cfg.input, "phenotypes": cfg.phenotypes, "cnv": cfg.cnv,
            "fasta": cfg.fasta, "gtf": cfg.gtf, "dbsnp": cfg.dbsnp,
            "annotation": (cfg.annotation or self.reference / BUNDLE_DIR).resolve(),
            "gene_sets": list(cfg.gene_sets), "star_index": index, "threads": cfg.threads,
            "counts": [p.resolve() for p in cfg.counts],
            "subtype_reference": cfg.subtype_reference,
            "karyotype_reference": cfg.karyotype_reference,
            "subtype_centroids": cfg.subtype_centroids,
            **cfg.tuning,
        }  # fmt: skip

    @property
    def samples(self) -> list[str]:
        return [r["sample"] for r in self.rows]

    def folder(self, stage: Stage, sample: str = "") -> Path:
        if stage.publish == "reference":  # --reference-dir
            return self.reference
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

    def reports(self) -> list[Path]:
        """The HTML reports the registry's stages write (a user opens these first)."""
        return [
            self.folder(stage) / name
            for stage in STAGES
            if stage.scope == "cohort"
            for name in stage.outputs
            if name.endswith(".html")
        ]

    def sample_chain(self, sample: str, threads: int) -> list[Task]:
        """One sample's tasks in registry order: alignment, variants, fusions, splice lesions."""
        stages = [s for s in STAGES if s.scope == "sample" and s.runs(self.run_values)]
        return [self.task(s, sample, threads=threads) for s in stages]

    def skipped(self) -> list[str]:
        """The stages this run leaves out and why, one line per reason."""
        by_reason: dict[str, list[str]] = {}
        for stage in STAGES:
            if not stage.runs(self.run_values):
                why = SKIP_REASONS.get(stage.when, f"no {stage.when.lstrip('!')} given")
                by_reason.setdefault(why, []).append(stage.name)
        return [f"skipped {', '.join(names)}: {why}" for why, names in by_reason.items()]

    def cohort_tasks(self, phenotypes: list[str]) -> list[Task]:
        """The stages after every sample: cohort tables, then one task per tested phenotype."""
        last = max(i for i, s in enumerate(STAGES) if s.scope == "sample")
        self.phenotypes = phenotypes
        tasks = []
        for stage in STAGES[last + 1 :]:
            if not stage.runs(self.run_values):
                continue
            if stage.scope == "phenotype":
                tasks += [self.task(stage, phenotype=p) for p in phenotypes]
            else:
                tasks.append(self.task(stage))
        return tasks


def run_pipeline(cfg: RunConfig) -> None:
    """Run every stage for the cohort in ``cfg``; see docs/output.md for the outputs.

    Before anything is written: STAR is found, the references and their indexes are checked,
    and ``--outdir`` must be new, empty, or this run's results (``--resume``, or replaced with
    ``--overwrite``). An interrupt (Ctrl-C, SIGTERM) stops every task with its tools, removes
    temporaries and records the run as ABORTED before :class:`Interrupted` reaches ``main``.
    """
    if not cfg.counts:
        star_binary()  # fail now, with the install hint, rather than after validation
    check_references(
        References(
            cfg.fasta, cfg.gtf, cfg.dbsnp, tuple(cfg.gene_sets),
            cfg.subtype_reference, cfg.karyotype_reference, cfg.subtype_centroids,
        )
    )  # fmt: skip
    out = cfg.outdir.resolve()
    primary = cfg.input or cfg.counts[0]  # what the run is of: samplesheet or matrix
    claim_outdir(out, primary, resume=cfg.resume, overwrite=cfg.overwrite)
    info = out / "pipeline_info"
    started = datetime.now(UTC)
    params: dict[str, object]
    params = {k: str(v) if v is not None else None for k, v in asdict(cfg).items()}
    params["gene_sets"] = [str(p) for p in cfg.gene_sets]
    params["counts"] = [str(p) for p in cfg.counts]
    params |= dict(cfg.tuning)
    del params["tuning"]
    run_meta: dict[str, object] = {
        "tkiseq_version": __version__,
        "command": shlex.join(sys.argv),
        "input": str(primary.resolve()),
        "started": started.isoformat(timespec="seconds"),
        "status": "RUNNING",
    }
    write_text(info / RUN_FILE, json.dumps(run_meta, indent=2) + "\n")
    write_text(info / "params.json", json.dumps(params, indent=2) + "\n")
    write_versions(info / "software_versions.yml")

    console = Console()
    runner = Runner(out, cfg.resume, console)
    if cfg.resume:
        swept = sweep_temporaries(out)
        if swept:
            console.say(f"removed {len(swept)} temporary file(s) or folder(s) of an earlier run")
    status = "FAILED"
    failure = None
    validate, star_index = BY_NAME["validate"], BY_NAME["star_index"]
    built_index = Plan(cfg, out, Path(), []).folder(star_index) / star_index.outdir
    index = cfg.star_index.resolve() if cfg.star_index else built_index
    plan = Plan(cfg, out, index, [])
    first_sample_stage = next(i for i, s in enumerate(STAGES) if s.scope == "sample")
    setup = [  # before any sample: validate, and the STAR index unless one is given
        s
        for s in STAGES[:first_sample_stage]
        if s.runs(plan.run_values) and not (s.skip_when and getattr(cfg, s.skip_when))
    ]
    try:
        if cfg.annotation:
            _check_given_bundle(cfg, runner)
        console.total = len(setup)
        for stage in setup:
            task = plan.task(stage)
            if stage is validate and cfg.allow_same_reads:
                task = replace(task, args=[*task.args, "--allow-same-reads"])
            if stage.publish == "reference" and _prepared(task, cfg, runner):
                runner.reuse(task)
            else:
                if stage is star_index and cfg.fasta is not None:  # the largest file, checked first
                    check_free_space(
                        plan.folder(stage), index_bytes(cfg.fasta),
                        "a STAR index of this genome needs about {size}", "--reference-dir",
                    )  # fmt: skip
                runner.run(task)
        if cfg.star_index and not cfg.counts and not (index / "SA").exists():
            raise InputError(index, "not a STAR index (no SA file)", hint="omit --star-index")
        inputs = plan.folder(validate)
        plan.rows = _read_valid_samplesheet(inputs / "samplesheet.valid.csv")
        for message in plan.skipped():
            runner.warn("run", message)
        if cfg.counts:
            jobs = 1
        else:
            jobs = parallel_jobs(cfg.threads, len(plan.rows), _index_bytes(index), _free_memory())
        threads = max(1, cfg.threads // jobs)
        chains = [c for r in plan.rows if (c := plan.sample_chain(r["sample"], threads))]
        cohort = plan.cohort_tasks(read_tested_phenotypes(str(inputs / TESTED_PHENOTYPES)))
        console.total += sum(map(len, chains)) + len(cohort)
        console.workers = jobs
        runner.run_chains(chains, jobs)
        console.workers = 1
        for task in cohort:
            runner.run(task)
            _refuse_stray_samples(task, plan.samples)
        status = "COMPLETED"
    except Interrupted:
        status = "ABORTED"
        runner.stop()
        sweep_temporaries(out)
        raise
    except _StageFailed as exc:
        failure = (exc.task.name, f"exit {exc.code}: {exc}", str(exc.log_path))
        where = f"{exc.task.name} failed (exit {exc.code}; log: {exc.log_path})"
        if exc.code == 2:
            raise InputError(where, str(exc)) from None
        raise ToolError(f"{where}: {exc}") from None
    finally:
        finished = datetime.now(UTC)
        run_meta |= {
            "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round((finished - started).total_seconds(), 2),
            "status": status,
        }
        write_text(info / RUN_FILE, json.dumps(run_meta, indent=2) + "\n")
        finish_reports(plan.reports(), out)  # the report was built before the run's end
        if status != "ABORTED":
            written = [str(p) for p in plan.reports() if p.exists()]  # never one not written
            console.summary(status, str(out), written, failure)
            if runner.warnings:
                console.say(f"{len(runner.warnings)} warning(s), also in {runner.warnings_path}:")
                for name, sample, message in runner.warnings:
                    console.say(f"  {name}{'.' + sample if sample else ''}: {message}")


def _prepared(task: Task, cfg: RunConfig, runner: Runner) -> bool:
    """Whether the reference folder already holds this task's output (STAR index, annotation
    bundle) made from the run's FASTA and GTF (size + sha256, recorded in its manifest).

    Another source, setting or tkiseq format is rebuilt with a warning; a folder without a
    tkiseq manifest is not tkiseq's, and is refused rather than replaced (unless --resume
    finds this run's own cache record of it).
    """
    target = task.outputs[0]
    if not target.exists():
        return False
    if task.stage == "prepare":
        recorded = (target / MANIFEST).is_file()
        fresh = recorded and bundle_matches(target, cfg.gtf, cfg.fasta)
        other = "another FASTA, GTF or bundle format"
    else:
        read_length = int(cfg.tuning.get("read_length", IndexParams().read_length))
        recorded = (target / INDEX_MANIFEST).is_file()
        fresh = (
            recorded
            and cfg.fasta is not None
            and index_matches(target, cfg.fasta, cfg.gtf, read_length)
        )
        other = "another FASTA, GTF or read length"
    if fresh:
        return True
    if recorded:
        runner.warn(task.stage, f"{target} was prepared from {other}; preparing it again")
        return False
    if cfg.resume and (runner.cache / f"{task.name}.json").exists():
        return False  # this run's own, from before manifests: the cache record decides
    raise InputError(
        target, "exists and was not prepared by tkiseq; not replaced",
        hint="choose another --reference-dir, or give it as --star-index / --annotation",
    )  # fmt: skip


def _check_given_bundle(cfg: RunConfig, runner: Runner) -> None:
    """A given --annotation must be a bundle; one made from other files gets a warning."""
    assert cfg.annotation is not None
    read_manifest(cfg.annotation)
    if not bundle_matches(cfg.annotation, cfg.gtf, cfg.fasta):
        runner.warn("prepare", f"{cfg.annotation} was prepared from another GTF or FASTA")


def _refuse_stray_samples(task: Task, samples: list[str]) -> None:
    """A cohort table must hold the samplesheet's samples only; one naming others (files of
    an earlier run found beside this run's) is removed, and the run stops."""
    for path in task.outputs:
        if path.suffix != ".tsv" or not path.exists():
            continue
        strays = stray_samples(path, samples)
        if strays:
            path.unlink()
            raise InputError(
                path,
                f"names sample(s) not in the samplesheet: {', '.join(strays)}; removed",
                hint="results of another run are in --outdir; rerun with --overwrite",
            )
