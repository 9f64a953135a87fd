"""The cohort count matrix: one strand-resolved column per sample from STAR's ReadsPerGene,
or a published count matrix (HTSeq-count, featureCounts, a genes x samples table) whose genes
are matched to the annotation.

One matrix, one AnnData: ``counts.tsv`` for any tool, ``cohort.h5ad`` (samples x genes,
layers ``counts``, ``normalised`` and ``vst``, obs = phenotypes) for the Python stages.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.align.strandedness import COLUMN, read_reads_per_gene
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.expression.gene_ids import match_genes
from tkiseq.expression.normalise import gene_blocks, median_of_ratios, vst
from tkiseq.genome.bundle import read_genes
from tkiseq.inputs.count_matrix import read_counts
from tkiseq.stage_options import option

RPG_SUFFIX = ".ReadsPerGene.out.tab"
UNMATCHED = "unmatched_genes.tsv"
LOG_SUFFIX = ".Log.final.out"
UNIQUE_LINE = "Uniquely mapped reads %"


@dataclass(frozen=True)
class CountsParams:
    """The QC gate between alignment and the cohort analyses."""

    # A sample with fewer reads uniquely mapped than this (%, STAR's Log.final.out) failed to
    # align (wrong species or reference, mates that do not belong together, adapter dimers):
    # its counts would be noise in DE, subtypes and the karyotype, so it is left out of them.
    min_mapped_pct: float = option(
        20.0,
        flag="--min-mapped",
        help="QC gate: samples with a lower uniquely mapped %% are left out of the cohort",
    )


STRAND_COLUMNS = ("declared", "inferred", "used")

log = logging.getLogger(__name__)


def sample_of(path: Path) -> str:
    """``BA_P01.ReadsPerGene.out.tab`` -> ``BA_P01``."""
    if not path.name.endswith(RPG_SUFFIX):
        raise InputError(path, f"file name does not end in {RPG_SUFFIX}")
    return path.name[: -len(RPG_SUFFIX)]


def load_sample(path: Path) -> tuple[str, pd.Series, dict[str, object]]:
    """Counts in the column the sample's strandedness decision names."""
    sample = sample_of(path)
    decision_path = path.with_name(f"{sample}.strandedness.json")
    if not decision_path.exists():
        raise InputError(
            decision_path, "file not found", hint=f"it is written by tkiseq align with {path.name}"
        )
    decision = json.loads(decision_path.read_text())
    counts, _ = read_reads_per_gene(path)
    return sample, counts[COLUMN[decision["used"]]].rename(sample), decision


def count_matrix(columns: list[pd.Series], paths: list[Path]) -> pd.DataFrame:
    """Genes x samples; all samples must come from the same index (same genes, same order)."""
    first = columns[0].index
    for column, path in zip(columns[1:], paths[1:], strict=True):
        if not column.index.equals(first):
            raise InputError(
                path, f"gene list differs from {paths[0].name}", hint="align with one STAR index"
            )
    seen: set[str] = set()
    for column, path in zip(columns, paths, strict=True):
        if column.name in seen:
            raise InputError(path, f"sample {column.name!r} given twice")
        seen.add(str(column.name))
    return pd.concat(columns, axis=1)


def to_anndata(
    matrix: pd.DataFrame, genes: pd.DataFrame, phenotypes: pd.DataFrame, decisions: pd.DataFrame
) -> ad.AnnData:
    """Samples x genes AnnData with raw, size-factor normalised and variance-stabilised counts.

    Counts are stored as int32 (int64 only past its range), the normalised and VST layers as
    float32 (7 significant digits, far finer than a count's noise): half the memory and the
    file of 64-bit layers, which at 2,000 samples x 60,000 genes were 960 MB each, read whole
    by every later stage. ``X`` is the counts array itself, not a copy.
    """
    fits = matrix.empty or int(matrix.to_numpy().max(initial=0)) <= np.iinfo(np.int32).max
    counts = matrix.T.to_numpy(dtype=np.int32 if fits else np.int64)
    var = genes.reindex(matrix.index)
    var["gene_name"] = var["gene_name"].fillna(pd.Series(matrix.index, index=matrix.index))
    obs = phenotypes.reindex(matrix.columns).join(decisions)
    obs.index.name = "sample"
    sf = median_of_ratios(counts)
    obs["size_factor"] = sf
    adata = ad.AnnData(X=counts, obs=obs, var=var)
    adata.layers["counts"] = counts
    normalised = np.empty(counts.shape, dtype=np.float32)
    for b in gene_blocks(*counts.shape):
        normalised[:, b] = counts[:, b] / sf[:, None]
    adata.layers["normalised"] = normalised
    adata.layers["vst"] = vst(counts, dtype=np.float32)
    return adata


def write_count_table(path: Path, matrix: pd.DataFrame, gene_names: np.ndarray) -> None:
    """``counts.tsv`` (gene_id, gene_name, one column per sample) written by pyarrow's C writer
    a block of genes at a time: pandas' ``to_csv`` took minutes on 2,000 x 60,000. Names with
    a tab, quote or line break (which pyarrow would have to quote) go through pandas."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    labels = pd.Series([*map(str, matrix.index), *map(str, gene_names), *map(str, matrix.columns)])
    if labels.str.contains('[\t\n\r"]').any():
        table = matrix.copy()
        table.insert(0, "gene_name", gene_names)
        table.index.name = "gene_id"
        table.to_csv(path, sep="\t")
        return
    columns = ["gene_id", "gene_name", *map(str, matrix.columns)]
    values = matrix.to_numpy()
    options = pacsv.WriteOptions(delimiter="\t", quoting_style="none", include_header=False)
    step = max(1, 4_000_000 // max(len(columns), 1))
    with open(path, "wb") as fh:
        fh.write(("\t".join(columns) + "\n").encode())
        for lo in range(0, len(matrix), step):
            block = values[lo : lo + step]
            arrays = [
                pa.array(matrix.index[lo : lo + step].astype(str)),
                pa.array(np.asarray(gene_names[lo : lo + step]).astype(str)),
                *(pa.array(block[:, j]) for j in range(block.shape[1])),
            ]
            pacsv.write_csv(pa.Table.from_arrays(arrays, names=columns), fh, options)


def from_matrix(
    paths: list[Path], genes: pd.DataFrame, samples: list[str] | None
) -> tuple[pd.DataFrame, pd.Series]:
    """A published matrix's counts keyed by annotation gene_id, for ``samples`` (all columns when
    None), and the reads of the rows no annotation gene matched."""
    given = read_counts(paths)
    counts = given.counts
    if samples is not None:
        absent = [s for s in samples if s not in counts.columns]
        if absent:
            raise InputError(
                paths[0],
                f"no column for sample(s) {', '.join(absent[:5])}",
                hint="the samplesheet's samples must be columns of the count matrix",
            )
        counts = counts[samples]
    own_names = not given.gene_names.equals(given.counts.index.to_series())
    match = match_genes(counts, genes, given.gene_names if own_names else None)
    if match.counts.empty:
        raise InputError(
            paths[0],
            "no gene of the matrix matches the annotation (by gene_id, gene_id without "
            f"version or gene_name; first rows: {', '.join(map(str, counts.index[:3]))})",
            hint="give the GTF the matrix was counted with, or one whose gene_name are its symbols",
        )
    if len(match.unmatched):
        log.warning(
            "%s: %s; %d without a match are left out (listed in %s)",
            paths[0],
            match.summary(),
            len(match.unmatched),
            UNMATCHED,
        )
    return match.counts, match.unmatched


def _samplesheet_samples(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    return pd.read_csv(path, dtype={"sample": str}, usecols=["sample"])["sample"].tolist()


def uniquely_mapped_pct(path: Path) -> float:
    """STAR's ``Uniquely mapped reads % |  93.10%`` line of a Log.final.out."""
    try:
        for line in path.read_text(errors="replace").splitlines():
            label, _, value = line.partition("|")
            if label.strip() == UNIQUE_LINE:
                return float(value.strip().rstrip("%"))
    except FileNotFoundError:
        raise InputError(path, "file not found", hint="it is written by tkiseq align") from None
    except ValueError:
        pass
    raise InputError(path, f"not a STAR Log.final.out (no {UNIQUE_LINE!r} line with a number)")


def failed_alignment(logs: list[Path], min_mapped_pct: float) -> dict[str, float]:
    """Samples whose uniquely mapped share is below ``min_mapped_pct``, with that share."""
    shares = {p.name.removesuffix(LOG_SUFFIX): uniquely_mapped_pct(p) for p in logs}
    return {sample: pct for sample, pct in shares.items() if pct < min_mapped_pct}


def build_cohort(
    inputs: list[Path],
    annotation: Path,
    phenotypes: Path,
    outdir: Path,
    samplesheet: Path | None = None,
    logs: list[Path] | None = None,
    params: CountsParams = CountsParams(),
) -> None:
    """Write ``counts.tsv``, ``cohort.h5ad`` and ``strandedness.tsv`` into ``outdir`` (and, for
    a published matrix, ``unmatched_genes.tsv``).

    ``inputs`` are STAR ReadsPerGene files, or one count matrix (several HTSeq-count files);
    ``samplesheet`` limits a matrix to its samples. A sample whose STAR ``logs`` show fewer
    reads uniquely mapped than ``params.min_mapped_pct`` is left out, with a warning.
    """
    genes = read_genes(annotation)
    unmatched = None
    if all(p.name.endswith(RPG_SUFFIX) for p in inputs):
        loaded = [load_sample(p) for p in inputs]
        matrix = count_matrix([c for _, c, _ in loaded], inputs)
        decisions = pd.DataFrame([d for _, _, d in loaded]).set_index("sample")
        failed = failed_alignment(logs or [], params.min_mapped_pct)
        for sample, pct in failed.items():
            log.warning(
                "sample %s: %.2f %% of its reads uniquely mapped, below the QC gate of %g %% "
                "(--min-mapped): left out of the cohort analyses (expression, DE, GSEA, "
                "subtypes, karyotype, associations)",
                sample,
                pct,
                params.min_mapped_pct,
            )
        if failed and len(failed) == matrix.shape[1]:
            raise InputError(
                logs[0] if logs else inputs[0],
                f"no sample has >= {params.min_mapped_pct:g} % of its reads uniquely mapped",
                hint="check the reference and the reads, or lower --min-mapped",
            )
        matrix = matrix.drop(columns=list(failed))
        decisions = decisions.drop(index=list(failed))
    else:
        matrix, unmatched = from_matrix(inputs, genes, _samplesheet_samples(samplesheet))
        decisions = pd.DataFrame("", index=matrix.columns, columns=list(STRAND_COLUMNS))
        decisions.index.name = "sample"
    pheno = pd.read_csv(phenotypes, dtype={"sample": str}).set_index("sample")
    strand_cols = decisions[list(STRAND_COLUMNS)].add_prefix("strandedness_")
    adata = to_anndata(matrix, genes, pheno, strand_cols)

    with atomic_path(outdir / "cohort.h5ad") as tmp:  # the likeliest to fail, so first
        adata.write_h5ad(tmp)
    with atomic_path(outdir / "counts.tsv") as tmp:
        write_count_table(tmp, matrix, adata.var["gene_name"].to_numpy())
    with atomic_path(outdir / "strandedness.tsv") as tmp:
        decisions.to_csv(tmp, sep="\t")
    if unmatched is not None:
        with atomic_path(outdir / UNMATCHED) as tmp:
            unmatched.to_csv(tmp, sep="\t")
