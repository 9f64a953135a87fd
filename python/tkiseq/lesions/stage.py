"""``tkiseq lesions``: lesions from every source in one long table; IKZF1plus and the deletion
group per sample."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.lesions.profile import build_profile
from tkiseq.lesions.sources import (
    COLUMNS,
    cnv_lesions,
    expression_lesions,
    fusion_lesions,
    junction_lesions,
    karyotype_lesions,
    read_cnv,
    read_splice,
    variant_lesions,
)
from tkiseq.lesions.sources import LesionParams as Params
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the two tables"
_RULES = ", ".join(f"{g} VST >= {t:g}" for g, t in Params().expression_rules)
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The cohort (samplesheet) and each source of lesions; a source not given is skipped."""

    samplesheet: Path = option(help="sample column: the cohort")
    cnv: Path | None = option(None, help="cnv.csv (sample,gene,status)")
    splice: tuple[Path, ...] = option((), nargs="*", help="*.splice_lesions.tsv")
    fusions: Path | None = option(None, help="cohort_fusions.tsv")
    variants: Path | None = option(None, help="cohort_variants.tsv (PASS rows)")
    expression: Path | None = option(None, help=f"cohort.h5ad ({_RULES})")
    karyotype: Path | None = option(None, help="subtypes/karyotype.tsv")


def read_samples(path: Path) -> list[str]:
    """Sample IDs in samplesheet order."""
    if not path.exists():
        raise InputError(path, "file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    if "sample" not in table.columns:
        raise InputError(path, "no 'sample' column", line=1)
    return list(dict.fromkeys(table["sample"]))


def collect(
    samples: list[str], inputs: Inputs, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The long lesion table of the given samples (and the cnv calls, if any)."""
    i = inputs
    calls = read_cnv(i.cnv) if i.cnv is not None else None
    parts = [junction_lesions(read_splice(list(i.splice)), calls)]
    if calls is not None:
        parts.append(cnv_lesions(calls))
    if i.fusions is not None:
        parts.append(fusion_lesions(i.fusions))
    if i.variants is not None:
        parts.append(variant_lesions(i.variants))
    if i.expression is not None:
        parts.append(expression_lesions(i.expression, params))
    if i.karyotype is not None:
        parts.append(karyotype_lesions(i.karyotype))
    found = [p for p in parts if len(p)]
    table = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    order = {s: i for i, s in enumerate(samples)}
    table = table[table["sample"].isin(order)]
    table = table.sort_values(
        ["sample", "source", "lesion"], key=lambda c: c.map(order) if c.name == "sample" else c
    )
    return table.reset_index(drop=True), calls


def run(inputs: Inputs, params: Params, outdir: Path) -> tuple[Path, Path]:
    """``lesions.tsv`` and ``profile.tsv`` in ``outdir`` (nothing on bad input)."""
    samples = read_samples(Path(inputs.samplesheet))
    lesions, calls = collect(samples, inputs, params)
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
