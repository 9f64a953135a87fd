"""Gene, consequence, HGVS and clinical flags for the calls of ``<sample>.all.vcf.gz``.

Everything comes from the annotation bundle and FASTA (no external service). Each call is
named on the canonical transcript of every gene it touches; the most severe consequence wins
when genes overlap.

Rows are the calls the reads support (``reported``): at least the study's alt reads and VAF
(passing, or flagged as dbSNP or an artefact), and, in the leukaemia panel genes, calls with
enough alt reads below the VAF threshold (a TKI-resistance subclone in ABL1 can be a few %).
The rest, sequencing errors at depth (255,209 candidates in a 1M-pair deep simulated
library, 22 passing), stay in ``all.vcf.gz`` only: annotating them all cost 26 s CPU and a
quarter of a million rows nobody reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam

from tkiseq import tables
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.genome.contigs import require_shared
from tkiseq.variants.filter import site_depth
from tkiseq.variants.hgvs import SEVERITY, Effect, revcomp, variant_effect
from tkiseq.variants.tki import abl1_kd, panel_genes, tki_resistance
from tkiseq.variants.transcripts import Transcript, TranscriptIndex
from tkiseq.variants.vcfio import check_indexed, check_single_sample, open_vcf

COLUMNS = tables.columns("variants")
WINDOW = 300  # genomic bases each side of a call, room for shifting indels in repeats


class Annotator:
    """Caches transcript models and their spliced sequences for one annotation + FASTA."""

    def __init__(self, annotation: Path, fasta: Path) -> None:
        self.fasta = pysam.FastaFile(str(fasta))
        self.index = TranscriptIndex.from_bundle(annotation)
        self._mrna: dict[str, str] = {}
        self._to_fasta = require_shared(
            str(annotation), self.index.contigs(), str(fasta), self.fasta.references
        )

    def mrna(self, t: Transcript) -> str:
        if t.transcript_id not in self._mrna:
            chrom = self._to_fasta[t.chrom]
            seq = "".join(self.fasta.fetch(chrom, a - 1, b).upper() for a, b in t.exons)
            self._mrna[t.transcript_id] = revcomp(seq) if t.strand == "-" else seq
        return self._mrna[t.transcript_id]

    def transcripts(self, chrom: str, pos: int, ref: str) -> list[Transcript]:
        """Canonical transcripts overlapping the call (FASTA contig name)."""
        gtf_chrom = next((g for g, f in self._to_fasta.items() if f == chrom), None)
        return [] if gtf_chrom is None else self.index.overlapping(gtf_chrom, pos, pos + len(ref))

    def effect(self, chrom: str, pos: int, ref: str, alt: str) -> tuple[Transcript, Effect] | None:
        """Most severe effect over the canonical transcripts at the call (None: intergenic)."""
        best: tuple[tuple[int, bool], Transcript, Effect] | None = None
        for t in self.transcripts(chrom, pos, ref):
            lo = max(1, pos - WINDOW)
            window = self.fasta.fetch(chrom, lo - 1, pos + len(ref) + WINDOW).upper()
            eff = variant_effect(t, pos, ref, alt, window, lo, self.mrna(t))
            rank = (SEVERITY.index(eff.consequence), not t.coding)
            if best is None or rank < best[0]:
                best = (rank, t, eff)
        return None if best is None else (best[1], best[2])


def annotate_record(ann: Annotator, chrom: str, pos: int, ref: str, alt: str) -> dict[str, object]:
    """Annotation columns of one allele (pure given the annotator's references)."""
    found = ann.effect(chrom, pos, ref, alt)
    if found is None:
        return {
            "gene": "",
            "consequence": "intergenic_variant",
            "hgvsc": "",
            "hgvsp": "",
            "transcript": "",
            "hgvsp_short": "",
            "abl1_kd": False,
            "tki_resistance": "",
            "panel_gene": False,
        }
    t, eff = found
    short = eff.hgvsp_short
    return {
        "gene": t.gene_name,
        "consequence": eff.consequence,
        "hgvsc": eff.hgvsc,
        "hgvsp": eff.hgvsp,
        "transcript": t.refseq or t.transcript_id,
        "hgvsp_short": short,
        "abl1_kd": abl1_kd(t.gene_name, short),
        "tki_resistance": tki_resistance(t.gene_name, short),
        "panel_gene": t.gene_name in panel_genes(),
    }


def reported(ann: Annotator, rec: pysam.VariantRecord, filters: set[str]) -> bool:
    """A row for this call: the reads support it, or it is a panel gene's subclone."""
    if "min_alt_reads" in filters:
        return False
    if "min_vaf" not in filters:
        return True
    panel = panel_genes()
    return any(t.gene_name in panel for t in ann.transcripts(rec.chrom, rec.pos, rec.ref or ""))


def annotate_calls(sample: str, vcf: Path, fasta: Path, annotation: Path, outdir: Path) -> Path:
    """Write ``<sample>.variants.tsv``: one row per allele of the ``reported`` calls."""
    vf = open_vcf(vcf)
    check_single_sample(vcf, vf)
    check_indexed(vcf)
    if "AD" not in vf.header.formats:
        raise InputError(
            vcf, "no FORMAT/AD", hint="annotate the output of `tkiseq variants filter`"
        )
    ann = Annotator(annotation, fasta)
    rows = []
    try:
        for rec in vf:
            filters = {str(f) for f in rec.filter}
            if not reported(ann, rec, filters):
                continue
            ad: tuple = rec.samples[0].get("AD") or ()
            dp = rec.samples[0].get("DP") if "DP" in rec.header.formats else None
            filt = ";".join(map(str, rec.filter.keys())) or "."
            rsid = rec.info.get("DBSNP") if "DBSNP" in rec.header.info else None
            for k, alt in enumerate(rec.alts or ()):
                if alt.startswith("<") or alt == "*":
                    continue
                ref_n = ad[0] if len(ad) > 0 and ad[0] is not None else 0
                alt_n = ad[k + 1] if len(ad) > k + 1 and ad[k + 1] is not None else 0
                depth = site_depth(ref_n, alt_n, str(dp))
                rows.append(
                    {
                        "sample": sample,
                        "chrom": rec.chrom,
                        "pos": rec.pos,
                        "ref": rec.ref,
                        "alt": alt,
                        "alt_reads": alt_n,
                        "depth": depth,
                        "vaf": round(alt_n / depth, 4) if depth else 0.0,
                        "in_dbsnp": rsid is not None,
                        "filter": filt,
                        "dbsnp_id": rsid or "",
                        **annotate_record(ann, rec.chrom, rec.pos, rec.ref or "", alt),
                    }
                )
    except (OSError, ValueError) as exc:
        raise InputError(vcf, f"unreadable record ({exc})") from exc
    finally:
        vf.close()
    table = pd.DataFrame(rows, columns=COLUMNS)
    dest = outdir / f"{sample}.variants.tsv"
    with atomic_path(dest) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    return dest
