"""Every lesion source read into one long table: sample, lesion, source, status, evidence.

Lesion names: ``<GENE>_del`` (copy-number deletion; from cnv.csv, or from an IKZF1 deletion
junction when cnv.csv has no IKZF1 call), the splice lesion's own name (``IKZF1_del4-7``), the
fusion (``P2RY8::CRLF2``), ``<GENE>_mut`` (protein-altering PASS variant in the leukaemia
panel), ``<GENE>_high`` (expression rule), ``<chrom><arm>_<call>`` (karyotype arm call).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from tkiseq import tables
from tkiseq.errors import InputError
from tkiseq.variants.hgvs import SEVERITY

COLUMNS = tables.columns("lesions")
CNV_STATUS = ("NO_DEL", "DEL", "HOM_DEL", "NA")
DELETED = frozenset({"DEL", "HOM_DEL"})
# IKZF1 deletions that the RNA sees as one exon-skipping junction (docs/science.md#ikzf1-deletions).
IKZF1_JUNCTIONS = frozenset({"IKZF1_del4-7", "IKZF1_del2-7"})
PROTEIN_ALTERING = frozenset(SEVERITY[: SEVERITY.index("missense_variant") + 1])
FUSION_CONFIDENCE = frozenset({"high", "medium"})
NEUTRAL_CALLS = frozenset({"", "NA", "neutral", "normal", "diploid", "none"})
# an arm without data is no finding: its status stays in karyotype.tsv, never a lesion row
UNASSESSED_CALLS = frozenset({"not assessable", "not determined"})


@dataclass(frozen=True)
class LesionParams:
    """Expression rules (gene, VST threshold: MD-ALL's CRLF2 >= 9) and the fusion confidences."""

    expression_rules: tuple[tuple[str, float], ...] = (("CRLF2", 9.0),)
    vst_layer: str = "vst"


def _read_tsv(path: Path, required: tuple[str, ...], sep: str = "\t") -> pd.DataFrame:
    if not path.exists():
        raise InputError(path, "file not found")
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    return table


def read_cnv(path: Path) -> pd.DataFrame:
    """cnv.csv (sample, gene, status); a status outside NO_DEL|DEL|HOM_DEL|NA is an error."""
    table = _read_tsv(path, ("sample", "gene", "status"), sep=",")
    for i, status in enumerate(table["status"]):
        if status not in CNV_STATUS:
            raise InputError(
                path,
                f"status {status!r} is not one of {'|'.join(CNV_STATUS)}",
                line=i + 2,
                column="status",
            )
    return table[["sample", "gene", "status"]]


def cnv_lesions(cnv: pd.DataFrame) -> pd.DataFrame:
    """One row per deleted gene."""
    hit = cnv[cnv["status"].isin(DELETED)]
    return pd.DataFrame(
        {
            "sample": hit["sample"],
            "lesion": hit["gene"] + "_del",
            "source": "cnv",
            "status": hit["status"],
            "evidence": "cnv.csv: " + hit["gene"] + " " + hit["status"],
        }
    )


def read_splice(paths: list[Path]) -> pd.DataFrame:
    """Concatenated ``<sample>.splice_lesions.tsv`` tables (checked against data/tables.json)."""
    frames = [tables.read_table(Path(p), "splice_lesions") for p in paths]
    empty = pd.DataFrame(columns=tables.columns("splice_lesions"))
    return pd.concat(frames, ignore_index=True) if frames else empty


def junction_lesions(splice: pd.DataFrame, cnv: pd.DataFrame | None) -> pd.DataFrame:
    """Splice lesions as such, plus IKZF1_del from a deletion junction where cnv.csv has no call."""
    evidence = (
        splice["lesion"]
        + " junction, "
        + splice["junction_reads"]
        + " reads, fraction "
        + splice["fraction"]
    )
    rows = pd.DataFrame(
        {
            "sample": splice["sample"],
            "lesion": splice["lesion"],
            "source": "junction",
            "status": "present",
            "evidence": evidence,
        }
    )
    called = set()
    if cnv is not None:
        known = cnv[(cnv["gene"] == "IKZF1") & (cnv["status"] != "NA")]
        called = set(known["sample"])
    ik = splice["lesion"].isin(IKZF1_JUNCTIONS) & ~splice["sample"].isin(called)
    derived = pd.DataFrame(
        {
            "sample": splice.loc[ik, "sample"],
            "lesion": "IKZF1_del",
            "source": "junction",
            "status": "DEL",
            "evidence": evidence[ik] + " (no IKZF1 copy-number call)",
        }
    ).drop_duplicates("sample")
    return pd.concat([rows, derived], ignore_index=True)


def fusion_lesions(path: Path) -> pd.DataFrame:
    """High/medium-confidence fusions, one row per sample and partner pair."""
    table = tables.read_table(Path(path), "fusions")
    table = table[table["confidence"].isin(FUSION_CONFIDENCE)].drop_duplicates(
        ["sample", "gene5", "gene3"]
    )
    iso = table["isoform"].where(table["isoform"] == "", " " + table["isoform"])
    support = table["split_reads"] + " split reads, " + table["spanning_pairs"] + " spanning pairs"
    evidence = table["gene5"] + "::" + table["gene3"] + iso + ", " + support
    return pd.DataFrame(
        {
            "sample": table["sample"],
            "lesion": table["gene5"] + "::" + table["gene3"],
            "source": "fusion",
            "status": "present",
            "evidence": evidence,
        }
    )


def panel_genes() -> frozenset[str]:
    """Gene symbols of ``data/leukemia_genes.tsv``."""
    text = resources.files("tkiseq.data").joinpath("leukemia_genes.tsv").read_text()
    rows = csv.DictReader(
        (ln for ln in text.splitlines() if not ln.startswith("#")), delimiter="\t"
    )
    return frozenset(r["gene"] for r in rows)


def variant_lesions(path: Path) -> pd.DataFrame:
    """Protein-altering PASS variants in panel genes; one row per sample and gene."""
    need = ("sample", "gene", "consequence", "hgvsp_short", "vaf", "filter")
    table = _read_tsv(path, need)
    keep = (
        (table["filter"] == "PASS")
        & table["gene"].isin(panel_genes())
        & table["consequence"].isin(PROTEIN_ALTERING)
    )
    table = table[keep]
    label = table["hgvsp_short"].where(table["hgvsp_short"] != "", table["consequence"])
    table = table.assign(item=label + " (VAF " + table["vaf"] + ")")
    grouped = table.groupby(["sample", "gene"], sort=False)["item"].agg("; ".join).reset_index()
    return pd.DataFrame(
        {
            "sample": grouped["sample"],
            "lesion": grouped["gene"] + "_mut",
            "source": "variant",
            "status": "present",
            "evidence": grouped["gene"] + " " + grouped["item"],
        }
    )


def expression_lesions(path: Path, params: LesionParams) -> pd.DataFrame:
    """``<GENE>_high`` where the gene's VST is at or above its rule's threshold."""
    from tkiseq.inputs.cohort_file import layer_names, read_gene

    if not path.exists():
        raise InputError(path, "file not found")
    if params.vst_layer not in layer_names(path):
        raise InputError(path, f"no layer {params.vst_layer!r}", hint="built by tkiseq counts")
    rows = []
    for gene, threshold in params.expression_rules:
        vst = read_gene(path, params.vst_layer, gene)  # one column, not the whole file
        if vst is None:
            continue
        for sample, value in vst.items():
            if value >= threshold:
                ev = f"{gene} VST {value:.1f} >= {threshold:g}"
                rows.append((sample, f"{gene}_high", "expression", "present", ev))
    return pd.DataFrame(rows, columns=COLUMNS)


def karyotype_lesions(path: Path) -> pd.DataFrame:
    """Arm-level gains, losses and LOH of subtypes/karyotype.tsv (calls other than neutral;
    arms that could not be assessed are not lesions)."""
    table = _read_tsv(path, ("sample", "chrom", "arm", "call", "copy_number", "confidence"))
    table = table[~table["call"].isin(NEUTRAL_CALLS | UNASSESSED_CALLS)]
    arm = table["arm"].where(~table["arm"].isin(("", "NA", "whole")), "")
    return pd.DataFrame(
        {
            "sample": table["sample"],
            "lesion": table["chrom"] + arm + "_" + table["call"],
            "source": "karyotype",
            "status": "present",
            "evidence": "copy number "
            + table["copy_number"]
            + ", confidence "
            + table["confidence"],
        }
    )
