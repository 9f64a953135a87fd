"""MultiQC over the STAR and markdup logs plus tkiseq's own per-sample columns.

tkiseq's figures reach MultiQC as custom content (files named ``*_mqc.yaml`` / ``*_mqc.tsv``):
a general-statistics block (strandedness, subtype, BCR::ABL1 isoform, fusions, PASS variants,
IKZF1plus) and a per-sample table with the subtype evidence. MultiQC runs under the interpreter
running tkiseq (``python -m multiqc``), never whichever ``multiqc`` is first on PATH.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from tkiseq.atomic import atomic_dir
from tkiseq.errors import ToolError
from tkiseq.report.inputs import align_file, read_samples, read_table

KEPT_FUSION = ("PASS", "known_fusion_rescue")
GENERAL_STATS_HEADERS = {
    "strandedness": {"title": "Strand", "description": "strandedness used (declared or inferred)"},
    "subtype": {"title": "Subtype", "description": "WHO-HAEM5/ICC subtype (tkiseq)"},
    "bcr_abl1_isoform": {"title": "BCR::ABL1", "description": "BCR::ABL1 exon junction"},
    "fusions": {"title": "Fusions", "description": "passing fusion calls", "format": "{:,.0f}"},
    "pass_variants": {"title": "PASS var", "description": "PASS variants", "format": "{:,.0f}"},
    "ikzf1plus": {"title": "IKZF1plus", "description": "IKZF1plus (core definition)"},
}


def sample_columns(results: Path) -> pd.DataFrame:
    """tkiseq's general-statistics columns, one row per sample; empty where the input is absent."""
    samples = read_samples(results)
    frame = pd.DataFrame(index=pd.Index(samples, name="sample"))
    strand = read_table(results / "expression" / "strandedness.tsv", "strandedness")
    if strand is not None:
        column = "used" if "used" in strand else "inferred"
        frame["strandedness"] = strand.set_index("sample")[column]
    subtypes = read_table(results / "subtypes" / "subtypes.tsv", "subtypes")
    if subtypes is not None:
        frame["subtype"] = subtypes.set_index("sample")["subtype"]
    fusions = read_table(results / "fusions" / "cohort_fusions.tsv", "fusions")
    if fusions is not None:
        kept = fusions[fusions["filters"].isin(KEPT_FUSION)]
        frame["fusions"] = kept.groupby("sample").size().reindex(samples, fill_value=0)
        bcr = kept[(kept["gene5"] == "BCR") & (kept["gene3"] == "ABL1")]
        frame["bcr_abl1_isoform"] = bcr.groupby("sample")["isoform"].agg(
            lambda s: ",".join(sorted(set(s) - {""}))
        )
    variants = read_table(results / "variants" / "cohort_variants.tsv", "variants")
    if variants is not None:
        passing = variants[variants["filter"] == "PASS"]
        frame["pass_variants"] = passing.groupby("sample").size().reindex(samples, fill_value=0)
    profile = read_table(results / "lesions" / "profile.tsv", "profile")
    if profile is not None and "ikzf1plus_core" in profile:
        frame["ikzf1plus"] = profile.set_index("sample")["ikzf1plus_core"]
    return frame.reindex(columns=[c for c in GENERAL_STATS_HEADERS if c in frame])


def general_stats_yaml(columns: pd.DataFrame) -> str:
    """Custom content for MultiQC's general-statistics table."""
    data = {
        sample: {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if pd.notna(v)}
        for sample, row in columns.iterrows()
    }
    doc = {
        "id": "tkiseq_general_stats",
        "plot_type": "generalstats",
        "headers": {c: GENERAL_STATS_HEADERS[c] for c in columns.columns},
        "data": data,
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def subtype_table_tsv(subtypes: pd.DataFrame) -> str:
    """Custom content table: subtype, confidence, risk group and evidence per sample."""
    header = (
        "# id: 'tkiseq_subtypes'\n# section_name: 'tkiseq subtypes'\n"
        "# description: 'Subtype calls with their evidence (subtypes/subtypes.tsv).'\n"
        "# plot_type: 'table'\n"
    )
    columns = ["sample", "subtype", "confidence", "risk_group", "evidence"]
    return header + subtypes[columns].to_csv(sep="\t", index=False)


def star_inputs(results: Path, samples: list[str]) -> list[Path]:
    """The per-sample logs MultiQC's STAR and samtools modules read, where present."""
    names = (".Log.final.out", ".ReadsPerGene.out.tab", ".markdup.txt")
    paths = [align_file(results, s, n) for s in samples for n in names]
    return [p for p in paths if p.exists()]


def run_multiqc(results: Path, dest: Path) -> Path:
    """Write the custom content and run MultiQC into ``dest`` (replaced only on success)."""
    samples = read_samples(results)
    config = resources.files("tkiseq.report") / "multiqc_config.yaml"
    with atomic_dir(dest) as tmp:
        custom = tmp / "tkiseq_mqc"
        custom.mkdir()
        (custom / "tkiseq_general_stats_mqc.yaml").write_text(
            general_stats_yaml(sample_columns(results))
        )
        subtypes = read_table(results / "subtypes" / "subtypes.tsv", "subtypes")
        if subtypes is not None:
            (custom / "tkiseq_subtypes_mqc.tsv").write_text(subtype_table_tsv(subtypes))
        cmd = [
            sys.executable,
            "-m",
            "multiqc",
            "--force",
            "--quiet",
            "--no-ansi",
            "--no-version-check",
            "--no-megaqc-upload",
            "--no-ai",
            "--config",
            str(config),
            "--outdir",
            str(tmp),
            *map(str, star_inputs(results, samples)),
            str(custom),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ToolError(f"MultiQC failed (exit {proc.returncode}): {last[0]}")
    return dest
