"""One card per sample, and the compact data its RNA karyotype plot is drawn from.

The plot (per chromosome arm: dosage as log2 ratio with the genes as points, the minor-allele
fractions of heterozygous sites, the called copy number; as RNAseqCNV and MD-ALL draw it) is
drawn in the browser when a card is shown. Per sample the page carries 15 bytes per arm
(base64): the arm's call, confidence, copy number, log2 ratio and allele-fraction peak, and the
genes and sites binned along the arm (``GENE_BINS`` medians of the genes' log2 ratios,
``SITE_BINS`` of the sites' minor-allele fractions), so 2,000 samples add about 1.6 MB.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.report.findings import PASSING_FUSION, evidence_words, lesions_only
from tkiseq.report.inputs import QC_METRICS

CALLS = ("normal", "gain", "loss", "cnLOH", "LOH", "not assessable")
CONFIDENCES = ("high", "medium", "low")
GENE_BINS = 6
SITE_BINS = 4
ARM_BYTES = 5 + GENE_BINS + SITE_BINS
LOG2_SCALE = 50  # byte = round(log2 * 50) + 128 (0: none), so +-2.5 in steps of 0.02
FRACTION_SCALE = 200  # byte = round(fraction * 200) (255: none)


@dataclass
class Karyotype:
    """The cohort's arms (plot order) and, per sample, the base64 bytes of its plot."""

    arms: list[str]
    packed: dict[str, str]
    binned: bool  # genes / sites files were there (points drawn), not arm values alone


def _log2_byte(values: np.ndarray) -> np.ndarray:
    out = np.clip(np.round(values * LOG2_SCALE) + 128, 1, 255)
    return np.where(np.isnan(values), 0, out).astype(np.uint8)


def _fraction_byte(values: np.ndarray) -> np.ndarray:
    out = np.clip(np.round(values * FRACTION_SCALE), 0, 254)
    return np.where(np.isnan(values), 255, out).astype(np.uint8)


def _bins(table: pd.DataFrame, value: str, n_bins: int, keys: pd.DataFrame) -> pd.DataFrame:
    """Median ``value`` per sample, arm and position bin (bins span the arm's cohort extent)."""
    return _medians(table, value, n_bins, _extent(table)).reindex(
        pd.MultiIndex.from_frame(keys[["sample", "arm"]])
    )


def _extent(table: pd.DataFrame) -> pd.DataFrame:
    """Per arm label, the lowest and highest position (``lo``, ``hi``)."""
    pos = pd.to_numeric(table["pos"], errors="coerce")
    arm = _arm_labels(table["chrom"], table["arm"])
    extent = pos.groupby(arm, observed=True).agg(["min", "max"])
    extent.index = extent.index.astype(str)
    return extent.set_axis(["lo", "hi"], axis=1)


def _medians(table: pd.DataFrame, value: str, n_bins: int, extent: pd.DataFrame) -> pd.DataFrame:
    """Median ``value`` per (sample, arm) row and position bin column, bins spanning ``extent``."""
    # categorical keys: one string per distinct sample and arm, not per row (a 2,000-sample
    # cohort has ~64 M gene rows; Python strings per row took gigabytes)
    arm = _arm_labels(table["chrom"], table["arm"])
    pos = pd.to_numeric(table["pos"], errors="coerce")
    codes = arm.cat.codes.to_numpy()
    labels = arm.cat.categories.astype(str)
    lo, hi = (
        pd.Series(
            np.where(codes >= 0, extent[c].reindex(labels).to_numpy(float)[codes], np.nan),
            index=pos.index,
        )
        for c in ("lo", "hi")
    )
    width = (hi - lo).where(hi > lo, 1)
    which = np.minimum(((pos - lo) / width * n_bins).fillna(0).astype(int), n_bins - 1)
    sample = table["sample"].astype(str) if table["sample"].dtype != "category" else table["sample"]
    frame = pd.DataFrame({"sample": sample, "arm": arm, "bin": which, "v": table[value]})
    grouped = frame.groupby(["sample", "arm", "bin"], observed=True)["v"].median()
    grouped.index = grouped.index.set_levels(
        [level.astype(str) for level in grouped.index.levels[:2]], level=[0, 1]
    )
    return grouped.unstack("bin").reindex(columns=range(n_bins))


def read_karyotype_bins(
    path: Path, columns: tuple[str, ...], value: str, n_bins: int, chunk_rows: int = 4_000_000
) -> pd.DataFrame | None:
    """``_medians`` of a genes or sites table (absent: None) read ``chunk_rows`` at a time:
    at 2,000 samples the genes table has ~64 M rows, which read whole took more memory than a
    stage may use. Two passes: the arms' extents, then each sample's bins once all its rows
    are read (the stage writes a sample's rows together; a table that is not grouped so is
    read whole). ``value`` ``minor`` is min(alt_fraction, 1 - alt_fraction)."""
    if not path.exists():
        return None
    extent: pd.DataFrame | None = None
    for chunk in _chunks(path, columns, chunk_rows):
        part = _extent(chunk)
        extent = (
            part
            if extent is None
            else pd.concat([extent, part]).groupby(level=0).agg({"lo": "min", "hi": "max"})
        )
    if extent is None:
        return None
    done: set[str] = set()
    parts, carry = [], None
    for chunk in _chunks(path, columns, chunk_rows):
        if chunk.empty:  # a header-only table (no allele data)
            continue
        chunk = _with_value(chunk, value)
        if carry is not None:
            chunk = pd.concat([carry, chunk], ignore_index=True)
        samples = chunk["sample"].astype(str)
        if done.intersection(samples.unique()):
            table = read_karyotype_points(path, columns)  # not grouped by sample
            return (
                None
                if table is None
                else _medians(_with_value(table, value), value, n_bins, extent)
            )
        last = samples.iloc[-1]
        carry = chunk[samples.to_numpy() == last]
        ready = chunk[samples.to_numpy() != last]
        if len(ready):
            parts.append(_medians(ready, value, n_bins, extent))
            done.update(samples[samples != last].unique())
    if carry is not None and len(carry):
        parts.append(_medians(carry, value, n_bins, extent))
    if not parts:  # no rows: no bins, but the table was there (as read whole)
        return pd.DataFrame(columns=range(n_bins), index=pd.MultiIndex.from_arrays([[], []]))
    return pd.concat(parts)


def _with_value(table: pd.DataFrame, value: str) -> pd.DataFrame:
    if value == "minor":
        fraction = pd.to_numeric(table["alt_fraction"], errors="coerce")
        return table.assign(minor=np.minimum(fraction, 1 - fraction))
    return table.assign(**{value: pd.to_numeric(table[value], errors="coerce")})


def _chunks(path: Path, columns: tuple[str, ...], rows: int):  # type: ignore[no-untyped-def]
    from tkiseq.errors import InputError

    kinds = {"sample": "category", "chrom": "category", "arm": "category"}
    try:
        reader = pd.read_csv(
            path, sep="\t", usecols=lambda c: c in columns, dtype=kinds, chunksize=rows
        )
        for chunk in reader:
            missing = [c for c in columns if c not in chunk.columns]
            if missing:
                raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
            yield chunk
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, EOFError) as exc:
        raise InputError(path, f"not a tab-separated table with a header ({exc})") from None


def _arm_labels(chrom: pd.Series, arm: pd.Series) -> pd.Series:
    """chrom + arm ("chr1" + "p" -> "chr1p") per row, as a categorical."""
    c, a = chrom.astype(str).astype("category"), arm.astype(str).astype("category")
    if chrom.dtype == "category" and arm.dtype == "category":
        c, a = chrom, arm
    cats = [f"{x}{y}" for x in c.cat.categories.astype(str) for y in a.cat.categories.astype(str)]
    cc, ac = c.cat.codes.to_numpy(np.int64), a.cat.codes.to_numpy(np.int64)
    codes = np.where((cc < 0) | (ac < 0), -1, cc * len(a.cat.categories) + ac)
    return pd.Series(pd.Categorical.from_codes(codes, categories=cats), index=chrom.index)


def pack_karyotype(
    karyotype: pd.DataFrame,
    genes: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    gene_medians: pd.DataFrame | None = None,
    site_medians: pd.DataFrame | None = None,
) -> Karyotype:
    """Per sample the bytes of its karyotype plot, from karyotype.tsv (+ genes and sites, as
    points or as ``read_karyotype_bins`` medians)."""
    k = karyotype.copy()
    k["arm_label"] = k["chrom"].astype(str) + k["arm"].astype(str)
    arms = list(dict.fromkeys(k["arm_label"]))
    keys = k[["sample", "arm_label"]].rename(columns={"arm_label": "arm"})
    call = k["call"].map({c: i for i, c in enumerate(CALLS)}).fillna(len(CALLS)).astype(np.uint8)
    conf = k["confidence"].map({c: i for i, c in enumerate(CONFIDENCES)}).fillna(254)
    cn = pd.to_numeric(k["copy_number"], errors="coerce").to_numpy(float)
    cn_byte = np.where(np.isnan(cn), 255, np.clip(np.round(cn * 10), 0, 254)).astype(np.uint8)
    log2 = pd.to_numeric(k["log2_ratio"], errors="coerce").to_numpy(float)
    maf = pd.to_numeric(k["maf_peak"], errors="coerce").to_numpy(float)
    columns = [
        call.to_numpy(),
        conf.to_numpy(np.uint8),
        cn_byte,
        _log2_byte(log2),
        _fraction_byte(maf),
    ]
    gene_bins = np.full((len(k), GENE_BINS), np.nan)
    site_bins = np.full((len(k), SITE_BINS), np.nan)
    if genes is not None and len(genes):
        genes = genes.assign(log2_ratio=pd.to_numeric(genes["log2_ratio"], errors="coerce"))
        gene_bins = _bins(genes, "log2_ratio", GENE_BINS, keys).to_numpy(float)
    if sites is not None and len(sites):
        fraction = pd.to_numeric(sites["alt_fraction"], errors="coerce")
        sites = sites.assign(minor=np.minimum(fraction, 1 - fraction))
        site_bins = _bins(sites, "minor", SITE_BINS, keys).to_numpy(float)
    index = pd.MultiIndex.from_frame(keys[["sample", "arm"]].astype(str))
    if gene_medians is not None:
        gene_bins = gene_medians.reindex(index).to_numpy(float)
    if site_medians is not None:
        site_bins = site_medians.reindex(index).to_numpy(float)
    matrix = np.column_stack([*columns, _log2_byte(gene_bins), _fraction_byte(site_bins)])
    position = {a: i for i, a in enumerate(arms)}
    packed = {}
    for sample, rows in k.groupby("sample", sort=False).indices.items():
        block = np.full((len(arms), ARM_BYTES), 0, dtype=np.uint8)
        block[:, 0] = 255  # arm absent for this sample
        block[[position[a] for a in k["arm_label"].iloc[rows]]] = matrix[rows]
        packed[str(sample)] = base64.b64encode(block.tobytes()).decode()
    binned = any(t is not None for t in (genes, sites, gene_medians, site_medians))
    return Karyotype(arms, packed, binned)


def read_karyotype_points(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """A genes or sites table of the subtypes stage (absent: None), the columns it needs."""
    if not path.exists():
        return None
    from tkiseq.errors import InputError

    try:
        kinds = {"sample": "category", "chrom": "category", "arm": "category"}
        table = pd.read_csv(path, sep="\t", usecols=lambda c: c in columns, dtype=kinds)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, EOFError) as exc:
        raise InputError(path, f"not a tab-separated table with a header ({exc})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    return table


@dataclass
class Cohort:
    """What the sample cards draw on; any table may be absent."""

    qc: pd.DataFrame
    flags: pd.DataFrame
    subtypes: pd.DataFrame | None = None
    lesions: pd.DataFrame | None = None
    profile: pd.DataFrame | None = None
    response: pd.DataFrame | None = None
    fusions: pd.DataFrame | None = None
    variants: pd.DataFrame | None = None
    karyotype: Karyotype | None = None


def _by_sample(table: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if table is None:
        return {}
    return {str(s): rows for s, rows in table.groupby("sample", sort=False)}


def number(value: object, digits: int = 3) -> str:
    """Counts with thousands separators, other values to ``digits`` significant digits."""
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value or "")
    if math.isnan(value):
        return ""
    return f"{value:,.0f}" if value.is_integer() else f"{value:.{digits}g}"


PROFILE_KEYS = (
    "deletion_group",
    "ikzf1plus_core",
    "ikzf1plus_stanulla",
    "jak_stat",
    "secondary_lesion",
)


def sample_cards(cohort: Cohort) -> list[dict[str, object]]:
    """One card per sample (samplesheet order), as the page's script draws it."""
    subtypes = _by_sample(cohort.subtypes)
    lesions = _by_sample(lesions_only(cohort.lesions) if cohort.lesions is not None else None)
    profile = _by_sample(cohort.profile)
    response = _by_sample(cohort.response)
    fusions = _by_sample(cohort.fusions)
    variants = _by_sample(cohort.variants)
    cards = []
    for i, qc in cohort.qc.iterrows():
        sample = str(qc["sample"])
        flags = cohort.flags.loc[i]
        card: dict[str, object] = {"sample": sample}
        qc_items = [[m.label, number(qc[m.column], 4), bool(flags[m.column])] for m in QC_METRICS]
        strand = f"{qc['strandedness_declared']} / {qc['strandedness_inferred']}"
        mismatch = bool(flags["strandedness_mismatch"])
        qc_items.append(["strand (declared / inferred)", strand, mismatch])
        card["qc"] = qc_items
        card["qcflag"] = any(item[2] for item in qc_items)
        if sample in subtypes:
            row = subtypes[sample].iloc[0]
            card["sub"] = [row["subtype"], row["confidence"], row["risk_group"]]
            card["ev"] = evidence_words(row["evidence"])
            extra = [
                [key.replace("_", " "), str(row[key])]
                for key in ("karyotype", "ploidy_class", "sex")
                if key in row and str(row[key]) not in ("", "unknown")
            ]
            card["subx"] = extra
        rows = fusions.get(sample)
        if rows is not None:
            rows = rows.sort_values("filters", key=lambda f: ~f.isin(PASSING_FUSION), kind="stable")
            card["fus"] = [
                [
                    f"{r.gene5}::{r.gene3}",
                    r.breakpoint5,
                    r.breakpoint3,
                    number(r.split_reads),
                    number(r.spanning_pairs),
                    r.isoform,
                    r.reading_frame,
                    r.filters,
                ]
                for r in rows.itertuples()
            ]
        rows = variants.get(sample)
        if rows is not None:
            rows = rows[rows["filter"] == "PASS"]
            change = rows["hgvsp_short"] if "hgvsp_short" in rows else rows["hgvsp"]
            card["var"] = [
                [g, c or q, number(v), f"{number(a)}/{number(d)}", re.sub(r"[;,]\s*", ", ", t)]
                for g, c, q, v, a, d, t in zip(
                    rows["gene"],
                    change,
                    rows["consequence"],
                    rows["vaf"],
                    rows["alt_reads"],
                    rows["depth"],
                    rows["tki_resistance"].str.strip(),
                    strict=True,
                )
            ]
        rows = lesions.get(sample)
        if rows is not None:
            card["les"] = [[r.lesion, r.source, r.evidence] for r in rows.itertuples()]
        if sample in profile:
            row = profile[sample].iloc[0]
            card["prof"] = [[k.replace("_", " "), str(row[k])] for k in PROFILE_KEYS if k in row]
        rows = response.get(sample)
        if rows is not None:
            card["drug"] = [
                [drug, number(auc), number(z), klass]
                for drug, auc, z, klass in zip(
                    rows["drug"], rows["auc"], rows["z"], rows["class"], strict=True
                )
            ]
        if cohort.karyotype is not None and sample in cohort.karyotype.packed:
            card["k"] = cohort.karyotype.packed[sample]
        cards.append(card)
    return cards
