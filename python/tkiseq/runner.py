"""The embedded local runner: the stages in order on one machine, samples in parallel.

A plain driver, not a workflow engine: each task is the same ``tkiseq <stage>`` command a
Nextflow process runs, started as a subprocess so its CPU time and peak memory are measured
as Nextflow's trace does. ``--resume`` skips a task whose outputs exist and whose command
and input files (path, size, modification time: Nextflow's default cache key) are unchanged.
"""

from __future__ import annotations

import argparse
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
from tkiseq.align.star import star_binary
from tkiseq.atomic import write_text
from tkiseq.console import Console
from tkiseq.errors import STOP_WITH_PARENT_ENV, InputError, Interrupted, ToolError
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
from tkiseq.prepared import Prepared
from tkiseq.report.status import finish_reports
from tkiseq.stage_options import from_args, option, positive_int
from tkiseq.stages import (
    BY_GIVEN,
    BY_NAME,
    COHORT,
    PER_SAMPLE,
    SETUP,
    STAGES,
    TESTED,
    VALID_SAMPLESHEET,
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


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """The parameters of ``tkiseq run`` (docs/usage.md); each option field is also its
    command-line option (``tkiseq.stage_options``), in this order."""

    input: Path | None = option(None, help="samplesheet.csv (the reads); or --counts")
    counts: tuple[Path, ...] = option(
        (),
        help="instead of --input: a published count matrix (genes x samples TSV/CSV keyed by "
        "Ensembl IDs or gene symbols, featureCounts output, or comma-separated HTSeq-count "
        "files); its columns are the samples, and the stages that need reads are skipped",
    )
    phenotypes: Path = option(help="phenotypes.csv")
    cnv: Path | None = option(None, help="cnv.csv (MLPA or SNP array), optional")
    fasta: Path | None = option(None, help="genome FASTA (not needed with --counts)")
    gtf: Path = option(help="gene annotation GTF (prepare reads it)")
    dbsnp: Path | None = option(None, help="dbSNP VCF, bgzip + tabix (not needed with --counts)")
    gene_sets: tuple[Path, ...] = option((), help="comma-separated GMT files (no GSEA without)")
    outdir: Path = option(help="results folder")
    star_index: Path | None = option(None, help="reuse a STAR index instead of building one")
    annotation: Path | None = option(
        None, help="reuse an annotation bundle instead of preparing one"
    )
    reference_dir: Path | None = option(
        None,
        help="where the STAR index and annotation bundle are prepared, and reused by later runs "
        "while the FASTA and GTF match (default: <outdir>/reference)",
    )
    subtype_reference: Path | None = option(
        None, help="labelled .h5ad (obs 'subtype', raw counts) the subtypes stage projects onto"
    )
    karyotype_reference: Path | None = option(
        None,
        help="known-diploid .h5ad (raw counts) for the RNA karyotype (default: cohort median)",
    )
    subtype_centroids: Path | None = option(
        None,
        help="centroid table (genes x subtypes, mean log2 CPM) the subtypes stage correlates with",
    )
    threads: int = option(2, help="CPU threads for the run", type=positive_int)
    resume: bool = option(False, help="continue the run in --outdir: skip stages already complete")
    overwrite: bool = option(
        False, help="replace the tkiseq results already in --outdir (refused without it)"
    )
    allow_same_reads: bool = False  # a registry switch (stages.Switch): its option comes from there
    tuning: dict[str, str] = field(default_factory=dict)  # study thresholds set (stages.Tuning)


def config_from_args(a: argparse.Namespace) -> RunConfig:
    """The run's parameters from ``tkiseq run``'s options; reads and a count matrix exclude
    each other, and a run from reads needs its genome."""
    tuning = {
        t.name: str(getattr(a, t.name))
        for stage in STAGES
        for t in stage.tuning
        if getattr(a, t.name) is not None
    }
    switches = {s.name: getattr(a, s.name) for stage in STAGES for s in stage.switches}
    cfg = replace(from_args(RunConfig, a), tuning=tuning, **switches)
    if cfg.counts and cfg.input:
        raise InputError("--counts", "give reads (--input) or a count matrix (--counts), not both")
    for name in () if cfg.counts else ("input", "fasta", "dbsnp"):  # a matrix needs no genome
        if getattr(cfg, name) is None:
            hint = "or give a count matrix with --counts" if name == "input" else None
            raise InputError(f"--{name}", "required for a run from reads", hint=hint)
    return cfg


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
                    cmd,
                    stdout=log_fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, STOP_WITH_PARENT_ENV: "1"},
                )
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
                    task.stage,
                    task.sample,
                    start,
                    wall,
                    usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024,
                    code,
                    "ABORTED" if self.aborting.is_set() else state,
                )
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


def parallel_jobs(threads: int, samples: int, index_bytes: int, free_bytes: int) -> int:
    """How many samples to align at once: bounded by threads and by memory for STAR's index."""
    by_memory = max(1, int(0.8 * free_bytes // (index_bytes + JOB_OVERHEAD_BYTES)))
    return max(1, min(threads, samples, by_memory))


def _free_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def _prepared_of(stage: Stage) -> Prepared | None:
    """The registry's check of a stage's reusable output (``Stage.reuse``), if it has one."""
    prepared = stage.prepared()
    if prepared is not None and not isinstance(prepared, Prepared):
        raise TypeError(f"{stage.name}: reuse={stage.reuse!r} is not a tkiseq.prepared.Prepared")
    return prepared


class Plan:
    """Tasks built from the stage registry for one run: paths below ``out``, values from
    the run's parameters and each sample's samplesheet row."""

    def __init__(self, cfg: RunConfig, out: Path, rows: list[dict[str, str]]):
        self.cfg = cfg
        self.out = out
        self.reference = (cfg.reference_dir or out / "reference").resolve()
        self.rows = rows
        self.phenotypes: list[str] = []  # the tested phenotypes, once validate chose them
        self.run_values: dict[str, object] = {
            "input": cfg.input,
            "phenotypes": cfg.phenotypes,
            "cnv": cfg.cnv,
            "fasta": cfg.fasta,
            "gtf": cfg.gtf,
            "dbsnp": cfg.dbsnp,
            "gene_sets": list(cfg.gene_sets),
            "threads": cfg.threads,
            "counts": [p.resolve() for p in cfg.counts],
            "subtype_reference": cfg.subtype_reference,
            "karyotype_reference": cfg.karyotype_reference,
            "subtype_centroids": cfg.subtype_centroids,
            **{s.name: getattr(cfg, s.name) for stage in STAGES for s in stage.switches},
            **cfg.tuning,
        }
        for name, stage in BY_GIVEN.items():  # the user's, else the one the stage makes
            given: Path | None = getattr(cfg, name)
            self.run_values[name] = (given or self.folder(stage) / stage.outputs[0]).resolve()

    @property
    def samples(self) -> list[str]:
        return [r["sample"] for r in self.rows]

    def folder(self, stage: Stage, sample: str = "") -> Path:
        if stage.publish == "reference":  # --reference-dir
            return self.reference
        return self.out / stage.publish.format(sample=sample)

    def output(self, reference: str) -> Path:
        """The path of a cohort stage's output named as "<stage>:<file>"."""
        producer, _, name = reference.partition(":")
        return self.folder(BY_NAME[producer]) / name

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

    def sample_stages(self) -> list[Stage]:
        """The per-sample stages this run has (none from a count matrix)."""
        return [s for s in PER_SAMPLE if s.runs(self.run_values)]

    def sample_chain(self, sample: str, threads: int) -> list[Task]:
        """One sample's tasks in registry order: alignment, variants, fusions, splice lesions."""
        return [self.task(s, sample, threads=threads) for s in self.sample_stages()]

    def memory_per_sample(self) -> int:
        """What one sample's largest task holds in memory of the run's inputs (``loads``:
        STAR's index); 0 when none is known."""
        sizes = [0]
        for stage in self.sample_stages():
            prepared = _prepared_of(BY_GIVEN[stage.loads]) if stage.loads else None
            if prepared is not None and prepared.memory is not None:
                sizes.append(prepared.memory(Path(str(self.run_values[stage.loads]))))
        return max(sizes)

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
        self.phenotypes = phenotypes
        tasks = []
        for stage in COHORT:
            if not stage.runs(self.run_values):
                continue
            if stage.scope == "phenotype":
                tasks += [self.task(stage, phenotype=p) for p in phenotypes]
            else:
                tasks.append(self.task(stage))
        return tasks


@dataclass
class _Run:
    """One ``tkiseq run`` under way: its plan and runner, and what ``run.json`` records."""

    plan: Plan
    runner: Runner
    meta: dict[str, object]
    started: datetime
    status: str = "FAILED"
    failure: tuple[str, str, str] | None = None  # the failed task, its error, its log

    @property
    def console(self) -> Console:
        return self.runner.console


def run_pipeline(cfg: RunConfig) -> None:
    """Run every stage for the cohort in ``cfg``; see docs/output.md for the outputs.

    Before anything is written: STAR is found, the references and their indexes are checked,
    and ``--outdir`` must be new, empty, or this run's results (``--resume``, or replaced with
    ``--overwrite``). An interrupt (Ctrl-C, SIGTERM) stops every task with its tools, removes
    temporaries and records the run as ABORTED before :class:`Interrupted` reaches ``main``.
    """
    run = _start(cfg, _claim(cfg))
    try:
        _setup(run)
        chains, jobs = _sample_chains(run)
        cohort = run.plan.cohort_tasks(read_tested_phenotypes(str(run.plan.output(TESTED))))
        run.console.total += sum(map(len, chains)) + len(cohort)
        _run_samples(run, chains, jobs)
        _run_cohort(run, cohort)
        run.status = "COMPLETED"
    except Interrupted:
        run.status = "ABORTED"
        run.runner.stop()
        sweep_temporaries(run.plan.out)
        raise
    except _StageFailed as exc:
        raise _failed(run, exc) from None
    finally:
        _summarise(run)


def _claim(cfg: RunConfig) -> Path:
    """The checks before anything is written (STAR, the references, ``--outdir``); the
    resolved ``--outdir``."""
    if not cfg.counts:
        star_binary()  # fail now, with the install hint, rather than after validation
    check_references(
        References(
            cfg.fasta,
            cfg.gtf,
            cfg.dbsnp,
            tuple(cfg.gene_sets),
            cfg.subtype_reference,
            cfg.karyotype_reference,
            cfg.subtype_centroids,
        )
    )
    out = cfg.outdir.resolve()
    claim_outdir(out, cfg.input or cfg.counts[0], resume=cfg.resume, overwrite=cfg.overwrite)
    return out


def _start(cfg: RunConfig, out: Path) -> _Run:
    """Record the run as RUNNING (run.json, params.json, software versions) and start its
    runner; ``--resume`` first removes what an interrupted run left half-written."""
    info = out / "pipeline_info"
    started = datetime.now(UTC)
    params: dict[str, object]
    params = {k: str(v) if v is not None else None for k, v in asdict(cfg).items()}
    params["gene_sets"] = [str(p) for p in cfg.gene_sets]
    params["counts"] = [str(p) for p in cfg.counts]
    params |= dict(cfg.tuning)
    del params["tuning"]
    meta: dict[str, object] = {
        "tkiseq_version": __version__,
        "command": shlex.join(sys.argv),
        "input": str((cfg.input or cfg.counts[0]).resolve()),  # samplesheet or matrix
        "started": started.isoformat(timespec="seconds"),
        "status": "RUNNING",
    }
    write_text(info / RUN_FILE, json.dumps(meta, indent=2) + "\n")
    write_text(info / "params.json", json.dumps(params, indent=2) + "\n")
    write_versions(info / "software_versions.yml")
    console = Console()
    runner = Runner(out, cfg.resume, console)
    if cfg.resume:
        swept = sweep_temporaries(out)
        if swept:
            console.say(f"removed {len(swept)} temporary file(s) or folder(s) of an earlier run")
    return _Run(Plan(cfg, out, []), runner, meta, started)


def _setup(run: _Run) -> None:
    """The stages before any sample (validate, the reference): an output the user gave is
    checked and used as it is, one prepared earlier from the same files is reused, the rest
    run; then the validated samplesheet gives the plan its samples."""
    plan = run.plan
    stages = [s for s in SETUP if s.runs(plan.run_values)]
    given = [s for s in stages if s.given and getattr(plan.cfg, s.given)]
    for stage in given:
        _check_given(stage, plan, run.runner)
    todo = [s for s in stages if s not in given]
    run.console.total = len(todo)
    for stage in todo:
        _prepare(plan.task(stage), plan, run.runner)
    plan.rows = _read_valid_samplesheet(plan.output(VALID_SAMPLESHEET))
    for message in plan.skipped():
        run.runner.warn("run", message)


def _prepare(task: Task, plan: Plan, runner: Runner) -> None:
    """Run a setup task, unless its output is a prepared one to reuse; before building one,
    check there is disk for it (the STAR index is the largest file a run writes)."""
    prepared = _prepared_of(BY_NAME[task.stage])
    if prepared is not None:
        if _reusable(task, plan, runner):
            runner.reuse(task)
            return
        needed = prepared.needs(plan.run_values) if prepared.needs else None
        if needed is not None:
            folder = plan.folder(BY_NAME[task.stage])
            check_free_space(folder, needed, prepared.needs_what, "--reference-dir")
    runner.run(task)


def _sample_chains(run: _Run) -> tuple[list[list[Task]], int]:
    """Each sample's chain of tasks (none from a count matrix) and how many chains run at
    once (:func:`parallel_jobs`); the threads are shared among them."""
    plan, threads = run.plan, run.plan.cfg.threads
    jobs = 1
    if plan.sample_stages() and plan.rows:
        jobs = parallel_jobs(threads, len(plan.rows), plan.memory_per_sample(), _free_memory())
    per_task = max(1, threads // jobs)
    chains = [c for r in plan.rows if (c := plan.sample_chain(r["sample"], per_task))]
    return chains, jobs


def _run_samples(run: _Run, chains: list[list[Task]], jobs: int) -> None:
    """The per-sample chains, ``jobs`` at a time; the console shows that many workers."""
    run.console.workers = jobs
    run.runner.run_chains(chains, jobs)
    run.console.workers = 1


def _run_cohort(run: _Run, tasks: list[Task]) -> None:
    """The cohort and per-phenotype tasks in order; a table naming other samples stops it."""
    for task in tasks:
        run.runner.run(task)
        _refuse_stray_samples(task, run.plan.samples)


def _failed(run: _Run, exc: _StageFailed) -> InputError | ToolError:
    """The one-line error for a failed task (an input error when the stage said so: exit 2),
    recorded for the summary."""
    run.failure = (exc.task.name, f"exit {exc.code}: {exc}", str(exc.log_path))
    where = f"{exc.task.name} failed (exit {exc.code}; log: {exc.log_path})"
    if exc.code == 2:
        return InputError(where, str(exc))
    return ToolError(f"{where}: {exc}")


def _summarise(run: _Run) -> None:
    """Whatever the outcome: run.json gets the status and duration, the reports their final
    banner; unless interrupted, the console the summary and every warning."""
    finished = datetime.now(UTC)
    run.meta |= {
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - run.started).total_seconds(), 2),
        "status": run.status,
    }
    plan, runner = run.plan, run.runner
    write_text(plan.out / "pipeline_info" / RUN_FILE, json.dumps(run.meta, indent=2) + "\n")
    finish_reports(plan.reports(), plan.out)  # the report was built before the run's end
    if run.status == "ABORTED":
        return
    written = [str(p) for p in plan.reports() if p.exists()]  # never one not written
    run.console.summary(run.status, str(plan.out), written, run.failure)
    if runner.warnings:
        run.console.say(f"{len(runner.warnings)} warning(s), also in {runner.warnings_path}:")
        for name, sample, message in runner.warnings:
            run.console.say(f"  {name}{'.' + sample if sample else ''}: {message}")


def _reusable(task: Task, plan: Plan, runner: Runner) -> bool:
    """Whether the reference folder already holds this task's output (STAR index, annotation
    bundle) made from the run's FASTA and GTF (size + sha256, recorded in its manifest).

    Another source, setting or tkiseq format is rebuilt with a warning; a folder without a
    tkiseq manifest is not tkiseq's, and is refused rather than replaced (unless --resume
    finds this run's own cache record of it).
    """
    prepared = _prepared_of(BY_NAME[task.stage])
    target = task.outputs[0]
    if prepared is None or not target.exists():
        return False
    recorded = (target / prepared.manifest).is_file()
    if recorded and prepared.fresh(target, plan.run_values):
        return True
    if recorded:
        runner.warn(task.stage, f"{target} was prepared from {prepared.other}; preparing it again")
        return False
    if plan.cfg.resume and (runner.cache / f"{task.name}.json").exists():
        return False  # this run's own, from before manifests: the cache record decides
    given = BY_NAME[task.stage].given.replace("_", "-")
    raise InputError(
        target,
        "exists and was not prepared by tkiseq; not replaced",
        hint=f"choose another --reference-dir, or give it as --{given}",
    )


def _check_given(stage: Stage, plan: Plan, runner: Runner) -> None:
    """An output the user gave (``Stage.given``: --star-index, --annotation) must be usable;
    one made from other files than the run's gets a warning."""
    prepared = _prepared_of(stage)
    if prepared is not None:
        warning = prepared.check_given(Path(getattr(plan.cfg, stage.given)), plan.run_values)
        if warning:
            runner.warn(stage.name, warning)


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
