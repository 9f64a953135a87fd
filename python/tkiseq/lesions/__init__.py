"""Lesions from every source (cnv.csv, splice junctions, fusions, variants, expression,
karyotype) in one long table, and the per-sample profile (IKZF1plus, deletion group)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.lesions.profile import build_profile
from tkiseq.lesions.sources import (
    COLUMNS,
    LesionParams,
    cnv_lesions,
    expression_lesions,
    fusion_lesions,
    junction_lesions,
    karyotype_lesions,
    read_cnv,
    read_splice,
    variant_lesions,
)

log = logging.getLogger(__name__)


def read_samples(path: Path) -> list[str]:
    """Sample IDs in samplesheet order."""
    if not path.exists():
        raise InputError(path, "file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    if "sample" not in table.columns:
        raise InputError(path, "no 'sample' column", line=1)
    return list(dict.fromkeys(table["sample"]))


def collect(
    samples: list[str],
    params: LesionParams,
    *,
    cnv: Path | None = None,
    splice: Sequence[Path] = (),
    fusions: Path | None = None,
    variants: Path | None = None,
    expression: Path | None = None,
    karyotype: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The long lesion table of the given samples (and the cnv calls, if any)."""
    calls = read_cnv(cnv) if cnv is not None else None
    parts = [junction_lesions(read_splice(list(splice)), calls)]
    if calls is not None:
        parts.append(cnv_lesions(calls))
    if fusions is not None:
        parts.append(fusion_lesions(fusions))
    if variants is not None:
        parts.append(variant_lesions(variants))
    if expression is not None:
        parts.append(expression_lesions(expression, params))
    if karyotype is not None:
        parts.append(karyotype_lesions(karyotype))
    found = [p for p in parts if len(p)]
    table = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    order = {s: i for i, s in enumerate(samples)}
    table = table[table["sample"].isin(order)]
    table = table.sort_values(
        ["sample", "source", "lesion"], key=lambda c: c.map(order) if c.name == "sample" else c
    )
    return table.reset_index(drop=True), calls


def run(
    samplesheet: Path,
    outdir: Path,
    params: LesionParams,
    **inputs: Path | list[Path] | None,
) -> tuple[Path, Path]:
    """``tkiseq lesions``: lesions/lesions.tsv and lesions/profile.tsv (nothing on bad input)."""
    samples = read_samples(Path(samplesheet))
    lesions, calls = collect(samples, params, **inputs)  # type: ignore[arg-type]
    profile = build_profile(samples, calls, lesions)
    log.info(
        "%d lesions in %d samples; IKZF1plus (core) in %d",
        len(lesions),
        lesions["sample"].nunique(),
        int((profile["ikzf1plus_core"] == "yes").sum()),
    )
    out = Path(outdir)
    with atomic_path(out / "lesions.tsv") as tmp:
        lesions.to_csv(tmp, sep="\t", index=False)
    with atomic_path(out / "profile.tsv") as tmp:
        profile.to_csv(tmp, sep="\t", index=False)
    return out / "lesions.tsv", out / "profile.tsv"
