"""dbSNP membership by allele, streamed through the tabix index.

A call is "in dbSNP" only when chrom, pos, ref and alt all match after both are split and
trimmed to a minimal representation; an rsID at the same position with another allele is not
a match. dbSNP is never loaded whole: sorted queries are grouped into clusters of nearby
positions and each cluster is one tabix fetch, so memory depends on the cluster, not on the
size of either file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pysam

from tkiseq.errors import InputError
from tkiseq.variants.vcfio import check_complete

# Positions further apart than this are fetched separately (one fetch per isolated call);
# denser queries share a fetch so a whole-genome VCF streams dbSNP once. The size cap bounds
# the records held at once (about 1 MB), whatever the density or size of the VCF.
CLUSTER_GAP = 2_000
CLUSTER_SIZE = 1_000

Key = tuple[int, str, str]


def trim_alleles(pos: int, ref: str, alt: str) -> Key:
    """Minimal VCF representation: drop shared trailing, then leading bases (keep one)."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref.upper(), alt.upper()


def parse_line(line: str) -> Iterator[tuple[Key, str]]:
    """(allele key, rsID) for every ALT of one dbSNP VCF line."""
    f = line.split("\t", 5)
    pos = int(f[1])
    for alt in f[4].split(","):
        if alt and alt[0] != "<" and alt != "*":
            yield trim_alleles(pos, f[3], alt), f[2]


class Dbsnp:
    """Allele lookups against a bgzipped, tabix-indexed dbSNP VCF."""

    def __init__(self, path: Path) -> None:
        check_complete(path)
        if not Path(f"{path}.tbi").exists() and not Path(f"{path}.csi").exists():
            raise InputError(path, "no tabix index beside it", hint=f"run `tabix -p vcf {path}`")
        try:
            self._tabix = pysam.TabixFile(str(path))
        except (OSError, ValueError) as exc:
            raise InputError(path, f"not a readable tabix-indexed VCF ({exc})") from exc
        self.path = path
        # Contigs with records, then those the header declares: a dbSNP without records on
        # a genome (an empty one, for a genome dbSNP does not cover) still names its contigs.
        declared = [
            line.split("ID=", 1)[1].split(",")[0].rstrip(">")
            for line in self._tabix.header
            if line.startswith("##contig=<ID=")
        ]
        self.indexed = set(self._tabix.contigs)
        self.contigs = list(dict.fromkeys([*self._tabix.contigs, *declared]))

    def close(self) -> None:
        self._tabix.close()

    def _fetch(self, contig: str, start: int, end: int, wanted: set[Key]) -> dict[Key, str]:
        """rsIDs of the ``wanted`` alleles in [start, end]; other records are not kept."""
        found: dict[Key, str] = {}
        if contig not in self.indexed:
            return found
        try:
            lines = self._tabix.fetch(contig, start - 1, end)
            for line in lines:
                for key, rsid in parse_line(line):
                    if key in wanted:
                        found.setdefault(key, rsid)
        except (OSError, ValueError) as exc:
            raise InputError(self.path, f"unreadable near {contig}:{start} ({exc})") from exc
        return found

    def lookup_cluster(self, contig: str | None, keys: list[Key]) -> list[str | None]:
        """rsID (or None) for each allele key of one cluster on ``contig`` (dbSNP naming)."""
        if contig is None or not keys:
            return [None] * len(keys)
        start = min(k[0] for k in keys)
        end = max(k[0] + len(k[1]) for k in keys)
        found = self._fetch(contig, start, end, set(keys))
        return [found.get(k) for k in keys]
