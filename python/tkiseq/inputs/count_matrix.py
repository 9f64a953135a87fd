"""User count matrices as an entry point to DE: the pipeline's own files or a lab's existing ones.

Accepted, recognised from the file itself:
- ``cohort.h5ad`` from ``tkiseq counts`` (layer ``counts``);
- a genes x samples TSV/CSV: first column gene IDs, optional ``gene_name`` column, then one
  integer column per sample (``expression/counts.tsv`` is one);
- featureCounts output (``# Program:featureCounts`` header; annotation columns dropped, BAM
  paths reduced to sample names);
- HTSeq-count output, one headerless ``gene<TAB>count`` file per sample (the sample is the file
  name without ``.gz``, ``.txt``, ``.tsv``, ``.tab``, ``.counts``, ``.count`` or ``.htseq``); its
  ``__no_feature``, ``__ambiguous`` and other ``__`` summary rows are dropped;
- one or more STAR ``<sample>.ReadsPerGene.out.tab`` files (the strand column chosen by the
  sample's ``strandedness.json`` beside it, else inferred from the file as ``tkiseq align`` does).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from tkiseq.align.strandedness import COLUMN, read_reads_per_gene, resolve
from tkiseq.errors import InputError

RPG_SUFFIX = ".ReadsPerGene.out.tab"
FEATURECOUNTS_ANNOTATION = ["Chr", "Start", "End", "Strand", "Length"]
BAM_SUFFIXES = re.compile(r"(\.Aligned\.sortedByCoord\.out|\.Aligned\.out|\.sorted)?\.bam$")
HTSEQ_SUFFIXES = re.compile(r"(\.(gz|txt|tsv|tab|counts?|htseq([-_]counts?)?))+$")
HTSEQ_SUMMARY = "__"  # __no_feature, __ambiguous, __too_low_aQual, __not_aligned, ...


@dataclass(frozen=True)
class CountMatrix:
    """Raw counts (genes x samples, int64) with gene names indexed like the counts."""

    counts: pd.DataFrame
    gene_names: pd.Series
    source: Path


def read_counts(paths: list[Path]) -> CountMatrix:
    """Read any accepted count input; checks shared by all formats are applied here."""
    if not paths:
        raise InputError("--counts", "no count file given")
    for path in paths:
        if not Path(path).is_file():
            raise InputError(path, "file not found")
    if all(p.name.endswith(RPG_SUFFIX) for p in paths):
        matrix = _read_reads_per_gene(paths)
    elif all(_is_htseq(p) for p in paths):
        matrix = _read_htseq(paths)
    elif len(paths) > 1:
        raise InputError(
            paths[1],
            "only STAR ReadsPerGene or HTSeq-count files may be given several at a time",
            hint="merge other formats into one genes x samples table",
        )
    elif paths[0].suffix == ".h5ad":
        matrix = _read_h5ad(paths[0])
    else:
        matrix = _read_table(paths[0])
    return _checked(matrix)


def _first_line(path: Path) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt") as fh:
            return fh.readline()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(path, f"unreadable ({exc})") from None


def _is_htseq(path: Path) -> bool:
    """HTSeq-count output: no header, two tab-separated fields, the second an integer."""
    if path.suffix == ".h5ad" or path.name.endswith(RPG_SUFFIX):
        return False
    fields = _first_line(path).rstrip("\n").split("\t")
    return len(fields) == 2 and fields[1].strip().isdigit()


def htseq_sample(path: Path) -> str:
    """``P01.htseq.counts.txt`` -> ``P01``."""
    return HTSEQ_SUFFIXES.sub("", path.name) or path.name


def sample_names(paths: list[Path]) -> list[str]:
    """The samples (columns) of a count input, from file names or the header (no counts read)."""
    if all(p.name.endswith(RPG_SUFFIX) for p in paths):
        return [p.name[: -len(RPG_SUFFIX)] for p in paths]
    if all(_is_htseq(p) for p in paths):
        return [htseq_sample(p) for p in paths]
    if len(paths) == 1 and paths[0].suffix == ".h5ad":
        return read_counts(paths).counts.columns.tolist()
    if len(paths) == 1:
        return _read_table(paths[0], nrows=0).counts.columns.tolist()
    return read_counts(paths).counts.columns.tolist()  # raises the reason


def _checked(m: CountMatrix) -> CountMatrix:
    """Reject what DESeq2 cannot model: no genes, repeated IDs, negative or fractional counts."""
    counts = m.counts
    if counts.shape[0] == 0 or counts.shape[1] == 0:
        raise InputError(m.source, "count matrix is empty", hint="expected genes x samples")
    dup = counts.index[counts.index.duplicated()].unique()
    if len(dup):
        raise InputError(
            m.source,
            f"duplicated gene IDs: {', '.join(map(str, dup[:5]))}",
            hint="gene IDs must be unique; sum or drop the duplicates first",
        )
    dup_samples = counts.columns[counts.columns.duplicated()].unique()
    if len(dup_samples):
        raise InputError(m.source, f"duplicated sample columns: {', '.join(dup_samples[:5])}")
    numeric = [
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
        for t in counts.dtypes
    ]
    if not all(numeric):  # the slow path only to name the first bad value
        col = counts.columns[numeric.index(False)]
        values = pd.to_numeric(counts[col], errors="coerce")
        gene = values.index[values.isna() & counts[col].notna()][0]
        raise InputError(
            m.source, f"non-numeric count {counts.at[gene, col]!r} for gene {gene}", column=col
        )
    if all(pd.api.types.is_integer_dtype(t) for t in counts.dtypes):
        array = counts.to_numpy()
        if (array < 0).any():
            col = counts.columns[(array < 0).any(axis=0)][0]
            raise InputError(
                m.source, "negative counts", column=col, hint="expected raw read counts"
            )
        counts = pd.DataFrame(
            array.astype(np.int64, copy=False),
            index=counts.index,
            columns=counts.columns,
            copy=False,
        )
        counts.index.name = "gene_id"
        return CountMatrix(counts, m.gene_names.reindex(counts.index), m.source)
    array = counts.to_numpy(dtype=float)
    missing = np.isnan(array)
    if missing.any():
        col = counts.columns[missing.any(axis=0)][0]
        gene = counts.index[np.isnan(counts[col].to_numpy(dtype=float))][0]
        raise InputError(m.source, f"missing count for gene {gene}", column=col)
    if (array < 0).any():
        col = counts.columns[(array < 0).any(axis=0)][0]
        raise InputError(m.source, "negative counts", column=col, hint="expected raw read counts")
    if (array != np.round(array)).any():
        col = counts.columns[(array != np.round(array)).any(axis=0)][0]
        raise InputError(
            m.source,
            "non-integer counts",
            column=col,
            hint="give raw read counts, not TPM/FPKM or normalised values",
        )
    counts = pd.DataFrame(array.astype(np.int64), index=counts.index, columns=counts.columns)
    counts.index.name = "gene_id"
    return CountMatrix(counts, m.gene_names.reindex(counts.index), m.source)


def _read_h5ad(path: Path) -> CountMatrix:
    from tkiseq.inputs.cohort_file import layer_names, read_cohort

    adata = read_cohort(path, ("counts",), with_x="counts" not in layer_names(path))
    layer = adata.layers.get("counts", adata.X)
    counts = pd.DataFrame(np.asarray(layer).T, index=adata.var_names, columns=adata.obs_names)
    names = adata.var["gene_name"] if "gene_name" in adata.var else pd.Series(adata.var_names)
    return CountMatrix(counts, pd.Series(names.to_numpy(), index=adata.var_names), path)


def _read_table(path: Path, nrows: int | None = None) -> CountMatrix:
    """A genes x samples table or featureCounts output, parsed by pyarrow in C and copied once
    into one integer array: a 2,000-sample matrix takes seconds, where pandas' per-column
    frames and per-cell conversions take minutes."""
    first = _first_line(path)
    featurecounts = first.startswith("#") and "featureCounts" in first
    sep = "," if path.name.lower().removesuffix(".gz").endswith(".csv") else "\t"
    try:
        if nrows is not None:  # the header only: the samples
            table = pd.read_csv(path, sep=sep, nrows=nrows, skiprows=int(featurecounts))
            return _table_matrix(table, path, featurecounts)
        arrow = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=int(featurecounts)),
            parse_options=pacsv.ParseOptions(delimiter=sep),
        )
    except (ValueError, pd.errors.ParserError, pa.ArrowException, UnicodeError, OSError) as exc:
        message = " ".join(str(exc).split())
        raise InputError(path, f"not a delimited count table ({message})") from None
    if arrow.num_columns < 2:
        raise InputError(path, "expected a gene ID column and at least one sample column")
    names = [str(c) for c in arrow.column_names]
    text = {names[0], "gene_name", *(FEATURECOUNTS_ANNOTATION if featurecounts else ())}
    counts = [i for i, c in enumerate(names) if c not in text]
    types = [arrow.column(i).type for i in counts]
    if not all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types):
        table = arrow.to_pandas()  # a text (or empty) column: pandas' objects, to name the cell
        table.columns = names
        return _table_matrix(table, path, featurecounts)
    integer = all(pa.types.is_integer(t) for t in types) and not any(
        arrow.column(i).null_count for i in counts
    )
    array = np.empty((arrow.num_rows, len(counts)), dtype=np.int64 if integer else np.float64)
    for j, i in enumerate(counts):  # column by column: the matrix is copied once
        array[:, j] = arrow.column(i).to_numpy()
    ids = pd.Index(arrow.column(0).cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    gene_names = (
        pd.Series(arrow.column("gene_name").cast(pa.string()).to_numpy(zero_copy_only=False))
        if "gene_name" in names
        else pd.Series(ids)
    )
    table = pd.DataFrame(array, index=ids, columns=[names[i] for i in counts], copy=False)
    if featurecounts:
        table.columns = [BAM_SUFFIXES.sub("", Path(c).name) for c in table.columns]
    gene_names.index = ids
    gene_names = gene_names.where(gene_names.notna() & (gene_names != ""), ids.to_series(index=ids))
    return CountMatrix(table, gene_names, path)


def _table_matrix(table: pd.DataFrame, path: Path, featurecounts: bool) -> CountMatrix:
    if table.shape[1] < 2:
        raise InputError(path, "expected a gene ID column and at least one sample column")
    table.columns = [str(c) for c in table.columns]
    table = table.set_index(table.columns[0])
    table.index = table.index.astype(str)
    if featurecounts:
        table = table.drop(columns=[c for c in FEATURECOUNTS_ANNOTATION if c in table])
        table.columns = [BAM_SUFFIXES.sub("", Path(c).name) for c in table.columns]
    names = table.pop("gene_name") if "gene_name" in table else pd.Series(table.index)
    names = pd.Series(np.asarray(names, dtype=object), index=table.index)
    names = names.where(names.notna() & (names != ""), pd.Series(table.index, index=table.index))
    return CountMatrix(table, names, path)


def _read_htseq(paths: list[Path]) -> CountMatrix:
    """One HTSeq-count file per sample; the ``__`` summary rows are not genes."""
    columns = []
    for path in paths:
        try:
            table = pd.read_csv(
                path,
                sep="\t",
                header=None,
                names=["gene_id", "count"],
                index_col=0,
                engine="pyarrow",
            )
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
            message = " ".join(str(exc).split())
            raise InputError(path, f"not HTSeq-count output ({message})") from None
        table.index = table.index.astype(str)
        genes = table[~table.index.str.startswith(HTSEQ_SUMMARY)]
        columns.append(genes["count"].rename(htseq_sample(path)))
    for column, path in zip(columns[1:], paths[1:], strict=True):
        if not column.index.equals(columns[0].index):
            raise InputError(path, f"gene list differs from {paths[0].name}")
    table = pd.concat(columns, axis=1)
    return CountMatrix(table, pd.Series(table.index, index=table.index), paths[0])


def _read_reads_per_gene(paths: list[Path]) -> CountMatrix:
    columns = []
    for path in paths:
        sample = path.name[: -len(RPG_SUFFIX)]
        counts, _ = read_reads_per_gene(path)
        decision = path.with_name(f"{sample}.strandedness.json")
        if decision.exists():
            used = json.loads(decision.read_text())["used"]
        else:
            used = resolve(sample, "auto", counts).used
        columns.append(counts[COLUMN[used]].rename(sample))
    for column, path in zip(columns[1:], paths[1:], strict=True):
        if not column.index.equals(columns[0].index):
            raise InputError(path, f"gene list differs from {paths[0].name}")
    table = pd.concat(columns, axis=1)
    return CountMatrix(table, pd.Series(table.index, index=table.index), paths[0])
