"""The reference outputs a run may reuse or be given: the STAR index and the annotation bundle.

The registry names one :class:`Prepared` per such stage (``Stage.reuse``); the local runner asks
it whether an output already in the reference folder was made from this run's FASTA and GTF
(recorded in the output's manifest), how much disk building one takes, and whether an output the
user gave (``Stage.given``) is usable. ``values`` are the run's values (``Plan.run_values``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tkiseq.align.star import INDEX_MANIFEST, IndexParams, index_bytes, index_matches
from tkiseq.errors import InputError
from tkiseq.genome.bundle import MANIFEST, read_manifest
from tkiseq.genome.bundle import matches as bundle_matches

Values = Mapping[str, object]


@dataclass(frozen=True)
class Prepared:
    """How the runner treats one reference output it may reuse, build or be given."""

    manifest: str  # the file inside the output that records what it was made from
    other: str  # what differs when it is not fresh (said in the warning)
    fresh: Callable[[Path, Values], bool]  # made from this run's inputs
    # A given output: raises InputError when unusable, returns a warning ("" for none)
    check_given: Callable[[Path, Values], str]
    needs: Callable[[Values], int | None] | None = None  # disk bytes building it takes, if known
    needs_what: str = ""  # what needs them: "... needs about {size}"
    memory: Callable[[Path], int] | None = None  # bytes a task that reads it holds in memory


def _path(values: Values, name: str) -> Path | None:
    value = values.get(name)
    return Path(str(value)) if value is not None else None


def _read_length(values: Values) -> int:
    """The index's read length: the run's tuning, else the stage's own default."""
    value = values.get("read_length")
    return int(str(value)) if value is not None else IndexParams().read_length


def _index_fresh(index: Path, values: Values) -> bool:
    fasta, gtf = _path(values, "fasta"), _path(values, "gtf")
    return (
        fasta is not None
        and gtf is not None
        and index_matches(index, fasta, gtf, _read_length(values))
    )


def _index_given(index: Path, values: Values) -> str:
    if not (index / "SA").exists():
        raise InputError(index, "not a STAR index (no SA file)", hint="omit --star-index")
    return ""


def _index_needs(values: Values) -> int | None:
    fasta = _path(values, "fasta")
    return index_bytes(fasta) if fasta is not None else None


def _index_memory(index: Path) -> int:
    """What STAR loads per alignment: the suffix arrays and the genome."""
    return sum((index / n).stat().st_size for n in ("SA", "SAindex", "Genome"))


def _bundle_fresh(bundle: Path, values: Values) -> bool:
    gtf = _path(values, "gtf")
    return gtf is not None and bundle_matches(bundle, gtf, _path(values, "fasta"))


def _bundle_given(bundle: Path, values: Values) -> str:
    """A given --annotation must be a bundle; one made from other files gets a warning."""
    read_manifest(bundle)
    if _bundle_fresh(bundle, values):
        return ""
    return f"{bundle} was prepared from another GTF or FASTA"


STAR_INDEX = Prepared(
    INDEX_MANIFEST,
    "another FASTA, GTF or read length",
    _index_fresh,
    _index_given,
    _index_needs,
    "a STAR index of this genome needs about {size}",
    _index_memory,
)
ANNOTATION = Prepared(MANIFEST, "another FASTA, GTF or bundle format", _bundle_fresh, _bundle_given)
