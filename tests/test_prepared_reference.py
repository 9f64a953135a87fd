"""The prepared reference of ``tkiseq run`` (--reference-dir): the annotation bundle and the
STAR index are reused while their FASTA and GTF are the same files (size + sha256), prepared
again with a warning when either changed, and the tasks that read them then rerun (their
cache key follows the bundle's files); a folder that is not tkiseq's is never replaced."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from test_annotation_bundle import GTF
from tkiseq.align.star import INDEX_MANIFEST, index_matches
from tkiseq.console import Console
from tkiseq.errors import InputError
from tkiseq.genome.bundle import Bundle, prepare
from tkiseq.genome.sources import file_identity
from tkiseq.runner import Plan, RunConfig, Runner, _check_given, _reusable, cache_key
from tkiseq.stages import BY_NAME


@pytest.fixture
def refs(tmp_path: Path) -> dict[str, Path]:
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">chr1\n" + "A" * 1000 + "\n>chrM\n" + "C" * 100 + "\n")
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(GTF)
    return {"fasta": fasta, "gtf": gtf}


def setup(tmp_path: Path, refs: dict[str, Path], outdir: str, resume: bool = False):
    cfg = RunConfig(
        input=tmp_path / "s.csv",
        phenotypes=tmp_path / "p.csv",
        fasta=refs["fasta"],
        gtf=refs["gtf"],
        dbsnp=tmp_path / "d.vcf.gz",
        outdir=tmp_path / outdir,
        reference_dir=tmp_path / "shared",
        resume=resume,
    )
    out = cfg.outdir.resolve()
    plan = Plan(cfg, out, [])
    valid = plan.folder(BY_NAME["validate"]) / "phenotypes.valid.csv"  # an input of counts
    valid.parent.mkdir(parents=True, exist_ok=True)
    valid.write_text("sample\n")
    runner = Runner(out, resume, Console(io.StringIO()))
    return plan, runner


def test_bundle_is_reused_while_the_gtf_is_the_same_and_prepared_again_when_it_changed(
    tmp_path: Path, refs: dict[str, Path]
) -> None:
    plan, runner = setup(tmp_path, refs, "run1")
    prepare = plan.task(BY_NAME["prepare"])
    assert prepare.outputs == [tmp_path / "shared" / "annotation"]
    assert not _reusable(prepare, plan, runner)
    runner.run(prepare)
    counts = plan.task(BY_NAME["counts"])
    assert "--annotation" in counts.args and prepare.outputs[0] in counts.inputs
    key = cache_key(counts)

    # a second run (another outdir), same files: reused, and the stages' cache keys hold
    plan2, runner2 = setup(tmp_path, refs, "run2")
    again = plan2.task(BY_NAME["prepare"])
    refs["gtf"].touch()  # a new mtime alone is no change
    assert _reusable(again, plan2, runner2) and not runner2.warnings
    assert cache_key(counts) == key

    # the GTF changed: prepared again with a warning; what reads the bundle reruns
    refs["gtf"].write_text(GTF.replace('gene_name "ABL1"', 'gene_name "ABL2"'))
    plan3, runner3 = setup(tmp_path, refs, "run1", resume=True)
    task = plan3.task(BY_NAME["prepare"])
    assert not _reusable(task, plan3, runner3)
    assert "prepared from another FASTA, GTF" in runner3.warnings[0][2]
    runner3.run(task)
    assert cache_key(plan3.task(BY_NAME["counts"])) != key
    genes = Bundle(task.outputs[0]).genes
    assert genes.loc[genes["gene_id"] == "G1.1", "gene_name"].item() == "ABL2"
    assert _reusable(task, plan3, runner3)


def test_a_folder_that_is_not_tkiseqs_is_refused_not_replaced(
    tmp_path: Path, refs: dict[str, Path]
) -> None:
    plan, runner = setup(tmp_path, refs, "run1")
    for stage in ("prepare", "star_index"):
        task = plan.task(BY_NAME[stage])
        task.outputs[0].mkdir(parents=True)
        (task.outputs[0] / "mine.txt").write_text("keep")
        with pytest.raises(InputError, match="not prepared by tkiseq; not replaced"):
            _reusable(task, plan, runner)
        assert (task.outputs[0] / "mine.txt").read_text() == "keep"


def test_star_index_manifest_records_fasta_gtf_and_read_length(
    tmp_path: Path, refs: dict[str, Path]
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    manifest = {
        "fasta": file_identity(refs["fasta"]),
        "gtf": file_identity(refs["gtf"]),
        "read_length": 101,
    }
    (index / INDEX_MANIFEST).write_text(json.dumps(manifest))
    assert index_matches(index, refs["fasta"], refs["gtf"], 101)
    assert not index_matches(index, refs["fasta"], refs["gtf"], 151)
    refs["fasta"].write_text(">chr1\n" + "G" * 1000 + "\n>chrM\n" + "C" * 100 + "\n")  # same size
    assert not index_matches(index, refs["fasta"], refs["gtf"], 101)


def test_a_given_annotation_must_be_a_bundle_and_is_warned_about_when_made_elsewhere(
    tmp_path: Path, refs: dict[str, Path]
) -> None:
    plan, runner = setup(tmp_path, refs, "run1")
    stage = BY_NAME["prepare"]

    def check(**given: Path) -> None:
        _check_given(stage, Plan(replace(plan.cfg, **given), plan.out, []), runner)

    with pytest.raises(InputError, match="not an annotation bundle"):
        check(annotation=tmp_path)
    other = tmp_path / "other.gtf"
    other.write_text(GTF.replace("ABL1", "ABL2"))
    bundle = prepare(other, refs["fasta"], tmp_path / "elsewhere")
    check(annotation=bundle)
    assert runner.warnings == [("prepare", "", f"{bundle} was prepared from another GTF or FASTA")]
    runner.warnings.clear()
    check(annotation=bundle, gtf=other)
    assert not runner.warnings


def test_a_given_star_index_must_have_its_suffix_array(
    tmp_path: Path, refs: dict[str, Path]
) -> None:
    plan, runner = setup(tmp_path, refs, "run1")
    index = tmp_path / "index"
    index.mkdir()
    given = Plan(replace(plan.cfg, star_index=index), plan.out, [])
    with pytest.raises(InputError, match="not a STAR index"):
        _check_given(BY_NAME["star_index"], given, runner)
    (index / "SA").write_bytes(b"")
    _check_given(BY_NAME["star_index"], given, runner)
    assert not runner.warnings
