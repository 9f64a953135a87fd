"""The simulator's GTF in the shapes real annotations come in, through ``prepare``: the same
models, and the planted variants named as the simulator's truth names them, in each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tkiseq.genome.bundle import open_bundle, prepare
from tkiseq.simulate.catalog import gene_specs
from tkiseq.simulate.genome import build_genome, write_fasta
from tkiseq.simulate.gtf import DIALECTS, write_gtf
from tkiseq.simulate.variants import plan_variants
from tkiseq.variants.annotate import Annotator, annotate_record


@pytest.fixture(scope="module")
def dialects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("dialects")
    genome = build_genome(np.random.default_rng(1), gene_specs("tiny"), False)
    fasta = tmp / "genome.fa"
    write_fasta(genome, fasta)
    bundles = {}
    for name in DIALECTS:
        gtf = tmp / f"{name}.gtf"
        write_gtf(genome, gtf, name)
        bundles[name] = prepare(gtf, fasta, tmp / name)
    planted = plan_variants(np.random.default_rng(2), genome)
    return {"fasta": fasta, "bundles": bundles, "planted": planted, "tmp": tmp}


def test_dialects_differ_in_their_rows(dialects: dict) -> None:
    tmp: Path = dialects["tmp"]
    features = {
        name: set(pd.read_csv(tmp / f"{name}.gtf", sep="\t", comment="#", header=None)[2])
        for name in DIALECTS
    }
    assert {"gene", "transcript", "stop_codon", "start_codon", "UTR"} <= features["gencode"]
    assert features["exon-cds"] == features["refseq"] == {"exon", "CDS"}
    manifests = {n: open_bundle(b).manifest["cds"] for n, b in dialects["bundles"].items()}
    assert manifests["gencode"]["stop_codons_added"] == 0
    assert manifests["exon-cds"]["stop_codons_added"] == manifests["gencode"]["coding_transcripts"]
    assert manifests["refseq"]["stop_codons_split_from_cds"] > 0


def test_dialects_give_the_same_models(dialects: dict) -> None:
    b = {n: open_bundle(p) for n, p in dialects["bundles"].items()}
    for name in ("exon-cds", "refseq"):
        for table in ("transcripts", "exons", "cds", "introns"):
            pd.testing.assert_frame_equal(
                b[name].table(table), b["gencode"].table(table), obj=f"{name} {table}"
            )


def test_planted_variants_named_as_the_truth_in_every_dialect(dialects: dict) -> None:
    planted = dialects["planted"]
    coding = [v for v in planted.values() if v.hgvsp]
    assert len(coding) > 10
    for name, bundle in dialects["bundles"].items():
        ann = Annotator(bundle, dialects["fasta"])
        for v in coding:
            got = annotate_record(ann, v.chrom, v.pos, v.ref, v.alt)
            assert (got["consequence"], got["hgvsc"], got["hgvsp"]) == (
                v.consequence,
                v.hgvsc,
                v.hgvsp,
            ), (name, v.key)
