"""The ``subtypes`` cohort stage: read the other stages' outputs, call, write two tables.

``run`` is the only function with I/O besides the readers below; the science is in
``rules``, ``karyotype``, ``reference`` and ``risk``.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pysam

from tkiseq import tables
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.fusions.call import known_subtype, load_known_fusions
from tkiseq.genome.bundle import read_genes
from tkiseq.inputs.cohort_file import read_cohort
from tkiseq.stage_options import ANNOTATION_HELP, option, positive_int
from tkiseq.subtypes import karyotype as kt
from tkiseq.subtypes import karyotype_data, reference
from tkiseq.subtypes.arms import arm_boundaries, arm_labels, canonical_chrom, gene_arms
from tkiseq.subtypes.centroids import CentroidParams
from tkiseq.subtypes.markers import MarkerParams, open_gates
from tkiseq.subtypes.risk import ph_like_score, risk_group, target_expression
from tkiseq.subtypes.rules import ExpressionCall, Fusion, RuleParams, SampleEvidence, classify
from tkiseq.subtypes.sex import infer_sex

log = logging.getLogger(__name__)

SUBTYPES_COLUMNS = tables.columns("subtypes")
FUSION_SUFFIX = ".fusions.tsv"
VCF_SUFFIX = ".all.vcf.gz"


@dataclass(frozen=True)
class SubtypesParams:
    """Every default of the stage, in one place (the CLI reads them from here)."""

    rules: RuleParams = field(default_factory=RuleParams)
    karyotype: kt.KaryotypeParams = field(default_factory=kt.KaryotypeParams)
    markers: MarkerParams = field(default_factory=MarkerParams)
    centroids: CentroidParams = field(default_factory=CentroidParams)
    reference_neighbours: int = option(  # capped at the reference's smallest subtype
        reference.ProjectionParams.neighbours,
        flag="--neighbours",
        type=positive_int,
        help="subtype reference: neighbours per sample",
    )
    reference_pcs: int = option(
        reference.ProjectionParams.pcs,
        type=positive_int,
        help="subtype reference: principal components of the projection",
    )
    reference_min_fraction: float = option(
        0.8, help="subtype reference: share of neighbours for a confident call"
    )
    reference_centre_min: int = option(  # cohort size from which both sides are median-centred
        reference.ProjectionParams.min_centred,
        help="subtype reference: cohort size from which cohort and reference are each centred on "
        "their own gene medians (a batch offset removed; 0: never)",
    )


@dataclass(frozen=True)
class SubtypesInputs:
    """What the stage reads; ``fusions`` are per-sample ``<sample>.fusions.tsv`` files or a
    cohort table, ``vcfs`` the per-sample ``<sample>.all.vcf.gz`` files."""

    expression: Path = option(help="cohort.h5ad of tkiseq counts")
    annotation: Path = option(help=ANNOTATION_HELP)
    fusions: tuple[Path, ...] = option(
        (),
        nargs="+",
        help="<sample>.fusions.tsv files (a sample without one is unclassified unless other "
        "evidence defines it) or cohort_fusions.tsv",
    )
    vcfs: tuple[Path, ...] = option(
        (),
        nargs="+",
        help="<sample>.all.vcf.gz files (dbsnp-FILTERed records give the allele fractions)",
    )
    variants: Path | None = option(None, help="cohort_variants.tsv (PASS calls)")
    cnv: Path | None = option(None, help="validated cnv.csv (PAR1, ERG deletions)")
    karyotype_reference: Path | None = option(
        None, help="cohort.h5ad-like file of known-diploid samples (default: the cohort's median)"
    )
    subtype_reference: Path | None = option(None, help="labelled .h5ad (obs 'subtype', raw counts)")
    subtype_centroids: Path | None = option(
        None, help="centroid TSV: gene column, one column per subtype (mean log2(CPM + 1))"
    )


__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the tables"
# the stage shape's names (tkiseq.stage_options; the registry names this module)
Params = SubtypesParams
Inputs = SubtypesInputs


def _read_tsv(path: Path, required: list[str]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except FileNotFoundError as exc:
        raise InputError(path, "file not found") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(path, f"not a readable TSV ({exc})") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            path, "empty file", hint=f"expected columns {', '.join(required)}"
        ) from exc
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    return table


def read_fusions(paths: Sequence[Path], samples: list[str]) -> dict[str, list[Fusion] | None]:
    """Per sample its catalogued fusions (confidence not ``low``), or None when no file covers
    the sample (per-sample files named ``<sample>.fusions.tsv``; a cohort table covers all)."""
    known = load_known_fusions()
    out: dict[str, list[Fusion] | None] = dict.fromkeys(samples)
    for path in paths:
        table = _read_tsv(path, ["sample", "gene5", "gene3", "confidence"])
        if path.name.endswith(FUSION_SUFFIX):
            covered = [path.name.removesuffix(FUSION_SUFFIX)]
        else:
            covered = samples
        for s in covered:
            if s in out and out[s] is None:
                out[s] = []
        for row in table[table["confidence"] != "low"].itertuples(index=False):
            hit = known_subtype(known, row.gene5, row.gene3)
            if hit is None or row.sample not in out:
                continue
            fusions = out[row.sample]
            if fusions is None:
                fusions = out[row.sample] = []
            fusions.append(
                Fusion(
                    row.gene5,
                    row.gene3,
                    hit,
                    getattr(row, "isoform", ""),
                    getattr(row, "bcr_abl1_protein", ""),
                )
            )
    return out


def read_mutations(path: Path | None) -> dict[str, list[tuple[str, str]]]:
    """(gene, short protein change) per sample from the cohort PASS table."""
    if path is None:
        return {}
    table = _read_tsv(path, ["sample", "gene", "hgvsp"])
    short = table["hgvsp_short"] if "hgvsp_short" in table.columns else table["hgvsp"]
    out: dict[str, list[tuple[str, str]]] = {}
    for sample, gene, change in zip(table["sample"], table["gene"], short, strict=True):
        out.setdefault(sample, []).append((gene, change.removeprefix("p.")))
    return out


def read_cnv(path: Path | None) -> dict[str, dict[str, str]]:
    """gene -> status per sample from the (validated) cnv.csv."""
    if path is None:
        return {}
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in ("sample", "gene", "status") if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    out: dict[str, dict[str, str]] = {}
    for s, g, st in zip(table["sample"], table["gene"], table["status"], strict=True):
        out.setdefault(s, {})[g] = st
    return out


def read_germline_sites(path: Path) -> pd.DataFrame:
    """chrom, pos, alt_reads, depth of the biallelic SNV records that are known germline
    sites (FILTERed ``dbsnp``, the calls the study filter removes for being in dbSNP, or with
    an ``rs`` ID as other callers annotate them), from FORMAT/AD."""
    rows = []
    try:
        with pysam.VariantFile(str(path)) as vcf:
            if "AD" not in vcf.header.formats:
                raise InputError(path, "no FORMAT/AD in the header", hint="allele depths needed")
            for rec in vcf:
                if "dbsnp" not in rec.filter and not (rec.id or "").startswith("rs"):
                    continue
                alts, ref = rec.alts or (), rec.ref or ""
                if len(alts) != 1 or len(ref) != 1 or len(alts[0]) != 1:
                    continue
                ad_ = rec.samples[0].get("AD")
                if not ad_ or None in ad_:
                    continue
                rows.append((rec.chrom, rec.pos, int(ad_[1]), int(sum(ad_))))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"unreadable VCF ({exc})", hint="is the file complete?") from exc
    return pd.DataFrame(rows, columns=["chrom", "pos", "alt_reads", "depth"])


def match_vcfs(paths: Sequence[Path], samples: list[str]) -> dict[str, Path]:
    """Sample -> its VCF: ``<sample>.all.vcf.gz``, or any name that starts with the sample ID
    followed by ``.``, ``_`` or ``-`` (``<id>.HaplotypeCaller.vcf.gz``; the longest matching ID
    wins). A file that matches no sample, or a second file for a sample, is named in a
    one-line warning and not used."""
    out: dict[str, Path] = {}
    for path in paths:
        name = path.name
        hits = [
            s
            for s in samples
            if name == s + VCF_SUFFIX or (name.startswith(s) and name[len(s) : len(s) + 1] in ".-_")
        ]
        if not hits:
            log.warning("%s: matches no sample of the cohort; not used", path)
            continue
        sample = max(hits, key=len)
        if sample in out:
            log.warning("%s: a second VCF for sample %s; not used", path, sample)
            continue
        out[sample] = path
    return out


def read_reference_counts(path: Path) -> pd.DataFrame:
    """Samples x genes raw counts of a karyotype reference: a ``.h5ad`` (layer ``counts``) or a
    genes x samples table (TSV/CSV, gzipped or not; first column the gene ID, as RNAseqCNV's
    published diploid standard is; HTSeq ``__`` rows dropped). Gene ID versions are dropped."""
    if path.suffix == ".h5ad":
        return _frame(_read_expression(path), "counts").rename(columns=_unversioned)
    sep = "," if ".csv" in path.suffixes else "\t"
    try:
        table = pd.read_csv(path, sep=sep, index_col=0)
    except FileNotFoundError as exc:
        raise InputError(path, "file not found") from exc
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        EOFError,
        gzip.BadGzipFile,
        OSError,
    ) as exc:
        raise InputError(path, f"not a readable count table ({exc})") from exc
    table = table[~table.index.astype(str).str.startswith("__")]
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if bad or table.empty:
        column = table.columns.get_loc(bad[0]) + 2 if bad else 1
        raise InputError(
            path,
            "expected a genes x samples table of counts",
            line=2 if bad else 1,
            column=column,
        )
    table.index = table.index.astype(str).map(_unversioned)
    table = table.groupby(level=0).sum()
    return table.T.astype(float)


def _unversioned(gene_id: str) -> str:
    head, dot, tail = gene_id.rpartition(".")
    return head if dot and head.startswith("ENS") and tail.isdigit() else gene_id


def _read_expression(path: Path) -> ad.AnnData:
    adata = read_cohort(path, ("counts", "normalised", "vst"))  # not X, a copy of counts
    missing = [x for x in ("counts", "normalised", "vst") if x not in adata.layers]
    if missing:
        raise InputError(path, f"missing layer(s) {', '.join(missing)}", hint="run tkiseq counts")
    return adata


def _frame(adata: ad.AnnData, layer: str) -> pd.DataFrame:
    return pd.DataFrame(
        np.asarray(adata.layers[layer], dtype=float), adata.obs_names, adata.var_names
    )


def joint_dosage_frames(
    cohort_counts: pd.DataFrame, reference_counts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cohort VST, reference VST, reference normalised counts) of the cohort and reference
    samples variance-stabilised and normalised together, on the genes they share."""
    from tkiseq.expression.counts import median_of_ratios
    from tkiseq.expression.normalise import vst

    shared = cohort_counts.columns.intersection(reference_counts.columns)
    other = reference_counts[shared].rename(index=lambda s: f"reference:{s}")
    counts = pd.concat([cohort_counts[shared], other])
    joint = pd.DataFrame(vst(counts.to_numpy()), index=counts.index, columns=shared)
    norm = counts / median_of_ratios(counts.to_numpy())[:, None]
    n = len(cohort_counts)
    return joint.iloc[:n], joint.iloc[n:], norm.iloc[n:]


def _dosage_frames(
    cohort: ad.AnnData, path: Path | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cohort VST, reference VST, reference normalised counts) on shared genes and one scale:
    the cohort is its own reference, or is variance-stabilised and normalised together with
    the ``--karyotype-reference`` samples (gene IDs matched without versions)."""
    if path is None:
        v = _frame(cohort, "vst")
        return v, v, _frame(cohort, "normalised")
    ref = read_reference_counts(path)
    counts = _frame(cohort, "counts")
    by_plain = pd.Series(counts.columns, index=counts.columns.map(_unversioned))
    by_plain = by_plain[~by_plain.index.duplicated()]
    ref = ref[ref.columns.intersection(by_plain.index)]
    if ref.shape[1] == 0:
        raise InputError(
            path, "shares no gene IDs with the cohort", hint="same --annotation needed"
        )
    ref.columns = by_plain[ref.columns].to_numpy()
    return joint_dosage_frames(counts, ref)


def _allele_sites(
    inputs: SubtypesInputs,
    samples: list[str],
    genes: pd.DataFrame,
    fusions: dict[str, list[Fusion] | None],
) -> pd.DataFrame:
    """sample, chrom, pos, alt_reads, depth, arm_label of the germline sites of the samples'
    VCFs, without the sites inside the sample's own fusion genes (the fusion allele's
    expression skews them: a false +9 on a BCR::ABL1 sample)."""
    columns = ["sample", "chrom", "pos", "alt_reads", "depth", "arm_label"]
    if not inputs.vcfs:
        log.warning("no --vcfs: the RNA karyotype uses gene dosage only (allele part skipped)")
        return pd.DataFrame(columns=columns)
    boundaries = arm_boundaries(genes)
    by_name = genes.reset_index().drop_duplicates("gene_name").set_index("gene_name")
    frames = []
    for sample, path in match_vcfs(inputs.vcfs, samples).items():
        sites = read_germline_sites(path)
        if sites.empty:
            log.warning(
                "%s: no known germline SNV (FILTER dbsnp or an rs ID): no allele "
                "evidence for sample %s",
                path,
                sample,
            )
            continue
        sites["sample"] = sample
        sites["arm_label"] = arm_labels(sites["chrom"], sites["pos"], boundaries)
        keep = sites["arm_label"] != ""
        for f in fusions.get(sample) or []:
            for gene in (f.gene5, f.gene3):
                if gene in by_name.index:
                    g = by_name.loc[gene]
                    same = sites["chrom"].map(canonical_chrom) == canonical_chrom(g["chrom"])
                    keep &= ~(same & sites["pos"].between(g["start"], g["end"]))
        frames.append(sites.loc[keep, columns])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _karyotypes(
    inputs: SubtypesInputs,
    adata: ad.AnnData,
    genes: pd.DataFrame,
    fusions: dict[str, list[Fusion] | None],
    params: kt.KaryotypeParams,
) -> tuple[kt.Karyotypes, pd.Series, pd.DataFrame, pd.Series]:
    """The karyotype calls, sex per sample, the allele sites used, and gene -> arm."""
    samples = list(adata.obs_names)
    names = adata.var["gene_name"].astype(str)
    sex = infer_sex(_frame(adata, "normalised"), names, params.sex_margin)
    arms = gene_arms(genes.reindex(adata.var_names).dropna(subset=["chrom"]))
    cohort_vst, ref_vst, ref_norm = _dosage_frames(adata, inputs.karyotype_reference)
    ref_sex = (
        sex
        if inputs.karyotype_reference is None
        else infer_sex(ref_norm, names.reindex(ref_norm.columns), params.sex_margin)
    )
    on_21q = arms.index[arms == "21q"]
    order = genes.loc[on_21q, "start"].sort_values().index
    runx1 = next((g for g in order if names.get(g) == "RUNX1"), None)
    snvs = _allele_sites(inputs, samples, genes, fusions)
    result = kt.call_karyotypes(
        cohort_vst, ref_vst, ref_norm, arms, order, runx1, snvs, sex, ref_sex, params
    )
    return result, sex, snvs, arms


def _projection(path: Path, adata: ad.AnnData, params: SubtypesParams):
    ref = reference.read_reference(path)
    setting = reference.ProjectionParams(
        params.reference_neighbours, params.reference_pcs, min_centred=params.reference_centre_min
    )
    proj = reference.project(ref, adata, path, setting)
    if proj.neighbours < params.reference_neighbours:
        log.warning(
            "%s: %d neighbours per sample instead of %d (its smallest subtype has %d samples)",
            path,
            proj.neighbours,
            params.reference_neighbours,
            proj.smallest_class,
        )
    return proj


def _reference_calls(proj, params: SubtypesParams) -> dict[str, ExpressionCall]:
    """Per sample the reference neighbours' label as evidence for the rules."""
    capped = proj.neighbours < proj.neighbours_asked
    note = f"; k capped at the smallest reference subtype, {proj.smallest_class}" if capped else ""
    note += "; cohort and reference each centred on their own gene medians" if proj.centred else ""
    out = {}
    for s, r in proj.calls.iterrows():
        n = int(r["n_neighbours"])
        detail = f"{round(r['fraction'] * n)} of {n} neighbours{note}"
        confident = r["fraction"] >= params.reference_min_fraction
        out[s] = ExpressionCall("reference", r["label"], bool(confident), detail)
    return out


def _centroid_calls(path: Path, adata: ad.AnnData, params: SubtypesParams):
    """Per sample the centroid table's label as evidence for the rules."""
    from tkiseq.subtypes.centroids import classify_centroids, read_centroids
    from tkiseq.subtypes.reference import strip_version

    table = read_centroids(path)
    counts = _frame(adata, "counts")
    names = pd.Index(adata.var["gene_name"].astype(str))
    ids = strip_version(counts.columns)
    if len(table.index.intersection(ids)) < len(table.index.intersection(names)):
        counts = counts.set_axis(names, axis=1)  # a table of gene names
    calls = classify_centroids(counts, table, path, params.centroids)
    return {
        s: ExpressionCall(
            "centroids",
            r["label"],
            bool(r["confident"]),
            f"r {r['r']:.2f}, {r['margin']:.2f} above the next, {r['n_genes']} genes",
        )
        for s, r in calls.iterrows()
    }


def run(inputs: SubtypesInputs, params: SubtypesParams, outdir: Path) -> None:
    """Write ``subtypes.tsv``, ``karyotype.tsv``, the karyotype plot data
    (``karyotype_genes.tsv.gz``, ``karyotype_sites.tsv.gz``) and, with a reference,
    ``subtype_reference_pca.png`` into ``outdir``; every file atomically, nothing on bad
    input."""
    adata = _read_expression(inputs.expression)
    genes = read_genes(inputs.annotation)
    samples = list(adata.obs_names)
    fusions = read_fusions(inputs.fusions, samples)
    mutations = read_mutations(inputs.variants)
    cnv = read_cnv(inputs.cnv)
    found, sex, snvs, arms = _karyotypes(inputs, adata, genes, fusions, params.karyotype)
    table, amp = found.table, found.iamp21
    ref_path = inputs.subtype_reference
    proj = _projection(ref_path, adata, params) if ref_path is not None else None
    by_reference = _reference_calls(proj, params) if proj is not None else {}
    centroid_path = inputs.subtype_centroids
    by_centroids = _centroid_calls(centroid_path, adata, params) if centroid_path else {}
    vst = _frame(adata, "vst")
    names = adata.var["gene_name"].astype(str)
    targets = target_expression(vst, names)
    ph_like = ph_like_score(vst, names)
    first = ~names.duplicated().to_numpy()
    by_name = vst.loc[:, first].set_axis(names[first].to_numpy(), axis=1)
    gates = open_gates(by_name, cnv, params.markers)
    rows = []
    per_sample = dict(list(table.groupby("sample", sort=False)))
    for s in samples:
        summary = kt.summarise(per_sample[s], sex[s], found.centres[s])
        classifiers = [c[s] for c in (by_reference, by_centroids) if s in c]
        ev = SampleEvidence(
            fusions=fusions[s],
            mutations=mutations.get(s, []),
            expression={"CRLF2": float(by_name.at[s, "CRLF2"])} if "CRLF2" in by_name else {},
            cnv=cnv.get(s, {}),
            karyotype=summary,
            iamp21=amp[s],
            gates=gates[s],
            classifiers=classifiers,
        )
        call = classify(ev, params.rules)
        ref_label, ref_fraction = "", np.nan
        if proj is not None:
            ref_label, ref_fraction = proj.calls.at[s, "label"], proj.calls.at[s, "fraction"]
        if summary.sex != "unknown":
            call.evidence.append(f"sex:{summary.sex}")
        if call.decided_by:
            call.evidence.append(f"decided by:{call.decided_by}")
        rows.append(
            (
                s,
                call.subtype,
                call.confidence,
                risk_group(call.subtype),
                ";".join(call.evidence),
                summary.chromosome_number,
                summary.ploidy_class,
                summary.karyotype,
                ph_like[s],
                targets.at[s, "CD19_vst"],
                targets.at[s, "CD22_vst"],
                targets.at[s, "CD19_percentile"],
                targets.at[s, "CD22_percentile"],
                summary.sex,
                ref_label,
                ref_fraction,
            )
        )
    out = pd.DataFrame(rows, columns=SUBTYPES_COLUMNS)
    outdir.mkdir(parents=True, exist_ok=True)
    _write(out, "subtypes", outdir / "subtypes.tsv")
    _write(table, "karyotype", outdir / "karyotype.tsv")
    layout = karyotype_data.gene_layout(arms, genes, found.ratios.columns)
    karyotype_data.write_genes(outdir / "karyotype_genes.tsv.gz", found.ratios, layout)
    k = params.karyotype
    karyotype_data.write_sites(
        outdir / "karyotype_sites.tsv.gz", snvs, k.min_snv_depth, k.het_range
    )
    if proj is not None:
        from tkiseq.subtypes.reference import plot_projection

        plot_projection(proj, outdir / "subtype_reference_pca.png")


def _write(table: pd.DataFrame, name: str, path: Path) -> None:
    """``table`` as the schema ``name`` of data/tables.json says: its columns, whole numbers
    without a decimal point, 3 decimals otherwise, an empty cell for a missing value."""
    kinds = tables.types(name)
    out = table[tables.columns(name)].round(3)
    for column, kind in kinds.items():
        if kind == "integer":
            out[column] = pd.to_numeric(out[column]).round().astype("Int64")
    with atomic_path(path) as tmp:
        out.to_csv(tmp, sep="\t", index=False, lineterminator="\n", na_rep="")
