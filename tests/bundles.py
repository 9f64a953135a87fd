"""The annotation bundle of a test GTF: stages read bundles, only ``tkiseq prepare`` GTFs."""

from __future__ import annotations

from pathlib import Path

from tkiseq.genome.bundle import build_bundle


def bundle_of(gtf: Path, fasta: Path | None = None) -> Path:
    """The bundle of ``gtf`` (made beside it on first use; FASTA contig names if given)."""
    dest = Path(gtf).parent / f"{Path(gtf).name}.annotation"
    if not dest.exists():
        build_bundle(Path(gtf), fasta, dest)
    return dest
