"""Gene set enrichment of a DE result: gseapy prerank on the Wald statistic.

The Wald statistic carries direction and confidence together, so sets whose genes rise with the
phenotype get a positive NES. Gene symbols are matched case-insensitively (GMT files from
different sources disagree on case); a symbol measured twice keeps its strongest statistic.
All GMT files are tested together, so the FDR is over every set tested.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.stage_options import option, positive_int

matplotlib.use("Agg")
log = logging.getLogger(__name__)

DEMO_GMT = Path(__file__).parents[1] / "data" / "gene_sets" / "tkiseq_demo.gmt"  # curated, README
COLUMNS = ["term", "es", "nes", "pvalue", "fdr", "size", "leading_edge", "gene_set_file"]
DE_COLUMNS = ("gene_id", "gene_name", "stat")
PLOT_DPI = 150  # gseapy saves at 300: four times the pixels, no more legible in the report


@dataclass(frozen=True)
class GseaParams:
    """Set-size bounds and permutations; gseapy's defaults except the smaller minimum size."""

    min_size: int = option(5, help="smallest gene set tested (genes in the ranking)")
    max_size: int = option(500, help="largest gene set")
    permutations: int = option(1000, help="gene-set permutations for the p-values")
    seed: int = option(1, help="permutation seed")
    threads: int = option(1, type=positive_int, help="gseapy threads")
    plots_per_direction: int = 3


@dataclass(frozen=True)
class GeneSet:
    """One set: its name, upper-case symbols and the GMT file it came from."""

    term: str
    genes: tuple[str, ...]
    source: str


def read_gmt(path: Path) -> list[GeneSet]:
    """Parse a GMT file: name, description, then one gene symbol per tab-separated field."""
    if not path.exists():
        raise InputError(path, "file not found")
    sets = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        genes = tuple(dict.fromkeys(g.upper() for g in fields[2:] if g))
        if not fields[0] or not genes:
            raise InputError(
                path, "expected name, description and genes separated by tabs", line=lineno
            )
        sets.append(GeneSet(fields[0], genes, path.name))
    if not sets:
        raise InputError(path, "no gene sets", hint="GMT: name<TAB>description<TAB>genes...")
    return sets


def ranking(de: pd.DataFrame) -> pd.Series:
    """Wald statistic per upper-case symbol, largest first; untested genes left out."""
    tested = de.dropna(subset=["stat"])
    symbol = tested["gene_name"].fillna(tested["gene_id"]).astype(str).str.upper()
    stat = pd.Series(tested["stat"].to_numpy(dtype=float), index=symbol.to_numpy())
    order = stat.abs().to_numpy().argsort(kind="stable")[::-1]
    stat = stat.iloc[order]
    stat = stat[~stat.index.duplicated(keep="first")]
    return stat.sort_values(ascending=False, kind="stable")


def prerank(rank: pd.Series, sets: list[GeneSet], params: GseaParams) -> tuple[pd.DataFrame, Any]:
    """Run gseapy prerank; return the result table (``COLUMNS``) and gseapy's result object.

    Sets are passed under neutral keys so any set name (and the same name in two files) works.
    """
    import gseapy

    keys = {f"set{i:06d}": s for i, s in enumerate(sets)}
    present = set(rank.index)
    sizes = {k: sum(g in present for g in s.genes) for k, s in keys.items()}
    usable = {
        k: list(s.genes) for k, s in keys.items() if params.min_size <= sizes[k] <= params.max_size
    }
    if not usable:
        raise InputError(
            ", ".join(sorted({s.source for s in sets})),
            f"no gene set has {params.min_size}-{params.max_size} genes among the "
            f"{len(rank)} ranked genes",
            hint="check that the DE table's gene_name column holds gene symbols",
        )
    with contextlib.redirect_stdout(io.StringIO()):
        res = gseapy.prerank(
            rnk=rank,
            gene_sets=usable,
            min_size=params.min_size,
            max_size=params.max_size,
            permutation_num=params.permutations,
            seed=params.seed,
            threads=params.threads,
            outdir=None,
            no_plot=True,
            verbose=False,
        )
    rows = []
    for key, r in res.results.items():
        rows.append(
            {
                "term": keys[key].term,
                "es": r["es"],
                "nes": r["nes"],
                "pvalue": r["pval"],
                "fdr": r["fdr"],
                "size": sizes[key],
                "leading_edge": r["lead_genes"],
                "gene_set_file": keys[key].source,
                "key": key,
            }
        )
    table = pd.DataFrame(rows).sort_values(["pvalue", "fdr", "term"], kind="stable")
    return table.reset_index(drop=True), res


def top_keys(table: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` most significant sets with positive NES and the ``n`` with negative NES."""
    up = table[table["nes"] > 0].head(n)["key"].tolist()
    down = table[table["nes"] < 0].head(n)["key"].tolist()
    return up + down


def bounded(p: float, permutations: int) -> str:
    """A permutation p as text: 0 means none of the permutations was as extreme, so the
    honest value is a bound, ``< 1/permutations``, not "0.000e+00"."""
    return f"< {1 / permutations:.1e}" if p == 0 else f"{p:.3e}"


def enrichment_plot(
    term: str, result: dict, ranking: np.ndarray, phenotype: str, permutations: int
) -> Figure:
    """gseapy's enrichment plot of one set, its p and FDR printed as bounds where they are."""
    from gseapy.plot import GSEAPlot

    plot = GSEAPlot(
        term,
        result["hits"],
        result["RES"],
        result["nes"],
        result["pval"],
        result["fdr"],
        ranking,
        "up with " + phenotype,
        "down with " + phenotype,
    )
    plot._pval_label = "Pval: " + bounded(result["pval"], permutations)  # gseapy: no option
    plot._fdr_label = "FDR: " + bounded(result["fdr"], permutations)
    plot.add_axes()
    return plot.fig


def phenotype_of(de_path: Path) -> str:
    """``de_auc_imatinib.tsv`` -> ``auc_imatinib``; any other name -> its stem."""
    return re.sub(r"^de_", "", de_path.name.split(".")[0])


def read_de(path: Path) -> pd.DataFrame:
    """The DE table of ``tkiseq de`` (or any table with gene_id, gene_name and stat)."""
    if not path.exists():
        raise InputError(path, "file not found")
    de = pd.read_csv(path, sep="\t")
    missing = [c for c in DE_COLUMNS if c not in de.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    if de["stat"].notna().sum() == 0:
        raise InputError(path, "no gene has a Wald statistic", column="stat")
    return de


def run(de_path: Path, gene_sets: list[Path], params: GseaParams, outdir: Path) -> Path:
    """``tkiseq gsea``: rank, test, then write plots and the table (nothing on bad input)."""
    de = read_de(de_path)
    sets = [s for path in gene_sets for s in read_gmt(path)]
    rank = ranking(de)
    table, res = prerank(rank, sets, params)
    name = phenotype_of(de_path)
    log.info(
        "%s: %d sets tested, %d at FDR < 0.05", name, len(table), int((table["fdr"] < 0.05).sum())
    )
    for key in top_keys(table, params.plots_per_direction):
        r = res.results[key]
        term = table.loc[table["key"] == key, "term"].iloc[0]
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", term)[:80]
        with atomic_path(outdir / f"enrichment_{name}_{safe}.png") as tmp:
            figure = enrichment_plot(term, r, np.asarray(res.ranking), name, params.permutations)
            figure.savefig(tmp, bbox_inches="tight", dpi=PLOT_DPI)
    dest = outdir / f"gsea_{name}.tsv"
    with atomic_path(dest) as tmp:  # last: the table's presence means the stage finished
        table[COLUMNS].to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return dest
