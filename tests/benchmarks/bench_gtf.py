"""The annotation parsed once (``tkiseq prepare``) against a GTF parse in every stage that
needs it, side by side on a GENCODE-sized annotation.

Run from the repository root:

    python -m tests.benchmarks.bench_gtf [--genes 60000] [--samples 24] \
        [--workdir /tmp/tkiseq-bench-gtf] [--baseline-src DIR]

Writes a GTF shaped like GENCODE's comprehensive one (60,000 genes x 4 transcripts x 6 exons
with CDS rows: 3.2 million rows, ~1.4 GB, GENCODE's attribute set and tags), then, each in its
own process (wall time and peak RSS):

(i) today's cost: one GTF parse per stage that reads the annotation (counted from the stage
    registry: the stages taking ``--annotation``, per sample and per cohort). Each is timed as
    one pass of the validated GTF reader building the models (``genome.bundle``'s parse); with
    ``--baseline-src`` (the ``python/`` folder of a checkout from before the bundle, e.g.
    d705172) the former readers themselves are timed instead;
(ii) ``tkiseq prepare`` once, then each stage's reader on the bundle: the gene table (counts,
    subtypes), the fusion/splice model (fusions call, splice-lesions), the variant
    transcripts (variants call) and the canonical-transcript index (variants annotate).
Each reader's time is its process's wall time, Python start and imports included.

Also prints the bundle's size on disk and the time to read all its tables into pandas.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.measure import timed

from tkiseq.stages import STAGES

# stage -> (module, call) reading the bundle B (a pathlib.Path)
BUNDLE_READERS = {
    "variants_call": ("tkiseq.variants.transcripts", "read_transcripts(B)"),
    "fusions": ("tkiseq.fusions.annotation", "read_annotation(B)"),
    "variants_annotate": ("tkiseq.variants.transcripts", "TranscriptIndex.from_bundle(B)"),
    "splice_lesions": ("tkiseq.fusions.annotation", "read_annotation(B)"),
    "counts": ("tkiseq.genome.bundle", "read_genes(B)"),
    "subtypes": ("tkiseq.genome.bundle", "read_genes(B)"),
}
# the same stages' former GTF readers (--baseline-src), on the GTF G
GTF_READERS = {
    "variants_call": ("tkiseq.variants.transcripts", "read_transcripts(G)"),
    "fusions": ("tkiseq.fusions.annotation", "read_annotation(G)"),
    "variants_annotate": ("tkiseq.variants.transcripts", "TranscriptIndex.from_gtf(G)"),
    "splice_lesions": ("tkiseq.fusions.annotation", "read_annotation(G)"),
    "counts": ("tkiseq.genome.gtf", "read_genes(G)"),
    "subtypes": ("tkiseq.genome.gtf", "read_genes(G)"),
}
READ_ALL = (
    "import time, pyarrow.parquet as pq; t = time.perf_counter()\n"
    "for n in ('genes', 'transcripts', 'exons', 'cds', 'introns'):\n"
    "    pq.read_table(B / f'{n}.parquet').to_pandas()\n"
    "print(f'{time.perf_counter() - t:.3f}')"
)


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


def write_fasta(path: Path) -> None:
    """One base per contig: prepare reads only the FASTA's contig names."""
    path.write_text("".join(f">chr{c}\nA\n" for c in range(1, 23)))


def python(code: str, pythonpath: Path | None = None) -> list[str]:
    if pythonpath is None:
        return [sys.executable, "-c", code]
    return ["env", f"PYTHONPATH={pythonpath}", sys.executable, "-c", code]


def readers() -> dict[str, str]:
    """The stages that read the annotation, with their scope (from the registry)."""
    return {s.name: s.scope for s in STAGES if any(o.flag == "--annotation" for o in s.options)}


def bench(workdir: Path, n_genes: int, samples: int, baseline: Path | None) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    gtf, fasta, ref = workdir / "gencode_like.gtf", workdir / "genome.fa", workdir / "reference"
    if not gtf.exists():
        write_gtf(gtf, n_genes)
    write_fasta(fasta)
    stages = readers()
    assert set(stages) == set(BUNDLE_READERS), stages
    per_sample = [s for s, scope in stages.items() if scope == "sample"]
    print(f"{gtf}: {n_genes} genes, {gtf.stat().st_size / 1e9:.2f} GB")
    print(
        f"stages reading the annotation: {len(per_sample)} per sample "
        f"({', '.join(per_sample)}), {len(stages) - len(per_sample)} per cohort"
    )

    print("\n(i) a GTF parse in every stage")
    before: dict[str, float] = {}
    for stage in stages:
        if baseline is None:
            code = (
                f"import pathlib, tkiseq.genome.bundle as b; b._parse(pathlib.Path({str(gtf)!r}))"
            )
            what = "GTF parse (prepare's reader)"
        else:
            module, call = GTF_READERS[stage]
            code = f"import pathlib; from {module} import *; G = pathlib.Path({str(gtf)!r}); {call}"
            what = f"{call} (baseline)"
        wall, rss = timed(python(code, baseline))
        before[stage] = wall
        print(f"  {stage:<18} {what:<36} {wall:6.1f} s  {rss:7.0f} MB")

    print("\n(ii) prepare once, then each stage reads the bundle")
    cmd = [
        sys.executable,
        "-m",
        "tkiseq",
        "prepare",
        "--gtf",
        str(gtf),
        "--fasta",
        str(fasta),
        "--outdir",
        str(ref),
    ]
    prep_wall, prep_rss = timed(cmd)
    bundle = ref / "annotation"
    size = sum(p.stat().st_size for p in bundle.iterdir()) / 1e6
    print(f"  {'prepare':<18} {'tkiseq prepare':<36} {prep_wall:6.1f} s  {prep_rss:7.0f} MB")
    after: dict[str, float] = {}
    for stage, (module, call) in BUNDLE_READERS.items():
        code = f"import pathlib; from {module} import *; B = pathlib.Path({str(bundle)!r}); {call}"
        wall, rss = timed(python(code))
        after[stage] = wall
        print(f"  {stage:<18} {call:<36} {wall:6.1f} s  {rss:7.0f} MB")
    code = f"import pathlib; B = pathlib.Path({str(bundle)!r})\n{READ_ALL}"
    read = subprocess.run(python(code), capture_output=True, text=True, check=True)
    print(
        f"  bundle: {size:.1f} MB on disk; its five tables read into pandas in "
        f"{float(read.stdout):.2f} s"
    )

    def total(cost: dict[str, float], once: float) -> float:
        sample = sum(cost[s] for s in per_sample)
        return once + samples * sample + sum(cost[s] for s in stages if s not in per_sample)

    print(
        f"\nannotation time for {samples} samples: (i) {total(before, 0):.0f} s, "
        f"(ii) {total(after, prep_wall):.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=60_000)
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-gtf"))
    parser.add_argument(
        "--baseline-src", type=Path, help="python/ folder of tkiseq before the bundle (for (i))"
    )
    args = parser.parse_args()
    bench(args.workdir, args.genes, args.samples, args.baseline_src)


if __name__ == "__main__":
    main()
