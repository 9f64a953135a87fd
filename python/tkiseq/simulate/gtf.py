"""Write the annotation as a GTF: GENCODE-style (gene, transcript, exon, CDS, codons, UTR), or
as real annotations also come: exon and CDS rows only (many exported GTFs), or the CDS ending
with its stop codon and no codon rows (RefSeq-derived)."""

from __future__ import annotations

from pathlib import Path

from tkiseq.simulate.genome import Gene, Genome, Transcript


def mrna_segments(t: Transcript, start: int, end: int) -> list[tuple[int, int, int]]:
    """Genomic pieces (lo, hi, exon number) of mRNA interval [start, end), transcription order."""
    out, pos = [], 0
    for number, (a, b) in enumerate(t.exons, start=1):
        n = b - a + 1
        lo, hi = max(start, pos), min(end, pos + n)
        if lo < hi:
            if a == b or t.gpos[pos] > 0:
                out.append((a + lo - pos, a + hi - pos - 1, number))
            else:
                out.append((b - (hi - pos) + 1, b - (lo - pos), number))
        pos += n
    return out


def _attrs(gene: Gene, t: Transcript | None, exon: int | None = None, exon_id: str = "") -> str:
    parts = [
        f'gene_id "{gene.gene_id}"',
        *([f'transcript_id "{t.transcript_id}"'] if t else []),
        f'gene_type "{gene.gene_type}"',
        f'gene_name "{gene.name}"',
    ]
    if t:
        parts += [f'transcript_type "{t.transcript_type}"', f'transcript_name "{t.name}"']
    if exon is not None:
        parts += [f"exon_number {exon}", f'exon_id "{exon_id}"']
    parts.append("level 2")
    return "; ".join(parts) + ";"


def _row(gene: Gene, feature: str, lo: int, hi: int, attrs: str, frame: str = ".") -> str:
    return "\t".join(
        [gene.chrom, "TKISEQ", feature, str(lo), str(hi), ".", gene.strand, frame, attrs]
    )


DIALECTS = ("gencode", "exon-cds", "refseq")


def _transcript_rows(gene: Gene, t: Transcript, exon_ids: dict, dialect: str) -> list[str]:
    rows = [
        _row(
            gene,
            "transcript",
            min(a for a, _ in t.exons),
            max(b for _, b in t.exons),
            _attrs(gene, t),
        )
    ]
    cds_rows: dict[int, list[str]] = {}
    tail: list[str] = []
    if t.cds:
        s, e = t.cds
        done = 0
        for lo, hi, n in mrna_segments(t, s, e if dialect == "refseq" else e - 3):
            attrs = _attrs(gene, t, n, exon_ids[t.exons[n - 1]])
            cds_rows.setdefault(n, []).append(
                _row(gene, "CDS", lo, hi, attrs, str((3 - done % 3) % 3))
            )
            done += hi - lo + 1
        for lo, hi, n in mrna_segments(t, s, s + 3):
            attrs = _attrs(gene, t, n, exon_ids[t.exons[n - 1]])
            cds_rows[n].append(_row(gene, "start_codon", lo, hi, attrs, "0"))
        for lo, hi, n in mrna_segments(t, e - 3, e):
            tail.append(
                _row(gene, "stop_codon", lo, hi, _attrs(gene, t, n, exon_ids[t.exons[n - 1]]), "0")
            )
        utr = mrna_segments(t, 0, s) + mrna_segments(t, e, len(t.seq))
        for lo, hi, n in utr:
            tail.append(_row(gene, "UTR", lo, hi, _attrs(gene, t, n, exon_ids[t.exons[n - 1]])))
    for n, (a, b) in enumerate(t.exons, start=1):
        rows.append(_row(gene, "exon", a, b, _attrs(gene, t, n, exon_ids[(a, b)])))
        rows += cds_rows.get(n, [])
    if dialect != "gencode":
        kept = ("exon", "CDS")
        return [r for r in rows + tail if r.split("\t")[2] in kept]
    return rows + tail


def write_gtf(genome: Genome, path: Path, dialect: str = "gencode") -> None:
    """GTF sorted by contig then gene start; within a gene, GENCODE's nesting order.
    ``dialect``: one of ``DIALECTS`` (module docstring); the others have no gene rows."""
    lines = ["##description: tkiseq simulated annotation", "##provider: tkiseq", "##format: gtf"]
    exon_counter = 0
    for gene in genome.genes.values():
        exon_ids: dict[tuple[int, int], str] = {}
        for t in gene.transcripts:
            for ex in t.exons:
                if ex not in exon_ids:
                    exon_counter += 1
                    exon_ids[ex] = f"ENSE99{exon_counter:09d}.1"
        if dialect == "gencode":
            lines.append(_row(gene, "gene", gene.start, gene.end, _attrs(gene, None)))
        for t in sorted(gene.transcripts, key=lambda t: min(a for a, _ in t.exons)):
            lines += _transcript_rows(gene, t, exon_ids, dialect)
    path.write_text("\n".join(lines) + "\n")
