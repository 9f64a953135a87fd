"""Per-sample lesion profile: IKZF1plus (two definitions), Figure 3B deletion group, burden.

Unknowns propagate (Kleene logic): a call is ``yes`` or ``no`` only when the available copy
number decides it, otherwise ``NA``. A deletion status is known when cnv.csv gives the gene as
NO_DEL, DEL or HOM_DEL; IKZF1 also counts as deleted when an IKZF1 deletion junction was seen
and cnv.csv has no IKZF1 call (``ikzf1_del_source`` = junction).

- ikzf1plus_core (core study): IKZF1 deleted AND (CDKN2A or CDKN2B or PAX5 deleted).
- ikzf1plus_stanulla (Stanulla 2018): IKZF1 deleted AND (CDKN2A or CDKN2B homozygously
  deleted, or PAX5 or PAR1 deleted) AND NOT ERG deleted.
- deletion_group: IKZF1plus (core); IKZF1 (deleted, not IKZF1plus); PAX5+ (PAX5 deleted, IKZF1
  not); NO DEL (IKZF1, PAX5, CDKN2A, CDKN2B assessed and none of them, RB1 or BTG1 deleted);
  OTHER DEL (IKZF1 and PAX5 intact, a deletion of CDKN2A/B, RB1 or BTG1: in none of the
  paper's four groups); NA when the calls needed are missing (no CNV data is NA, not NO DEL).
- secondary_lesion: >= 1 of IKZF1plus (core), PAX5 deletion, ZEB2 mutation, JAK/STAT activation
  (SH2B3 deletion or mutation, a CRLF2 fusion or CRLF2 high expression, JAK1/JAK2/IL7R mutation).
"""

from __future__ import annotations

import pandas as pd

from tkiseq.lesions.sources import DELETED

Tri = bool | None
YES_NO = {True: "yes", False: "no", None: "NA"}
JAK_STAT_LESIONS = frozenset(
    {"SH2B3_del", "SH2B3_mut", "CRLF2_high", "JAK1_mut", "JAK2_mut", "IL7R_mut"}
)
CDKN2 = ("CDKN2A", "CDKN2B")


def t_and(*xs: Tri) -> Tri:
    """Kleene AND: False wins, then unknown."""
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def t_or(*xs: Tri) -> Tri:
    """Kleene OR: True wins, then unknown."""
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def t_not(x: Tri) -> Tri:
    return None if x is None else not x


def _deleted(status: dict[str, str], gene: str) -> Tri:
    s = status.get(gene, "NA")
    return None if s == "NA" else s in DELETED


def sample_calls(status: dict[str, str]) -> tuple[Tri, Tri, str]:
    """IKZF1plus (core, Stanulla) and the deletion group from gene -> status (missing: NA)."""
    ikzf1, pax5 = _deleted(status, "IKZF1"), _deleted(status, "PAX5")
    cdkn2a, cdkn2b = _deleted(status, "CDKN2A"), _deleted(status, "CDKN2B")
    hom = [None if status.get(g, "NA") == "NA" else status[g] == "HOM_DEL" for g in CDKN2]
    core = t_and(ikzf1, t_or(cdkn2a, cdkn2b, pax5))
    stanulla = t_and(
        ikzf1, t_or(*hom, pax5, _deleted(status, "PAR1")), t_not(_deleted(status, "ERG"))
    )
    assessed_others = [_deleted(status, g) for g in ("RB1", "BTG1") if status.get(g, "NA") != "NA"]
    other = t_or(cdkn2a, cdkn2b, *assessed_others)
    if core is True:
        group = "IKZF1plus"
    elif ikzf1 is True:
        group = "IKZF1" if core is False else "NA"
    elif ikzf1 is False and pax5 is True:
        group = "PAX5+"
    elif ikzf1 is False and pax5 is False and other is not None:
        group = "OTHER DEL" if other else "NO DEL"
    else:
        group = "NA"
    return core, stanulla, group


def build_profile(
    samples: list[str], cnv: pd.DataFrame | None, lesions: pd.DataFrame
) -> pd.DataFrame:
    """One row per sample: calls, ``ikzf1_del_source``, one column per lesion, burden.

    A lesion cell holds the lesion's status (DEL, HOM_DEL, present), NA for a copy-number gene
    the sample was not assessed for, and is empty otherwise; ``n_lesions`` counts the filled.
    """
    status: dict[str, dict[str, str]] = {s: {} for s in samples}
    if cnv is not None:
        for s, g, st in cnv[["sample", "gene", "status"]].itertuples(index=False):
            if s in status:
                status[s][g] = st
    by_junction = set(
        lesions.loc[
            (lesions["lesion"] == "IKZF1_del") & (lesions["source"] == "junction"), "sample"
        ]
    )
    for s in by_junction & set(samples):
        status[s]["IKZF1"] = "DEL"
    names = sorted(
        lesions["lesion"].unique(), key=lambda n: (not n.endswith("_del"), "::" not in n, n)
    )
    cells = (
        lesions.drop_duplicates(["sample", "lesion"])
        .pivot(index="sample", columns="lesion", values="status")
        .reindex(index=samples, columns=names)
        .fillna("")
    )
    rows = []
    for s in samples:
        for g, st in status[s].items():
            if st == "NA" and f"{g}_del" in cells.columns:
                cells.at[s, f"{g}_del"] = "NA"
        present = {n for n in names if cells.at[s, n] not in ("", "NA")}
        core, stanulla, group = sample_calls(status[s])
        jak = bool(present & JAK_STAT_LESIONS) or any("CRLF2" in n.split("::") for n in present)
        pax5 = True if "PAX5_del" in present else _deleted(status[s], "PAX5")
        source = "junction" if s in by_junction else "cnv"
        rows.append(
            {
                "sample": s,
                "ikzf1plus_core": YES_NO[core],
                "ikzf1plus_stanulla": YES_NO[stanulla],
                "deletion_group": group,
                "ikzf1_del_source": source if status[s].get("IKZF1") in DELETED else "",
                "jak_stat": YES_NO[jak],
                "secondary_lesion": YES_NO[t_or(core, pax5, "ZEB2_mut" in present, jak)],
                "n_lesions": len(present),
            }
        )
    profile = pd.DataFrame(rows).set_index("sample").join(cells)
    order = [c for c in profile.columns if c != "n_lesions"] + ["n_lesions"]
    return profile[order].reset_index()
