"""Fusion calls from STAR's chimeric and spliced junctions.

Two sources, one table:

* ``Chimeric.out.junction``: split reads (junction inside a read) and spanning fragments
  (mates on either side). STAR writes a junction in the orientation of the read, so for
  unstranded libraries half of a fusion's reads come reversed; each junction is turned so
  that both ends lie in genes on their transcribed strand (5' partner = donor).
* ``SJ.out.tab``: deletions shorter than STAR's maximum intron (P2RY8::CRLF2, ~300 kb) are
  aligned as splices, never as chimeras; a junction whose donor and acceptor lie in different
  genes is a fusion candidate like any other.

Spanning fragments cannot place a breakpoint, so they only add support to a split-read
breakpoint of the same gene pair they are consistent with (donor mate upstream of the 5'
breakpoint, acceptor mate downstream of the 3'); spanning-only candidates are not reported.
Multimapping chimeric reads are kept (a fusion partner may have a paralog) and counted once;
the share of them marks homologous partners.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq import tables
from tkiseq.fusions import artifacts as af
from tkiseq.fusions.annotation import Annotation, Site
from tkiseq.fusions.frame import bcr_abl1_isoform, bcr_abl1_protein, reading_frame
from tkiseq.fusions.spanning import spliced_spanning_pairs
from tkiseq.genome.contigs import harmonise

log = logging.getLogger(__name__)

# One breakpoint pair: both oriented ends (5' partner, 3' partner) and their genes.
BREAKPOINT_KEY = ("chrom5", "pos5", "strand5", "gene5_id", "chrom3", "pos3", "strand3", "gene3_id")

COLUMNS = tables.columns("fusions")
_FLIP = {"+": "-", "-": "+"}
_RAW = ["chr_a", "pos_a", "str_a", "chr_b", "pos_b", "str_b", "rep_l", "rep_r"]
SJ_SLACK = 10  # bases a spliced junction may slide within a repeat (STAR reports no length)
_SIGN = {"+": 1, "-": -1}
_CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
FRAGMENT_LENGTH = 300  # typical RNA-seq insert; only scales expression_fpm, not its ranks
MIN_OVERHANG = 10  # STAR's --chimJunctionOverhangMin / --chimSegmentMin
# V/D/J/C segments and heavy-chain constant genes; not IGLL1, IGLON5 or IGHMBP2.
_IG_SEGMENT = re.compile(r"^(IG[HKL])(?:[VDJC]|[MGEA]\d?$)")
# other callers' names for a whole locus: IGH@ (FusionCatcher), IGH-@, IGH@-ext, IGL.g@-ext
# (STAR-Fusion)
_IG_LOCUS_NAME = re.compile(r"^(IG[HKL])(?:-|\.g)?@(?:-ext)?$")
IG_LOCI = frozenset({"IGH", "IGK", "IGL"})


@dataclass(frozen=True)
class End:
    """One side of a junction: the last (5') or first (3') transcribed base, and its gene."""

    chrom: str
    pos: int
    strand: str
    gene_id: str


def catalogue_symbol(name: str) -> str:
    """The symbol a gene has in the known-fusion catalogue: immunoglobulin segments and
    constant genes (IGHJ6, IGHM, IGKC, IGLV3-21), and other callers' locus names (IGH@,
    IGH-@-ext), stand for their locus (IGH, IGK, IGL)."""
    m = _IG_SEGMENT.match(name) or _IG_LOCUS_NAME.match(name)
    return m.group(1) if m else name


def known_subtype(known: dict[tuple[str, str], str], name5: str, name3: str) -> str | None:
    """The catalogue's subtype for a gene pair; a pair with an immunoglobulin locus matches
    in either order (see the catalogue's header)."""
    a, b = catalogue_symbol(name5), catalogue_symbol(name3)
    hit = known.get((a, b))
    if hit is None and {a, b} & IG_LOCI:
        hit = known.get((b, a))
    return hit


def load_known_fusions() -> dict[tuple[str, str], str]:
    """(gene5, gene3) -> subtype, from the shipped catalogue ``data/known_fusions.tsv``."""
    text = resources.files("tkiseq.data").joinpath("known_fusions.tsv").read_text()
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def _pick_gene(ann: Annotation, genes: tuple[str, ...], sites: list[Site] | None) -> str:
    """Of overlapping genes, the one with an exon boundary here, else the shortest."""
    on_site = {s.gene_id for s in sites or ()}
    return min(genes, key=lambda g: (g not in on_site, ann.genes[g].end - ann.genes[g].start))


def orient(
    ann: Annotation,
    chr_a: str,
    pos_a: int,
    str_a: str,
    chr_b: str,
    pos_b: int,
    str_b: str,
    rep_l: int = 0,
    rep_r: int = 0,
) -> tuple[End, End] | None:
    """Turn a STAR chimeric junction into (5' end, 3' end) between two different genes.

    STAR gives the first intronic base on each side (``brkpt``); the transcribed bases are
    one step back into segment A and one step forward into segment B. The repeat lengths
    say how far the junction may slide without changing the read's alignment.
    """
    base_a = pos_a - 1 if str_a == "+" else pos_a + 1
    base_b = pos_b + 1 if str_b == "+" else pos_b - 1
    return orient_bases(ann, chr_a, base_a, str_a, chr_b, base_b, str_b, rep_l + rep_r)


def orient_bases(
    ann: Annotation,
    chr5: str,
    pos5: int,
    str5: str,
    chr3: str,
    pos3: int,
    str3: str,
    slack: int = 0,
) -> tuple[End, End] | None:
    """Place a junction given by its transcribed bases (5' last, 3' first) between genes.

    Read reversed, a junction is (3' base, flipped strand) -> (5' base, flipped strand); of
    the two readings, the one whose ends lie in different genes on the read's strand wins,
    and of those the one on more annotated exon boundaries. A junction inside a repeat of
    ``slack`` bases (microhomology) is placed where STAR's aligner chose; it is moved, both
    ends together, onto a pair of exon boundaries within that slack if there is one.
    None when no reading joins two different genes.
    """
    best: tuple[int, tuple[End, End]] | None = None
    readings = (
        (chr5, pos5, str5, chr3, pos3, str3),
        (chr3, pos3, _FLIP.get(str3, str3), chr5, pos5, _FLIP.get(str5, str5)),
    )
    for c5, p5, s5, c3, p3, s3 in readings:
        sign5, sign3 = _SIGN.get(s5, 1), _SIGN.get(s3, 1)
        shift = next(
            (
                k
                for k in sorted(range(-slack, slack + 1), key=abs)
                if (c5, s5, p5 + k * sign5) in ann.donors
                and (c3, s3, p3 + k * sign3) in ann.acceptors
            ),
            0,
        )
        q5, q3 = p5 + shift * sign5, p3 + shift * sign3
        g5 = ann.genes_at(c5, q5, s5)
        g3 = ann.genes_at(c3, q3, s3)
        if not g5 or not g3 or set(g5) & set(g3):
            continue
        d = ann.donors.get((c5, s5, q5))
        a = ann.acceptors.get((c3, s3, q3))
        score = (d is not None) + (a is not None)
        if best is None or score > best[0]:
            ends = (
                End(c5, q5, s5, _pick_gene(ann, g5, d)),
                End(c3, q3, s3, _pick_gene(ann, g3, a)),
            )
            best = (score, ends)
    return best[1] if best else None


def _harmonised(reads: pd.DataFrame, cols: list[str], ann: Annotation) -> pd.DataFrame:
    names = set().union(*(reads[c].unique() for c in cols)) if len(reads) else set()
    mapping = harmonise(sorted(names), ann.contigs)
    if all(mapping.get(n) == n for n in names):
        return reads
    reads = reads.copy()
    for c in cols:
        reads[c] = reads[c].map(mapping).fillna(reads[c])
    return reads


def _flat(ends: tuple[End, End] | None) -> tuple:
    if ends is None:
        return (None,) * 8
    e5, e3 = ends
    return (e5.chrom, e5.pos, e5.strand, e5.gene_id, e3.chrom, e3.pos, e3.strand, e3.gene_id)


def preselect(reads: pd.DataFrame, ann: Annotation) -> pd.DataFrame:
    """Reads of gene pairs with >= 2 fragments, or of a known fusion pair (vectorised).

    A gene pair seen in one fragment only is the commonest artifact (template switching,
    ligation); at a million chimeric lines nearly all candidates are such singletons. They
    are dropped before the per-breakpoint work and counted in the log, so the table keeps
    what can reach a call (known fusions are rescued from one split read plus one pair).
    """
    if reads.empty:
        return reads
    chr_a, chr_b = reads["chr_a"].to_numpy(object), reads["chr_b"].to_numpy(object)
    str_a, str_b = reads["str_a"].to_numpy(object), reads["str_b"].to_numpy(object)
    pos_a, pos_b = reads["pos_a"].to_numpy(), reads["pos_b"].to_numpy()
    base_a = np.where(str_a == "+", pos_a - 1, pos_a + 1)
    base_b = np.where(str_b == "+", pos_b + 1, pos_b - 1)
    flip_a = np.where(str_a == "+", "-", "+").astype(object)
    flip_b = np.where(str_b == "+", "-", "+").astype(object)
    g5 = ann.genes_vec(chr_a, base_a, str_a)
    g3 = ann.genes_vec(chr_b, base_b, str_b)
    r5 = ann.genes_vec(chr_b, base_b, flip_b)
    r3 = ann.genes_vec(chr_a, base_a, flip_a)
    forward = (g5 != "") & (g3 != "") & (g5 != g3)
    reverse = (r5 != "") & (r3 != "") & (r5 != r3)
    gene5 = np.where(forward, g5, np.where(reverse, r5, ""))
    gene3 = np.where(forward, g3, np.where(reverse, r3, ""))
    pairs = pd.DataFrame({"g5": gene5, "g3": gene3, "read": reads["read"].to_numpy()})
    fragments = pairs.groupby(["g5", "g3"], sort=False)["read"].transform("nunique")
    known = load_known_fusions()
    names = {g: ann.genes[g].name for g in set(gene5) | set(gene3) if g}
    is_known = np.array(
        [
            known_subtype(known, names.get(a, ""), names.get(b, "")) is not None
            for a, b in zip(gene5, gene3, strict=True)
        ]
    )
    keep = (gene5 != "") & ((fragments.to_numpy() >= af.KNOWN_MIN_SUPPORT) | is_known)
    log.info("%d of %d chimeric alignments are in recurrent gene pairs", keep.sum(), len(keep))
    return reads.loc[keep].reset_index(drop=True)


def chimeric_candidates(reads: pd.DataFrame, ann: Annotation) -> pd.DataFrame:
    """Split-read support per oriented breakpoint, and spanning fragments per gene pair."""
    reads = _harmonised(reads, ["chr_a", "chr_b"], ann)
    reads = preselect(reads, ann)
    if reads.empty:
        return _empty_candidates()
    gid = reads.groupby(_RAW, sort=False).ngroup().to_numpy()
    keys = reads.drop_duplicates(_RAW)[_RAW].itertuples(index=False, name=None)
    ends = [orient(ann, *k) for k in keys]
    oriented = pd.DataFrame(
        [_flat(e) for e in ends],
        columns=list(BREAKPOINT_KEY),
    )
    per_read = oriented.iloc[gid].reset_index(drop=True)
    per_read["read"] = reads["read"].to_numpy()
    per_read["multi"] = reads["n_aln"].to_numpy() > 1
    per_read["anchor"] = reads["anchor"].to_numpy()
    per_read["split"] = reads["jtype"].to_numpy() >= 0
    per_read = per_read[per_read["gene5_id"].notna()]
    split = per_read[per_read["split"]]
    key = list(BREAKPOINT_KEY)
    grouped = split.groupby(key, sort=False)
    calls = grouped.agg(split_reads=("read", "nunique"), max_anchor=("anchor", "max"))
    calls["multimapping_reads"] = (
        split[split["multi"]].groupby(key, sort=False)["read"].nunique()
    ).reindex(calls.index, fill_value=0)
    calls = calls.reset_index()
    calls["source"] = "chimeric"
    calls["pos5"] = calls["pos5"].astype(np.int64)
    calls["pos3"] = calls["pos3"].astype(np.int64)
    calls["spanning_pairs"] = _assign_spanning(calls, per_read[~per_read["split"]], ann)
    return calls


def _assign_spanning(calls: pd.DataFrame, spanning: pd.DataFrame, ann: Annotation) -> np.ndarray:
    """Count each spanning fragment once, for the best-supported consistent breakpoint."""
    counts = np.zeros(len(calls), dtype=np.int64)
    if spanning.empty or calls.empty:
        return counts
    by_pair: dict[tuple[str, str], list[int]] = {}
    order = np.argsort(-calls["split_reads"].to_numpy(), kind="stable")
    for i in order:
        by_pair.setdefault((calls.at[i, "gene5_id"], calls.at[i, "gene3_id"]), []).append(i)
    seen: set[str] = set()
    for frag in spanning.itertuples(index=False):
        if frag.read in seen:
            continue
        for i in by_pair.get((frag.gene5_id, frag.gene3_id), ()):
            if _consistent(frag.pos5, calls.at[i, "pos5"], calls.at[i, "strand5"]) and (
                _consistent(calls.at[i, "pos3"], frag.pos3, calls.at[i, "strand3"])
            ):
                counts[i] += 1
                seen.add(frag.read)
                break
    return counts


def _consistent(upstream: int, downstream: int, strand: str) -> bool:
    """``upstream`` lies at or before ``downstream`` in transcription direction."""
    return upstream <= downstream if strand == "+" else upstream >= downstream


def spliced_candidates(sj: pd.DataFrame, ann: Annotation) -> pd.DataFrame:
    """Unannotated splice junctions whose donor and acceptor lie in different genes."""
    sj = _harmonised(sj, ["chrom"], ann)
    sj = sj[sj["annotated"] == 0] if len(sj) else sj
    rows = []
    for chrom, start, end, strand, reads, overhang in zip(
        sj["chrom"],
        sj["start"],
        sj["end"],
        sj["strand"],
        sj["unique"] + sj["multi"],
        sj["overhang"],
        strict=True,
    ):
        # The motif strand is read first; orient_bases also tries the other, because a
        # junction that slid inside a repeat may show a canonical motif on the wrong strand.
        s = "-" if int(strand) == 2 else "+"
        donor, acceptor = (start - 1, end + 1) if s == "+" else (end + 1, start - 1)
        ends = orient_bases(ann, chrom, donor, s, chrom, acceptor, s, SJ_SLACK)
        if ends is None or reads == 0:
            continue
        rows.append((*_flat(ends), reads, overhang))
    calls = pd.DataFrame(
        rows,
        columns=[*BREAKPOINT_KEY, "split_reads", "max_anchor"],
    )
    calls["multimapping_reads"] = 0
    calls["spanning_pairs"] = 0
    calls["source"] = "spliced"
    return calls


def _empty_candidates() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            *BREAKPOINT_KEY,
            "split_reads",
            "max_anchor",
            "multimapping_reads",
            "spanning_pairs",
            "source",
        ]
    )


def merge_candidates(chimeric: pd.DataFrame, spliced: pd.DataFrame) -> pd.DataFrame:
    """One row per breakpoint pair; a junction seen both ways sums its reads."""
    frames = [f for f in (chimeric, spliced) if len(f)]
    if not frames:
        return _empty_candidates()
    both = pd.concat(frames, ignore_index=True)
    key = list(BREAKPOINT_KEY)
    return both.groupby(key, sort=False, as_index=False).agg(
        split_reads=("split_reads", "sum"),
        spanning_pairs=("spanning_pairs", "sum"),
        max_anchor=("max_anchor", "max"),
        multimapping_reads=("multimapping_reads", "sum"),
        source=("source", lambda s: "+".join(sorted(set(s)))),
    )


def annotate_calls(
    sample: str,
    cands: pd.DataFrame,
    ann: Annotation,
    mapped: int | None,
    abl1_wildtype_reads: int | None,
    thresholds: af.Thresholds,
    low_complexity: set[int] | None = None,
) -> pd.DataFrame:
    """Exons, frame, isoform, FFPM, filters and confidence of every candidate breakpoint."""
    known = load_known_fusions()
    names5 = [ann.genes[g].name for g in cands["gene5_id"]]
    names3 = [ann.genes[g].name for g in cands["gene3_id"]]
    supported_pairs = [
        (a, b)
        for a, b, s, p in zip(
            names5, names3, cands["split_reads"], cands["spanning_pairs"], strict=True
        )
        if af.supported(int(s), int(p), thresholds)
    ]
    partners = af.partner_counts(supported_pairs)
    rows = []
    for i, c in enumerate(cands.itertuples(index=False)):
        g5, g3 = ann.genes[c.gene5_id], ann.genes[c.gene3_id]
        split, span = int(c.split_reads), int(c.spanning_pairs)
        site5 = ann.best_site(ann.donors.get((c.chrom5, c.strand5, c.pos5), []), g5.gene_id)
        site3 = ann.best_site(ann.acceptors.get((c.chrom3, c.strand3, c.pos3), []), g3.gene_id)
        tx5 = ann.transcripts[site5.transcript_id] if site5 else ann.canonical(g5.gene_id)
        tx3 = ann.transcripts[site3.transcript_id] if site3 else ann.canonical(g3.gene_id)
        exon5 = site5.exon if site5 else None
        exon3 = site3.exon if site3 else None
        subtype = known_subtype(known, g5.name, g3.name)
        is_known = subtype is not None
        evidence = af.Evidence(
            gene5=g5,
            gene3=g3,
            split=split,
            spanning=span,
            max_anchor=c.max_anchor,
            multimapping=c.multimapping_reads,
            known=is_known,
            partners=max(partners[g5.name], partners[g3.name]),
            low_complexity=low_complexity is not None and i in low_complexity,
        )
        filters = af.flags(evidence, thresholds)
        isoform = bcr_abl1_isoform(g5.name, g3.name, exon5, exon3)
        length = (tx5.mrna_bases(c.pos5, True) if tx5 else 0) + (
            tx3.mrna_bases(c.pos3, False) if tx3 else 0
        )
        is_bcr_abl1 = (g5.name, g3.name) == ("BCR", "ABL1")
        rows.append(
            {
                "sample": sample,
                "gene5": g5.name,
                "gene3": g3.name,
                "breakpoint5": f"{c.chrom5}:{c.pos5}:{c.strand5}",
                "breakpoint3": f"{c.chrom3}:{c.pos3}:{c.strand3}",
                "split_reads": split,
                "spanning_pairs": span,
                "ffpm": round((split + span) / mapped * 1e6, 4) if mapped else math.nan,
                "reading_frame": reading_frame(tx5, c.pos5, tx3, c.pos3),
                "isoform": isoform,
                "confidence": af.confidence(filters, site5 is not None and site3 is not None),
                "filters": ",".join(filters) or "PASS",
                "exon5": exon5,
                "exon3": exon3,
                "transcript5": tx5.transcript_id if tx5 else "",
                "transcript3": tx3.transcript_id if tx3 else "",
                "fusion_length": length,
                "expression_fpm": _expression_fpm(split + span, length, mapped),
                "source": c.source,
                "known_fusion": "yes" if is_known else "no",
                "subtype": subtype or "",
                "bcr_abl1_protein": bcr_abl1_protein(isoform),
                "bcr_abl1_abl1_ratio": math.nan,
                "_bcr_abl1": is_bcr_abl1,
            }
        )
    table = pd.DataFrame(rows, columns=[*COLUMNS, "_bcr_abl1"])
    if len(table):
        table = _with_bcr_abl1_ratio(table, abl1_wildtype_reads)
        table["_order"] = table["confidence"].map(_CONFIDENCE_ORDER)
        table = table.sort_values(["_order", "ffpm", "split_reads"], ascending=[True, False, False])
    table["exon5"] = table["exon5"].astype("Int64")
    table["exon3"] = table["exon3"].astype("Int64")
    return table[COLUMNS].reset_index(drop=True)


def _expression_fpm(junction_fragments: int, length: int, mapped: int | None) -> float:
    """Fragments of the whole fusion transcript per million mapped, from its junction reads.

    Only fragments that cross the junction are seen, and their share of the transcript's
    fragments falls with its length: of the ~(L - F) start positions of an F-base fragment
    on an L-base transcript, ~(F - 2 * overhang) cover the junction. Scaling by that ratio
    makes, e.g., an e13a2 and an e1a2 BCR::ABL1 comparable, which FFPM alone does not.
    """
    if not mapped:
        return math.nan
    window = FRAGMENT_LENGTH - 2 * MIN_OVERHANG
    scale = max(length - FRAGMENT_LENGTH + 1, window) / window
    return round(junction_fragments * scale / mapped * 1e6, 4)


def _with_bcr_abl1_ratio(table: pd.DataFrame, wildtype: int | None) -> pd.DataFrame:
    """Fusion junction reads of all non-artifact BCR::ABL1 breakpoints over wild-type ABL1
    exon 1 -> a2 junction reads: the RNA-seq analogue of the qPCR BCR::ABL1/ABL1 ratio."""
    rows = table["_bcr_abl1"]
    real = rows & (table["confidence"] != "low")
    if not rows.any() or not wildtype:
        return table
    table.loc[rows, "bcr_abl1_abl1_ratio"] = round(
        float(table.loc[real, "split_reads"].sum()) / wildtype, 4
    )
    return table


def abl1_wildtype_reads(sj: pd.DataFrame, ann: Annotation) -> int | None:
    """Reads of ABL1 exon 1a/1b -> a2 splice junctions (None without ABL1 in the GTF)."""
    abl1 = ann.gene_by_name("ABL1")
    if abl1 is None:
        return None
    if sj.empty:
        return 0
    sj = _harmonised(sj, ["chrom"], ann)
    introns = set()
    for tx in ann.transcripts_of(abl1.gene_id):
        if len(tx.exons) < 2:
            continue
        (s1, e1, _), (s2, e2, _) = tx.exons[0], tx.exons[1]
        introns.add((e1 + 1, s2 - 1) if tx.strand == "+" else (e2 + 1, s1 - 1))
    in_abl1 = np.array([(s, e) in introns for s, e in zip(sj["start"], sj["end"], strict=True)])
    hits = sj[(sj["chrom"] == abl1.chrom).to_numpy() & in_abl1]
    return int((hits["unique"] + hits["multi"]).sum())


def call_fusions(
    sample: str,
    chimeric: pd.DataFrame,
    sj: pd.DataFrame,
    ann: Annotation,
    mapped: int | None,
    thresholds: af.Thresholds | None = None,
    fasta: Path | None = None,
    bam: Path | None = None,
) -> pd.DataFrame:
    """All fusion candidates of one sample, annotated, filtered and ranked (pure but the FASTA
    and BAM look-ups; without a BAM, spliced fusions have no spanning pairs)."""
    thresholds = thresholds or af.Thresholds()
    cands = merge_candidates(chimeric_candidates(chimeric, ann), spliced_candidates(sj, ann))
    if bam is not None and len(cands):
        cands["spanning_pairs"] = cands["spanning_pairs"] + spliced_spanning_pairs(cands, bam, ann)
    low = _low_complexity(cands, fasta) if fasta is not None else None
    return annotate_calls(sample, cands, ann, mapped, abl1_wildtype_reads(sj, ann), thresholds, low)


def _low_complexity(cands: pd.DataFrame, fasta: Path, flank: int = 40) -> set[int]:
    """Rows whose exonic flank on either side of the junction has a DUST score > DUST_MAX."""
    import pysam

    out: set[int] = set()
    with pysam.FastaFile(str(fasta)) as fa:
        contigs = set(fa.references)
        for i, c in enumerate(cands.itertuples(index=False)):
            for chrom, pos, strand, five in (
                (c.chrom5, c.pos5, c.strand5, True),
                (c.chrom3, c.pos3, c.strand3, False),
            ):
                if chrom not in contigs:
                    continue
                upstream = five == (strand == "+")
                lo = pos - flank if upstream else pos - 1
                seq = fa.fetch(chrom, max(0, lo), max(0, lo) + flank)
                if af.dust(seq) > af.DUST_MAX:
                    out.add(i)
    return out
