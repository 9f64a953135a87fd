"""``tkiseq report``: the run's outputs gathered into one self-contained HTML page.

The page opens on what was found (the cohort at a glance, ``findings``), then the sections,
then one card per sample (``cards``), and ends with the run's provenance; its status banner is
rewritten when the run ends (``status``).

Each section reads its own inputs; when they are absent the section says which files it
looked for instead of failing, so a partial run still gets a report. Tables travel inside the
page as JSON and are paged, sorted, filtered and downloaded (TSV) by a small inline script,
which keeps the page usable at hundreds of samples.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from tkiseq import __version__
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.report import figures, findings
from tkiseq.report.cards import (
    CALLS,
    CONFIDENCES,
    GENE_BINS,
    SITE_BINS,
    Cohort,
    Karyotype,
    pack_karyotype,
    read_karyotype_bins,
    sample_cards,
)
from tkiseq.report.findings import NOT_ASSESSABLE, evidence_words, lesions_only, p_text
from tkiseq.report.inputs import (
    QC_METRICS,
    numeric,
    qc_outliers,
    qc_table,
    read_json,
    read_samples,
    read_table,
    read_versions,
)
from tkiseq.report.params import ReportParams

log = logging.getLogger(__name__)


@dataclass
class Table:
    """A table shipped as JSON; ``marks`` maps a row to highlighted columns (empty: the row)."""

    id: str
    title: str
    frame: pd.DataFrame
    marks: dict[int, list[int]] = field(default_factory=dict)
    note: str = ""

    def payload(self) -> str:
        frame = self.frame.apply(_as_numbers)
        rows = [[_cell(v) for v in rec] for rec in frame.itertuples(index=False)]
        data = {"columns": [str(c) for c in self.frame.columns], "rows": rows, "marks": self.marks}
        return _script_json(data)


@dataclass
class Image:
    title: str
    uri: str
    small: bool = False  # another stage's figure, shown as a smaller panel
    caption: str = ""  # what is drawn and n

    def text(self) -> str:
        return f"{self.title}. {self.caption}" if self.caption else self.title


@dataclass
class Panel:
    """A box of the cohort-at-a-glance: label/count lines, or a small table."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    table: pd.DataFrame | None = None
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    html: str = ""  # pre-rendered markup (the run status fragment)
    figures_last: bool = False  # figures after the tables (the tests they illustrate)
    data: dict[str, str] = field(default_factory=dict)  # id -> JSON for scripts and tests


def _as_numbers(column: pd.Series) -> pd.Series:
    """A text column whose every non-empty cell is a number becomes numeric (sorts as numbers).

    IDs with leading zeros ("007") stay text.
    """
    if column.dtype != object:
        return column
    text = column.astype(str).str.strip()
    filled = text[(text != "") & (text != "NA")]
    if filled.empty or filled.str.match(r"^-?0\d").any():
        return column
    values = pd.to_numeric(text.replace({"": None, "NA": None}), errors="coerce")
    return values if values.notna().sum() == len(filled) else column


def _cell(value: object) -> object:
    """JSON-safe cell: NaN is null, integers stay exact, other floats get 4 significant digits."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return float(f"{value:.4g}")
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    return value


def _script_json(data: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``<`` can close it or open a comment."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


def _stage_images(
    folder: Path, caption: str, keep: Callable[[Path], bool] | None = None
) -> list[Image]:
    """PNG figures another stage wrote into ``folder`` (SVG when there is no PNG), inlined."""
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".png", ".svg"))
    stems = {p.stem for p in paths if p.suffix == ".png"}
    paths = [p for p in paths if p.suffix == ".png" or p.stem not in stems]
    return [
        Image(p.stem.replace("_", " "), figures.file_uri(p), small=True, caption=caption)
        for p in paths
        if keep is None or keep(p)
    ]


def summary_section(results: Path, samples: list[str]) -> Section:
    """The run's status (re-written when the run ends), inputs, parameters, versions,
    warnings: provenance, at the end of the page."""
    from tkiseq.report.status import fragment, read_state

    info = results / "pipeline_info"
    section = Section("summary", "Run summary, parameters and versions")
    section.html = fragment("summary", read_state(results))
    section.facts.append(("samples", str(len(samples))))
    run = read_json(info / "run.json")
    if run is None:
        section.missing.append("pipeline_info/run.json")
    else:
        hidden = ("status", "finished", "duration_s")  # in the status block above
        section.facts += [(k, str(v)) for k, v in run.items() if k not in hidden]
    inputs = info / "inputs"
    files = sorted(p.name for p in inputs.iterdir()) if inputs.is_dir() else []
    section.facts.append(("validated inputs", ", ".join(files)))
    if not (info / "trace.tsv").exists():
        section.missing.append("pipeline_info/trace.tsv")
    warnings = read_table(info / "warnings.tsv", "warnings")
    if warnings is not None and len(warnings):
        section.tables.append(Table("warnings", f"Warnings ({len(warnings)})", warnings))
    params = read_json(info / "params.json")
    if params is None:
        section.missing.append("pipeline_info/params.json")
    else:
        frame = pd.DataFrame(
            {"parameter": list(params), "value": [str(v) for v in params.values()]}
        )
        section.tables.append(Table("params", "Parameters", frame))
    versions = read_versions(info / "software_versions.yml")
    if versions is None:
        section.missing.append("pipeline_info/software_versions.yml")
    else:
        rows = [(p, t, v) for p, tools in versions.items() for t, v in tools.items()]
        frame = pd.DataFrame(rows, columns=["process", "software", "version"])
        section.tables.append(Table("versions", "Software versions", frame))
    return section


def qc_section(
    results: Path, samples: list[str], params: ReportParams
) -> tuple[Section, pd.DataFrame, pd.DataFrame]:
    """Per-sample QC with outliers highlighted and the rule stated."""
    qc, missing = qc_table(results, samples, params.min_reads_detected)
    flags = qc_outliers(
        qc, params.outlier_z, params.outlier_min_fraction, params.outlier_min_points
    )
    section = Section(
        "qc",
        "Sequencing and alignment QC",
        intro=(
            "Input reads, uniquely mapped and multimapped % from STAR's Log.final.out; "
            "duplicates % = duplicate primary reads / examined reads (samtools markdup); "
            f"genes detected = genes with at least {params.min_reads_detected} read(s) in "
            "expression/counts.tsv. Outlier rule: a value whose modified z-score "
            f"0.6745 (x - median) / MAD passes {params.outlier_z:g} on the bad side (low "
            "reads, low unique %, high multimapped %, high duplicates %, few genes) and that "
            f"lies at least {params.outlier_min_points:g} percentage points (percentages) or "
            f"{params.outlier_min_fraction:.0%} of the median (counts) from the median is "
            "highlighted; so is a declared strandedness that differs from the inferred one."
        ),
        missing=missing,
    )
    columns = [
        "sample",
        *[m.column for m in QC_METRICS],
        "strandedness_declared",
        "strandedness_inferred",
    ]
    frame = qc[columns]
    marks: dict[int, list[int]] = {}
    for i in range(len(qc)):
        cols = [columns.index(c) for c in flags.columns if c in columns and flags.iloc[i][c]]
        if flags.iloc[i]["strandedness_mismatch"]:
            cols += [columns.index("strandedness_declared"), columns.index("strandedness_inferred")]
        if cols:
            marks[i] = cols
    flagged = [qc["sample"].iloc[i] for i in marks]
    listed = (
        ": " + ", ".join(flagged[:20]) + (" ..." if len(flagged) > 20 else "") if flagged else ""
    )
    section.facts.append(("samples flagged", f"{len(flagged)} of {len(qc)}{listed}"))
    if qc[[m.column for m in QC_METRICS]].notna().any().any():
        section.images.append(
            Image(
                "QC metrics per sample",
                figures.data_uri(figures.qc_figure(qc, flags)),
                caption=f"One dot per sample (n = {len(qc)}) and metric; outliers red and named.",
            )
        )
    section.tables.append(Table("qc", "QC per sample", frame, marks))
    return section, qc, flags


def subtype_section(results: Path) -> tuple[Section, pd.DataFrame | None]:
    """Subtype, confidence and risk group with the evidence behind each call."""
    path = results / "subtypes" / "subtypes.tsv"
    section = Section(
        "subtypes",
        "Subtypes and risk",
        intro="Subtype (WHO-HAEM5/ICC), confidence and risk group (Paietta 2021) per sample, with "
        "the evidence behind each call (items that carry no information left out).",
    )
    table = read_table(path, "subtypes")
    if table is None:
        section.missing.append("subtypes/subtypes.tsv")
        return section, None
    counts = table["subtype"].value_counts()
    section.facts += [(s, str(n)) for s, n in counts.items()]
    section.images.append(
        Image(
            "Samples per subtype and risk group",
            figures.data_uri(figures.subtype_figure(table)),
            caption=f"Bars: samples per subtype (n = {len(table)}), stacked by risk group.",
        )
    )
    marks = {i: [] for i in range(len(table)) if table["confidence"].iloc[i] == "low"}
    section.tables.append(
        Table(
            "subtypes",
            "Subtype calls",
            table.assign(evidence=table["evidence"].map(evidence_words)),
            marks,
            note="Low-confidence calls are highlighted.",
        )
    )
    return section, table


def _is_lesion_figure(path: Path) -> bool:
    return "oncoprint" in path.name or "lesion" in path.name


def _imatinib_auc(response: pd.DataFrame | None) -> pd.Series | None:
    if response is None:
        return None
    rows = response[response["drug"] == "imatinib"]
    return rows.set_index("sample")["auc"] if len(rows) else None


def lesion_section(
    results: Path, samples: list[str], response: pd.DataFrame | None
) -> tuple[Section, pd.DataFrame | None, pd.DataFrame | None]:
    """The oncoprint (samples sorted by imatinib AUC) and the per-sample lesion profile."""
    section = Section(
        "lesions",
        "Lesions",
        intro="Each column a sample (sorted by imatinib AUC when known), each row a lesion, "
        "coloured by the source that found it. IKZF1plus: IKZF1 deletion with a CDKN2A, "
        "CDKN2B or PAX5 deletion (core definition; the Stanulla 2018 one also counts PAR1 and "
        "excludes ERG deletion).",
    )
    lesions = read_table(results / "lesions" / "lesions.tsv", "lesions")
    auc = _imatinib_auc(response)
    if lesions is None:
        section.missing.append("lesions/lesions.tsv")
    else:
        lesions = lesions_only(lesions)
        order = list(samples)
        if auc is not None:
            order.sort(key=lambda s: (math.isnan(auc.get(s, math.nan)), auc.get(s, math.nan)))
        fig, rows = figures.oncoprint(lesions, order, auc)
        section.data["oncoprint"] = _script_json({"rows": rows, "samples": len(order)})
        section.images.append(
            Image(
                "Lesion overview (oncoprint)",
                figures.data_uri(fig),
                caption=f"Columns: samples (n = {len(order)}), sorted by imatinib AUC (top "
                f"track) when known; rows: the {len(rows)} lesions found, most frequent first; "
                "arms the karyotype could not assess are not lesions and are not drawn.",
            )
        )
        section.tables.append(Table("lesions", "Lesions by source", lesions))
    profile = read_table(results / "lesions" / "profile.tsv", "profile")
    if profile is None:
        section.missing.append("lesions/profile.tsv")
    else:
        profile = profile[[c for c in profile if not NOT_ASSESSABLE.search(c)]]
        section.tables.append(Table("profile", "Lesion profile per sample", profile))
    n = f"{len(samples)} samples in the cohort"
    section.images += _stage_images(results / "lesions", f"Drawn by the lesions stage; {n}.")
    section.images += _stage_images(
        results / "stats" / "figures", f"Drawn by the associations stage; {n}.", _is_lesion_figure
    )
    return section, lesions, profile


def response_section(
    results: Path, params: ReportParams
) -> tuple[Section, pd.DataFrame | None, pd.DataFrame | None]:
    """AUC per drug and class, and the association tests with lesions and expression."""
    section = Section(
        "response",
        "Drug response",
        intro=f"Ex vivo AUC per drug (capped at {params.auc_cap:g} for z-scores); imatinib "
        "classes: sensitive < 80, intermediate 80-120, resistant > 120.",
    )
    path = results / "response" / "response.tsv"
    response = read_table(path, "response")
    if response is None:
        section.missing.append("response/response.tsv")
    else:
        numeric(response, ["auc", "auc_capped", "z"], path)
        shown = response.dropna(subset=["auc"])
        fig = figures.response_figure(shown, params.auc_cap)
        section.images.append(
            Image(
                "AUC per drug",
                figures.data_uri(fig),
                caption=f"One dot per sample and drug ({shown['sample'].nunique()} samples, "
                f"{len(shown)} AUC values), coloured by imatinib class; dashed: the cap "
                f"{params.auc_cap:g}.",
            )
        )
        marks = {i: [] for i in range(len(response)) if response["class"].iloc[i] == "resistant"}
        section.tables.append(Table("response", "Response per sample and drug", response, marks))
    path = results / "stats" / "associations.tsv"
    assoc = read_table(path, "associations")
    if assoc is None:
        section.missing.append("stats/associations.tsv")
    else:
        numeric(assoc, ["pvalue", "padj"], path)
        assoc = assoc.sort_values("pvalue", na_position="last").reset_index(drop=True)
        if "note" in assoc:  # "<= x" where the p is a permutation bound
            shown = [p_text(p, n) for p, n in zip(assoc["pvalue"], assoc["note"], strict=True)]
            assoc.insert(assoc.columns.get_loc("pvalue") + 1, "p_shown", shown)
        alpha = params.association_alpha
        marks = {i: [] for i in range(len(assoc)) if assoc["padj"].iloc[i] < alpha}
        section.tables.append(
            Table(
                "associations",
                "Associations",
                assoc,
                marks,
                note=f"Rows with padj < {alpha:g} are highlighted.",
            )
        )
    n = f"{len(read_samples(results))} samples in the cohort"
    section.images += _stage_images(results / "response", f"Drawn by the response stage; {n}.")
    section.images += _stage_images(
        results / "stats" / "figures",
        f"Drawn by the associations stage; {n} (n per group under each group).",
        lambda p: not _is_lesion_figure(p) and p.stem not in FINDING_FIGURES,
    )
    return section, response, assoc


def de_section(results: Path, params: ReportParams) -> Section:
    """Per phenotype: volcano with outlier-driven genes marked, and the top genes."""
    from tkiseq.expression.de import volcano

    section = Section(
        "de",
        "Differential expression",
        intro="PyDESeq2 with the phenotype as a continuous covariate. Outlier-driven genes "
        "(significant but not robust: no rank correlation, or significance lost without the "
        "single most influential sample) are red in the volcano and highlighted in the table.",
    )
    paths = sorted((results / "de").glob("de_*.tsv"))
    if not paths:
        section.missing.append("de/de_<phenotype>.tsv")
    for path in paths:
        name = path.stem.removeprefix("de_")
        table = read_table(path, "de")
        if table is None:  # gone since the glob found it
            continue
        numeric(table, ["base_mean", "log2fc", "pvalue", "padj"], path)
        table["outlier_driven"] = table["outlier_driven"].str.lower().isin(["true", "1", "yes"])
        called = int((table["padj"] < params.alpha).sum())
        section.facts.append(
            (
                name,
                f"{called} genes at padj < {params.alpha:g}, "
                f"{int(table['outlier_driven'].sum())} outlier-driven",
            )
        )
        if "log2fc_per_sd" in table:
            numeric(table, ["log2fc_per_sd"], path)
            fig = volcano(table, params.alpha, name)
            section.images.append(
                Image(
                    f"Volcano: {name}",
                    figures.data_uri(fig),
                    caption=f"One dot per gene ({len(table)} genes tested); outlier-driven in red.",
                )
            )
        top = table.sort_values("pvalue", na_position="last").head(params.top_genes)
        top = top.reset_index(drop=True)
        marks = {i: [] for i in range(len(top)) if top["outlier_driven"].iloc[i]}
        section.tables.append(
            Table(f"de-{_slug(name)}", f"Top {len(top)} genes: {name}", top, marks)
        )
    return section


def gsea_section(results: Path) -> Section:
    """Enrichment tables per phenotype and the enrichment plots the gsea stage drew."""
    section = Section(
        "gsea", "Gene set enrichment", intro="gseapy prerank on the DE Wald statistic."
    )
    paths = sorted((results / "gsea").glob("gsea_*.tsv"))
    if not paths:
        section.missing.append("gsea/gsea_<phenotype>.tsv")
    for path in paths:
        name = path.stem.removeprefix("gsea_")
        table = read_table(path, "gsea")
        numeric(table, ["fdr"], path)
        table = table.sort_values("fdr", na_position="last").reset_index(drop=True)
        marks = {i: [] for i in range(len(table)) if table["fdr"].iloc[i] < 0.25}
        section.tables.append(
            Table(
                f"gsea-{_slug(name)}",
                f"Gene sets: {name}",
                table,
                marks,
                note="Sets at FDR < 0.25 (GSEA's usual cut-off) are highlighted.",
            )
        )
    section.images += _stage_images(
        results / "gsea",
        "Drawn by the gsea stage: running enrichment score of one gene set "
        "along the genes ranked by the DE statistic.",
    )
    return section


def fusion_section(results: Path) -> tuple[Section, pd.DataFrame | None]:
    """Every sample's fusion calls: breakpoints, support, frame, isoform."""
    section = Section(
        "fusions",
        "Fusions",
        intro="Calls from STAR chimeric and spliced junctions; click a header to sort, type to "
        "filter. Rows with filters PASS or known_fusion_rescue are highlighted.",
    )
    table = read_table(results / "fusions" / "cohort_fusions.tsv", "fusions")
    if table is None:
        section.missing.append("fusions/cohort_fusions.tsv")
        return section, None
    kept = table["filters"].isin(["PASS", "known_fusion_rescue"])
    section.facts.append(("calls", f"{len(table)} ({int(kept.sum())} passing)"))
    marks = {i: [] for i in range(len(table)) if kept.iloc[i]}
    section.tables.append(Table("fusions", "Fusion calls", table, marks))
    return section, table


def variant_section(results: Path) -> tuple[Section, pd.DataFrame | None]:
    """PASS variants; TKI-resistance hits highlighted."""
    section = Section(
        "variants",
        "Variants",
        intro="PASS calls (>= 3 alt reads, VAF > 0.1, not in dbSNP). Substitutions that defeat "
        "a TKI (tki_resistance) are highlighted.",
    )
    table = read_table(results / "variants" / "cohort_variants.tsv", "variants")
    if table is None:
        section.missing.append("variants/cohort_variants.tsv")
        return section, None
    table = table[table["filter"] == "PASS"].reset_index(drop=True)
    hits = table["tki_resistance"].str.strip() != ""
    section.facts.append(("PASS variants", f"{len(table)} ({int(hits.sum())} TKI-resistance hits)"))
    marks = {i: [] for i in range(len(table)) if hits.iloc[i]}
    section.tables.append(Table("variants", "PASS variants", table, marks))
    return section, table


FINDING_FIGURES = {
    "fig1abc_auc_by_age_group": "Fig. 1A-C: imatinib, dasatinib and bosutinib AUC by age group",
    "fig1ef_z_by_mrd_and_relapse": "Fig. 1E-F: imatinib z by end-of-induction MRD and by relapse",
    "fig3b_z_by_deletion_group": "Fig. 3B: imatinib z by deletion group, Dunn P per pair",
    "fig5_expression_vs_auc": "Fig. 5: ABL1 and BCR::ABL1 expression vs capped imatinib AUC",
}


def _share(n: int | None, total: int) -> str:
    if n is None:
        return "not assessed"
    return f"{n} ({100 * n / total:.0f} %)" if total else str(n)


def findings_section(
    results: Path,
    samples: list[str],
    subtypes: pd.DataFrame | None,
    fusions: pd.DataFrame | None,
    response: pd.DataFrame | None,
    lesions: pd.DataFrame | None,
    profile: pd.DataFrame | None,
    variants: pd.DataFrame | None,
    assoc: pd.DataFrame | None,
) -> Section:
    """The cohort at a glance, first on the page: what was found, then the core tests."""
    total = len(samples)
    section = Section("findings", f"Cohort at a glance ({total} samples)", figures_last=True)
    if subtypes is not None:
        table = findings.subtype_by_risk(subtypes)
        section.panels.append(Panel("Samples by subtype and risk group", table=table))
    else:
        section.panels.append(
            Panel("Samples by subtype and risk group", note="subtypes/subtypes.tsv not found")
        )
    if fusions is not None:
        isoforms = findings.bcr_abl1_isoforms(fusions)
        positive = sum(n for _, n in isoforms)
        lines = [("BCR::ABL1 positive", _share(positive, total))]
        lines += [(f"\u2003{iso}", str(n)) for iso, n in isoforms]
        section.panels.append(Panel("BCR::ABL1 isoforms", lines))
    else:
        section.panels.append(Panel("BCR::ABL1 isoforms", note="no fusion calls"))
    if response is not None:
        classes = findings.imatinib_classes(response)
        labels = {
            "sensitive": "sensitive (AUC < 80)",
            "intermediate": "intermediate (80-120)",
            "resistant": "resistant (AUC > 120)",
        }
        lines = [(labels.get(c, c), _share(n, total)) for c, n in classes]
        section.panels.append(Panel("Imatinib response", lines))
    else:
        section.panels.append(Panel("Imatinib response", note="response/response.tsv not found"))
    lines = [(k, _share(n, total)) for k, n in findings.lesion_landscape(lesions, profile)]
    section.panels.append(Panel("Secondary lesions", lines))
    if variants is not None:
        hits = findings.tki_mutations(variants)
        section.tables.append(
            Table(
                "tki-mutations",
                f"TKI-resistance mutations ({len(hits)} in {hits['sample'].nunique()} samples)",
                hits,
                note="PASS variants whose substitution defeats a TKI (gene, protein change, "
                "VAF, the drugs it defeats).",
            )
        )
    if assoc is not None:
        tests = findings.core_tests(assoc)
        section.tables.append(
            Table(
                "core-tests",
                "The core study's tests (imatinib)",
                tests,
                note="p: exact or permutation p-values for small groups (method column; "
                "'<=' marks a bound); padj: Benjamini-Hochberg over every test in "
                "stats/associations.tsv (all of them in Drug response).",
            )
        )
    folder = results / "stats" / "figures"
    for stem, title in FINDING_FIGURES.items():
        path = folder / f"{stem}.png"
        if path.exists():
            caption = (
                f"{total} samples in the cohort; n per group under each group or in the legend."
            )
            section.images.append(Image(title, figures.file_uri(path), small=True, caption=caption))
    return section


def karyotype_data(results: Path) -> tuple[Karyotype | None, list[str]]:
    """The karyotype plots' data: karyotype.tsv, with its genes and sites when present."""
    folder = results / "subtypes"
    path = folder / "karyotype.tsv"
    if not path.exists():
        return None, ["subtypes/karyotype.tsv"]
    table = read_table(path, "karyotype")
    genes = read_karyotype_bins(
        folder / "karyotype_genes.tsv.gz",
        ("sample", "chrom", "arm", "pos", "log2_ratio"),
        "log2_ratio",
        GENE_BINS,
    )
    sites = read_karyotype_bins(
        folder / "karyotype_sites.tsv.gz",
        ("sample", "chrom", "arm", "pos", "alt_fraction"),
        "minor",
        SITE_BINS,
    )
    return pack_karyotype(table, gene_medians=genes, site_medians=sites), []


def render(
    head: list[Section],
    tail: list[Section],
    cards: list[dict[str, object]],
    karyotype: Karyotype | None,
    params: ReportParams,
    banner: str,
) -> str:
    """The page from the Jinja2 template, with CSS and script inlined."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("tkiseq.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    layout = {
        "arms": karyotype.arms if karyotype else [],
        "calls": list(CALLS),
        "confidences": list(CONFIDENCES),
        "gene_bins": GENE_BINS,
        "site_bins": SITE_BINS,
        "binned": bool(karyotype and karyotype.binned),
    }
    return template.render(
        sections=head,
        tail=tail,
        banner=banner,
        cards=_script_json(cards),
        karyotype=_script_json(layout),
        page_size=params.page_size,
        cards_per_page=params.cards_per_page,
        version=__version__,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def build_report(results: Path, params: ReportParams) -> str:
    """Read every section's inputs under ``results`` and return the HTML page."""
    from tkiseq.report.status import fragment, read_state

    samples = read_samples(results)
    summary = summary_section(results, samples)
    qc, qc_frame, flags = qc_section(results, samples, params)
    subtypes, subtype_table = subtype_section(results)
    response, response_table, assoc = response_section(results, params)
    lesions, lesion_table, profile = lesion_section(results, samples, response_table)
    fusions, fusion_table = fusion_section(results)
    variants, variant_table = variant_section(results)
    karyotype, missing = karyotype_data(results)
    glance = findings_section(
        results,
        samples,
        subtype_table,
        fusion_table,
        response_table,
        lesion_table,
        profile,
        variant_table,
        assoc,
    )
    head = [
        glance,
        qc,
        subtypes,
        lesions,
        response,
        de_section(results, params),
        gsea_section(results),
        fusions,
        variants,
    ]
    cohort = Cohort(
        qc_frame,
        flags,
        subtype_table,
        lesion_table,
        profile,
        response_table,
        fusion_table,
        variant_table,
        karyotype,
    )
    if missing:
        summary.missing += missing
    banner = fragment("banner", read_state(results))
    return render(head, [summary], sample_cards(cohort), karyotype, params, banner)


def run_files(files: list[Path], outdir: Path, params: ReportParams) -> Path:
    """``tkiseq report FILE...``: the report of the results folder the files belong to, or,
    for loose files (as a Nextflow process stages them), of those files, each recognised by its
    documented name (``tkiseq.report.layout``)."""
    from tkiseq.report.layout import lay_out, results_root

    for path in files:
        if not path.exists():
            raise InputError(path, "file not found")
    root = results_root(files)
    if root is not None:
        return run(root, outdir, params)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".report-inputs.", dir=outdir) as tmp:
        return run(lay_out(files, Path(tmp)), outdir, params)


def run(results: Path, outdir: Path, params: ReportParams) -> Path:
    """``tkiseq report``: ``<outdir>/report.html`` and, unless disabled, ``<outdir>/multiqc/``."""
    html = build_report(results, params)
    if params.multiqc:
        from tkiseq.report.multiqc import run_multiqc

        run_multiqc(results, outdir / "multiqc")
    dest = outdir / "report.html"
    with atomic_path(dest) as tmp:
        tmp.write_text(html, encoding="utf-8")
    log.info("report: %s (%.1f MB)", dest, dest.stat().st_size / 1e6)
    return dest
