"""The subtypes stage end to end on small synthetic inputs: outputs, edge cases, bad inputs."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from tests.subtypes_synthetic import (
    arm_layout,
    write_cohort,
    write_fusions,
    write_gtf,
    write_sample_vcf,
)

from bundles import bundle_of
from tkiseq import tables
from tkiseq.errors import InputError
from tkiseq.subtypes.karyotype import KARYOTYPE_COLUMNS
from tkiseq.subtypes.stage import SUBTYPES_COLUMNS, SubtypesInputs, SubtypesParams, read_fusions
from tkiseq.subtypes.stage import run as run_stage


def run(inputs: SubtypesInputs, outdir: Path) -> None:
    """The stage with its default parameters."""
    run_stage(inputs, SubtypesParams(), outdir)


HYPERDIPLOID = {
    "chrX": 3,
    "chr4": 3,
    "chr6": 3,
    "chr10": 3,
    "chr14": 3,
    "chr17": 3,
    "chr18": 3,
    "chr21": 4,
}
N = 10  # samples: S0 BCR::ABL1, S1 high hyperdiploid, S2.. nothing planted


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SubtypesInputs]:
    work = tmp_path_factory.mktemp("subtypes_synthetic")
    rng = np.random.default_rng(5)
    layout = arm_layout()
    write_gtf(layout, work / "genes.gtf")
    names = [f"S{i}" for i in range(N)]
    copies = [{}, HYPERDIPLOID] + [{}] * (N - 2)
    write_cohort(rng, layout, copies, names, work / "cohort.h5ad")
    vcfs = []
    for name, cn in zip(names, copies, strict=True):
        vcfs.append(work / f"{name}.all.vcf.gz")
        write_sample_vcf(rng, layout, cn, name, vcfs[-1])
    fusions = []
    for name in names[:-1]:  # the last sample has no fusion file
        fusions.append(work / f"{name}.fusions.tsv")
        write_fusions(fusions[-1], [(name, "BCR", "ABL1")] if name == "S0" else [])
    inputs = SubtypesInputs(work / "cohort.h5ad", bundle_of(work / "genes.gtf"), fusions, vcfs)
    return work, inputs


@pytest.fixture(scope="module")
def outputs(synthetic, tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    _, inputs = synthetic
    out = tmp_path_factory.mktemp("subtypes_out")
    run(inputs, out)
    for name in ("subtypes", "karyotype"):  # the output contract (data/tables.json) holds
        tables.read_table(out / f"{name}.tsv", name)
    subtypes = pd.read_csv(out / "subtypes.tsv", sep="\t", keep_default_na=False)
    karyotype = pd.read_csv(out / "karyotype.tsv", sep="\t", keep_default_na=False)
    return subtypes.set_index("sample"), karyotype


def test_columns_and_calls(outputs) -> None:
    subtypes, karyotype = outputs
    assert ["sample", *subtypes.columns] == SUBTYPES_COLUMNS
    assert list(karyotype.columns) == KARYOTYPE_COLUMNS
    assert len(karyotype) == N * 41  # 39 autosomal arms (acrocentric p arms left out) + Xp, Xq
    assert subtypes.loc["S0", "subtype"] == "BCR::ABL1"
    s1 = subtypes.loc["S1"]
    assert (s1["subtype"], s1["chromosome_number"], s1["risk_group"]) == (
        "high hyperdiploid",
        55,
        "standard",
    )
    assert s1["karyotype"] == "+X,+4,+6,+10,+14,+17,+18,+21,+21"
    assert set(subtypes.loc["S2":"S8", "subtype"]) == {"B-other"}


def test_sample_without_fusion_file_is_unclassified_with_reason(outputs) -> None:
    last = outputs[0].loc[f"S{N - 1}"]
    assert last["subtype"] == "unclassified"
    assert "fusion:no fusion calls for this sample" in last["evidence"]
    assert "reason:" in last["evidence"]


def test_one_sample_cohort_karyotype_not_assessable(synthetic, tmp_path: Path) -> None:
    _, inputs = synthetic
    adata = ad.read_h5ad(inputs.expression)
    for name in ("S0", "S1"):
        adata[[name]].copy().write_h5ad(tmp_path / f"{name}.h5ad")
    one = SubtypesInputs(tmp_path / "S0.h5ad", inputs.annotation, inputs.fusions, inputs.vcfs[:1])
    run(one, tmp_path / "out")
    row = pd.read_csv(tmp_path / "out" / "subtypes.tsv", sep="\t", keep_default_na=False).iloc[0]
    assert (row["subtype"], row["chromosome_number"], row["ploidy_class"]) == (
        "BCR::ABL1",
        "",
        "not assessable",
    )
    assert "karyotype:not assessable" in row["evidence"]
    arms = pd.read_csv(tmp_path / "out" / "karyotype.tsv", sep="\t", keep_default_na=False)
    assert set(arms["call"]) == {"not assessable"}
    assert (arms["n_snvs"] > 0).all()  # allele figures are still shown
    # a diploid karyotype reference makes the lone hyperdiploid sample assessable
    hyper = SubtypesInputs(
        tmp_path / "S1.h5ad",
        inputs.annotation,
        inputs.fusions,
        inputs.vcfs[1:2],
        karyotype_reference=inputs.expression,
    )
    run(hyper, tmp_path / "with_reference")
    row = pd.read_csv(tmp_path / "with_reference" / "subtypes.tsv", sep="\t").iloc[0]
    assert (row["subtype"], row["chromosome_number"]) == ("high hyperdiploid", 55)


def _reference(adata: ad.AnnData, path: Path, **change) -> Path:
    ref = adata.copy()
    ref.obs["subtype"] = ["BCR::ABL1", "high hyperdiploid"] * (ref.n_obs // 2)
    for key, value in change.items():
        if key == "drop_subtype":
            ref.obs = ref.obs.drop(columns="subtype")
        if key == "var_names":
            ref.var_names = value
    ref.write_h5ad(path)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop_subtype": True}, "obs has no 'subtype' column"),
        ({"var_names": [f"OTHER{i}" for i in range(492)]}, "shares no gene IDs with the cohort"),
    ],
)
def test_bad_reference(synthetic, tmp_path: Path, change: dict, message: str) -> None:
    _, inputs = synthetic
    ref = _reference(ad.read_h5ad(inputs.expression), tmp_path / "ref.h5ad", **change)
    bad = SubtypesInputs(**{**inputs.__dict__, "subtype_reference": ref})
    with pytest.raises(InputError, match=message) as err:
        run(bad, tmp_path / "out")
    assert str(ref) in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_reference_matched_without_versions(synthetic, tmp_path: Path) -> None:
    _, inputs = synthetic
    adata = ad.read_h5ad(inputs.expression)
    versionless = [g.split(".")[0] for g in adata.var_names]
    ref = _reference(adata, tmp_path / "ref.h5ad", var_names=versionless)
    run(SubtypesInputs(**{**inputs.__dict__, "subtype_reference": ref}), tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "subtypes.tsv", sep="\t").set_index("sample")
    assert table["evidence"].str.contains("reference:", regex=False).all()
    assert table["reference_fraction"].between(0, 1).all()
    assert (tmp_path / "out" / "subtype_reference_pca.png").stat().st_size > 10_000


def test_vcf_without_ad_and_expression_without_layers(synthetic, tmp_path: Path) -> None:
    _, inputs = synthetic
    vcf = tmp_path / "S0.all.vcf.gz"
    import pysam

    header = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
    text = header + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS0\n"
    (tmp_path / "S0.all.vcf").write_text(text)
    pysam.tabix_compress(str(tmp_path / "S0.all.vcf"), str(vcf))
    with pytest.raises(InputError, match="no FORMAT/AD"):
        run(SubtypesInputs(**{**inputs.__dict__, "vcfs": [vcf]}), tmp_path / "out")
    bare = ad.read_h5ad(inputs.expression)
    del bare.layers["vst"]
    bare.write_h5ad(tmp_path / "bare.h5ad")
    with pytest.raises(InputError, match="missing layer"):
        run(
            SubtypesInputs(**{**inputs.__dict__, "expression": tmp_path / "bare.h5ad"}),
            tmp_path / "o",
        )
    assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()


def _centroids(adata: ad.AnnData, path: Path, text: str | None = None) -> Path:
    """Mean log2(CPM + 1) of S0 (``BCR::ABL1``) and of the rest (``B-other``)."""
    x = np.log2(adata.layers["counts"] / adata.layers["counts"].sum(1, keepdims=True) * 1e6 + 1)
    table = pd.DataFrame(
        {"Ph": x[0], "B-other": x[1:].mean(axis=0)},
        index=pd.Index([g.split(".")[0] for g in adata.var_names], name="gene"),
    )
    table.to_csv(path, sep="\t")
    if text is not None:
        path.write_text(text)
    return path


def test_centroid_table_is_evidence_and_decides(synthetic, tmp_path: Path) -> None:
    _, inputs = synthetic
    table = _centroids(ad.read_h5ad(inputs.expression), tmp_path / "centroids.tsv")
    run(SubtypesInputs(**{**inputs.__dict__, "subtype_centroids": table}), tmp_path / "out")
    calls = pd.read_csv(tmp_path / "out" / "subtypes.tsv", sep="\t").set_index("sample")
    s0 = calls.loc["S0", "evidence"]
    assert "centroids:BCR::ABL1 (r " in s0  # "Ph" read as the vocabulary's name
    assert calls.loc["S0", "subtype"] == "BCR::ABL1"  # the fusion and the centroids agree
    assert calls["evidence"].str.contains("centroids:", regex=False).all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gene\tA\tB\nG1\t1\tx\n", "line 2, column 3: not a number: 'x'"),
        ("gene\tA\tB\nG1\t1\t2\nG1\t1\t2\n", "line 3: gene 'G1' given twice"),
        ("gene\tA\nG1\t1\n", "needs a gene column and at least two subtype columns"),
        ("gene\tA\tB\nG1\t1\t2\n", "1 of its 1 genes are in the cohort"),
    ],
)
def test_bad_centroid_table(synthetic, tmp_path: Path, text: str, message: str) -> None:
    _, inputs = synthetic
    adata = ad.read_h5ad(inputs.expression)
    if "genes are in" in message:
        text = f"gene\tA\tB\n{adata.var_names[0].split('.')[0]}\t1\t2\n"
    table = _centroids(adata, tmp_path / "bad.tsv", text)
    with pytest.raises(InputError, match=message) as err:
        run(SubtypesInputs(**{**inputs.__dict__, "subtype_centroids": table}), tmp_path / "out")
    assert str(table) in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_expression_alone_is_a_valid_input(synthetic, tmp_path: Path, caplog) -> None:
    """No --vcfs (was KeyError 'depth'), and VCFs without one known germline SNV (was
    AttributeError in arm_labels): the allele part is skipped and said so."""
    work, inputs = synthetic
    bare = SubtypesInputs(inputs.expression, inputs.annotation, inputs.fusions, [])
    with caplog.at_level("WARNING"):
        run(bare, tmp_path / "bare")
    assert "allele part skipped" in caplog.text
    arms = pd.read_csv(tmp_path / "bare" / "karyotype.tsv", sep="\t", keep_default_na=False)
    assert (arms["n_snvs"] == 0).all() and (arms["call"] != "not assessable").all()
    sites = pd.read_csv(tmp_path / "bare" / "karyotype_sites.tsv.gz", sep="\t")
    assert sites.empty and list(sites.columns) == [
        "sample",
        "chrom",
        "arm",
        "pos",
        "depth",
        "alt_fraction",
    ]
    from tests.subtypes_inputs import write_vcf

    empty = work / "S0.all.vcf.gz"
    no_dbsnp = tmp_path / "S0.all.vcf.gz"
    write_vcf(
        pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "alt_reads", "depth"]),
        "S0",
        {"chr1": 248_956_422},
        no_dbsnp,
    )
    assert empty.exists()
    caplog.clear()
    with caplog.at_level("WARNING"):
        run(
            SubtypesInputs(inputs.expression, inputs.annotation, inputs.fusions, [no_dbsnp]),
            tmp_path / "no_sites",
        )
    assert "no known germline SNV" in caplog.text


def test_vcf_names_matched_to_samples_or_warned(synthetic, tmp_path: Path, caplog) -> None:
    """A GATK VCF named <id>.HaplotypeCaller.vcf.gz is the sample's; a name that matches no
    sample is one warning line (it was ignored silently)."""
    import shutil

    _, inputs = synthetic
    gatk = tmp_path / "S1.HaplotypeCaller.vcf.gz"
    shutil.copy(inputs.vcfs[1], gatk)
    stray = tmp_path / "patient7.vcf.gz"
    shutil.copy(inputs.vcfs[2], stray)
    with caplog.at_level("WARNING"):
        run(
            SubtypesInputs(inputs.expression, inputs.annotation, inputs.fusions, [gatk, stray]),
            tmp_path / "out",
        )
    assert f"{stray}: matches no sample of the cohort; not used" in caplog.text
    arms = pd.read_csv(tmp_path / "out" / "karyotype.tsv", sep="\t")
    assert (arms.loc[arms["sample"] == "S1", "n_snvs"] > 0).all()
    assert (arms.loc[arms["sample"] != "S1", "n_snvs"] == 0).all()


def test_plot_data_and_a_published_count_table_as_karyotype_reference(
    synthetic, outputs, tmp_path: Path
) -> None:
    """karyotype_genes/sites.tsv.gz hold what the arm calls used; a genes x samples count
    table with unversioned Ensembl IDs (RNAseqCNV's diploid standard) is a reference as is."""
    _, inputs = synthetic
    adata = ad.read_h5ad(inputs.expression)
    table = pd.DataFrame(
        np.asarray(adata.layers["counts"]).T,
        index=adata.var_names.str.replace(r"\.\d+$", "", regex=True),
        columns=adata.obs_names,
    )
    normals = table[[f"S{i}" for i in range(2, N)]]
    normals.rename_axis("ENSG").to_csv(tmp_path / "diploid.tsv.gz", sep="\t")
    one = tmp_path / "S1.h5ad"
    adata[["S1"]].copy().write_h5ad(one)
    reference = tmp_path / "diploid.tsv.gz"
    run(
        SubtypesInputs(
            one, inputs.annotation, inputs.fusions, inputs.vcfs[1:2], karyotype_reference=reference
        ),
        tmp_path / "out",
    )
    row = pd.read_csv(tmp_path / "out" / "subtypes.tsv", sep="\t").iloc[0]
    assert (row["subtype"], row["chromosome_number"]) == ("high hyperdiploid", 55)
    genes = pd.read_csv(tmp_path / "out" / "karyotype_genes.tsv.gz", sep="\t")
    assert list(genes.columns) == ["sample", "chrom", "arm", "pos", "gene_id", "log2_ratio"]
    assert set(genes["sample"]) == {"S1"} and len(genes) > 400
    arms = pd.read_csv(tmp_path / "out" / "karyotype.tsv", sep="\t")
    # the per-gene ratios are those the arm calls rest on (centred): their median per arm
    chr4 = genes[genes["chrom"] == "chr4"]["log2_ratio"].median()
    assert chr4 == pytest.approx(arms.loc[arms["chrom"] == "chr4", "log2_ratio"].mean(), abs=0.1)
    sites = pd.read_csv(tmp_path / "out" / "karyotype_sites.tsv.gz", sep="\t")
    assert len(sites) > 50 and sites["alt_fraction"].between(0.1, 0.9).all()


def test_another_callers_igh_locus_name_is_the_crlf2_fusion(tmp_path: Path) -> None:
    """A CRLF2::IGH fusion another caller wrote as IGH@ (FusionCatcher) or IGH-@-ext
    (STAR-Fusion) is the catalogue's CRLF2-r (issue 21: it was not)."""
    table = tmp_path / "cohort_fusions.tsv"
    table.write_text(
        "sample\tgene5\tgene3\tconfidence\nA\tCRLF2\tIGH@\thigh\nB\tIGH-@-ext\tCRLF2\thigh\n"
    )
    found = read_fusions([table], ["A", "B"])
    for sample in ("A", "B"):
        (fusion,) = found[sample]
        assert fusion.catalogue == "Ph-like JAK-class (CRLF2-r)", sample
