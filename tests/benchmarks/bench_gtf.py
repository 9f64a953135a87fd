"""Wall time and peak memory of the three GTF readers on a GENCODE-sized annotation.

Run from the repository root:

    python -m tests.benchmarks.bench_gtf [--genes 60000] [--workdir /tmp/tkiseq-bench-gtf]

Writes a GTF shaped like GENCODE's comprehensive one (60,000 genes x 4 transcripts x 6 exons
with CDS rows: 3.2 million rows, ~1.4 GB, GENCODE's attribute set and tags), then times, each
in its own process, the readers every per-sample stage starts with: the fusion/splice-lesion
transcript model, the variant annotator's transcripts and the count matrix's gene table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.benchmarks.measure import timed

READERS = {
    "fusions / splice-lesions": ("tkiseq.fusions.annotation", "read_annotation"),
    "variants annotate": ("tkiseq.variants.transcripts", "read_transcripts"),
    "counts": ("tkiseq.genome.gtf", "read_genes"),
}


def write_gtf(path: Path, n_genes: int) -> None:
    """GENCODE-like rows: gene, 4 transcripts (the first MANE Select), 6 exons + CDS each."""
    with path.open("w") as out:
        for g in range(n_genes):
            chrom, start, strand = f"chr{g % 22 + 1}", (g // 22) * 50_000 + 1000, "+-"[g % 2]
            gene = (
                f'gene_id "ENSG{g:011d}.5"; gene_type "protein_coding"; gene_name "GENE{g}"; '
                f'level 2; hgnc_id "HGNC:{g}"; havana_gene "OTTHUMG{g:011d}.2";'
            )
            out.write(f"{chrom}\tHAVANA\tgene\t{start}\t{start + 40_000}\t.\t{strand}\t.\t{gene}\n")
            for t in range(4):
                k = 4 * g + t
                mane = ' tag "MANE_Select"; tag "Ensembl_canonical";' if t == 0 else ""
                tx = (
                    f'{gene[:-1]}; transcript_id "ENST{k:011d}.3"; transcript_type '
                    f'"protein_coding"; transcript_name "GENE{g}-20{t}"; protein_id '
                    f'"ENSP{k:011d}.1"; transcript_support_level "1"; tag "basic"; tag "CCDS";'
                    f"{mane}"
                )
                end = start + 40_000
                out.write(f"{chrom}\tHAVANA\ttranscript\t{start}\t{end}\t.\t{strand}\t.\t{tx}\n")
                for e in range(6):
                    s = start + e * 6000
                    exon = f'{tx} exon_number {e + 1}; exon_id "ENSE{6 * k + e:011d}.1";'
                    for feature, frame in (("exon", "."), ("CDS", "0")):
                        out.write(
                            f"{chrom}\tHAVANA\t{feature}\t{s}\t{s + 150}\t.\t{strand}\t{frame}\t"
                            f"{exon}\n"
                        )


def bench(workdir: Path, n_genes: int) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    gtf = workdir / "gencode_like.gtf"
    write_gtf(gtf, n_genes)
    size = gtf.stat().st_size / 1e9
    print(f"{gtf}: {n_genes} genes, {size:.2f} GB")
    for label, (module, function) in READERS.items():
        code = f"import pathlib, {module} as m; m.{function}(pathlib.Path({str(gtf)!r}))"
        wall, rss = timed([sys.executable, "-c", code])
        print(f"{label:<26} {function:<18} {wall:6.1f} s  {rss:7.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=60_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-gtf"))
    args = parser.parse_args()
    bench(args.workdir, args.genes)


if __name__ == "__main__":
    main()
