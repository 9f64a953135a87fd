"""``tkiseq report``: the run's outputs gathered into one self-contained HTML page.

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
from tkiseq.report import figures
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


def _stage_images(folder: Path, keep: Callable[[Path], bool] | None = None) -> list[Image]:
    """PNG/SVG figures another stage wrote into ``folder``, inlined."""
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".png", ".svg"))
    return [
        Image(p.stem.replace("_", " "), figures.file_uri(p), small=True)
        for p in paths
        if keep is None or keep(p)
    ]


def summary_section(results: Path, samples: list[str]) -> Section:
    """Samples, inputs, parameters, versions, warnings and failed tasks.

    ``tkiseq run`` builds the report as its last task: run.json then says RUNNING and
    trace.tsv lists the tasks before the report.
    """
    info = results / "pipeline_info"
    section = Section("summary", "Run summary")
    section.facts.append(("samples", str(len(samples))))
    run = read_json(info / "run.json")
    if run is None:
        section.missing.append("pipeline_info/run.json")
    else:
        section.facts += [(k, str(v)) for k, v in run.items()]
    inputs = info / "inputs"
    files = sorted(p.name for p in inputs.iterdir()) if inputs.is_dir() else []
    section.facts.append(("validated inputs", ", ".join(files)))
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
    warnings = read_table(info / "warnings.tsv", "warnings")
    if warnings is not None and len(warnings):
        section.tables.append(Table("warnings", f"Warnings ({len(warnings)})", warnings))
    trace = read_table(info / "trace.tsv", "trace")
    if run is not None and run.get("status") == "RUNNING":
        section.notes.append(
            "Built as the run's last task: the status and the task list cover the tasks before "
            "the report. To see the final ones, rebuild it: tkiseq report --results <outdir> "
            "--outdir <outdir>/report"
        )
    if trace is None:
        section.missing.append("pipeline_info/trace.tsv")
    else:
        failed = trace[trace["exit_code"].str.strip() != "0"]
        section.facts.append(("tasks", f"{len(trace)} run, {len(failed)} failed"))
        if len(failed):
            marks = {i: [] for i in range(len(failed))}
            section.tables.append(Table("failed", "Failed tasks", failed, marks))
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
        "qc", "Sequencing and alignment QC",
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
    )  # fmt: skip
    columns = [
        "sample", *[m.column for m in QC_METRICS], "strandedness_declared", "strandedness_inferred"
    ]  # fmt: skip
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
            Image("QC metrics per sample", figures.data_uri(figures.qc_figure(qc, flags)))
        )
    section.tables.append(Table("qc", "QC per sample", frame, marks))
    return section, qc, flags


def subtype_section(results: Path) -> tuple[Section, pd.DataFrame | None]:
    """Subtype, confidence and risk group with the evidence behind each call."""
    path = results / "subtypes" / "subtypes.tsv"
    section = Section(
        "subtypes", "Subtypes and risk",
        intro="Subtype (WHO-HAEM5/ICC), confidence and risk group (Paietta 2021) per sample, with "
        "the evidence items (kind:detail) behind each call.",
    )  # fmt: skip
    table = read_table(path, "subtypes")
    if table is None:
        section.missing.append("subtypes/subtypes.tsv")
        return section, None
    counts = table["subtype"].value_counts()
    section.facts += [(s, str(n)) for s, n in counts.items()]
    section.images.append(
        Image("Samples per subtype and risk group", figures.data_uri(figures.subtype_figure(table)))
    )
    marks = {i: [] for i in range(len(table)) if table["confidence"].iloc[i] == "low"}
    section.tables.append(
        Table(
            "subtypes", "Subtype calls", table, marks, note="Low-confidence calls are highlighted."
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
) -> tuple[Section, pd.DataFrame | None]:
    """The oncoprint (samples sorted by imatinib AUC) and the per-sample lesion profile."""
    section = Section(
        "lesions", "Lesions",
        intro="Each column a sample (sorted by imatinib AUC when known), each row a lesion, "
        "coloured by the source that found it. IKZF1plus: IKZF1 deletion with a CDKN2A, "
        "CDKN2B or PAX5 deletion (core definition; the Stanulla 2018 one also counts PAR1 and "
        "excludes ERG deletion).",
    )  # fmt: skip
    lesions = read_table(results / "lesions" / "lesions.tsv", "lesions")
    auc = _imatinib_auc(response)
    if lesions is None:
        section.missing.append("lesions/lesions.tsv")
    else:
        order = list(samples)
        if auc is not None:
            order.sort(key=lambda s: (math.isnan(auc.get(s, math.nan)), auc.get(s, math.nan)))
        fig = figures.oncoprint(lesions, order, auc)
        section.images.append(Image("Lesion overview (oncoprint)", figures.data_uri(fig)))
        section.tables.append(Table("lesions", "Lesions by source", lesions))
    profile = read_table(results / "lesions" / "profile.tsv", "profile")
    if profile is None:
        section.missing.append("lesions/profile.tsv")
    else:
        section.tables.append(Table("profile", "Lesion profile per sample", profile))
    section.images += _stage_images(results / "lesions")
    section.images += _stage_images(results / "stats", _is_lesion_figure)
    return section, profile


def response_section(results: Path, params: ReportParams) -> tuple[Section, pd.DataFrame | None]:
    """AUC per drug and class, and the association tests with lesions and expression."""
    section = Section(
        "response", "Drug response",
        intro=f"Ex vivo AUC per drug (capped at {params.auc_cap:g} for z-scores); imatinib "
        "classes: sensitive < 80, intermediate 80-120, resistant > 120.",
    )  # fmt: skip
    path = results / "response" / "response.tsv"
    response = read_table(path, "response")
    if response is None:
        section.missing.append("response/response.tsv")
    else:
        numeric(response, ["auc", "auc_capped", "z"], path)
        fig = figures.response_figure(response.dropna(subset=["auc"]), params.auc_cap)
        section.images.append(Image("AUC per drug", figures.data_uri(fig)))
        marks = {i: [] for i in range(len(response)) if response["class"].iloc[i] == "resistant"}
        section.tables.append(Table("response", "Response per sample and drug", response, marks))
    path = results / "stats" / "associations.tsv"
    assoc = read_table(path, "associations")
    if assoc is None:
        section.missing.append("stats/associations.tsv")
    else:
        numeric(assoc, ["pvalue", "padj"], path)
        assoc = assoc.sort_values("pvalue", na_position="last").reset_index(drop=True)
        marks = {i: [] for i in range(len(assoc)) if assoc["padj"].iloc[i] < params.alpha}
        section.tables.append(
            Table("associations", "Associations", assoc, marks,
                  note=f"Rows with padj < {params.alpha:g} are highlighted.")
        )  # fmt: skip
    section.images += _stage_images(results / "response")
    section.images += _stage_images(results / "stats", lambda p: not _is_lesion_figure(p))
    return section, response


def de_section(results: Path, params: ReportParams) -> Section:
    """Per phenotype: volcano with outlier-driven genes marked, and the top genes."""
    from tkiseq.expression.de import volcano

    section = Section(
        "de", "Differential expression",
        intro="PyDESeq2 with the phenotype as a continuous covariate. Outlier-driven genes "
        "(significant but not robust: no rank correlation, or significance lost without the "
        "single most influential sample) are red in the volcano and highlighted in the table.",
    )  # fmt: skip
    paths = sorted((results / "de").glob("de_*.tsv"))
    if not paths:
        section.missing.append("de/de_<phenotype>.tsv")
    for path in paths:
        name = path.stem.removeprefix("de_")
        table = read_table(path, "de")
        numeric(table, ["base_mean", "log2fc", "pvalue", "padj"], path)
        table["outlier_driven"] = table["outlier_driven"].str.lower().isin(["true", "1", "yes"])
        called = int((table["padj"] < params.alpha).sum())
        section.facts.append(
            (name, f"{called} genes at padj < {params.alpha:g}, "
                   f"{int(table['outlier_driven'].sum())} outlier-driven")
        )  # fmt: skip
        if "log2fc_per_sd" in table:
            numeric(table, ["log2fc_per_sd"], path)
            fig = volcano(table, params.alpha, name)
            section.images.append(Image(f"Volcano: {name}", figures.data_uri(fig)))
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
            Table(f"gsea-{_slug(name)}", f"Gene sets: {name}", table, marks,
                  note="Sets at FDR < 0.25 (GSEA's usual cut-off) are highlighted.")
        )  # fmt: skip
    section.images += _stage_images(results / "gsea")
    return section


def fusion_section(results: Path) -> tuple[Section, pd.DataFrame | None]:
    """Every sample's fusion calls: breakpoints, support, frame, isoform."""
    section = Section(
        "fusions", "Fusions",
        intro="Calls from STAR chimeric and spliced junctions; click a header to sort, type to "
        "filter. Rows with filters PASS or known_fusion_rescue are highlighted.",
    )  # fmt: skip
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
        "variants", "Variants",
        intro="PASS calls (>= 3 alt reads, VAF > 0.1, not in dbSNP). Substitutions that defeat "
        "a TKI (tki_resistance) are highlighted.",
    )  # fmt: skip
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


@dataclass
class Cohort:
    """What the sample cards draw on; any table may be absent."""

    qc: pd.DataFrame
    flags: pd.DataFrame
    subtypes: pd.DataFrame | None = None
    profile: pd.DataFrame | None = None
    response: pd.DataFrame | None = None
    fusions: pd.DataFrame | None = None
    variants: pd.DataFrame | None = None


def _by_sample(table: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if table is None:
        return {}
    return {str(s): rows for s, rows in table.groupby("sample", sort=False)}


def _number(value: float, digits: int = 3) -> str:
    """Counts with thousands separators, other values to ``digits`` significant digits."""
    if value is None or math.isnan(value):
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.{digits}g}"


def sample_cards(cohort: Cohort) -> list[dict[str, object]]:
    """One card per sample: ``items`` are [label, text, flagged] triples."""
    subtypes = _by_sample(cohort.subtypes)
    profile = _by_sample(cohort.profile)
    response = _by_sample(cohort.response)
    fusions = _by_sample(cohort.fusions)
    variants = _by_sample(cohort.variants)
    cards = []
    for i, qc in cohort.qc.iterrows():
        sample = qc["sample"]
        flags = cohort.flags.loc[i]
        items: list[list[object]] = []
        for metric in QC_METRICS:
            items.append([metric.label, _number(qc[metric.column], 4), bool(flags[metric.column])])
        strand = f"{qc['strandedness_declared']} / {qc['strandedness_inferred']}"
        items.append(["strand (declared / inferred)", strand, bool(flags["strandedness_mismatch"])])
        if sample in subtypes:
            row = subtypes[sample].iloc[0]
            items.append(
                ["subtype", f"{row['subtype']} ({row['confidence']})", row["confidence"] == "low"]
            )
            items.append(["risk group", row["risk_group"], row["risk_group"] == "high"])
            items.append(["evidence", row["evidence"].replace(";", "; "), False])
        if sample in profile:
            row = profile[sample].iloc[0]
            for key in ("deletion_group", "ikzf1plus_core", "n_lesions"):
                if key in row:
                    items.append([key.replace("_", " "), row[key], False])
        rows = response.get(sample)
        for _, rec in rows.iterrows() if rows is not None else ():
            text = f"AUC {_number(rec['auc'])}" + (f", {rec['class']}" if rec["class"] else "")
            items.append([rec["drug"], text, rec["class"] == "resistant"])
        rows = fusions.get(sample)
        if rows is not None:
            kept = rows[rows["filters"].isin(["PASS", "known_fusion_rescue"])]
            text = ", ".join(
                f"{r.gene5}::{r.gene3}" + (f" {r.isoform}" if r.isoform else "")
                for r in kept.itertuples()
            )
            items.append(["fusions", text or "none passing", False])
        rows = variants.get(sample)
        if rows is not None:
            change = rows["hgvsp_short"] if "hgvsp_short" in rows else rows["hgvsp"]
            names = (rows["gene"] + " " + change.where(change != "", rows["consequence"])).tolist()
            items.append(["PASS variants", ", ".join(names) or "none", False])
            hits = [
                f"{name} ({drugs.replace(';', ', ')})"
                for name, drugs in zip(names, rows["tki_resistance"].str.strip(), strict=True)
                if drugs
            ]
            if hits:
                items.append(["TKI resistance", "; ".join(hits), True])
        cards.append({"sample": sample, "items": items})
    return cards


def render(sections: list[Section], cards: list[dict[str, object]], params: ReportParams) -> str:
    """The page from the Jinja2 template, with CSS and script inlined."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("tkiseq.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        sections=sections,
        cards=_script_json(cards),
        page_size=params.page_size,
        cards_per_page=params.cards_per_page,
        version=__version__,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def build_report(results: Path, params: ReportParams) -> str:
    """Read every section's inputs under ``results`` and return the HTML page."""
    samples = read_samples(results)
    summary = summary_section(results, samples)
    qc, qc_frame, flags = qc_section(results, samples, params)
    subtypes, subtype_table = subtype_section(results)
    response, response_table = response_section(results, params)
    lesions, profile = lesion_section(results, samples, response_table)
    fusions, fusion_table = fusion_section(results)
    variants, variant_table = variant_section(results)
    sections = [
        summary, qc, subtypes, lesions, response, de_section(results, params),
        gsea_section(results), fusions, variants,
    ]  # fmt: skip
    cohort = Cohort(
        qc_frame, flags, subtype_table, profile, response_table, fusion_table, variant_table
    )
    return render(sections, sample_cards(cohort), params)


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
