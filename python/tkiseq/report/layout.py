"""Lay loose output files out as a results folder, for a report built from staged files.

``tkiseq report`` takes the files it reads (the stage registry lists them). When they sit in
one results folder (``tkiseq run``), the report reads that folder. A Nextflow process stages
them flat in its work folder instead; each is then recognised by its documented name
(docs/output.md) and linked into the folder ``tkiseq run`` would have published it in, so the
report reads one layout either way.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from tkiseq.errors import InputError

# (file-name pattern, folder below the results folder); first match wins.
LAYOUT = (
    ("samplesheet.valid.csv", "pipeline_info/inputs"),
    ("phenotypes.valid.csv", "pipeline_info/inputs"),
    ("cnv.valid.csv", "pipeline_info/inputs"),
    ("params.json", "pipeline_info"),
    ("run.json", "pipeline_info"),
    ("software_versions.yml", "pipeline_info"),
    ("trace.tsv", "pipeline_info"),
    ("warnings.tsv", "pipeline_info"),
    ("*.Log.final.out", "align"),
    ("*.markdup.txt", "align"),
    ("*.ReadsPerGene.out.tab", "align"),
    ("counts.tsv", "expression"),
    ("strandedness.tsv", "expression"),
    ("cohort_fusions.tsv", "fusions"),
    ("cohort_variants.tsv", "variants"),
    ("de_*.tsv", "de"),
    ("volcano_*.png", "de"),
    ("top_genes_*.png", "de"),
    ("gsea_*.tsv", "gsea"),
    ("enrichment_*.png", "gsea"),
    ("subtypes.tsv", "subtypes"),
    ("karyotype.tsv", "subtypes"),
    ("karyotype_genes.tsv.gz", "subtypes"),
    ("karyotype_sites.tsv.gz", "subtypes"),
    ("fig*.png", "stats/figures"),
    ("fig*.svg", "stats/figures"),
    ("lesions.tsv", "lesions"),
    ("profile.tsv", "lesions"),
    ("response.tsv", "response"),
    ("associations.tsv", "stats"),
)


def folder_for(name: str) -> str | None:
    """The results sub-folder a file of this name belongs in; None: not a report input."""
    for pattern, folder in LAYOUT:
        if fnmatch.fnmatchcase(name, pattern):
            return folder
    return None


def results_root(files: list[Path]) -> Path | None:
    """The results folder ``files`` were all published in, or None (e.g. staged flat).

    ``tkiseq run`` passes its own outputs; the report then reads that whole folder, run
    metadata in ``pipeline_info/`` and other stages' figures included.
    """
    roots = set()
    for path in files:
        folder = folder_for(path.name)
        if folder is None:
            return None
        parent = path.resolve().parent
        if folder == "align" and parent.parent.name == "align":  # align/<sample>/<file>
            parent = parent.parent
        depth = len(Path(folder).parts)
        if parent.parts[-depth:] != Path(folder).parts:
            return None
        roots.add(parent.parents[depth - 1])
    return roots.pop() if len(roots) == 1 else None


def lay_out(files: list[Path], dest: Path) -> Path:
    """Symlink ``files`` into ``dest`` as a results folder; unknown or repeated names: error."""
    seen: dict[Path, Path] = {}
    for path in files:
        if not path.exists():
            raise InputError(path, "file not found")
        folder = folder_for(path.name)
        if folder is None:
            raise InputError(
                path, "not a file the report reads", hint="see docs/output.md for the names"
            )
        target = dest / folder / path.name
        if target in seen:
            raise InputError(path, f"given twice (also {seen[target]})")
        seen[target] = path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(path.resolve(), target)
    return dest
