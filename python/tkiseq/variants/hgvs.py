"""Consequence (Sequence Ontology) and HGVS c./p. names of one variant on one transcript.

Pure functions over sequences: the caller supplies the genomic window and the spliced mRNA.
HGVS wants indels at their most 3' position on the transcript, while VCF left-aligns them on
the genome, so indels are shifted along the transcript's strand before naming.
"""

from __future__ import annotations

from dataclasses import dataclass

from tkiseq.variants.transcripts import Transcript

_BASES = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODONS = {
    a + b + c: _AA[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES)
    for j, b in enumerate(_BASES)
    for k, c in enumerate(_BASES)
}
THREE = {
    "A": "Ala",
    "R": "Arg",
    "N": "Asn",
    "D": "Asp",
    "C": "Cys",
    "Q": "Gln",
    "E": "Glu",
    "G": "Gly",
    "H": "His",
    "I": "Ile",
    "L": "Leu",
    "K": "Lys",
    "M": "Met",
    "F": "Phe",
    "P": "Pro",
    "S": "Ser",
    "T": "Thr",
    "W": "Trp",
    "Y": "Tyr",
    "V": "Val",
    "*": "Ter",
    "X": "Xaa",
}
ONE = {v: k for k, v in THREE.items()}
# Most severe first (Ensembl VEP order), so a variant gets one term.
SEVERITY = (
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "inframe_insertion",
    "inframe_deletion",
    "missense_variant",
    "splice_region_variant",
    "stop_retained_variant",
    "synonymous_variant",
    "5_prime_UTR_variant",
    "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant",
    "intron_variant",
)
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


def translate(seq: str) -> str:
    """Protein up to and including the first stop ('*'); unknown codons become X."""
    out = []
    for i in range(0, len(seq) - 2, 3):
        aa = CODONS.get(seq[i : i + 3].upper(), "X")
        out.append(aa)
        if aa == "*":
            break
    return "".join(out)


def short_protein(hgvsp: str) -> str:
    """``p.Thr315Ile`` -> ``p.T315I`` (``Ter`` -> ``*``)."""
    out, i = [], 0
    while i < len(hgvsp):
        word = hgvsp[i : i + 3]
        if word in ONE and word[0].isupper():
            out.append(ONE[word])
            i += 3
        else:
            out.append(hgvsp[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Change:
    """A minimal edit: delete genomic [start, start+len(deleted)-1], insert before ``start``."""

    start: int
    deleted: str
    inserted: str

    @property
    def end(self) -> int:
        return self.start + len(self.deleted) - 1


def minimal_change(pos: int, ref: str, alt: str) -> Change:
    """Trim the shared suffix then prefix of a VCF allele pair (``pos`` is 1-based)."""
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return Change(pos, ref.upper(), alt.upper())


def shift(change: Change, window: str, offset: int, right: bool) -> Change:
    """Slide a pure insertion/deletion through repeats; ``window[0]`` is genomic ``offset``."""
    if change.deleted and change.inserted:
        return change
    s, seq = change.start, change.deleted or change.inserted
    is_del = bool(change.deleted)

    def base(g: int) -> str:
        i = g - offset
        return window[i].upper() if 0 <= i < len(window) else ""

    if right:
        while seq and base(s + len(seq) if is_del else s) == seq[0]:
            seq, s = seq[1:] + seq[0], s + 1
    else:
        while seq and base(s - 1) == seq[-1]:
            seq, s = seq[-1] + seq[:-1], s - 1
    return Change(s, seq if is_del else "", "" if is_del else seq)


@dataclass(frozen=True)
class Effect:
    consequence: str
    hgvsc: str
    hgvsp: str = ""

    @property
    def hgvsp_short(self) -> str:
        return short_protein(self.hgvsp) if self.hgvsp else ""


def _c_number(t: Transcript, m: int) -> str:
    if not t.coding:
        return str(m)
    a, b = t.cds_bounds()
    if m < a:
        return f"-{a - m}"
    if m > b:
        return f"*{m - b}"
    return str(m - a + 1)


def c_position(t: Transcript, g: int) -> str:
    """HGVS c. (or n.) position of genomic ``g`` inside the transcript span, introns included."""
    m = t.mrna_index(g)
    if m is not None:
        return _c_number(t, m)
    for (_a1, a2), (b1, _b2) in zip(t.exons, t.exons[1:], strict=False):
        if a2 < g < b1:
            up, down = (a2, b1) if t.strand != "-" else (b1, a2)
            d_up, d_down = abs(g - up), abs(down - g)
            m_up, m_down = t.mrna_index(up), t.mrna_index(down)
            assert m_up is not None and m_down is not None
            if d_up <= d_down:
                return f"{_c_number(t, m_up)}+{d_up}"
            return f"{_c_number(t, m_down)}-{d_down}"
    raise ValueError(f"{g} is outside {t.transcript_id}")


def _region_terms(t: Transcript, positions: list[int]) -> set[str]:
    """Splice and intron terms from where the touched bases lie relative to exon edges."""
    terms: set[str] = set()
    internal = list(zip(t.exons, t.exons[1:], strict=False))
    for g in positions:
        for (_a1, a2), (b1, _b2) in internal:
            if a2 < g < b1:
                terms.add("intron_variant")
                d_left, d_right = g - a2, b1 - g
                if min(d_left, d_right) <= 2:
                    donor = (d_left <= 2) == (t.strand != "-")
                    terms.add("splice_donor_variant" if donor else "splice_acceptor_variant")
                elif min(d_left, d_right) <= 8:
                    terms.add("splice_region_variant")
            elif a2 - 2 <= g <= a2 or b1 <= g <= b1 + 2:
                terms.add("splice_region_variant")
    return terms


def _three(aa: str) -> str:
    return THREE.get(aa, "Xaa")


def protein_change(ref_prot: str, alt_prot: str, frameshift: bool, codon: int) -> tuple[str, str]:
    """(consequence, HGVS p.) comparing reference and variant proteins (both to first stop)."""
    i = next(
        (k for k, (x, y) in enumerate(zip(ref_prot, alt_prot, strict=False)) if x != y),
        min(len(ref_prot), len(alt_prot)),
    )
    if i == len(ref_prot) == len(alt_prot):
        aa = ref_prot[codon - 1] if codon <= len(ref_prot) else "X"
        term = "stop_retained_variant" if aa == "*" else "synonymous_variant"
        return term, f"p.{_three(aa)}{codon}="
    if i == 0 and ref_prot[:1] == "M":
        return "start_lost", "p.Met1?"
    if i < len(ref_prot) and ref_prot[i] == "*":
        tail = alt_prot[i:]
        ext = f"Ter{tail.index('*')}" if "*" in tail else "Ter?"
        return "stop_lost", f"p.Ter{i + 1}{_three(tail[:1] or 'X')}ext{ext}"
    if frameshift:
        if i >= len(alt_prot):
            return "frameshift_variant", f"p.{_three(ref_prot[i])}{i + 1}fs"
        if alt_prot[i] == "*":
            return "stop_gained", f"p.{_three(ref_prot[i])}{i + 1}Ter"
        ter = f"Ter{alt_prot.index('*', i) - i + 1}" if "*" in alt_prot[i:] else "Ter?"
        return "frameshift_variant", f"p.{_three(ref_prot[i])}{i + 1}{_three(alt_prot[i])}fs{ter}"
    if i < len(alt_prot) and alt_prot[i] == "*" and len(alt_prot) < len(ref_prot):
        return "stop_gained", f"p.{_three(ref_prot[i])}{i + 1}Ter"
    s = 0
    while (
        s < len(ref_prot) - i
        and s < len(alt_prot) - i
        and ref_prot[len(ref_prot) - 1 - s] == alt_prot[len(alt_prot) - 1 - s]
    ):
        s += 1
    r, a = ref_prot[i : len(ref_prot) - s], alt_prot[i : len(alt_prot) - s]
    first = f"{_three(ref_prot[i])}{i + 1}" if r else ""
    last = f"{_three(r[-1])}{i + len(r)}" if r else ""
    span = first if len(r) == 1 else f"{first}_{last}"
    if len(r) == 1 and len(a) == 1:
        return "missense_variant", f"p.{first}{_three(a)}"
    ins = "".join(_three(x) for x in a)
    if not r:
        n = len(a)
        if ref_prot[max(0, i - n) : i] == a:
            lo = i - n + 1
            dup = f"{_three(a[0])}{lo}" + (f"_{_three(a[-1])}{i}" if n > 1 else "")
            return "inframe_insertion", f"p.{dup}dup"
        left, right = ref_prot[i - 1], ref_prot[i]
        return "inframe_insertion", f"p.{_three(left)}{i}_{_three(right)}{i + 1}ins{ins}"
    if not a:
        return "inframe_deletion", f"p.{span}del"
    term = (
        "missense_variant"
        if len(a) == len(r)
        else ("inframe_insertion" if len(a) > len(r) else "inframe_deletion")
    )
    return term, f"p.{span}delins{ins}"


def _hgvsc(t: Transcript, ch: Change, prefix: str, window: str, offset: int) -> str:
    minus = t.strand == "-"
    if ch.deleted:
        lo, hi = c_position(t, ch.start), c_position(t, ch.end)
        span = lo if ch.start == ch.end else (f"{hi}_{lo}" if minus else f"{lo}_{hi}")
        if not ch.inserted:
            return f"{prefix}{span}del"
        if len(ch.deleted) == 1 and len(ch.inserted) == 1:
            d, i = ch.deleted, ch.inserted
            return f"{prefix}{span}{revcomp(d) if minus else d}>{revcomp(i) if minus else i}"
        return f"{prefix}{span}delins{revcomp(ch.inserted) if minus else ch.inserted}"
    n = len(ch.inserted)

    def seq(g0: int, g1: int) -> str:
        return window[g0 - offset : g1 - offset + 1].upper()

    if not minus and seq(ch.start - n, ch.start - 1) == ch.inserted:
        lo, hi = c_position(t, ch.start - n), c_position(t, ch.start - 1)
        return f"{prefix}{lo if n == 1 else f'{lo}_{hi}'}dup"
    if minus and seq(ch.start, ch.start + n - 1) == ch.inserted:
        lo, hi = c_position(t, ch.start + n - 1), c_position(t, ch.start)
        return f"{prefix}{lo if n == 1 else f'{lo}_{hi}'}dup"
    left, right = c_position(t, ch.start - 1), c_position(t, ch.start)
    if minus:
        return f"{prefix}{right}_{left}ins{revcomp(ch.inserted)}"
    return f"{prefix}{left}_{right}ins{ch.inserted}"


def variant_effect(
    t: Transcript, pos: int, ref: str, alt: str, window: str, offset: int, mrna: str
) -> Effect:
    """Effect of VCF allele ``ref>alt`` at ``pos`` on ``t``.

    ``window`` is genomic sequence starting at 1-based ``offset`` covering the variant with
    room for indel shifting; ``mrna`` is the spliced transcript, 5' -> 3'.
    """
    ch = shift(minimal_change(pos, ref, alt), window, offset, right=t.strand != "-")
    touched = list(range(ch.start, ch.end + 1)) if ch.deleted else [ch.start - 1, ch.start]
    prefix = "c." if t.coding else "n."
    hgvsc = _hgvsc(t, ch, prefix, window, offset)
    terms = _region_terms(t, list(range(ch.start, ch.end + 1)) if ch.deleted else [])
    ms = [t.mrna_index(g) for g in touched]
    if ch.deleted:
        exonic = [m for m in ms if m is not None]
    else:  # an insertion is exonic only between two adjacent mRNA bases
        known = [m for m in ms if m is not None]
        exonic = known if len(known) == 2 and abs(known[0] - known[1]) == 1 else []
        if not exonic:
            terms |= _region_terms(t, [g for g, m in zip(touched, ms, strict=True) if m is None])
    hgvsp = ""
    if exonic and len(exonic) == len(ms):
        if not t.coding:
            terms.add("non_coding_transcript_exon_variant")
        else:
            hgvsp = _coding_effect(t, ch, min(exonic), max(exonic), mrna, terms)
    elif exonic:
        terms.add("splice_region_variant")
    if not terms:
        terms.add("intron_variant")
    consequence = next(s for s in SEVERITY if s in terms)
    return Effect(consequence, hgvsc, hgvsp)


def _coding_effect(t: Transcript, ch: Change, m_lo: int, m_hi: int, mrna: str, terms: set) -> str:
    """Add the coding/UTR term to ``terms``; return HGVS p. when the CDS changes.

    A deletion removes mRNA [m_lo, m_hi]; an insertion goes between m_lo and m_hi = m_lo + 1.
    """
    a, b = t.cds_bounds()
    ins = revcomp(ch.inserted) if t.strand == "-" else ch.inserted
    if not ch.deleted:
        q = m_lo  # insert after mRNA base q
        if q < a:
            terms.add("5_prime_UTR_variant")
            return ""
        if q >= b:
            terms.add("3_prime_UTR_variant")
            return ""
        m_lo, m_hi = q + 1, q
    elif m_hi < a:
        terms.add("5_prime_UTR_variant")
        return ""
    elif m_lo > b:
        terms.add("3_prime_UTR_variant")
        return ""
    elif m_lo < a or m_hi > b:
        terms.add("start_lost" if m_lo < a else "stop_lost")
        return ""
    alt_mrna = mrna[: m_lo - 1] + ins + mrna[m_hi:]
    ref_prot = translate(mrna[a - 1 : b])
    delta = len(ins) - (m_hi - m_lo + 1)
    # A CDS without its stop (truncated 3' end) is compared over its own length only: past
    # its end the sequence is not known to be coding.
    alt_prot = translate(alt_mrna[a - 1 : None if ref_prot.endswith("*") else b + delta])
    codon = (m_lo - a) // 3 + 1
    term, hgvsp = protein_change(ref_prot, alt_prot, delta % 3 != 0, codon)
    terms.add(term)
    return hgvsp
