"""The annotation bundle: the GTF parsed once (``tkiseq prepare``) into columnar Parquet tables.

A GENCODE GTF takes 8-19 s to parse, and every per-sample and cohort stage needed it; the
bundle is read in well under a second, so only ``prepare`` (and STAR's index) reads the GTF.
The format is documented in docs/annotation_bundle.md: coordinates are 1-based and closed,
as in the GTF; contig names are the GTF's, with ``contigs.tsv`` mapping them to the FASTA's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pysam

from tkiseq import __version__
from tkiseq.atomic import atomic_dir
from tkiseq.errors import InputError
from tkiseq.genome.contigs import harmonise
from tkiseq.genome.gtf import TranscriptAttributes, canonical_rank, gc_paused, iter_records
from tkiseq.genome.sources import file_identity, same_source
from tkiseq.genome.stops import Fetch, normalise_stop

log = logging.getLogger(__name__)

FORMAT = "tkiseq-annotation"
FORMAT_VERSION = 2  # 2: stop codons in one place (genome.stops), manifest "cds"
MANIFEST = "manifest.json"
TABLES = ("genes", "transcripts", "exons", "cds", "introns")
_FEATURES = frozenset({"gene", "transcript", "exon", "CDS", "stop_codon"})
_NO_PHASE = -1  # the GTF's "." frame


@dataclass
class _Tx:
    gene: str
    name: str
    kind: str
    chrom: str
    strand: str
    tags: frozenset[str]
    refseq: str


@gc_paused()
def _parse(gtf: Path) -> tuple[dict[str, list], dict[str, _Tx], dict, dict, bool]:
    """One pass over the GTF: genes (gene row, else the span of the exon rows), transcripts
    (first row's attributes), exon and CDS/stop_codon rows per transcript."""
    genes: dict[str, list] = {}  # id -> [name, type, chrom, start, end, strand, has gene row]
    txs: dict[str, _Tx] = {}
    exons: dict[str, list[tuple[int, int]]] = {}
    cds: dict[str, list[tuple[int, int, int, bool]]] = {}
    named = False
    attributes = TranscriptAttributes()
    for lineno, f in iter_records(gtf, _FEATURES):
        attrs, tags = attributes(f[8])
        feature = f[2]
        gene_id = attrs.get("gene_id")
        if gene_id is None:
            raise InputError(gtf, "no gene_id attribute", line=lineno, column="9 (attributes)")
        named = named or "gene_name" in attrs
        start, end = int(f[3]), int(f[4])
        gene = genes.get(gene_id)
        if gene is None:
            gene = genes[gene_id] = [
                attrs.get("gene_name", gene_id),
                attrs.get("gene_type", attrs.get("gene_biotype", "")),
                f[0],
                start,
                end,
                f[6],
                feature == "gene",
                feature in ("gene", "exon"),
            ]
        elif feature == "gene" and not gene[6]:
            gene[2:8] = [f[0], start, end, f[6], True, True]
        elif feature == "exon" and not gene[6]:
            if gene[7]:
                gene[3], gene[4] = min(gene[3], start), max(gene[4], end)
            else:  # spans so far came from transcript or CDS rows
                gene[2:8] = [f[0], start, end, f[6], False, True]
        if feature == "gene":
            continue
        tx_id = attrs.get("transcript_id")
        if not tx_id:
            raise InputError(
                gtf, "no transcript_id attribute", line=lineno, column="9 (attributes)"
            )
        if tx_id not in txs:
            name = attrs.get("transcript_name", tx_id)
            refseq = next(
                (v for v in (tx_id, name, attrs.get("refseq", "")) if v.startswith("NM_")), ""
            )
            txs[tx_id] = _Tx(
                gene_id,
                name,
                attrs.get("transcript_type", attrs.get("transcript_biotype", "")),
                f[0],
                f[6],
                tags,
                refseq,
            )
        if feature == "exon":
            exons.setdefault(tx_id, []).append((start, end))
        elif feature in ("CDS", "stop_codon"):
            phase = int(f[7]) if f[7] in ("0", "1", "2") else _NO_PHASE
            cds.setdefault(tx_id, []).append((start, end, phase, feature == "stop_codon"))
    return genes, txs, exons, cds, named


class Genome:
    """The FASTA ``prepare`` reads the stop codons from, addressed by the GTF's contig names."""

    def __init__(self, fasta: Path) -> None:
        try:
            self._fa = pysam.FastaFile(str(fasta))
        except (OSError, ValueError) as exc:
            raise InputError(fasta, f"not a readable FASTA ({exc})") from None
        self.names = list(self._fa.references)
        self._map: dict[str, str] = {}

    def fetcher(self, contig: str) -> Fetch | None:
        """``fetch(start, end)`` on ``contig`` (None when the FASTA has no such contig)."""
        if contig not in self._map:
            self._map[contig] = harmonise([contig], self.names).get(contig, "")
        name = self._map[contig]
        if not name:
            return None
        return lambda a, b: self._fa.fetch(name, a - 1, b)

    def close(self) -> None:
        self._fa.close()


def check_contigs(
    gtf: Path, fasta: Path, names: list[str], contigs: list[str], mapping: dict[str, str]
) -> None:
    """No GTF contig in the FASTA is an error (another build, or another organism); some
    missing is a warning naming them (their genes get no sequence: no variants, no HGVS)."""
    missing = [c for c in contigs if c not in mapping]
    if len(missing) == len(contigs):
        raise InputError(
            gtf,
            f"no contig is in {fasta} (GTF has e.g. {', '.join(contigs[:3])}; "
            f"the FASTA has e.g. {', '.join(names[:3]) or 'none'})",
            hint="use a GTF and FASTA of the same genome build",
        )
    if missing:
        log.warning(
            "%s: %d of %d contigs are not in %s (e.g. %s): their genes have no sequence",
            gtf,
            len(missing),
            len(contigs),
            fasta,
            ", ".join(missing[:3]),
        )


def merge_intervals(pieces: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of 1-based inclusive intervals; touching intervals join."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(pieces):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _tables(gtf: Path, genome: Genome | None) -> tuple[dict[str, pa.Table], bool, dict[str, int]]:
    genes, txs, exons, cds, named = _parse(gtf)
    kept = {gid: g for gid, g in genes.items() if g[7]}  # a gene row or exon rows
    if not kept:
        raise InputError(gtf, "no gene or exon rows", hint="is this a GTF file?")
    tx_ids = [t for t in txs if t in exons and txs[t].gene in kept]
    ex_rows: list[tuple[int, int, int, int]] = []
    cds_rows: list[tuple[int, int, int, int, bool]] = []
    intron_rows: list[tuple[int, int, int]] = []
    tx_start, tx_end = [], []
    stops = {"": 0, "split": 0, "added": 0}
    for i, tid in enumerate(tx_ids):
        spans = sorted(exons[tid])
        n = len(spans)
        minus = txs[tid].strand == "-"
        ex_rows += [(i, n - k if minus else k + 1, a, b) for k, (a, b) in enumerate(spans)]
        merged = merge_intervals(spans)
        intron_rows += [(i, b + 1, c - 1) for (_, b), (c, _) in pairwise(merged)]
        pieces = sorted(cds.get(tid, ()))
        if pieces and genome is not None and (fetch := genome.fetcher(txs[tid].chrom)):
            pieces, done = normalise_stop(pieces, merged, txs[tid].strand, fetch)
            stops[done] += 1
        cds_rows += [(i, *row) for row in pieces]
        tx_start.append(spans[0][0])
        tx_end.append(max(b for _, b in spans))
    g = list(kept.values())
    t = [txs[tid] for tid in tx_ids]
    i32, i64 = pa.int32(), pa.int64()
    tables = {
        "genes": pa.table(
            {
                "gene_id": list(kept),
                "gene_name": [r[0] for r in g],
                "gene_type": [r[1] for r in g],
                "chrom": [r[2] for r in g],
                "start": pa.array([r[3] for r in g], i64),
                "end": pa.array([r[4] for r in g], i64),
                "strand": [r[5] for r in g],
            }
        ),
        "transcripts": pa.table(
            {
                "transcript_id": tx_ids,
                "transcript_name": [x.name for x in t],
                "gene_id": [x.gene for x in t],
                "transcript_type": [x.kind for x in t],
                "chrom": [x.chrom for x in t],
                "start": pa.array(tx_start, i64),
                "end": pa.array(tx_end, i64),
                "strand": [x.strand for x in t],
                "tags": [",".join(sorted(x.tags)) for x in t],
                "canonical_rank": pa.array([canonical_rank(x.tags) for x in t], pa.int8()),
                "refseq": [x.refseq for x in t],
            }
        ),
        "exons": _columns(
            ex_rows, ("transcript", "exon_number", "start", "end"), (i32, i32, i64, i64)
        ),
        "cds": _columns(
            cds_rows,
            ("transcript", "start", "end", "phase", "stop_codon"),
            (i32, i64, i64, pa.int8(), pa.bool_()),
        ),
        "introns": _columns(intron_rows, ("transcript", "start", "end"), (i32, i64, i64)),
    }
    for name in ("genes", "transcripts"):
        tables[name] = tables[name].cast(
            pa.schema(
                [
                    pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
                    if f.name in ("gene_type", "chrom", "strand", "transcript_type", "tags")
                    else f
                    for f in tables[name].schema
                ]
            )
        )
    coding = sum(bool(cds.get(t)) for t in tx_ids)
    return (
        tables,
        named,
        {
            "coding_transcripts": coding,
            "stop_codons_split_from_cds": stops["split"],
            "stop_codons_added": stops["added"],
        },
    )


def _columns(rows: list[tuple], names: tuple[str, ...], types: tuple[pa.DataType, ...]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, cols, types, strict=True)})


def build_bundle(gtf: Path, fasta: Path | None, dest: Path) -> Path:
    """Parse ``gtf`` once and write the bundle folder ``dest`` atomically (it replaces an
    earlier bundle there). ``fasta`` names the contigs ``contigs.tsv`` maps onto."""
    gtf = Path(gtf)
    if not gtf.is_file():
        raise InputError(gtf, "file not found (given as --gtf)")
    genome = Genome(fasta) if fasta is not None else None
    try:
        tables, named, cds_summary = _tables(gtf, genome)
    finally:
        if genome is not None:
            genome.close()
    contigs = list(dict.fromkeys(tables["genes"].column("chrom").to_pylist()))
    mapping = harmonise(contigs, genome.names if genome is not None else [])
    if genome is not None and fasta is not None:
        check_contigs(gtf, fasta, genome.names, contigs, mapping)
    if not cds_summary["coding_transcripts"]:
        log.warning(
            "%s: no CDS rows, so no protein can be built: variants get no protein (p.) change "
            "and fusions no reading frame",
            gtf,
        )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tkiseq_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "coordinates": "1-based, closed (as in the GTF)",
        "gtf": file_identity(gtf),
        "fasta": file_identity(fasta) if fasta is not None else None,
        "gene_names": named,
        "cds": cds_summary,
        "rows": {name: tables[name].num_rows for name in TABLES},
    }
    with atomic_dir(dest) as tmp:
        for name in TABLES:
            pq.write_table(tables[name], tmp / f"{name}.parquet", compression="zstd")
        lines = ["gtf_contig\tfasta_contig\n"] + [f"{c}\t{mapping.get(c, '')}\n" for c in contigs]
        (tmp / "contigs.tsv").write_text("".join(lines))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Path(dest)


def read_manifest(bundle: Path) -> dict:
    """The bundle's manifest; another format (version) or no bundle is a one-line InputError."""
    path = Path(bundle) / MANIFEST
    if not path.is_file():
        raise InputError(
            bundle,
            f"not an annotation bundle (no {MANIFEST})",
            hint="make one with 'tkiseq prepare --gtf G --fasta F --outdir D'",
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"unreadable ({exc})", hint="rerun tkiseq prepare") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(
            bundle,
            f"annotation bundle format {manifest.get('format')} version "
            f"{manifest.get('format_version')}; expected {FORMAT} version {FORMAT_VERSION}",
            hint="rerun tkiseq prepare with this tkiseq",
        )
    return manifest


class Bundle:
    """An annotation bundle opened for reading: each table is read when first used."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def table(self, name: str) -> pd.DataFrame:
        file = self.path / f"{name}.parquet"
        try:
            return pq.read_table(file).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise InputError(file, f"unreadable ({exc})", hint="rerun tkiseq prepare") from None

    @cached_property
    def genes(self) -> pd.DataFrame:
        return self.table("genes")

    @cached_property
    def transcripts(self) -> pd.DataFrame:
        return self.table("transcripts")

    @cached_property
    def exons(self) -> pd.DataFrame:
        return self.table("exons")

    @cached_property
    def cds(self) -> pd.DataFrame:
        return self.table("cds")

    @cached_property
    def introns(self) -> pd.DataFrame:
        return self.table("introns")

    def contigs(self) -> list[str]:
        """The GTF's contig names, in the GTF's order."""
        return list(self.contig_map())

    def contig_map(self) -> dict[str, str]:
        """GTF contig -> FASTA contig ('' when the FASTA has none of that name)."""
        rows = (self.path / "contigs.tsv").read_text().splitlines()[1:]
        return dict(tuple(r.split("\t")) for r in rows)  # type: ignore[misc]

    def require_gene_names(self) -> None:
        """Fusions are named, and matched to the known-fusion catalogue, by gene symbol."""
        if not self.manifest.get("gene_names"):
            raise InputError(
                f"{self.path} (from {self.manifest['gtf']['path']})",
                "no gene_name attribute in any row of the GTF",
                hint="fusions are named by gene symbol; use a GENCODE or Ensembl GTF",
            )


def open_bundle(path: Path | Bundle) -> Bundle:
    return path if isinstance(path, Bundle) else Bundle(path)


def read_genes(bundle: Path | Bundle) -> pd.DataFrame:
    """One row per gene, as ``genome.gtf.read_genes`` gives it: gene_id (index), gene_name,
    gene_type, chrom, start, end, strand (plain string columns)."""
    genes = open_bundle(bundle).genes
    table = genes.set_index("gene_id")
    for col in ("gene_type", "chrom", "strand"):
        table[col] = table[col].astype(object)
    return table


def segments(starts: np.ndarray, n: int) -> np.ndarray:
    """Row offsets of each of ``n`` groups in a table sorted by group (``starts`` = group id
    per row): group ``i`` is rows ``offsets[i]:offsets[i + 1]``."""
    return np.searchsorted(starts, np.arange(n + 1), side="left")


BUNDLE_DIR = "annotation"  # below the reference folder (tkiseq prepare --outdir)


def prepare(gtf: Path, fasta: Path | None, outdir: Path) -> Path:
    """``tkiseq prepare``: write ``outdir/annotation``; a folder there that is not a bundle is
    refused rather than replaced (it may hold the user's own files)."""
    dest = Path(outdir) / BUNDLE_DIR
    if dest.exists() and not (dest / MANIFEST).is_file():
        raise InputError(
            dest,
            "exists and is not a tkiseq annotation bundle; not replaced",
            hint="choose another --outdir (or --reference-dir) or remove it yourself",
        )
    if fasta is not None and not Path(fasta).is_file():  # None: a run from a count matrix
        raise InputError(fasta, "file not found (given as --fasta)")
    return build_bundle(gtf, fasta, dest)


def matches(bundle: Path, gtf: Path, fasta: Path | None) -> bool:
    """Whether ``bundle`` is a bundle of this format made from these GTF and FASTA files."""
    try:
        manifest = read_manifest(bundle)
    except InputError:
        return False
    if fasta is None:
        return same_source(manifest.get("gtf"), gtf) and manifest.get("fasta") is None
    return same_source(manifest.get("gtf"), gtf) and same_source(manifest.get("fasta"), fasta)
