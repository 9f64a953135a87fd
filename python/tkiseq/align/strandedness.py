"""Library strandedness from STAR's ReadsPerGene columns.

STAR counts each gene three ways: ignoring strand, read 1 on the gene's strand (forward,
htseq-count ``-s yes``) and read 1 on the opposite strand (reverse, dUTP/TruSeq stranded).
The share of forward among stranded counts tells the protocol, as RSeQC and Salmon do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from tkiseq.errors import InputError

STRANDED_SHARE = 0.8  # forward share >= 0.8: forward; <= 0.2: reverse (nf-core/rnaseq's 0.8)
UNSTRANDED_MARGIN = 0.1  # forward share within 0.5 +- 0.1: unstranded
MIN_READS = 1000  # fewer gene-assigned reads than this cannot tell the protocol
COLUMN = {"unstranded": "unstranded", "forward": "forward", "reverse": "reverse"}


@dataclass(frozen=True)
class Strandedness:
    """What was declared, what the reads say, and what was used for counting."""

    sample: str
    declared: str
    inferred: str
    used: str
    forward_share: float | None
    forward_reads: int
    reverse_reads: int
    warning: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def read_reads_per_gene(path: Path) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Parse ``ReadsPerGene.out.tab``: per-gene counts and the four ``N_*`` summary rows."""
    summary: dict[str, list[int]] = {}
    rows: list[tuple[str, int, int, int]] = []
    with path.open() as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 4:
                raise InputError(
                    path,
                    f"found {len(fields)} fields; expected 4 (STAR --quantMode GeneCounts)",
                    line=lineno,
                )
            try:
                counts = [int(x) for x in fields[1:]]
            except ValueError:
                raise InputError(
                    path, f"found {fields[1:]!r}; expected integer counts", line=lineno
                ) from None
            if fields[0].startswith("N_"):
                summary[fields[0]] = counts
            else:
                rows.append((fields[0], counts[0], counts[1], counts[2]))
    if not rows:
        raise InputError(path, "no gene rows", hint="was STAR run with --quantMode GeneCounts?")
    table = pd.DataFrame(rows, columns=["gene_id", "unstranded", "forward", "reverse"])
    return table.set_index("gene_id"), summary


def infer(forward: int, reverse: int) -> tuple[str, float | None]:
    """Protocol from stranded counts: forward, reverse, unstranded or undetermined."""
    total = forward + reverse
    if total < MIN_READS:
        return "undetermined", None
    share = forward / total
    if share >= STRANDED_SHARE:
        return "forward", share
    if share <= 1 - STRANDED_SHARE:
        return "reverse", share
    if abs(share - 0.5) <= UNSTRANDED_MARGIN:
        return "unstranded", share
    return "undetermined", share


def resolve(sample: str, declared: str, counts: pd.DataFrame) -> Strandedness:
    """Choose the counting column: the declared protocol, or the inferred one for ``auto``.

    An undetermined library under ``auto`` is counted unstranded (never loses reads) with a
    warning; a declared protocol that the reads contradict is kept but warned about, as
    nf-core/rnaseq does.
    """
    forward = int(counts["forward"].sum())
    reverse = int(counts["reverse"].sum())
    inferred, share = infer(forward, reverse)
    warning = ""
    if declared == "auto":
        used = inferred if inferred != "undetermined" else "unstranded"
        if inferred == "undetermined":
            warning = "strandedness could not be inferred; counted unstranded"
    else:
        used = declared
        if inferred not in ("undetermined", declared):
            warning = (
                f"declared {declared} but the reads look {inferred} (forward share"
                f" {share:.2f}); counted {declared} as declared: check the samplesheet"
            )
    return Strandedness(sample, declared, inferred, used, share, forward, reverse, warning)
