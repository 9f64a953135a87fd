"""Stage inputs for ``tkiseq subtypes`` built from a simulated dataset's truth tables.

What the upstream stages would produce, without STAR: the count matrix from the truth fragment
counts (as the DE tests use a user count matrix), the planted fusions and passing variants as
their tables, and one ``<sample>.all.vcf.gz`` per sample holding the planted germline dbSNP
sites with their simulated allele counts, FILTERed ``dbsnp`` as the variant filter writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam

from bundles import bundle_of
from tkiseq.expression.counts import to_anndata
from tkiseq.genome.bundle import read_genes
from tkiseq.subtypes.stage import SubtypesInputs

PROTEIN = {"e1a2": "p190", "e13a2": "p210", "e14a2": "p210"}
VCF_HEADER = [
    "##fileformat=VCFv4.2",
    '##FILTER=<ID=PASS,Description="All filters passed">',
    '##FILTER=<ID=dbsnp,Description="Same chrom, pos, ref and alt as a dbSNP record">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
]


def write_expression(data: Path, path: Path, samples: list[str] | None = None) -> None:
    """cohort.h5ad from ``truth/expression.tsv`` fragments (optionally a subset of samples)."""
    truth = pd.read_csv(data / "truth" / "expression.tsv", sep="\t")
    matrix = truth.pivot(index="gene_id", columns="sample", values="fragments")
    if samples is not None:
        matrix = matrix[samples]
    pheno = pd.read_csv(data / "phenotypes.csv", dtype={"sample": str}).set_index("sample")
    adata = to_anndata(
        matrix, read_genes(bundle_of(data / "genes.gtf")), pheno, pd.DataFrame(index=pheno.index)
    )
    adata.write_h5ad(path)


def write_vcf(rows: pd.DataFrame, sample: str, contigs: dict[str, int], path: Path) -> None:
    """bgzipped VCF of ``rows`` (chrom, pos, ref, alt, alt_reads, depth), FILTER dbsnp."""
    lines = [*VCF_HEADER, *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items())]
    lines.append(f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}")
    order = {c: i for i, c in enumerate(contigs)}
    for r in sorted(rows.itertuples(index=False), key=lambda r: (order[r.chrom], r.pos)):
        ad = f"{r.depth - r.alt_reads},{r.alt_reads}"
        lines.append(f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t{r.alt}\t.\tdbsnp\t.\tGT:AD\t0/1:{ad}")
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def truth_inputs(data: Path, work: Path, samples: list[str] | None = None) -> SubtypesInputs:
    """Every input of the stage, under ``work``, from ``data``'s truth tables."""
    work.mkdir(parents=True, exist_ok=True)
    write_expression(data, work / "cohort.h5ad", samples)
    keep = samples or list(pd.read_csv(data / "samplesheet.csv")["sample"])
    fusions = pd.read_csv(data / "truth" / "fusions.tsv", sep="\t", keep_default_na=False)
    fusions = fusions[(fusions["kind"] == "fusion") & fusions["sample"].isin(keep)]
    table = fusions[["sample", "gene5", "gene3", "isoform"]].assign(
        confidence="high", bcr_abl1_protein=fusions["isoform"].map(PROTEIN).fillna("")
    )
    table.to_csv(work / "cohort_fusions.tsv", sep="\t", index=False)
    variants = pd.read_csv(data / "truth" / "variants.tsv", sep="\t", keep_default_na=False)
    passing = variants[(variants["expected_pass"] == "yes") & variants["sample"].isin(keep)]
    passing[["sample", "gene", "hgvsp", "hgvsp_short"]].to_csv(
        work / "cohort_variants.tsv", sep="\t", index=False
    )
    contigs = dict(
        pd.read_csv(data / "genome.fa.fai", sep="\t", header=None, usecols=[0, 1]).values
    )
    germline = variants[(variants["kind"] == "germline_dbsnp") & (variants["alt_reads"] > 0)]
    vcfs = []
    for sample in keep:
        path = work / f"{sample}.all.vcf.gz"
        write_vcf(germline[germline["sample"] == sample], sample, contigs, path)
        vcfs.append(path)
    return SubtypesInputs(
        expression=work / "cohort.h5ad",
        annotation=bundle_of(data / "genes.gtf"),
        fusions=[work / "cohort_fusions.tsv"],
        vcfs=vcfs,
        variants=work / "cohort_variants.tsv",
        cnv=data / "cnv.csv",
    )
