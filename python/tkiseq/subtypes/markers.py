"""Marker-gene gates: expression-only evidence for the subtypes that have strong markers.

Two kinds of gate, both on the DESeq2 VST scale (log2-like):

* absolute, as MD-ALL's rules (Hu et al., Haematologica 2024): CDX2 VST >= 9 (CDX2/UBTF),
  NUTM1 >= 9.5 (NUTM1-r); DUX4 >= 9 (DUX4-r) holds only when DUX4 reads were counted (see
  below); CRLF2 >= 9 is read by the rules (CRLF2-r needs a PAR1 deletion or a fusion too);
* relative to the cohort: a gene is *high* in a sample when it stands ``min_log2`` (4-fold)
  above the cohort median and ``min_z`` robust SDs above it (MAD, with a floor). This is
  sound only in a cohort of at least ``min_cohort`` samples in which the subtype is a minority
  (a subtype making up half the cohort moves the median and the gate stays shut: the safe
  side). Relative gates, with the markers of the literature:
  - TCF3::PBX1: PBX1 (its 3' part is driven by the TCF3 promoter; the top discriminating gene
    of Ross et al., Blood 2003) and WNT16, a direct E2A-PBX1 target (McWhirter et al., PNAS
    1999); both are needed;
  - ETV6::RUNX1: EPOR, upregulated by the fusion (Inthal et al., Leukemia 2008; Fine et al.,
    Blood 2004); one marker, so a low-confidence call (ETV6::RUNX1-like shares it);
  - DUX4-r: DUX4 above the cohort's background together with CLEC12A (CD371, Schinnerl et al.,
    Haematologica 2019) high or an ERG deletion (Zhang et al., Nat Genet 2016). DUX4 sits in the
    D4Z4-like repeats next to IGH: counted on unique reads of an Ensembl annotation it shows
    only a few reads even in DUX4-r samples (VST 4.6-5.6 against 3.9 in ALLSorts' test
    profiles), so the relative gate asks for ``dux4_min_log2`` above the background, not 4-fold.

BCR::ABL1 has no single marker: the Ph-like signature (Harvey et al., Blood 2010) is shared
by BCR::ABL1 and BCR::ABL1-like ALL, so it is reported (``ph_like_score``) but calls nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MarkerParams:
    """Thresholds of the marker gates (literature values; see the module docstring)."""

    cdx2_high_vst: float = 9.0
    nutm1_high_vst: float = 9.5
    dux4_high_vst: float = 9.0  # DUX4 counted with multimapping reads or a DUX4-aware annotation
    min_cohort: int = 10  # relative gates need at least this many samples
    min_log2: float = 2.0  # 4-fold over the cohort median ...
    min_z: float = 3.0  # ... and this many robust SDs
    sd_floor: float = 0.25  # log2 units: MAD floor (a gene flat in the cohort)
    dux4_min_log2: float = 0.5  # DUX4 over the cohort background (few unique reads)


@dataclass(frozen=True)
class Gate:
    """An open gate: the subtype it points to, its evidence items, and its confidence."""

    subtype: str
    items: tuple[str, ...]
    confidence: str


# (subtype, markers that must all be high, confidence when open)
RELATIVE_GATES = (
    ("TCF3::PBX1", ("PBX1", "WNT16"), "medium"),
    ("ETV6::RUNX1", ("EPOR",), "low"),
)


def relative_high(values: pd.DataFrame, params: MarkerParams, min_log2: float) -> pd.DataFrame:
    """Per sample and gene: log2 units over the cohort median when high, else NaN."""
    median = values.median(axis=0)
    mad = (values - median).abs().median(axis=0) * 1.4826
    over = values - median
    high = (over >= min_log2) & (over >= params.min_z * np.maximum(mad, params.sd_floor))
    return over.where(high)


def open_gates(
    vst: pd.DataFrame, cnv: dict[str, dict[str, str]], params: MarkerParams
) -> dict[str, list[Gate]]:
    """Per sample the gates that open, from a samples x gene-name VST frame (and ERG status)."""
    out: dict[str, list[Gate]] = {s: [] for s in vst.index}
    for gene, cut, subtype in (
        ("CDX2", params.cdx2_high_vst, "CDX2/UBTF"),
        ("NUTM1", params.nutm1_high_vst, "NUTM1-r"),
    ):
        if gene in vst.columns:
            for s in vst.index[vst[gene] >= cut]:
                item = f"expression:{gene} high (VST {vst.at[s, gene]:.1f})"
                out[s].append(Gate(subtype, (item,), "medium"))
    relative = len(vst) >= params.min_cohort
    wanted = sorted({g for _, genes, _ in RELATIVE_GATES for g in genes} | {"CLEC12A"})
    present = [g for g in wanted if g in vst.columns]
    high = relative_high(vst[present], params, params.min_log2) if relative else None
    for s in vst.index:
        if high is not None:
            for subtype, genes, confidence in RELATIVE_GATES:
                if all(g in high.columns and not np.isnan(high.at[s, g]) for g in genes):
                    items = tuple(
                        f"expression:{g} high (VST {vst.at[s, g]:.1f}, "
                        f"+{high.at[s, g]:.1f} over the cohort median)"
                        for g in genes
                    )
                    out[s].append(Gate(subtype, items, confidence))
        gate = _dux4(s, vst, high, cnv.get(s, {}), params)
        if gate is not None:
            out[s].append(gate)
    return out


def _dux4(
    s: str, vst: pd.DataFrame, high: pd.DataFrame | None, cnv: dict[str, str], params: MarkerParams
) -> Gate | None:
    """DUX4 high (absolute, or over the cohort background) with a second DUX4-r marker."""
    if "DUX4" not in vst.columns:
        return None
    value = float(vst.at[s, "DUX4"])
    erg = cnv.get("ERG") in ("DEL", "HOM_DEL")
    partner = ["cnv:ERG deletion"] if erg else []
    if high is not None and "CLEC12A" in high.columns and not np.isnan(high.at[s, "CLEC12A"]):
        partner.append(f"expression:CLEC12A high (VST {vst.at[s, 'CLEC12A']:.1f})")
    if value >= params.dux4_high_vst:
        item = f"expression:DUX4 high (VST {value:.1f})"
        return Gate("DUX4-r", (item, *partner), "medium")
    if high is None or not partner:
        return None
    background = float(vst["DUX4"].median())
    if value - background < params.dux4_min_log2:
        return None
    item = f"expression:DUX4 above the cohort background (VST {value:.1f} vs {background:.1f})"
    return Gate("DUX4-r", (item, *partner), "medium" if erg else "low")
