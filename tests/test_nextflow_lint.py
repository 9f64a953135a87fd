"""Lint the pipeline with Nextflow's own parser (the language server behind `nextflow lint`).

The engine's own `nextflow lint` (25.04.4 with nf-lang 25.04.0, the newest on Maven Central)
crashes on any script with a two-parameter closure, so the language server does it (see
nextflow_support). Target: zero
errors and zero warnings in the strict syntax, in the server's strictest (paranoid) mode. The
one notice allowed is the paranoid-mode note on the nf-core `when:` section every module has
(`task.ext.when`), which Nextflow still supports.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from nextflow_support import REPO, JarUnavailable, language_server_jar, lint


@pytest.fixture(scope="module")
def jar() -> Path:
    try:
        return language_server_jar()
    except JarUnavailable as exc:  # only a failed download may skip: no registry, no linter
        pytest.skip(f"Nextflow language server not available: {exc}")


WHEN_NOTICE = "Process `when` section will not be supported in a future version"
# params read outside the entry workflow (the module's container line, the initialisation
# subworkflow), as nf-core pipelines read them today
PARAMS_NOTICE = (
    "The use of `params` outside the entry workflow will not be supported in a future version"
)
NOTICES = {WHEN_NOTICE, PARAMS_NOTICE}
MODULE_FILES = set((REPO / "modules" / "local").glob("tkiseq/*/main.nf"))


def test_pipeline_lints_clean(jar: Path) -> None:
    diagnostics, files = lint(REPO, jar)
    names = {p.relative_to(REPO).as_posix() for p in files}
    assert {"main.nf", "nextflow.config", "conf/base.config", "conf/modules.config"} <= names
    assert any(n.startswith("modules/local/") for n in names)
    found = [d for d in diagnostics if d.message not in NOTICES or d.severity != "info"]
    report = "\n".join(str(d) for d in found)
    assert not found, f"{len(found)} Nextflow lint diagnostics:\n{report}"
    noted = {d.path for d in diagnostics if d.message == WHEN_NOTICE}
    assert noted <= MODULE_FILES


def test_lint_reports_a_broken_script(jar: Path, tmp_path: Path) -> None:
    """The linter is not vacuous: a syntax error and an undefined process are both reported."""
    root = tmp_path / "pipeline"
    root.mkdir()
    for name in ("main.nf", "nextflow.config"):
        shutil.copy(REPO / name, root / name)
    for folder in ("conf", "modules", "subworkflows", "workflows"):
        shutil.copytree(REPO / folder, root / folder)
    broken = root / "modules" / "local" / "broken" / "main.nf"
    broken.parent.mkdir(parents=True)
    broken.write_text("workflow BROKEN {\n    main:\n    NOT_A_PROCESS(1)\n    x = = 2\n}\n")

    diagnostics, _ = lint(root, jar)

    here = [d for d in diagnostics if d.path == broken.resolve()]
    assert here, "the language server reported nothing for a broken script"
    assert all(d.severity == "error" for d in here)
    assert any(d.line == 4 for d in here), "\n".join(map(str, here))
    elsewhere = [d for d in diagnostics if d.path != broken.resolve() and d.message not in NOTICES]
    assert not elsewhere, "\n".join(map(str, elsewhere))


def _config_params(text: str) -> set[str]:
    block = re.search(r"^params \{\n(.*?)^\}", text, re.M | re.S)
    assert block, "nextflow.config has no params { } block"
    return set(re.findall(r"^\s+(\w+)\s*=", block.group(1), re.M))


def test_schema_documents_every_param() -> None:
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    documented = {}
    for group in schema["$defs"].values():
        for name, spec in group["properties"].items():
            assert spec.get("type") and spec.get("description"), f"{name}: type and description"
            documented[name] = spec
    assert {ref["$ref"].split("/")[-1] for ref in schema["allOf"]} == set(schema["$defs"])
    declared = _config_params((REPO / "nextflow.config").read_text())
    assert declared == set(documented), (
        f"in nextflow.config only: {sorted(declared - set(documented))}; "
        f"in nextflow_schema.json only: {sorted(set(documented) - declared)}"
    )
    test_params = _config_params((REPO / "conf" / "test.config").read_text())
    assert test_params <= declared, sorted(test_params - declared)
