"""Read a run's outputs for the report: every file optional except the validated samplesheet.

A missing file is not an error (its section says so); a file that is present but not in the
documented format is bad input, reported with its path and what was expected.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.errors import InputError

SAMPLESHEET = Path("pipeline_info/inputs/samplesheet.valid.csv")

# Columns each cohort table must have (docs/output.md); extra columns are kept.
REQUIRED = {
    "subtypes": ("sample", "subtype", "confidence", "risk_group", "evidence"),
    "lesions": ("sample", "lesion", "source", "status", "evidence"),
    "profile": ("sample",),
    "response": ("sample", "drug", "auc", "auc_capped", "z", "class"),
    "associations": ("analysis", "variable", "group", "n", "effect", "pvalue", "padj", "method"),
    "fusions": (
        "sample",
        "gene5",
        "gene3",
        "breakpoint5",
        "breakpoint3",
        "split_reads",
        "spanning_pairs",
        "ffpm",
        "reading_frame",
        "isoform",
        "confidence",
        "filters",
    ),
    "variants": (
        "sample",
        "chrom",
        "pos",
        "ref",
        "alt",
        "gene",
        "consequence",
        "hgvsp",
        "alt_reads",
        "depth",
        "vaf",
        "filter",
        "tki_resistance",
    ),
    "de": ("gene_id", "gene_name", "base_mean", "log2fc", "pvalue", "padj", "outlier_driven"),
    "gsea": ("term", "es", "nes", "pvalue", "fdr", "size", "leading_edge"),
    "strandedness": ("sample", "declared", "inferred"),
    "karyotype": (
        "sample",
        "chrom",
        "arm",
        "log2_ratio",
        "maf_peak",
        "copy_number",
        "call",
        "confidence",
    ),
    "trace": ("stage", "sample", "exit_code"),
    "warnings": (),
}

# Log.final.out lines the QC table uses, by the label STAR prints.
STAR_FIELDS = {
    "Number of input reads": "input_reads",
    "Uniquely mapped reads %": "uniquely_mapped_pct",
    "% of reads mapped to multiple loci": "multimapped_pct",
    "% of reads mapped to too many loci": "too_many_loci_pct",
}


def read_samples(results: Path) -> list[str]:
    """Sample IDs in samplesheet order: the one input the report cannot do without."""
    path = results / SAMPLESHEET
    if not path.exists():
        raise InputError(path, "file not found", hint="run tkiseq validate first")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "sample" not in reader.fieldnames:
            raise InputError(path, "no 'sample' column", line=1)
        samples = [row["sample"] for row in reader]
    if not samples:
        raise InputError(path, "no samples", line=2)
    return samples


def align_file(results: Path, sample: str, suffix: str) -> Path:
    """``align/<sample>/<sample><suffix>`` as ``tkiseq run`` publishes it, or the same file
    directly in ``align/`` (how a Nextflow process stages many samples' logs); the first when
    neither exists."""
    nested = results / "align" / sample / f"{sample}{suffix}"
    flat = results / "align" / f"{sample}{suffix}"
    return flat if not nested.exists() and flat.exists() else nested


def read_table(path: Path, kind: str) -> pd.DataFrame | None:
    """A TSV as text columns, or None when absent; missing documented columns are an error."""
    if not path.exists():
        return None
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a tab-separated table with a header ({exc})") from None
    missing = [c for c in REQUIRED[kind] if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)}",
            line=1,
            hint=f"found {', '.join(table.columns)}",
        )
    return table


def numeric(table: pd.DataFrame, columns: list[str] | tuple[str, ...], path: Path) -> None:
    """Convert ``columns`` to numbers in place; a non-numeric cell is named (empty/NA allowed)."""
    for column in columns:
        text = table[column].str.strip()
        values = pd.to_numeric(text.replace({"": np.nan, "NA": np.nan}), errors="coerce")
        bad = values.isna() & ~text.isin(["", "NA", "nan", "NaN"])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                path, f"expected a number, found {text.iloc[row]!r}", line=row + 2, column=column
            )
        table[column] = values


def parse_star_log(text: str, path: Path) -> dict[str, float]:
    """The QC figures of a STAR ``Log.final.out`` (percentages as numbers, 0-100)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        label, sep, value = line.partition("|")
        key = STAR_FIELDS.get(label.strip())
        if not sep or key is None:
            continue
        try:
            found[key] = float(value.strip().rstrip("%"))
        except ValueError:
            raise InputError(
                path, f"{label.strip()!r}: expected a number, found {value.strip()!r}"
            ) from None
    missing = [label for label, key in STAR_FIELDS.items() if key not in found]
    if missing:
        raise InputError(path, f"not a STAR Log.final.out (no {missing[0]!r} line)")
    return found


_MARKDUP = re.compile(r"^([A-Z_ ]+):\s*(\d+)\s*$")


def parse_markdup(text: str, path: Path) -> float:
    """Duplicate share (%) of the examined primary reads from ``samtools markdup -s`` stats.

    ``DUPLICATE PRIMARY TOTAL`` counts duplicate reads (both mates of a duplicate pair);
    ``EXAMINED`` the primary reads markdup could judge.
    """
    values = {}
    for line in text.splitlines():
        match = _MARKDUP.match(line)
        if match:
            values[match.group(1).strip()] = int(match.group(2))
    if "EXAMINED" not in values or "DUPLICATE PRIMARY TOTAL" not in values:
        raise InputError(
            path, "not samtools markdup -s statistics (no EXAMINED / DUPLICATE PRIMARY TOTAL)"
        )
    examined = values["EXAMINED"]
    return 100.0 * values["DUPLICATE PRIMARY TOTAL"] / examined if examined else float("nan")


def genes_detected(counts: Path, samples: list[str], min_reads: int) -> pd.Series:
    """Genes with at least ``min_reads`` reads, per sample of ``counts.tsv`` (NaN if absent)."""
    header = pd.read_csv(counts, sep="\t", nrows=0).columns
    if list(header[:2]) != ["gene_id", "gene_name"]:
        raise InputError(counts, "expected gene_id, gene_name, then one column per sample", line=1)
    present = [s for s in samples if s in header]
    table = pd.read_csv(counts, sep="\t", usecols=present)
    if not all(pd.api.types.is_numeric_dtype(t) for t in table.dtypes):
        raise InputError(counts, "non-numeric count", hint="raw integer counts expected")
    detected = (table >= min_reads).sum(axis=0).astype(float)
    return detected.reindex(samples)


@dataclass(frozen=True)
class QcDirection:
    """Which side of the cohort is bad for a QC metric, and whether it is a percentage."""

    column: str
    label: str
    bad: str  # "low" or "high"
    percent: bool


QC_METRICS = (
    QcDirection("input_reads", "input reads", "low", False),
    QcDirection("uniquely_mapped_pct", "uniquely mapped %", "low", True),
    QcDirection("multimapped_pct", "multimapped %", "high", True),
    QcDirection("duplicates_pct", "duplicates %", "high", True),
    QcDirection("genes_detected", "genes detected", "low", False),
)


def qc_table(results: Path, samples: list[str], min_reads: int) -> tuple[pd.DataFrame, list[str]]:
    """One row per sample: STAR figures, duplicates, strandedness, genes detected.

    Returns the table and the list of missing inputs (a metric is NaN where its file is absent).
    """
    rows = []
    absent: dict[str, list[str]] = {".Log.final.out": [], ".markdup.txt": []}
    for sample in samples:
        row: dict[str, object] = {"sample": sample}
        log = align_file(results, sample, ".Log.final.out")
        if log.exists():
            row.update(parse_star_log(log.read_text(), log))
        else:
            absent[".Log.final.out"].append(str(log.relative_to(results)))
        dup = align_file(results, sample, ".markdup.txt")
        if dup.exists():
            row["duplicates_pct"] = parse_markdup(dup.read_text(), dup)
        else:
            absent[".markdup.txt"].append(str(dup.relative_to(results)))
        rows.append(row)
    missing: list[str] = []
    for suffix, paths in absent.items():
        if len(paths) > 1 and len(paths) == len(samples):  # a run from a count matrix: no reads
            none = f"(for none of the {len(paths)} samples)"
            missing.append(f"align/<sample>/<sample>{suffix} {none}")
        else:
            missing.extend(paths)
    table = pd.DataFrame(rows).set_index("sample")
    for metric in QC_METRICS:
        if metric.column not in table:
            table[metric.column] = np.nan
    strand_path = results / "expression" / "strandedness.tsv"
    strand = read_table(strand_path, "strandedness")
    if strand is None:
        missing.append("expression/strandedness.tsv")
        table["strandedness_declared"] = ""
        table["strandedness_inferred"] = ""
    else:
        strand = strand.set_index("sample").reindex(samples).fillna("")
        table["strandedness_declared"] = strand["declared"]
        table["strandedness_inferred"] = strand["inferred"]
    counts = results / "expression" / "counts.tsv"
    if counts.exists():
        table["genes_detected"] = genes_detected(counts, samples, min_reads)
    else:
        missing.append("expression/counts.tsv")
    return table.reset_index(), missing


def robust_z(values: pd.Series) -> pd.Series:
    """Iglewicz-Hoaglin modified z-score 0.6745 (x - median) / MAD.

    When more than half the values are equal (MAD 0), the mean absolute deviation scaled by
    1.2533 replaces 1.4826 MAD (the usual fallback); all-equal values give z = 0.
    """
    x = values.astype(float)
    median = x.median()
    mad = (x - median).abs().median()
    if mad > 0:
        return 0.6745 * (x - median) / mad
    mean_ad = (x - median).abs().mean()
    if not mean_ad > 0:
        return pd.Series(0.0, index=x.index)
    return (x - median) / (1.253314 * mean_ad)


def qc_outliers(qc: pd.DataFrame, z: float, min_fraction: float, min_points: float) -> pd.DataFrame:
    """Per sample and metric: True where the value is an outlier on the metric's bad side.

    An outlier has a robust z-score beyond ``z`` and lies far enough from the median to
    matter: ``min_points`` percentage points for percentages, ``min_fraction`` of the median
    for counts. In a tight cohort a z-score alone flags harmless differences (0.05 % vs 0.04 %
    multimapped). A declared strandedness that disagrees with the inferred one (``auto``
    excepted) is flagged in ``strandedness_mismatch``.
    """
    flags = pd.DataFrame(index=qc.index)
    for metric in QC_METRICS:
        x = qc[metric.column].astype(float)
        score = robust_z(x)
        shift = (x - x.median()).abs()
        far = shift >= (min_points if metric.percent else min_fraction * abs(x.median()))
        side = (score < -z) if metric.bad == "low" else (score > z)
        flags[metric.column] = far & side
    declared = qc["strandedness_declared"]
    inferred = qc["strandedness_inferred"]
    flags["strandedness_mismatch"] = (
        (declared != "") & (declared != "auto") & (inferred != "") & (declared != inferred)
    )
    return flags


def read_json(path: Path) -> dict | None:
    """A JSON object, or None when absent."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object")
    return data


def read_versions(path: Path) -> dict[str, dict[str, str]] | None:
    """``software_versions.yml`` (``PROCESS:`` then ``  tool: 'version'`` lines) as nested dicts."""
    if not path.exists():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(path, f"not YAML ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(path, "expected 'PROCESS:' keys, each with 'tool: version' entries")
    return {str(k): {str(t): str(v) for t, v in tools.items()} for k, tools in data.items()}
