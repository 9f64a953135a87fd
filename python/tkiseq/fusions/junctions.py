"""Readers for STAR's junction outputs: Chimeric.out.junction, SJ.out.tab and Log.final.out.

Only STAR's multimapping chimeric format (``--chimOutJunctionFormat 1`` with
``--chimMultimapNmax`` > 0) is accepted: it has a header, the number of alignments per read
(which exposes homologous partners) and the mapped-read total needed for FFPM. The older
14-column format lacks all three, so it is rejected with a message naming the option.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.errors import InputError
from tkiseq.genome.gtf import open_text

CHIMERIC_HEADER = (
    "chr_donorA",
    "brkpt_donorA",
    "strand_donorA",
    "chr_acceptorB",
    "brkpt_acceptorB",
    "strand_acceptorB",
    "junction_type",
    "repeat_left_lenA",
    "repeat_right_lenB",
    "read_name",
    "start_alnA",
    "cigar_alnA",
    "start_alnB",
    "cigar_alnB",
    "num_chim_aln",
    "max_poss_aln_score",
    "non_chim_aln_score",
    "this_chim_aln_score",
    "bestall_chim_aln_score",
)
_USE = {
    "chr_donorA": "chr_a",
    "brkpt_donorA": "pos_a",
    "strand_donorA": "str_a",
    "chr_acceptorB": "chr_b",
    "brkpt_acceptorB": "pos_b",
    "strand_acceptorB": "str_b",
    "junction_type": "jtype",
    "repeat_left_lenA": "rep_l",
    "repeat_right_lenB": "rep_r",
    "read_name": "read",
    "cigar_alnA": "cigar_a",
    "cigar_alnB": "cigar_b",
    "num_chim_aln": "n_aln",
}
_FORMAT_HINT = (
    "expected STAR's multimapping chimeric format: run STAR with --chimOutJunctionFormat 1 "
    "and --chimMultimapNmax > 0 (tkiseq align does)"
)
SJ_COLUMNS = (
    "chrom",
    "start",
    "end",
    "strand",
    "motif",
    "annotated",
    "unique",
    "multi",
    "overhang",
)
_NREADS = re.compile(r"#\s*Nreads\s+(\d+)\s+NreadsUnique\s+(\d+)\s+NreadsMulti\s+(\d+)")
_CIGAR_OP = re.compile(r"(-?\d+)([MIDNSHPp=X])")


def read_chimeric(path: Path) -> tuple[pd.DataFrame, int | None]:
    """Chimeric alignments (one row per alignment) and the mapped-read total of its footer.

    An empty file, or one with only the header, is a valid sample without chimeras.
    """
    path = Path(path)
    with open_text(path) as fh:
        first = fh.readline()
    if not first.strip():
        return pd.DataFrame(columns=[*_USE.values(), "anchor"]), None
    header = first.rstrip("\n").split("\t")
    if header[0] != "chr_donorA" or tuple(header[: len(CHIMERIC_HEADER)]) != CHIMERIC_HEADER:
        n = len(header)
        raise InputError(
            path,
            f"no Chimeric.out.junction header (first line has {n} fields, starts {header[0]!r})",
            line=1,
            hint=_FORMAT_HINT,
        )
    try:
        table = pd.read_csv(
            path,
            sep="\t",
            header=0,
            usecols=list(_USE),
            dtype={"chr_donorA": str, "chr_acceptorB": str, "read_name": str},
            na_filter=False,
            engine="c",
            low_memory=False,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(path, f"unreadable chimeric junctions ({exc})", hint=_FORMAT_HINT) from exc
    table = table.rename(columns=_USE)
    comments = table["chr_a"].str.startswith("#")
    footer = table.loc[comments, ["chr_a", "pos_a", "str_a"]].astype(str)
    mapped = _footer_mapped(footer.agg("\t".join, axis=1))
    table = table.loc[~comments].reset_index(drop=True)
    for col in ("pos_a", "pos_b", "jtype", "rep_l", "rep_r", "n_aln"):
        values = pd.to_numeric(table[col], errors="coerce")
        if values.isna().any():
            bad = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InputError(
                path,
                f"found {table[col].iloc[bad]!r} where a number was expected",
                line=bad + 2,
                column=col,
                hint=_FORMAT_HINT,
            )
        table[col] = values.astype(np.int64)
    table["anchor"] = _anchors(table)
    return table.drop(columns=["cigar_a", "cigar_b"]), mapped


def _footer_mapped(lines: pd.Series) -> int | None:
    for line in lines:
        m = _NREADS.search(line)
        if m:
            return int(m.group(2)) + int(m.group(3))
    return None


def _mate_lengths(cigar: str) -> list[int]:
    """Aligned bases of each mate in a chimeric CIGAR; mates are separated by a ``p`` gap."""
    mates, cur = [], 0
    for n, op in _CIGAR_OP.findall(cigar):
        if op == "p":
            mates.append(cur)
            cur = 0
        elif op in "M=X":
            cur += int(n)
    mates.append(cur)
    return mates


def _anchors(table: pd.DataFrame) -> np.ndarray:
    """Shorter of the two aligned pieces next to the junction, per split read (0: spanning).

    The piece next to the junction is the last mate of segment A when A is on '+' (the
    junction is at its right end) and the first mate otherwise; the reverse for segment B.
    """
    out = np.zeros(len(table), dtype=np.int64)
    split = np.flatnonzero(table["jtype"].to_numpy() >= 0)
    ca, cb = table["cigar_a"].to_numpy(), table["cigar_b"].to_numpy()
    sa, sb = table["str_a"].to_numpy(), table["str_b"].to_numpy()
    cache: dict[str, list[int]] = {}
    for i in split:
        ma = cache.get(ca[i]) or cache.setdefault(ca[i], _mate_lengths(ca[i]))
        mb = cache.get(cb[i]) or cache.setdefault(cb[i], _mate_lengths(cb[i]))
        a = ma[-1] if sa[i] == "+" else ma[0]
        b = mb[0] if sb[i] == "+" else mb[-1]
        out[i] = min(a, b)
    return out


def read_sj(path: Path) -> pd.DataFrame:
    """STAR's SJ.out.tab: chrom, intron start/end (1-based), strand 0/1/2, reads, overhang."""
    path = Path(path)
    with open_text(path) as fh:
        first = fh.readline()
    if not first.strip():
        return pd.DataFrame(columns=list(SJ_COLUMNS))
    if len(first.rstrip("\n").split("\t")) != len(SJ_COLUMNS):
        raise InputError(
            path,
            f"found {len(first.split(chr(9)))} tab-separated fields; expected 9 (STAR SJ.out.tab)",
            line=1,
        )
    try:
        table = pd.read_csv(
            path, sep="\t", header=None, names=list(SJ_COLUMNS), dtype={"chrom": str}
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(path, f"unreadable SJ.out.tab ({exc})") from exc
    for col in SJ_COLUMNS[1:]:
        if not pd.api.types.is_integer_dtype(table[col]):
            raise InputError(path, "non-integer value", column=col, hint="is this SJ.out.tab?")
    return table


def read_mapped_total(path: Path) -> int:
    """Uniquely + multi-mapped reads (read pairs for paired-end) from STAR's Log.final.out."""
    path = Path(path)
    counts: dict[str, int] = {}
    with open_text(path) as fh:
        for line in fh:
            key, _, value = line.partition("|")
            counts[key.strip()] = int(value.strip()) if value.strip().isdigit() else -1
    keys = ("Uniquely mapped reads number", "Number of reads mapped to multiple loci")
    if any(counts.get(k, -1) < 0 for k in keys):
        raise InputError(path, f"no '{keys[0]}' line", hint="is this STAR's Log.final.out?")
    return sum(counts[k] for k in keys)
