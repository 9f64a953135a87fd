"""VCF checks and plumbing shared by call, filter and annotate.

Bad VCFs are caught before any work so the error names the file and what to do next; outputs
are bgzipped + tabix-indexed under temporary names and renamed only when both are complete.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pysam
import pysam.bcftools

from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError, ToolError

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def check_complete(path: Path) -> None:
    """A missing file, or a gzip file without the BGZF end marker (truncated), is an error."""
    if not path.exists():
        raise InputError(path, "file not found")
    if path.suffix != ".gz":
        return
    with path.open("rb") as fh:
        magic = fh.read(2)
        fh.seek(max(0, path.stat().st_size - len(_BGZF_EOF)))
        tail = fh.read()
    if magic != b"\x1f\x8b":
        raise InputError(path, "not gzip-compressed although named .gz")
    if tail != _BGZF_EOF:
        raise InputError(
            path,
            "truncated or not bgzip-compressed (no BGZF end-of-file marker)",
            hint="re-create it with bgzip, e.g. `bcftools view -Oz -o out.vcf.gz in.vcf`",
        )


def check_indexed(path: Path) -> None:
    """A bgzipped VCF must have a .tbi or .csi index beside it (streaming needs it)."""
    if path.suffix == ".gz" and not any(Path(f"{path}{ext}").exists() for ext in (".tbi", ".csi")):
        raise InputError(
            path, "no index (.tbi or .csi) found beside it", hint=f"run `tabix -p vcf {path}`"
        )


def open_vcf(path: Path) -> pysam.VariantFile:
    """Open a VCF/BCF for reading; unreadable headers become InputError."""
    check_complete(path)
    try:
        return pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"not a readable VCF ({exc})") from exc


def check_single_sample(path: Path, vf: pysam.VariantFile) -> str:
    """The per-sample stages take one sample per VCF; return its name."""
    samples = list(vf.header.samples)
    if len(samples) != 1:
        raise InputError(
            path,
            f"found {len(samples)} samples ({', '.join(samples[:4]) or 'none'}); expected 1",
            hint="split it first, e.g. `bcftools view -s SAMPLE`",
        )
    return samples[0]


def has_format(vf: pysam.VariantFile, key: str) -> bool:
    return key in vf.header.formats


def vcf_contigs(path: Path, vf: pysam.VariantFile) -> list[str]:
    """Contigs declared in the header, else those in the index, else those in the records."""
    names = [str(c) for c in vf.header.contigs]
    if names:
        return names
    with contextlib.suppress(OSError, ValueError):
        names = [str(c) for c in vf.index] if vf.index is not None else []
    if names:
        return names
    seen: dict[str, None] = {}
    for rec in pysam.VariantFile(str(path)):
        seen.setdefault(rec.chrom, None)
    return list(seen)


def bcftools(*args: str, path: Path | None = None) -> None:
    """Run a bcftools subcommand; failures about ``path`` are InputError, others ToolError."""
    try:
        pysam.bcftools.__getattribute__(args[0])(*args[1:], catch_stdout=False)
    except pysam.utils.SamtoolsError as exc:
        lines = [x for x in str(exc).splitlines() if x.strip()]
        detail = lines[-1][:300] if lines else str(exc)[:300]
        if path is not None:
            raise InputError(path, f"bcftools {args[0]} failed: {detail}") from exc
        raise ToolError(f"bcftools {args[0]} failed: {detail}") from exc


@contextlib.contextmanager
def indexed_vcf_output(dest: Path) -> Iterator[Path]:
    """Yield a temporary ``.vcf.gz`` path to write (bgzipped); index it, then move both.

    The data file is renamed first and its index last, so a file with a current index is
    always complete.
    """
    index = Path(f"{dest}.tbi")
    with atomic_path(dest) as tmp:
        yield tmp
        try:
            pysam.tabix_index(str(tmp), preset="vcf", force=True, keep_original=True)
        except (OSError, ValueError) as exc:
            Path(f"{tmp}.tbi").unlink(missing_ok=True)
            raise InputError(dest, f"records cannot be indexed ({exc})", hint="sort them") from exc
        index.unlink(missing_ok=True)
        tmp_index = Path(f"{tmp}.tbi")
    try:
        os.replace(tmp_index, index)
    except BaseException:
        tmp_index.unlink(missing_ok=True)
        raise
