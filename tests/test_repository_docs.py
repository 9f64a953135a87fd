"""The repository stands alone: every document it cites is in it, and the files a user of an
open-source pipeline looks for (licence, changelog, citations) exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT = {".py", ".nf", ".md", ".config", ".tsv", ".yaml", ".yml", ".json", ".toml", ".txt", ".cfg"}
SKIP = {".git", ".venv", "node_modules", "work", "results", "__pycache__", ".nextflow"}
# a Markdown file named in text: `docs/science.md#variant-filter`, (science.md), ../CITATIONS.md
# (a quoted name alone is a path built in code: ROOT / "docs" / "usage.md")
CITED = re.compile(r"(?<![\w/.\"'-])((?:\.\.?/)*(?:[\w.-]+/)*[\w-]+\.md)(#[\w-]+)?(?![\"'])")
OUTSIDE = re.compile(r"seeds? papers?|\.\./shared/docs|/work/shared", re.I)


def text_files() -> list[Path]:
    out = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(p in SKIP or p.endswith(".egg-info") for p in parts):
            continue
        if path.is_file() and path.suffix in TEXT:
            out.append(path)
    return sorted(out)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+\s+(.*)$", doc.read_text(), re.M)}


def resolve(cited: str, source: Path) -> Path | None:
    """The cited file, relative to the citing file's folder or to the repository root."""
    for base in (source.parent, ROOT):
        candidate = (base / cited).resolve()
        if candidate.is_file() and ROOT in candidate.parents:
            return candidate
    return None


def test_every_cited_document_is_in_the_repository() -> None:
    broken = []
    for path in text_files():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if OUTSIDE.search(line):
                broken.append(f"{where}: cites material outside the repository")
            for cited, anchor in CITED.findall(line):
                target = resolve(cited, path)
                if target is None:
                    broken.append(f"{where}: {cited} is not in the repository")
                elif anchor and anchor[1:] not in anchors(target):
                    broken.append(f"{where}: {cited} has no section {anchor}")
    assert not broken


def test_the_checker_catches_an_outside_document(tmp_path: Path) -> None:
    assert CITED.findall("see interface.md and docs/science.md#variant-filter") == [
        ("interface.md", ""),
        ("docs/science.md", "#variant-filter"),
    ]
    assert resolve("interface.md", ROOT / "python" / "tkiseq" / "runner.py") is None
    assert resolve("docs/science.md", ROOT / "python" / "tkiseq" / "runner.py") is not None
    assert slug("ABL1 kinase domain") == "abl1-kinase-domain"
    assert OUTSIDE.search("seeds paper 001")


@pytest.mark.parametrize("name", ["LICENSE", "CHANGELOG.md", "CITATIONS.md"])
def test_project_files_exist(name: str) -> None:
    assert (ROOT / name).stat().st_size > 200


def test_licence_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
