"""Command-line options generated from dataclass fields (tkiseq.stage_options)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tkiseq.stage_options import add_options, cli_default, from_args, option, positive_int


@dataclass(frozen=True)
class Params:
    min_reads: int = option(2, help="reads a call needs")
    vaf: float = option(0.1, flag="--min-vaf", help="VAF above this")
    genes: tuple[str, ...] = option(("IKZF1", "PAX5"), help="comma-separated genes")
    threads: int = option(1, type=positive_int, help="threads")
    mode: str = option("auto", choices=("auto", "forward"), help="mode")
    plots: bool = option(True, flag="--no-plots", help="tables only")
    strict: bool = option(False, help="refuse warnings")
    cap: float | None = option(
        150.0, help="cap (0: none)", from_cli=lambda cap: cap if cap > 0 else None
    )
    constant: int = 7  # not an option: keeps its default
    rules: tuple[str, ...] = field(default=("a",))


@dataclass(frozen=True, kw_only=True)
class Inputs:
    tables: tuple[Path, ...] = option(positional=True, nargs="+", help="tables")
    sample: str = option(help="sample name")
    bam: Path | None = option(None, help="BAM")
    logs: tuple[Path, ...] = option((), nargs="+", help="logs")
    gene_sets: tuple[Path, ...] = option((), help="comma-separated GMT files")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="t")
    add_options(parser, Inputs, Params)
    return parser.parse_args(argv)


def test_defaults_come_back_as_the_dataclass_defaults() -> None:
    a = parse(["t.tsv", "--sample", "S1"])
    assert from_args(Params, a) == Params()
    assert from_args(Inputs, a) == Inputs(tables=(Path("t.tsv"),), sample="S1")


def test_values_are_typed_and_lists_are_tuples() -> None:
    a = parse(
        [
            "a.tsv",
            "b.tsv",
            "--sample",
            "S1",
            "--bam",
            "x.bam",
            "--logs",
            "1.log",
            "2.log",
            "--gene-sets",
            "a.gmt, b.gmt",
            "--min-reads",
            "5",
            "--min-vaf",
            "0.2",
            "--genes",
            "ERG,,CDKN2A",
            "--threads",
            "3",
            "--mode",
            "forward",
            "--no-plots",
            "--strict",
            "--cap",
            "0",
        ]
    )
    assert from_args(Params, a) == Params(
        min_reads=5,
        vaf=0.2,
        genes=("ERG", "CDKN2A"),
        threads=3,
        mode="forward",
        plots=False,
        strict=True,
        cap=None,
    )
    assert from_args(Inputs, a) == Inputs(
        tables=(Path("a.tsv"), Path("b.tsv")),
        sample="S1",
        bam=Path("x.bam"),
        logs=(Path("1.log"), Path("2.log")),
        gene_sets=(Path("a.gmt"), Path("b.gmt")),
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["t.tsv"],  # --sample is required
        ["--sample", "S1"],  # a positional list needs one value
        ["t.tsv", "--sample", "S1", "--threads", "0"],
        ["t.tsv", "--sample", "S1", "--mode", "reverse"],
        ["t.tsv", "--sample", "S1", "--constant", "3"],  # not an option
    ],
)
def test_bad_command_lines_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse(argv)


def test_help_shows_the_defaults_the_command_line_way() -> None:
    assert cli_default(Params, "genes") == "IKZF1,PAX5"
    assert cli_default(Inputs, "logs") == []
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_options(parser, Params)
    text = " ".join(parser.format_help().split())
    assert "--min-vaf MIN_VAF VAF above this (default: 0.1)" in text
    assert "--genes GENES comma-separated genes (default: IKZF1,PAX5)" in text
    assert "--mode {auto,forward}" in text
