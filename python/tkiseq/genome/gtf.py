"""Reading GTFs (GENCODE or Ensembl style, plain or gzipped): records, attributes, tags.

Only ``tkiseq prepare`` (genome.bundle) and the STAR index read the GTF; the parts they share
live here: validated records (errors name the line and column so a broken annotation is fixed
at its source), attributes parsed once per transcript and the reference-transcript tags.
"""

from __future__ import annotations

import gc
import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tkiseq.errors import InputError

GTF_COLUMNS = ("seqname", "source", "feature", "start", "end", "score", "strand", "frame", "attr")
_ATTR = re.compile(r'(\S+)\s+"([^"]*)"')
_TAG = re.compile(r'tag\s+"([^"]*)"')
# Tags that name a gene's reference transcript, strongest first (GENCODE / Ensembl).
CANONICAL_TAGS = ("MANE_Select", "Ensembl_canonical", "canonical")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a GTF's millions of small objects are built.

    None of them is garbage yet, but each collection walks them all again; on a GENCODE GTF
    that is ~40 % of the reading time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_text(path: Path) -> IO[str]:
    """Open a plain or gzipped text file; a missing file is an InputError."""
    if not path.exists():
        raise InputError(path, "file not found")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def parse_attributes(text: str) -> dict[str, str]:
    """``gene_id "X"; gene_name "Y";`` -> dict (the first value wins for repeated keys)."""
    attrs: dict[str, str] = {}
    for key, value in _ATTR.findall(text):
        attrs.setdefault(key, value)
    return attrs


def parse_tags(text: str) -> frozenset[str]:
    """All values of the repeatable ``tag`` attribute (``parse_attributes`` keeps one)."""
    return frozenset(_TAG.findall(text)) if "tag" in text else frozenset()


class TranscriptAttributes:
    """Attributes and tags of a row, parsed once per run of rows of the same transcript.

    A GENCODE GTF repeats each transcript's ~15 attributes on every exon, CDS and UTR row
    (3 million rows), and writes a transcript's rows together; parsing them once per
    transcript roughly halves the time to read it. Only transcript- and gene-level
    attributes are valid in the result: ``exon_number`` and ``exon_id`` are those of the
    transcript's first row.
    """

    def __init__(self) -> None:
        self._key = ""
        self._value: tuple[dict[str, str], frozenset[str]] = ({}, frozenset())

    def __call__(self, text: str) -> tuple[dict[str, str], frozenset[str]]:
        i = text.find('transcript_id "')
        if i < 0:
            return parse_attributes(text), parse_tags(text)
        key = text[i + 15 : text.find('"', i + 15)]
        if key != self._key:
            self._key, self._value = key, (parse_attributes(text), parse_tags(text))
        return self._value


def canonical_rank(tags: frozenset[str]) -> int:
    """Higher for a stronger reference-transcript tag (MANE Select first); 0 for none."""
    return max(
        (len(CANONICAL_TAGS) - i for i, t in enumerate(CANONICAL_TAGS) if t in tags), default=0
    )


def iter_records(path: Path, features: frozenset[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for rows whose feature is in ``features``."""
    with open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 9:
                    raise InputError(
                        path,
                        f"found {len(fields)} tab-separated fields; expected 9 (GTF)",
                        line=lineno,
                    )
                if fields[2] not in features:
                    continue
                for col, name in ((4, "start"), (5, "end")):
                    if not fields[col - 1].isdigit():
                        raise InputError(
                            path,
                            f"found {fields[col - 1]!r}; expected a positive integer",
                            line=lineno,
                            column=f"{col} ({name})",
                        )
                if fields[6] not in ("+", "-", "."):
                    raise InputError(
                        path,
                        f"found {fields[6]!r}; expected '+', '-' or '.'",
                        line=lineno,
                        column="7 (strand)",
                    )
                yield lineno, fields
        except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
            raise InputError(path, f"unreadable ({exc})", hint="is the file complete?") from exc
