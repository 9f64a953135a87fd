"""DNA primitives on uint8 ASCII arrays, so whole batches of reads are handled by numpy."""

from __future__ import annotations

import numpy as np

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
COMPLEMENT = np.arange(256, dtype=np.uint8)
COMPLEMENT[np.frombuffer(b"ACGTN", dtype=np.uint8)] = np.frombuffer(b"TGCAN", dtype=np.uint8)

STOPS = ("TAA", "TAG", "TGA")
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {
    a + b + c: _AA[16 * i + 4 * j + k]
    for i, a in enumerate("TCAG")
    for j, b in enumerate("TCAG")
    for k, c in enumerate("TCAG")
}
THREE_LETTER = {
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
}


def encode(seq: str) -> np.ndarray:
    """ASCII string -> uint8 array."""
    return np.frombuffer(seq.encode(), dtype=np.uint8).copy()


def decode(arr: np.ndarray) -> str:
    """uint8 array -> ASCII string."""
    return arr.tobytes().decode()


def revcomp(arr: np.ndarray) -> np.ndarray:
    """Reverse complement along the last axis (works for one sequence or a batch of reads)."""
    return COMPLEMENT[arr[..., ::-1]]


def revcomp_str(seq: str) -> str:
    """Reverse complement of a string."""
    return decode(revcomp(encode(seq)))


def random_seq(rng: np.random.Generator, n: int, gc: float) -> np.ndarray:
    """Random sequence with the given GC content (introns ~0.41, exons ~0.5)."""
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return BASES[rng.choice(4, size=n, p=p)]


def random_codons(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random sense codons (no stop), GC ~50 %, as a flat uint8 array."""
    out = random_seq(rng, 3 * n, 0.5).reshape(n, 3)
    while True:
        bad = np.array([decode(c) in STOPS for c in out])
        if not bad.any():
            return out.reshape(-1)
        out[bad] = random_seq(rng, 3 * int(bad.sum()), 0.5).reshape(-1, 3)


def translate(seq: str, to_stop: bool = False) -> str:
    """Translate a coding sequence with the standard code; ``to_stop`` ends at the first stop."""
    protein = []
    for i in range(0, len(seq) - 2, 3):
        aa = CODON_TABLE.get(seq[i : i + 3], "X")
        protein.append(aa)
        if to_stop and aa == "*":
            break
    return "".join(protein)
