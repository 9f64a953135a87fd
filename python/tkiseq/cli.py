"""Command line: one subcommand per stage, generated from the stage's ``Params`` and ``Inputs``
(``tkiseq.stage_options``). ``tkiseq run``'s options are generated the same way, from
``runner.RunConfig`` and the registry's switches and tunings; what is left (``simulate``,
``versions``, ``report-status``) is written out here.

The Nextflow processes and the local runner call these same subcommands, so a stage behaves
the same on a laptop and on a cluster. A tunable option's default is the field default of the
stage's parameter dataclass (the one place it is written) and is shown in ``--help``. Stage
modules are imported only for the subcommand asked for, so ``tkiseq --version`` and
``tkiseq versions`` stay fast.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tkiseq import __version__
from tkiseq.errors import (
    STOP_WITH_PARENT_ENV,
    InputError,
    Interrupted,
    ToolError,
    environment_message,
    interruptible,
    stop_with_parent,
)
from tkiseq.pipeline_info import configure_logging
from tkiseq.stage_options import OPTION_KEY, add_options, cli_default, flag_of, from_args
from tkiseq.stages import BY_NAME, STAGES, Stage, Switch, Tuning

Parser = argparse.ArgumentParser


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: x)`` for options that have a default (not for required ones, nor for
    switches)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        switch = isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction)
        if action.required or switch or action.default in (None, False, ""):
            return action.help
        return super()._get_help_string(action)


# -- a stage --------------------------------------------------------------------------------------
def _stage_options(stage: Stage) -> Callable[[Parser], None]:
    """The options of a stage's command: its ``Inputs``, its ``Params``, then ``--outdir``."""

    def options(p: Parser) -> None:
        code = stage.code()
        add_options(p, code.Inputs, code.Params)
        p.add_argument("--outdir", type=Path, required=True, help=code.OUTDIR_HELP)

    return options


def _stage_handler(stage: Stage) -> Callable[[argparse.Namespace], None]:
    """Runs the stage with the objects built back from the parsed options."""

    def handler(a: argparse.Namespace) -> None:
        code = stage.code()
        code.run(from_args(code.Inputs, a), from_args(code.Params, a), a.outdir)

    return handler


# -- versions -------------------------------------------------------------------------------------
def _versions_options(p: Parser) -> None:
    p.add_argument("--process", required=True, help="the Nextflow process name (task.process)")
    p.add_argument("--stage", required=True, choices=sorted(BY_NAME), help="registry stage name")


def _versions(a: argparse.Namespace) -> None:
    from tkiseq.pipeline_info import versions_yml

    sys.stdout.write(versions_yml(a.process, BY_NAME[a.stage].tools))


# -- simulate -------------------------------------------------------------------------------------
def _simulate_options(p: Parser) -> None:
    from tkiseq.simulate import PRESETS, simulate
    from tkiseq.simulate.cohort import MIN_COHORT_SAMPLES

    defaults = inspect.signature(simulate).parameters
    p.add_argument("--outdir", type=Path, required=True, help="new or empty folder to write")
    p.add_argument(
        "--preset",
        choices=list(PRESETS),
        default=defaults["preset"].default,
        help="dataset design and library defaults: "
        + "; ".join(
            f"{k}: {v.n_samples} x {v.pairs:,} pairs, duplicates {v.duplicates}, intronic "
            f"{v.intronic}, confident errors {v.confident_errors}"
            for k, v in PRESETS.items()
        ),
    )
    p.add_argument(
        "--seed",
        type=int,
        default=defaults["seed"].default,
        help="same preset, seed and options: same bytes",
    )
    p.add_argument("--pairs", type=int, help="read pairs per sample (default: the preset's)")
    p.add_argument(
        "--samples",
        type=int,
        help=f"samples (cohort preset only, >= {MIN_COHORT_SAMPLES}; default: the preset's)",
    )
    p.add_argument("--duplicates", type=float, help="PCR duplicate share of the read pairs")
    p.add_argument("--intronic", type=float, help="pre-mRNA (intronic) share of the fragments")
    p.add_argument(
        "--confident-errors",
        type=float,
        help="share of sequencing errors that keep an ordinary base quality (29-41)",
    )
    p.add_argument(
        "--gtf-dialect",
        choices=["gencode", "exon-cds", "refseq"],
        default="gencode",
        help="GTF rows as the source writes them: gencode (gene, transcript, exon, CDS, codon,"
        " UTR rows), exon-cds (exon and CDS only, as many exports), refseq (exon and CDS, the "
        "CDS ending with the stop codon)",
    )


def _simulate(a: argparse.Namespace) -> None:
    from tkiseq.simulate import simulate

    simulate(**{name: getattr(a, name) for name in inspect.signature(simulate).parameters})


# -- run ------------------------------------------------------------------------------------------
def _tuning_option(p: argparse._ArgumentGroup, stage: Stage, tuning: Tuning) -> None:
    """A study threshold of ``tkiseq run``: passed on to the stages that take it only when
    given, so their own default (shown here) applies otherwise."""
    cls = stage.params_class()
    assert cls is not None, f"{stage.name}: a tuning option needs a parameter dataclass"
    shown = cli_default(cls, tuning.field)
    takers = "; ".join(
        f"tkiseq {' '.join(s.command)} {t.flag}"
        for s in STAGES
        for t in s.tuning
        if t.name == tuning.name
    )
    p.add_argument(
        f"--{tuning.name.replace('_', '-')}",
        type=type(shown) if isinstance(shown, int | float) else str,
        help=f"{tuning.help} (default: {shown}; {takers})",
    )


def _switch_help(stage: Stage, switch: Switch) -> str:
    """A switch of ``tkiseq run`` says what the stage's own option says."""
    cls = stage.params_class()
    assert cls is not None, f"{stage.name}: a switch needs a parameter dataclass"
    fields = [f for f in dataclasses.fields(cls) if OPTION_KEY in f.metadata]
    return str(next(f for f in fields if flag_of(f) == switch.flag).metadata[OPTION_KEY].help)


def _run_options(p: Parser) -> None:
    from tkiseq.runner import RunConfig

    add_options(p, RunConfig)
    for stage in STAGES:
        for switch in stage.switches:
            flag = f"--{switch.name.replace('_', '-')}"
            p.add_argument(flag, action="store_true", help=_switch_help(stage, switch))
    study = p.add_argument_group("study thresholds (default: the stage's own)")
    added: set[str] = set()
    for stage in STAGES:
        for tuning in stage.tuning:
            if tuning.name not in added:  # one option may reach several stages (min_vaf)
                _tuning_option(study, stage, tuning)
                added.add(tuning.name)


def _run(a: argparse.Namespace) -> None:
    from tkiseq.runner import config_from_args, run_pipeline

    run_pipeline(config_from_args(a))


# -- report-status -------------------------------------------------------------------------------
def _report_status_options(p: Parser) -> None:
    p.add_argument("--results", type=Path, required=True, help="the run's --outdir folder")
    p.add_argument(
        "--report", type=Path, help="the page to update (default: <results>/report/report.html)"
    )
    p.add_argument(
        "--status",
        choices=("COMPLETED", "FAILED", "ABORTED"),
        help="the run's outcome (default: from pipeline_info/run.json and trace.tsv)",
    )
    p.add_argument(
        "--failed",
        action="append",
        default=[],
        metavar="TASK",
        help="a task that failed (repeatable), e.g. de.auc_imatinib, or as Nextflow names it, "
        "e.g. 'TKISEQ_PIPELINE:TKISEQ:ALIGN:TKISEQ_ALIGN (S01)'",
    )


def _report_status(a: argparse.Namespace) -> None:
    from tkiseq.report.status import read_state, update_report

    report = a.report or a.results / "report" / "report.html"
    if not report.exists():
        raise InputError(report, "file not found", hint="build it with tkiseq report first")
    update_report(report, read_state(a.results, a.status, a.failed))


# -- the parser -----------------------------------------------------------------------------------
Command = tuple[str, str, Callable[[Parser], None], Callable[[argparse.Namespace], None]]

# (words, help): the stage's options and handler come from its module (stages.Stage.python)
STAGE_COMMANDS = [
    ("validate", "check the input tables, read files, references and free space"),
    ("star-index", "build the STAR genome index (once per reference)"),
    ("prepare", "parse the GTF once into the annotation bundle the stages read"),
    ("align", "STAR alignment with chimeric output, BAM and gene counts"),
    ("counts", "cohort count matrix and AnnData from ReadsPerGene files or a count matrix"),
    ("de", "differential expression against a phenotype, outlier flags"),
    ("gsea", "gene set enrichment (prerank) of a DE table"),
    ("splice-lesions", "exon-deletion junctions such as IKZF1 delta4-7"),
    ("subtypes", "subtype, RNA karyotype, risk group, CD19/CD22 per sample"),
    ("response", "AUC per drug: cap, z-score, class"),
    ("lesions", "lesions from every source; IKZF1plus and deletion group"),
    ("associations", "the core study's tests and figures"),
    ("report", "the cohort report (one HTML file) and MultiQC"),
    ("variants call", "allele counts at exonic sites from a BAM, or a user VCF"),
    ("variants filter", ">= N alt reads, VAF > x, not in dbSNP"),
    ("variants annotate", "gene, consequence, HGVS, ABL1 KD and TKI flags"),
    ("variants cohort", "cohort PASS table and sample x gene alteration matrix"),
    ("fusions call", "one sample's fusions, filtered and annotated"),
    ("fusions cohort", "merge per-sample fusion tables"),
]
_BY_COMMAND = {" ".join(stage.command): stage for stage in STAGES}


def _command(words: str, text: str) -> Command:
    stage = _BY_COMMAND[words]
    return words.split()[-1], text, _stage_options(stage), _stage_handler(stage)


_STAGE = {words: _command(words, text) for words, text in STAGE_COMMANDS}
COMMANDS: list[Command] = [
    ("run", "the whole pipeline on this machine (no Nextflow)", _run_options, _run),
    (
        "simulate",
        "write a test dataset (tiny, cohort, deep) with its truth",
        _simulate_options,
        _simulate,
    ),
    *(_STAGE[words] for words, _ in STAGE_COMMANDS if " " not in words),
    (
        "report-status",
        "write the run's final status into its report",
        _report_status_options,
        _report_status,
    ),
    (
        "versions",
        "versions.yml of a stage: tkiseq and the tools it uses",
        _versions_options,
        _versions,
    ),
]
STEPS: dict[str, tuple[str, list[Command]]] = {
    "variants": (
        "SNV/indel calling, study filter and annotation",
        [c for w, c in _STAGE.items() if w.startswith("variants ")],
    ),
    "fusions": (
        "fusion calls from STAR chimeric and spliced junctions",
        [c for w, c in _STAGE.items() if w.startswith("fusions ")],
    ),
}


def _add(sub: argparse._SubParsersAction, command: Command, full: bool) -> None:
    name, text, options, handler = command
    p = sub.add_parser(name, help=text, description=text, formatter_class=_Help)
    if full:
        options(p)
    p.set_defaults(func=handler)


def build_parser(only: str | None = None, step: str | None = None) -> Parser:
    """The ``tkiseq`` argument parser; with ``only``, just that command (with ``step``, just
    that step of it) gets its options (the others are listed), so a call imports only its own
    stage's modules: a per-sample step then starts in a fifth of a second, not a second."""
    parser = Parser(
        prog="tkiseq", description="RNA-seq pipeline for B-ALL and ex vivo TKI response."
    )
    parser.add_argument("--version", action="version", version=f"tkiseq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for command in COMMANDS:
        _add(sub, command, only in (None, command[0]))
    for group, (text, steps) in STEPS.items():
        p = sub.add_parser(group, help=text, description=text)
        steps_sub = p.add_subparsers(dest=f"{group}_command", required=True, metavar="<step>")
        for one in steps:
            _add(steps_sub, one, only in (None, group) and step in (None, one[0]))
    return parser


def _unreadable_table(exc: Exception) -> str | None:
    """``<file>: <what pandas said>`` when ``exc`` was raised inside ``pandas.read_csv`` (an
    empty file, no delimiter to be found, ragged rows), whose errors do not name the file;
    None for any other error."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        source = frame.f_locals.get("filepath_or_buffer")
        if frame.f_code.co_name == "read_csv" and isinstance(source, str | os.PathLike):
            what = " ".join(str(exc).split()) or type(exc).__name__
            return f"{source}: not a readable table ({what})"
        tb = tb.tb_next
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: bad input, tool failures, file-system failures (read-only folder, full
    disk) and interrupts (Ctrl-C, SIGTERM) become one line on stderr, not a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    names = {c[0] for c in COMMANDS} | set(STEPS)
    words = [word for word in argv if not word.startswith("-")]
    first = words[0] if words else ""
    step = words[1] if first in STEPS and len(words) > 1 else None
    args = build_parser(only=first if first in names else "", step=step).parse_args(argv)
    configure_logging()
    try:
        with interruptible():
            if os.environ.get(STOP_WITH_PARENT_ENV):
                stop_with_parent()
            args.func(args)
    except InputError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"tkiseq: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tkiseq: error: {environment_message(exc)}", file=sys.stderr)
        return 1
    except (ValueError, csv.Error) as exc:  # pandas' EmptyDataError, ParserError, sniffer
        message = _unreadable_table(exc)
        if message is None:
            raise
        print(f"tkiseq: error: {message}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"tkiseq: interrupted ({exc}): stopped, temporaries removed", file=sys.stderr)
        return exc.exit_code
    return 0
