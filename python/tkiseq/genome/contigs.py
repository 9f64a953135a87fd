"""Contig names differ between sources (``chr1`` in GENCODE, ``1`` in Ensembl and NCBI dbSNP,
``chrM`` vs ``MT``). Detect the convention of each file and map one onto the other, or say
which files disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from tkiseq.errors import InputError

_MITO = {"chrM", "chrMT", "M", "MT"}


def _strip(name: str) -> str:
    if name in _MITO:
        return "MT"
    return name[3:] if name.startswith("chr") else name


def harmonise(source: Iterable[str], target: Iterable[str]) -> dict[str, str]:
    """Map each ``source`` contig onto the ``target`` naming; contigs absent there are dropped.

    Exact names win; otherwise names are compared without the ``chr`` prefix and with the
    mitochondrion as ``MT``.
    """
    target = list(target)
    exact = set(target)
    by_core = {_strip(t): t for t in target}
    mapping: dict[str, str] = {}
    for name in source:
        if name in exact:
            mapping[name] = name
        elif _strip(name) in by_core:
            mapping[name] = by_core[_strip(name)]
    return mapping


def require_shared(
    source_name: str, source: Iterable[str], target_name: str, target: Iterable[str]
) -> dict[str, str]:
    """Like :func:`harmonise`, but no shared contig at all is an error naming both files."""
    source = list(source)
    target = list(target)
    mapping = harmonise(source, target)
    if not mapping:
        raise InputError(
            source_name,
            f"no contig name matches {target_name} (found e.g. {', '.join(source[:3])}; "
            f"{target_name} has e.g. {', '.join(target[:3])})",
            hint="use files of the same genome build",
        )
    return mapping
