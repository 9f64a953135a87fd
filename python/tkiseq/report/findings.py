"""The cohort at a glance: the counts and tests a haematologist reads before anything else.

Pure functions over the cohort tables (any may be absent: its summary is then empty), so the
page's first screen can be tested without a browser.
"""

from __future__ import annotations

import math
import re

import pandas as pd

PASSING_FUSION = ("PASS", "known_fusion_rescue")
RISK_ORDER = ("standard", "intermediate", "high", "undetermined")
CLASS_ORDER = ("sensitive", "intermediate", "resistant")
ISOFORM_PROTEIN = {"e1a2": "p190", "e13a2": "p210", "e14a2": "p210", "e19a2": "p230"}
ISOFORM_PROTEIN |= {"b2a2": "p210", "b3a2": "p210"}  # the same junctions by their old names
NOT_ASSESSABLE = re.compile(r"not[ _]assessable", re.I)
UNINFORMATIVE = re.compile(r"^(none given|unknown|not given|none|NA)$", re.I)
LESION_STATUS = ("DEL", "HOM_DEL", "present")

# Which figure of the core study each analysis belongs to, in the order the table lists them.
CORE_TESTS = (
    ("auc_z_by_deletion_group", "Fig. 3B", "z by deletion group"),
    ("pax5_del_in_ikzf1_wt", "Fig. 3B", "PAX5 deletion in IKZF1-intact"),
    ("auc_z_by_mrd", "Fig. 1E", "z by end-of-induction MRD"),
    ("auc_z_by_relapse", "Fig. 1F", "z by relapse"),
    ("auc_z_by_age_group", "Fig. 1A-C", "z by age group"),
    ("bcr_abl1_expression_vs_auc", "Fig. 5B", "BCR::ABL1 expression vs AUC"),
    ("abl1_expression_vs_auc", "Fig. 5A", "ABL1 expression vs AUC"),
)


def lesions_only(lesions: pd.DataFrame) -> pd.DataFrame:
    """Rows that are lesions found: never an arm the karyotype could not assess.

    The lesions stage leaves such arms out; this guards a table written by an older version
    (where ``chr10p_not assessable`` rows were marked ``present``).
    """
    text = lesions["lesion"].astype(str) + " " + lesions["status"].astype(str)
    keep = ~text.str.contains(NOT_ASSESSABLE) & lesions["status"].isin(LESION_STATUS)
    return lesions[keep].reset_index(drop=True)


def evidence_words(evidence: str) -> str:
    """``kind:detail`` items as a sentence, leaving out items that carry no information."""
    labels = {
        "fusion": "fusion",
        "karyotype": "RNA karyotype",
        "variant": "variant",
        "expression": "expression",
        "reference": "reference neighbours",
        "sex": "sex",
        "cnv": "copy number",
        "signature": "expression signature",
    }
    words = []
    for item in str(evidence).split(";"):
        kind, _, detail = item.strip().partition(":")
        if not detail:
            detail, kind = kind, ""
        if not detail.strip() or UNINFORMATIVE.match(detail.strip()):
            continue
        label = labels.get(kind, kind.replace("_", " "))
        words.append(f"{label} {detail.strip()}" if label else detail.strip())
    return "; ".join(words)


def subtype_by_risk(subtypes: pd.DataFrame) -> pd.DataFrame:
    """Samples per subtype (most frequent first) and risk group, with totals."""
    table = pd.crosstab(subtypes["subtype"], subtypes["risk_group"])
    columns = [r for r in RISK_ORDER if r in table] + [r for r in table if r not in RISK_ORDER]
    table = table[columns]
    table["total"] = table.sum(axis=1)
    table = table.sort_values("total", ascending=False, kind="stable")
    return table.reset_index()


def bcr_abl1_isoforms(fusions: pd.DataFrame) -> list[tuple[str, int]]:
    """Samples per BCR::ABL1 isoform among passing calls (one isoform per sample)."""
    calls = fusions[
        (fusions["gene5"] == "BCR")
        & (fusions["gene3"] == "ABL1")
        & fusions["filters"].isin(PASSING_FUSION)
    ]
    per_sample = calls.drop_duplicates("sample")["isoform"].fillna("")
    counts = per_sample.replace("", "isoform not resolved").value_counts()
    return [
        (f"{iso} ({ISOFORM_PROTEIN[iso]})" if iso in ISOFORM_PROTEIN else iso, int(n))
        for iso, n in counts.items()
    ]


def imatinib_classes(response: pd.DataFrame, drug: str = "imatinib") -> list[tuple[str, int]]:
    """Samples per response class of ``drug`` (sensitive < 80, resistant > 120 AUC)."""
    rows = response[response["drug"] == drug]
    counts = rows["class"].replace("", "no class").value_counts()
    order = [c for c in CLASS_ORDER if c in counts]
    order += [c for c in counts.index if c not in CLASS_ORDER]
    return [(c, int(counts[c])) for c in order]


def lesion_landscape(
    lesions: pd.DataFrame | None, profile: pd.DataFrame | None
) -> list[tuple[str, int | None]]:
    """Samples with each secondary lesion of the core study; None where it was not assessed."""
    out: list[tuple[str, int | None]] = []

    def yes(column: str) -> int | None:
        if profile is None or column not in profile:
            return None
        return int((profile[column] == "yes").sum())

    found = lesions_only(lesions) if lesions is not None else None

    def samples_with(mask_of) -> int | None:
        if found is None:
            return None
        return int(found.loc[mask_of(found), "sample"].nunique())

    out.append(("IKZF1plus (IKZF1 del with CDKN2A/B or PAX5 del)", yes("ikzf1plus_core")))
    out.append(("IKZF1 deletion", samples_with(lambda f: f["lesion"].str.match(r"IKZF1(_del)?$"))))
    out.append(("PAX5 deletion", samples_with(lambda f: f["lesion"].str.match(r"PAX5(_del)?$"))))
    out.append(
        (
            "CRLF2 rearranged",
            samples_with(lambda f: (f["source"] == "fusion") & f["lesion"].str.contains("CRLF2")),
        )
    )
    out.append(("JAK/STAT activation", yes("jak_stat")))
    out.append(("any secondary lesion", yes("secondary_lesion")))
    return out


def tki_mutations(variants: pd.DataFrame) -> pd.DataFrame:
    """PASS variants that defeat a TKI: sample, gene, protein change, VAF, drugs defeated."""
    hits = variants[(variants["filter"] == "PASS") & (variants["tki_resistance"].str.strip() != "")]
    change = hits["hgvsp_short"] if "hgvsp_short" in hits else hits["hgvsp"]
    return pd.DataFrame(
        {
            "sample": hits["sample"].to_numpy(),
            "gene": hits["gene"].to_numpy(),
            "protein change": change.to_numpy(),
            "VAF": pd.to_numeric(hits["vaf"], errors="coerce").to_numpy(),
            "drugs defeated": hits["tki_resistance"]
            .str.replace(r"[;,]\s*", ", ", regex=True)
            .to_numpy(),
        }
    )


def p_text(pvalue: float, note: str = "") -> str:
    """A p-value to 2 significant digits; ``<= x`` where it is a permutation bound."""
    if pvalue is None or (isinstance(pvalue, float) and math.isnan(pvalue)):
        return ""
    text = f"{pvalue:.2g}"
    return f"<= {text}" if "p is a bound" in str(note) else text


def core_tests(assoc: pd.DataFrame, drug: str = "imatinib") -> pd.DataFrame:
    """The core study's headline tests for ``drug``: one line each, with its figure.

    ``assoc`` has numeric ``pvalue``/``padj``; only omnibus or single rows are listed (the
    Dunn pairs of Fig. 3B are in the full associations table).
    """
    rows = []
    for analysis, figure, label in CORE_TESTS:
        sel = assoc[
            (assoc["analysis"] == analysis)
            & (assoc["variable"].str.contains(rf"(?:^|_){re.escape(drug)}(?:\b| )", regex=True))
            & ((assoc["reference_group"] == "") | (analysis != "auc_z_by_deletion_group"))
        ]
        for rec in sel.to_dict("records"):
            note = str(rec.get("note", ""))
            groups = str(rec["group"]).replace(",", ", ")
            n = _count(rec["n"])
            if str(rec["reference_group"]):
                n_ref = _count(rec.get("n_reference"))
                groups = f"{rec['group']} (n={n}) vs {rec['reference_group']} (n={n_ref})"
            elif n:
                groups = f"{groups} (n={n})"
            stat = pd.to_numeric(pd.Series([rec.get("statistic")]), errors="coerce").iloc[0]
            rows.append(
                {
                    "test": label,
                    "figure": figure,
                    "groups and n": groups,
                    "statistic": "" if pd.isna(stat) else f"{stat:.3g}",
                    "p": p_text(rec["pvalue"], note) or "NA",
                    "padj": p_text(rec["padj"]),
                    "method": str(rec["method"]).split(";")[0],
                    "note": "" if "p is a bound" in note else note,
                }
            )
    return pd.DataFrame(
        rows, columns=["test", "figure", "groups and n", "statistic", "p", "padj", "method", "note"]
    )


def _count(value: object) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return "" if pd.isna(number) else str(int(number))
