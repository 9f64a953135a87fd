"""One convention for where a CDS ends: the CDS rows without the stop codon, the stop codon as
``stop_codon`` rows.

GTFs disagree. GENCODE and Ensembl exclude the stop from CDS and add ``stop_codon`` rows, but
many exported GTFs drop those rows (exon and CDS rows only); RefSeq-derived GTFs and GFF
conversions often end the CDS with the stop itself. Naming a protein change needs the stop
in the model, so ``prepare`` reads the genome at each coding transcript's 3' end: a CDS that
ends in a stop codon has it split off, and a CDS followed in its exons by a stop codon has it
added. Either way every dialect gives the same model, and the same HGVS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

STOPS = frozenset({"TAA", "TAG", "TGA"})
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")

Piece = tuple[int, int, int, bool]  # start, end, phase, stop_codon (as the bundle's cds rows)
Fetch = Callable[[int, int], str]  # genomic [start, end], 1-based closed -> bases (+ strand)


def _walk(spans: list[tuple[int, int]], minus: bool, backwards: bool) -> Iterator[int]:
    """Genomic positions of sorted ``spans`` in transcription order (or its reverse)."""
    down = minus != backwards
    for a, b in sorted(spans, reverse=down):
        yield from (range(b, a - 1, -1) if down else range(a, b + 1))


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted positions as closed intervals of consecutive bases."""
    out: list[tuple[int, int]] = []
    for p in sorted(positions):
        if out and p == out[-1][1] + 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _codon(positions: list[int], minus: bool, fetch: Fetch) -> str:
    seq = "".join(fetch(a, b) for a, b in _runs(positions)).upper()
    return seq.translate(_COMP)[::-1] if minus else seq


def _first(it: Iterator[int], n: int) -> list[int]:
    return [p for _, p in zip(range(n), it, strict=False)]


def normalise_stop(
    cds: list[Piece], exons: list[tuple[int, int]], strand: str, fetch: Fetch
) -> tuple[list[Piece], str]:
    """CDS rows of one transcript in the bundle's convention (sorted), and what was done:
    ``""`` (already so, or no stop to be found: an incomplete CDS), ``split`` (the CDS ended
    in its stop codon) or ``added`` (the stop codon follows the CDS in the exons).

    The stop is looked for in frame only (from the 5' piece's phase), so a CDS whose 3' end
    is truncated (GENCODE's ``cds_end_NF``) is left alone.
    """
    if not cds or any(p[3] for p in cds) or strand not in ("+", "-"):
        return cds, ""
    minus = strand == "-"
    five = max(cds) if minus else min(cds)
    length = sum(b - a + 1 for a, b, _, _ in cds) - max(five[2], 0)
    if length % 3 or length < 3:
        return cds, ""
    spans = [(a, b) for a, b, _, _ in cds]
    last = _first(_walk(spans, minus, backwards=True), 3)
    if length >= 6 and _codon(last, minus, fetch) in STOPS:
        kept: list[Piece] = []
        for a, b, phase, _ in cds:  # the stop is the 3' end of the pieces it touches
            k = sum(a <= p <= b for p in last)
            a, b = (a + k, b) if minus else (a, b - k)
            if a <= b:
                kept.append((a, b, phase, False))
        return sorted(kept + [(a, b, 0, True) for a, b in _runs(last)]), "split"
    end = min(last) if minus else max(last)
    clipped = (
        [(a, min(b, end - 1)) for a, b in exons if a < end]
        if minus
        else [(max(a, end + 1), b) for a, b in exons if b > end]
    )
    beyond = _walk(clipped, minus, backwards=False)
    following = _first(beyond, 3)
    if len(following) == 3 and _codon(following, minus, fetch) in STOPS:
        return sorted(cds + [(a, b, 0, True) for a, b in _runs(following)]), "added"
    return cds, ""
