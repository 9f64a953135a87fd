"""Every analysis of the core study as rows of stats/associations.tsv (docs/science.md).

An analysis whose input columns are missing, or whose groups are too small, still gets its
row(s): statistics NA and ``note`` saying why. ``pvalue`` is each test's own p (Dunn: adjusted
over its pairs as ``AssociationParams.dunn_adjust`` says); ``padj`` is Benjamini-Hochberg over
every row of the table that has a p-value.

No p-value is given for a group (or a correlation) of fewer than ``AssociationParams.min_group``
samples (default 3, ``--min-group``); small tests get exact or permutation p-values
(``tkiseq.stats.compare``), and ``method`` says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq import tables
from tkiseq.errors import InputError
from tkiseq.inputs.phenotypes import read_phenotypes
from tkiseq.stage_options import option
from tkiseq.stats.compare import COLUMNS, bh, dunn, kruskal, mann_whitney, row, spearman

DELETION_GROUPS = ("NO DEL", "PAX5+", "IKZF1", "IKZF1plus")
CLASSES = ("sensitive", "intermediate", "resistant")
MISSING = ("", "NA")


@dataclass(frozen=True)
class AssociationParams:
    """Eligibility windows (days), the MRD cut-off, smallest group tested, Dunn's adjustment."""

    relapse_max_start_days: int = 50
    min_followup_days: int = 365
    mrd_max_start_days: int = 15
    mrd_high: float = 1e-4
    min_group: int = option(3, help="smallest group that is tested")
    dunn_adjust: str = option(
        "holm", help="p adjustment over Dunn's pairs (scikit-posthocs p_adjust)"
    )
    class_drug: str = "imatinib"


@dataclass
class Data:
    """Everything the analyses read, indexed by sample; absent inputs are None."""

    z: pd.DataFrame  # sample x drug z-scores
    capped: pd.DataFrame  # sample x drug capped AUC
    klass: pd.Series  # imatinib class per sample
    phenotypes: pd.DataFrame | None = None
    profile: pd.DataFrame | None = None
    bcr_abl1: pd.DataFrame | None = None  # expression_fpm, bcr_abl1_abl1_ratio, protein
    abl1: pd.Series | None = None  # normalised ABL1 expression


def _num(series: pd.Series) -> pd.Series:
    """Text cells as numbers; empty/NA/unparsable become NaN."""
    return pd.to_numeric(series.replace(dict.fromkeys(MISSING, np.nan)), errors="coerce")


def two_groups(
    analysis: str,
    variable: str,
    values: pd.Series,
    mask_a: pd.Series,
    mask_b: pd.Series,
    names: tuple[str, str],
    eligibility: str,
    min_group: int,
) -> dict[str, object]:
    """Mann-Whitney U of values[mask_a] vs values[mask_b] (missing values dropped)."""
    a, b = values[mask_a].dropna(), values[mask_b].dropna()
    base = dict(group=names[0], reference_group=names[1], n=len(a), n_reference=len(b))
    if min(len(a), len(b)) < min_group:
        note = f"fewer than {min_group} samples in a group: no p-value"
        return row(analysis, variable, eligibility, **base, method="Mann-Whitney U", note=note)
    u, effect, test = mann_whitney(a.to_numpy(), b.to_numpy())
    return row(
        analysis,
        variable,
        eligibility,
        **base,
        statistic=u,
        effect=effect,
        pvalue=test.pvalue,
        method=f"{test.method}; effect: rank-biserial",
        note=test.note(),
    )


def missing_columns(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> list[str]:
    """The columns ``frame`` lacks (all of them when there is no frame)."""
    return list(columns) if frame is None else [c for c in columns if c not in frame.columns]


def relapse_eligible(ph: pd.DataFrame, params: AssociationParams) -> pd.Series:
    """TKI started <= N days after diagnosis, >= 1 year follow-up or a relapse, no death in CR."""
    start, follow = _num(ph["tki_start_days"]), _num(ph["followup_days"])
    relapse = ph["relapse"].str.lower()
    return (
        (start <= params.relapse_max_start_days)
        & ((follow >= params.min_followup_days) | (relapse == "yes"))
        & (ph["died_in_cr"].str.lower() != "yes")
        & relapse.isin(("yes", "no"))
    )


def mrd_eligible(ph: pd.DataFrame, params: AssociationParams) -> pd.Series:
    """Imatinib started <= N days after diagnosis and an MRD value at end of induction."""
    return (_num(ph["tki_start_days"]) <= params.mrd_max_start_days) & _num(ph["mrd_eoi"]).notna()


def by_relapse(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """z of relapse vs CCR (docs/science.md#response-associations, Fig. 1F)."""
    need = ("tki_start_days", "followup_days", "relapse", "died_in_cr")
    rule = (
        f"tki_start_days <= {params.relapse_max_start_days} and (followup_days >= "
        f"{params.min_followup_days} or relapse = yes) and died_in_cr != yes"
    )
    return _per_drug(
        d,
        "auc_z_by_relapse",
        need,
        rule,
        lambda ph: (
            relapse_eligible(ph, params),
            ph["relapse"].str.lower() == "yes",
            ph["relapse"].str.lower() == "no",
            ("relapse", "CCR"),
        ),
        params,
    )


def by_mrd(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """z of high vs low end-of-induction MRD (Fig. 1E)."""
    rule = f"tki_start_days <= {params.mrd_max_start_days} and mrd_eoi given"
    return _per_drug(
        d,
        "auc_z_by_mrd",
        ("tki_start_days", "mrd_eoi"),
        rule,
        lambda ph: (
            mrd_eligible(ph, params),
            _num(ph["mrd_eoi"]) >= params.mrd_high,
            _num(ph["mrd_eoi"]) < params.mrd_high,
            (f"MRD >= {params.mrd_high:g}", f"MRD < {params.mrd_high:g}"),
        ),
        params,
    )


Split = Callable[[pd.DataFrame], tuple[pd.Series, pd.Series, pd.Series, tuple[str, str]]]


def _per_drug(
    d: Data,
    analysis: str,
    need: tuple[str, ...],
    rule: str,
    split: Split,
    params: AssociationParams,
) -> list[dict[str, object]]:
    """One two-group test per drug on z; ``split`` gives (eligible, group, reference, names).
    NA rows with the reason when phenotype columns are missing."""
    missing = missing_columns(d.phenotypes, need)
    rows = []
    for drug in d.z.columns:
        variable = f"z_{drug}"
        if missing:
            note = f"missing phenotype column(s): {', '.join(missing)}"
            rows.append(row(analysis, variable, rule, method="Mann-Whitney U", note=note))
            continue
        ph = d.phenotypes.reindex(d.z.index).fillna("")
        eligible, a, b, names = split(ph)
        n_el = int((eligible & d.z[drug].notna()).sum())
        text = f"{rule}; {n_el} of {int(d.z[drug].notna().sum())} samples with a z-score eligible"
        rows.append(
            two_groups(
                analysis,
                variable,
                d.z[drug],
                eligible & a,
                eligible & b,
                names,
                text,
                params.min_group,
            )
        )
    return rows


def by_deletion_group(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """Kruskal-Wallis of z over the Fig. 3B groups with >= min_group samples, then Dunn."""
    analysis, rows = "auc_z_by_deletion_group", []
    rule = (
        "deletion_group in NO DEL, PAX5+, IKZF1, IKZF1plus (copy number of IKZF1, PAX5, CDKN2A/B)"
    )
    for drug in d.z.columns:
        variable = f"z_{drug}"
        if d.profile is None:
            rows.append(
                row(analysis, variable, rule, method="Kruskal-Wallis", note="no profile.tsv")
            )
            continue
        groups = d.profile["deletion_group"].reindex(d.z.index)
        z = d.z[drug]
        keep = groups.isin(DELETION_GROUPS) & z.notna()
        sizes = groups[keep].value_counts()
        used = [g for g in DELETION_GROUPS if sizes.get(g, 0) >= params.min_group]
        small = [g for g in DELETION_GROUPS if 0 < sizes.get(g, 0) < params.min_group]
        note = f"left out (< {params.min_group} samples): {', '.join(small)}" if small else ""
        keep &= groups.isin(used)
        text = f"{rule}; {int(keep.sum())} samples in groups of >= {params.min_group}"
        label = ",".join(used)
        if len(used) < 2:
            rows.append(
                row(
                    analysis,
                    variable,
                    text,
                    group=label,
                    n=int(keep.sum()),
                    method="Kruskal-Wallis",
                    note=(note + "; " if note else "") + "fewer than 2 groups to compare",
                )
            )
            continue
        h, eps, test = kruskal([z[keep & (groups == g)].to_numpy() for g in used])
        rows.append(
            row(
                analysis,
                variable,
                text,
                group=label,
                n=int(keep.sum()),
                statistic=h,
                effect=eps,
                pvalue=test.pvalue,
                note="; ".join(t for t in (note, test.note()) if t),
                method=f"{test.method}; effect: epsilon squared",
            )
        )
        medians = z[keep].groupby(groups[keep]).median()
        for a, b, stat, test in dunn(z[keep], groups[keep], used, params.dunn_adjust):
            rows.append(
                row(
                    analysis,
                    variable,
                    text,
                    group=a,
                    reference_group=b,
                    n=int(sizes[a]),
                    n_reference=int(sizes[b]),
                    statistic=stat,
                    effect=float(medians[a] - medians[b]),
                    pvalue=test.pvalue,
                    method=f"{test.method}; statistic: z of mean ranks; effect: median difference",
                    note=test.note(),
                )
            )
    return rows


def pax5_in_ikzf1_wt(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """Among IKZF1-intact samples: PAX5 deleted vs not (the paper's P = .03 finding)."""
    analysis = "pax5_del_in_ikzf1_wt"
    rule = "IKZF1 not deleted (deletion_group PAX5+, NO DEL or OTHER DEL)"
    rows = []
    for drug in d.z.columns:
        if d.profile is None:
            rows.append(
                row(analysis, f"z_{drug}", rule, method="Mann-Whitney U", note="no profile.tsv")
            )
            continue
        g = d.profile["deletion_group"].reindex(d.z.index)
        n_el = int((g.isin(("PAX5+", "NO DEL", "OTHER DEL")) & d.z[drug].notna()).sum())
        rows.append(
            two_groups(
                analysis,
                f"z_{drug}",
                d.z[drug],
                g == "PAX5+",
                g.isin(("NO DEL", "OTHER DEL")),
                ("PAX5 deleted", "PAX5 not deleted"),
                f"{rule}; {n_el} samples",
                params.min_group,
            )
        )
    return rows


def by_age_group(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """z by age group: Mann-Whitney U for two groups, Kruskal-Wallis for more (Fig. 1A-C)."""
    analysis, rows = "auc_z_by_age_group", []
    for drug in d.z.columns:
        variable = f"z_{drug}"
        if missing_columns(d.phenotypes, ("age_group",)):
            rows.append(
                row(
                    analysis,
                    variable,
                    "age_group given",
                    method="Mann-Whitney U",
                    note="missing phenotype column: age_group",
                )
            )
            continue
        age = d.phenotypes["age_group"].reindex(d.z.index).fillna("")
        keep = ~age.isin(MISSING) & d.z[drug].notna()
        levels = sorted(age[keep].unique())
        text = f"age_group given; {int(keep.sum())} samples"
        if len(levels) == 2:
            rows.append(
                two_groups(
                    analysis,
                    variable,
                    d.z[drug],
                    keep & (age == levels[0]),
                    keep & (age == levels[1]),
                    tuple(levels),
                    text,
                    params.min_group,
                )
            )
        elif len(levels) > 2 and min(age[keep].value_counts()) >= params.min_group:
            h, eps, test = kruskal([d.z[drug][keep & (age == lv)].to_numpy() for lv in levels])
            rows.append(
                row(
                    analysis,
                    variable,
                    text,
                    group=",".join(levels),
                    n=int(keep.sum()),
                    statistic=h,
                    effect=eps,
                    pvalue=test.pvalue,
                    method=f"{test.method}; effect: epsilon squared",
                    note=test.note(),
                )
            )
        else:
            rows.append(
                row(
                    analysis,
                    variable,
                    text,
                    group=",".join(levels),
                    n=int(keep.sum()),
                    method="Mann-Whitney U",
                    note="fewer than 2 age groups of enough samples",
                )
            )
    return rows


def drug_correlation(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """Spearman of z between every pair of drugs (cross-resistance, Fig. 1D)."""
    analysis, rows = "tki_z_correlation", []
    rule = "samples with a z-score for both drugs"
    for a, b in combinations(d.z.columns, 2):
        both = d.z[a].notna() & d.z[b].notna()
        base = dict(group=a, reference_group=b, n=int(both.sum()), method="Spearman")
        if both.sum() < params.min_group:
            rows.append(
                row(
                    analysis,
                    f"z_{a} vs z_{b}",
                    rule,
                    **base,
                    note=f"fewer than {params.min_group} samples: no p-value",
                )
            )
            continue
        rho, test = spearman(d.z[a][both].to_numpy(), d.z[b][both].to_numpy())
        base |= dict(method=test.method, note=test.note())
        rows.append(
            row(
                analysis,
                f"z_{a} vs z_{b}",
                rule,
                **base,
                statistic=rho,
                effect=rho,
                pvalue=test.pvalue,
            )
        )
    return rows


EXPRESSION_ANALYSES = (
    ("bcr_abl1_expression_vs_auc", "BCR::ABL1 expression_fpm"),
    ("bcr_abl1_abl1_ratio_vs_auc", "BCR::ABL1/ABL1 junction ratio"),
    ("abl1_expression_vs_auc", "ABL1 normalised expression"),
)


def expression_vs_auc(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """Spearman of each expression measure with the capped AUC: all BCR::ABL1, then p190."""
    rows = []
    for analysis, measure in EXPRESSION_ANALYSES:
        if analysis == "abl1_expression_vs_auc":
            values, why = d.abl1, "no expression/cohort.h5ad with ABL1"
        else:
            col = "expression_fpm" if analysis.startswith("bcr_abl1_exp") else "bcr_abl1_abl1_ratio"
            values = None if d.bcr_abl1 is None else d.bcr_abl1[col]
            why = "no BCR::ABL1 fusion calls"
        for drug in d.capped.columns:
            for subset in ("all BCR::ABL1", "p190"):
                variable = f"auc_capped_{drug} vs {measure}"
                rule = f"{subset} samples with both values"
                if values is None or d.bcr_abl1 is None:
                    rows.append(
                        row(
                            analysis,
                            variable,
                            rule,
                            group=subset,
                            method="Spearman",
                            note=why if values is None else "no BCR::ABL1 fusion calls",
                        )
                    )
                    continue
                members = d.bcr_abl1.index
                if subset == "p190":
                    members = members[d.bcr_abl1["protein"] == "p190"]
                x = d.capped[drug].reindex(members)
                y = _num(values.reindex(members).astype(str))
                both = x.notna() & y.notna()
                base = dict(group=subset, n=int(both.sum()), method="Spearman")
                if both.sum() < params.min_group:
                    rows.append(
                        row(
                            analysis,
                            variable,
                            rule,
                            **base,
                            note=f"fewer than {params.min_group} samples: no p-value",
                        )
                    )
                    continue
                rho, test = spearman(x[both].to_numpy(), y[both].to_numpy())
                base |= dict(method=test.method, note=test.note())
                rows.append(
                    row(
                        analysis,
                        variable,
                        rule,
                        **base,
                        statistic=rho,
                        effect=rho,
                        pvalue=test.pvalue,
                    )
                )
    return rows


def lesion_burden(d: Data, params: AssociationParams) -> list[dict[str, object]]:
    """Share of samples with >= 1 secondary lesion per imatinib class (descriptive)."""
    analysis = "lesion_burden_by_class"
    rule = "secondary_lesion known (yes/no) and a class"
    method = "share with >= 1 of IKZF1plus, PAX5 del, ZEB2 mut, JAK/STAT activation"
    if d.profile is None or d.klass.empty:
        note = "no profile.tsv" if d.profile is None else f"no {params.class_drug} class"
        return [row(analysis, "secondary_lesion", rule, method=method, note=note)]
    lesion = d.profile["secondary_lesion"].reindex(d.klass.index)
    rows = []
    for k in CLASSES:
        sel = (d.klass == k) & lesion.isin(("yes", "no"))
        n, hits = int(sel.sum()), int((sel & (lesion == "yes")).sum())
        rows.append(
            row(
                analysis,
                "secondary_lesion",
                f"{rule}; {n} {k} samples",
                group=k,
                n=n,
                statistic=hits,
                effect=hits / n if n else np.nan,
                method=method,
                note="descriptive: no test",
            )
        )
    return rows


ANALYSES = (
    by_deletion_group,
    by_relapse,
    by_mrd,
    expression_vs_auc,
    drug_correlation,
    by_age_group,
    pax5_in_ikzf1_wt,
    lesion_burden,
)


def associations(d: Data, params: AssociationParams) -> pd.DataFrame:
    """Every analysis, one row per test; ``padj`` is BH over all rows with a p-value."""
    rows = [r for analysis in ANALYSES for r in analysis(d, params)]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["padj"] = bh(table["pvalue"].astype(float))
    return table


def read_response(path: Path, class_drug: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """z and capped AUC as sample x drug tables, and the class of ``class_drug``."""
    table = tables.read_table(Path(path), "response")
    for col in ("auc_capped", "z"):
        table[col] = _num(table[col])
    z = table.pivot(index="sample", columns="drug", values="z")
    capped = table.pivot(index="sample", columns="drug", values="auc_capped")
    order = list(dict.fromkeys(table["drug"]))
    chosen = table[(table["drug"] == class_drug) & (table["class"] != "")]
    return z[order], capped[order], chosen.set_index("sample")["class"]


def read_bcr_abl1(path: Path) -> pd.DataFrame:
    """Per BCR::ABL1-positive sample: expression_fpm, bcr_abl1_abl1_ratio, protein (p190...)."""
    f = tables.read_table(Path(path), "fusions")
    keep = (f["gene5"] == "BCR") & (f["gene3"] == "ABL1") & f["confidence"].isin(("high", "medium"))
    f = f[keep]
    f = f.assign(expression_fpm=_num(f["expression_fpm"]), ratio=_num(f["bcr_abl1_abl1_ratio"]))
    f = f.sort_values("expression_fpm", ascending=False).drop_duplicates("sample")
    return pd.DataFrame(
        {
            "expression_fpm": f["expression_fpm"].to_numpy(),
            "bcr_abl1_abl1_ratio": f["ratio"].to_numpy(),
            "protein": f["bcr_abl1_protein"].to_numpy(),
        },
        index=pd.Index(f["sample"], name="sample"),
    )


def read_abl1(path: Path) -> pd.Series | None:
    """ABL1 normalised (size-factor scaled) counts per sample from cohort.h5ad."""
    from tkiseq.inputs.cohort_file import read_gene

    if not path.exists():
        raise InputError(path, "file not found")
    return read_gene(path, "normalised", "ABL1")  # one column, not the whole file


def load(
    response: Path,
    params: AssociationParams,
    phenotypes: Path | None = None,
    profile: Path | None = None,
    fusions: Path | None = None,
    expression: Path | None = None,
) -> Data:
    """Read every input that was given."""
    z, capped, klass = read_response(Path(response), params.class_drug)
    d = Data(z=z, capped=capped, klass=klass)
    if phenotypes is not None:
        d.phenotypes = read_phenotypes(Path(phenotypes))
    if profile is not None:
        if not Path(profile).exists():
            raise InputError(profile, "file not found")
        d.profile = pd.read_csv(profile, sep="\t", dtype=str, keep_default_na=False).set_index(
            "sample"
        )
    if fusions is not None:
        d.bcr_abl1 = read_bcr_abl1(Path(fusions))
    if expression is not None:
        d.abl1 = read_abl1(Path(expression))
    return d
