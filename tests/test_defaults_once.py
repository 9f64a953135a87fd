"""No default is written twice (issue 23): each stage's parameter dataclass holds its defaults
(``Stage.params_class()``, and the field behind every registry ``Tuning``), ``RunConfig`` those
of ``tkiseq run``. Every other place a default could be written either writes none (null: the
stage's default applies) or the same value:

- ``nextflow.config`` params (and their comments), ``nextflow_schema.json`` (``default``,
  descriptions), ``conf/modules.config`` and the modules' scripts (a ``params.x ?: v`` fallback,
  a literal ``--flag v``), the registry's tuning help and a field's own help text;
- README and docs, where a value is stated as a default next to the option's name ("`--min-mapped`
  percent (default 20)"); ``docs/science.md`` states each threshold as a default ("3 samples
  (`min_group`)", "`min_followup_days` = 365").

A name several dataclasses share (``alpha``, ``threads``) may state any of their defaults; a
dataclass default of None is computed elsewhere (``--reference-dir``) and not compared.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import math
import re
import sys
import textwrap
import types
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest

from tkiseq.runner import RunConfig
from tkiseq.stage_options import OPTION_KEY
from tkiseq.stages import STAGES, Stage, Tuning

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")))
SCIENCE = "docs/science.md"  # every threshold it names is a default (its own opening paragraph)
NEXTFLOW = ("nextflow.config", "nextflow_schema.json", "conf/modules.config")

NUMBER = r"(?<![\w.,])\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?"
UNIT = r"(?P<unit>\s*(?:%|kb\b|Mb\b))?"  # 80 % of a fraction 0.8; 100 kb of 100000 bases
VALUE = rf"(?P<value>`[^`\n]+`|{NUMBER}(?:\s*[-\u2013]\s*{NUMBER})?|true|false|null|none){UNIT}"
NUMERIC = rf"(?P<value>{NUMBER}(?:\s*[-\u2013]\s*{NUMBER})?){UNIT}"
# a default stated with the word: "(default 20)", "defaults to `vst`", "default: 3"
SAID = re.compile(rf"\bdefaults?(?: to| is|:)?\s+{VALUE}(?![\w.])", re.I)
# ... next to a backticked name, in the same clause (no other name, no sentence end between)
NAMED = re.compile(rf"`(?P<name>--?[a-z][\w-]*|[a-z_]\w*)`[^`\n.;]{{0,40}}?{SAID.pattern}", re.I)
# docs/science.md: "3 samples (`min_group`)", "**Cap 150** (`cap`)", "0.1** (`min_vaf`, strictly
# greater)", "(< 20 bases, `min_anchor`)", "`sex_margin` (2)", "`min_followup_days` = 365"
WORDS = r"(?:\*\*)?(?:\s+[A-Za-z0-9][\w'-]*){0,5}(?:\*\*)?"
BEFORE = re.compile(  # "5-500 genes (`min_size`, `max_size`)": a range over two names
    rf"{NUMERIC}{WORDS}\s*\(`(?P<name>[a-z_]\w*)`(?:,\s*`(?P<second>[a-z_]\w*)`)?(?:[;,:][^)]*)?\)"
)
INSIDE = re.compile(
    rf"\((?:[<>]=?|more than|less than|at least)?\s*{NUMERIC}(?:\s+[A-Za-z]\w*){{0,2}},\s*"
    rf"`(?P<name>[a-z_]\w*)`"
)
AFTER = re.compile(rf"`(?P<name>[a-z_]\w*)`\s*\({NUMERIC}\)")
EQUALS = re.compile(rf"`(?P<name>[a-z_]\w*)`\s*=\s*{VALUE}")
PARAM = re.compile(
    r"^\s*(?P<name>\w+)\s*=\s*(?P<value>'[^']*'|\"[^\"]*\"|[^\s/]+)\s*(?://(?P<comment>.*))?$", re.M
)
FALLBACK = re.compile(r"params\.(?P<name>\w+)\s*\?:\s*(?P<value>[^\s}'\"]+)")
LITERAL_FLAG = re.compile(rf"(?P<name>--[a-z][\w-]*)\s+(?P<value>{NUMBER})(?![\w.])")


@dataclasses.dataclass(frozen=True)
class Default:
    owner: str  # where it is written: "variants_filter: FilterParams.min_vaf"
    value: object


@dataclasses.dataclass(frozen=True)
class Stated:
    where: str  # "docs/usage.md:235"
    name: str
    text: str  # the value as written
    unit: str = ""  # "%", "kb", "Mb"


def key(name: str) -> str:
    """One spelling for an option, a param and a field: --min-vaf, min_vaf -> min_vaf."""
    return name.lstrip("-").replace("-", "_").lower()


def _default(f: dataclasses.Field) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _fields(cls: type, owner: str, instance: object = None):
    """(owner, field, default) for every field, nested parameter dataclasses included."""
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name) if instance is not None else _default(f)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _fields(type(value), f"{owner}{f.name}.", value)
        else:
            yield f"{owner}{f.name}", f, value


def defaults(stages: tuple[Stage, ...] = STAGES) -> dict[str, list[Default]]:
    """Each name under which a default may be written, with the dataclass defaults it stands for:
    a field's name and flag, a tuning's param and stage flag, a ``tkiseq run`` option."""
    found: dict[str, list[Default]] = defaultdict(list)
    for stage in stages:
        cls = stage.params_class()
        by_field = {}
        for owner, f, value in _fields(cls, f"{stage.name}: {cls.__name__}."):
            spec = f.metadata.get(OPTION_KEY)
            names = {f.name, key(getattr(spec, "flag", "") or f.name)}
            by_field[owner.rpartition(".")[2]] = value
            for name in names:
                found[name].append(Default(owner, value))
        for tuning in stage.tuning:
            value = by_field[tuning.field]
            for name in {tuning.name, key(tuning.flag)}:
                found[name].append(Default(f"{stage.name}: tuning {tuning.name}", value))
    for f in dataclasses.fields(RunConfig):
        found[f.name].append(Default(f"RunConfig.{f.name}", _default(f)))
    for cls in cited_dataclasses():
        for owner, _, value in _fields(cls, f"{cls.__module__}.{cls.__name__}."):
            found[owner.rpartition(".")[2]].append(Default(owner, value))
    return found


def cited_dataclasses(files: tuple[str, ...] = DOCS) -> list[type]:
    """The parameter dataclasses (``*Params``) the docs name as `package.module.Class`
    (docs/science.md says which class holds the thresholds it states, not all a stage's own)."""
    found = []
    for path in files:
        for module, name in re.findall(
            r"`((?:tkiseq\.)?[a-z_]+(?:\.[a-z_]+)+)\.([A-Z]\w+)`", (ROOT / path).read_text()
        ):
            try:
                cls = getattr(
                    importlib.import_module(f"tkiseq.{module.removeprefix('tkiseq.')}"), name
                )
            except (ImportError, AttributeError):
                continue
            params = isinstance(cls, type) and cls.__name__.endswith("Params")
            if params and dataclasses.is_dataclass(cls) and cls not in found:
                found.append(cls)
    return found


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def same(stated: Stated, value: object) -> bool:
    """Whether a stated value is the dataclass default (None: computed elsewhere, any)."""
    text = stated.text.strip("`'\" ").strip()
    if value is None or value is dataclasses.MISSING or text.lower() in ("null", "none"):
        return True
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, int | float):
        n = _number(text)
        scale = {"%": 0.01 if value < 1 else 1, "kb": 1e3, "mb": 1e6}.get(stated.unit.lower(), 1)
        return n is not None and math.isclose(n * scale, value)
    if isinstance(value, tuple):
        items = [i for i in re.split(r"\s*[,\u2013]\s*|\s+-\s+|(?<=\d)-(?=\d)", text) if i]
        return len(items) == len(value) and all(
            same(Stated(stated.where, stated.name, i), v) for i, v in zip(items, value, strict=True)
        )
    return text == str(value)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _matches(path: str, text: str, pattern: re.Pattern, name: str = ""):
    for m in pattern.finditer(text):
        where = f"{path}:{_line(text, m.start())}"
        unit = (m.groupdict().get("unit") or "").strip()
        second = m.groupdict().get("second")
        ends = re.split(r"(?<=\d)\s*[-\u2013]\s*(?=\d)", m["value"], maxsplit=1)
        if second and len(ends) == 2:  # one end of the range each
            yield Stated(where, key(m["name"]), ends[0], unit)
            yield Stated(where, key(second), ends[1], unit)
        else:
            yield Stated(where, key(name or m["name"]), m["value"], unit)


def statements(files: dict[str, str], stages: tuple[Stage, ...] = STAGES) -> list[Stated]:
    """Every default written outside the dataclasses, in these files (path -> text) and in the
    registry's help texts."""
    found: list[Stated] = []
    for path, text in files.items():
        if path.endswith(".md"):
            found += _matches(path, text, NAMED)
            if path == SCIENCE:
                for pattern in (BEFORE, INSIDE, AFTER, EQUALS):
                    found += _matches(path, text, pattern)
        elif path == "nextflow.config":
            block = re.search(r"^params \{\n(.*?)^\}", text, re.M | re.S)
            assert block, "nextflow.config: no params block"
            offset = _line(text, block.start(1)) - 1
            for m in PARAM.finditer(block[1]):
                where = f"{path}:{_line(block[1], m.start()) + offset}"
                found.append(Stated(where, m["name"], m["value"].strip("'\"")))
                comment = m["comment"] or ""
                found += _matches(where, comment, SAID, m["name"])
        elif path == "nextflow_schema.json":
            for group in json.loads(text)["$defs"].values():
                for name, spec in group["properties"].items():
                    where = f"{path}: {name}"
                    if "default" in spec:
                        found.append(Stated(where, name, json.dumps(spec["default"])))
                    for words in (spec.get("description", ""), spec.get("help_text", "")):
                        found += _matches(where, words, SAID, name)
        else:  # conf/modules.config, modules/local/tkiseq/*/main.nf
            found += _matches(path, text, FALLBACK)
            found += _matches(path, text, LITERAL_FLAG)
    for stage in stages:
        for tuning in stage.tuning:
            found += _matches(f"stages.py: {tuning.name}", tuning.help, SAID, tuning.name)
        cls = stage.params_class()
        for owner, f, _ in _fields(cls, f"{stage.name}: "):
            help_text = getattr(f.metadata.get(OPTION_KEY), "help", "")
            found += _matches(f"{owner} help", help_text, SAID, f.name)
    return found


def drifts(files: dict[str, str], stages: tuple[Stage, ...] = STAGES) -> list[str]:
    """The stated defaults that are not the dataclass default of their name."""
    known = defaults(stages)
    out = []
    for stated in statements(files, stages):
        written = known.get(stated.name)
        if written and not any(same(stated, d.value) for d in written):
            values = " or ".join(sorted({repr(d.value) for d in written}))
            owners = ", ".join(sorted({d.owner for d in written}))
            out.append(
                f"{stated.where}: {stated.name} {stated.text!r}; the default is {values} ({owners})"
            )
    return out


def repository_files() -> dict[str, str]:
    paths = [
        *DOCS,
        *NEXTFLOW,
        *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "modules").rglob("main.nf"))),
    ]
    return {p: (ROOT / p).read_text() for p in paths}


FILES = repository_files()


def test_no_default_is_written_twice() -> None:
    assert drifts(FILES) == []


def test_the_places_are_read() -> None:
    """Guard against a reader that silently finds nothing: the statements the docs and the
    Nextflow files hold today are found."""
    found = statements(FILES)
    where = {s.where.partition(":")[0] for s in found}
    assert {"nextflow.config", "nextflow_schema.json", SCIENCE, "docs/usage.md"} <= where
    science = {s.name for s in found if s.where.startswith(SCIENCE)}
    assert {"min_group", "min_count", "cap", "permutations", "het_range"} <= science
    usage = {(s.name, s.text) for s in found if s.where.startswith("docs/usage.md")}
    assert ("min_mapped", "20") in usage
    params = {s.name: s.text for s in found if s.where.startswith("nextflow.config")}
    assert params["min_vaf"] == "null" and params["allow_same_reads"] == "false"


def _set_schema_default(text: str) -> str:
    schema = json.loads(text)
    schema["$defs"]["study_thresholds"]["properties"]["min_vaf"]["default"] = 0.05
    return json.dumps(schema, indent=4)


# (file, edit of its text): each writes min_vaf / min_mapped / cap / min_group once more, wrongly
DOCTORED = {
    "nextflow.config": (
        "nextflow.config",
        lambda t: re.sub(r"min_vaf( +)= null", r"min_vaf\1= 0.05", t),
    ),
    "schema default": ("nextflow_schema.json", _set_schema_default),
    "schema description": (
        "nextflow_schema.json",
        lambda t: t.replace(
            "Variants: a PASS call's VAF is strictly above this.",
            "Variants: a PASS call's VAF is strictly above this (default 0.05).",
        ),
    ),
    "modules.config fallback": (
        "conf/modules.config",
        lambda t: t.replace(
            '"--min-mapped ${params.min_mapped}"', '"--min-mapped ${params.min_mapped ?: 25}"'
        ),
    ),
    "modules.config literal": (
        "conf/modules.config",
        lambda t: t.replace(
            "params.auc_cap != null ? \"--cap ${params.auc_cap}\" : ''",
            "params.auc_cap != null ? \"--cap ${params.auc_cap}\" : '--cap 100'",
            1,
        ),
    ),
    "usage.md": (
        "docs/usage.md",
        lambda t: t.replace(
            "`--min-mapped` percent (default 20)", "`--min-mapped` percent (default 25)"
        ),
    ),
    "science.md": (
        "docs/science.md",
        lambda t: t.replace("**Cap 150** (`cap`)", "**Cap 140** (`cap`)"),
    ),
    "README.md": (
        "README.md",
        lambda t: t + "\nGroups below `--min-group` (default 5) are not tested.\n",
    ),
}


@pytest.mark.parametrize("case", sorted(DOCTORED))
def test_a_drifted_default_is_found(case: str) -> None:
    path, edit = DOCTORED[case]
    doctored = edit(FILES[path])
    assert doctored != FILES[path], f"{case}: the edit no longer applies"
    found = drifts({**FILES, path: doctored})
    assert len(found) == 1 and found[0].startswith(path), found


def test_the_same_value_written_again_is_no_drift() -> None:
    edited = re.sub(r"min_vaf( +)= null", r"min_vaf\1= 0.1", FILES["nextflow.config"])
    assert drifts({**FILES, "nextflow.config": edited}) == []


@dataclasses.dataclass(frozen=True)
class HelpParams:
    depth: int = dataclasses.field(
        default=4, metadata={OPTION_KEY: SimpleNamespace(help="reads (default 5)", flag="")}
    )


def _stage(name: str, params: str, *tuning: Tuning) -> Stage:
    """A registry entry whose stage module (a stand-in in sys.modules) exports ``params``."""
    module = types.ModuleType(f"{__name__}_{name}_stage")
    module.Params = globals()[params]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return Stage(
        name,
        module.__name__,
        f"TKISEQ_{name.upper()}",
        (name,),
        "cohort",
        (),
        (),
        name,
        tuning=tuning,
    )


def test_help_texts_are_read_too() -> None:
    """A tuning's help, and a field's own help (field metadata), stating another default."""
    tuning = Tuning("x_depth", "--depth", "depth", "reads per site (default 4)")
    (found,) = drifts({}, (_stage("x", "HelpParams", tuning),))
    assert found.startswith("x: depth help") and "'5'" in found
    wrong = Tuning("x_depth", "--depth", "depth", "reads per site (default 6)")
    assert len(drifts({}, (_stage("x", "HelpParams", wrong),))) == 2


def literal_default(cls: type, name: str) -> bool:
    """Whether a field's default is a literal in the class body (not a named constant or
    another class's default): where a value is written, rather than referred to."""
    (body,) = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
    assert isinstance(body, ast.ClassDef)
    for node in body.body:
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == name and node.value:
            value: ast.expr | None = node.value
            if isinstance(value, ast.Call):  # field(default=...), option(default, ...)
                value = next(
                    (k.value for k in value.keywords if k.arg == "default"),
                    value.args[0] if value.args else None,
                )
            try:
                return value is not None and ast.literal_eval(value) is not None
            except ValueError:
                return False
    return False


def shared_literals(stages: tuple[Stage, ...] = STAGES) -> list[str]:
    """The thresholds one Tuning hands to several stages (min_vaf to variants call and filter)
    written as a literal in more than one of their dataclasses."""
    fields: dict[str, set[tuple[type, str]]] = defaultdict(set)
    for stage in stages:
        cls = stage.params_class()
        for tuning in stage.tuning:
            fields[tuning.name].add((cls, tuning.field))
    out = []
    for name, owners in sorted(fields.items()):
        literal = sorted(
            f"{c.__module__}.{c.__name__}.{f}" for c, f in owners if literal_default(c, f)
        )
        if len(literal) > 1:
            out.append(f"{name}: its default is written in {literal}")
    return out


def test_a_shared_threshold_is_written_once() -> None:
    assert shared_literals() == []


@dataclasses.dataclass(frozen=True)
class CallLike:
    min_vaf: float = 0.1


@dataclasses.dataclass(frozen=True)
class FilterLike:
    min_vaf: float = 0.1


@dataclasses.dataclass(frozen=True)
class FilterReferring:
    min_vaf: float = CallLike.min_vaf


def test_a_threshold_written_in_two_dataclasses_is_found() -> None:
    """Issue 23's example: min_vaf's 0.1 in variants/counts.py and variants/filter.py."""
    tuning = Tuning("min_vaf", "--min-vaf", "min_vaf", "VAF above this")
    call = _stage("call", "CallLike", tuning)
    (found,) = shared_literals((call, _stage("filter", "FilterLike", tuning)))
    assert "CallLike.min_vaf" in found and "FilterLike.min_vaf" in found
    assert shared_literals((call, _stage("filter", "FilterReferring", tuning))) == []


PACKAGE = ROOT / "python" / "tkiseq"
# Resources each stage sizes for itself, not one quantity: the same 1 in several dataclasses is
# several choices that happen to agree.
OWN_CHOICE = {"threads"}


def _literal(value: ast.expr | None) -> object:
    """The value of a literal default (``15``, ``option(15, ...)``, ``field(default=15)``);
    None for a named constant, another class's default or a computed one."""
    if isinstance(value, ast.Call):
        value = next(
            (k.value for k in value.keywords if k.arg == "default"),
            value.args[0] if value.args else None,
        )
    try:
        return ast.literal_eval(value) if value is not None else None
    except ValueError:
        return None


def dataclass_literals(sources: dict[str, str]) -> list[tuple[str, str, str, object]]:
    """(module, class, field, literal default) of every dataclass field in these sources
    (path under python/tkiseq -> text); empty defaults ("", (), False) say nothing."""
    found = []
    for path, text in sources.items():
        module = Path(path).stem
        for cls in [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ClassDef)]:
            if not any("dataclass" in ast.unparse(d) for d in cls.decorator_list):
                continue
            for node in cls.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    value = _literal(node.value)
                    if value not in (None, "", (), False):
                        found.append((module, cls.name, node.target.id, value))
    return found


def same_quantity(a: tuple[str, str, str, object], b: tuple[str, str, str, object]) -> bool:
    """Two fields name one quantity when their names are the same, or when one is the other
    prefixed by the other's module (``SubtypesParams.reference_neighbours`` and
    ``reference.ProjectionParams.neighbours``)."""
    (module_a, _, name_a, _), (module_b, _, name_b, _) = a, b
    return name_a == name_b or name_a == f"{module_b}_{name_b}" or name_b == f"{module_a}_{name_a}"


def repeated_literals(sources: dict[str, str]) -> list[str]:
    """The quantities whose default is written as the same literal in two dataclasses."""
    rows = [r for r in dataclass_literals(sources) if r[2] not in OWN_CHOICE]
    out = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a[:2] != b[:2] and same_quantity(a, b) and type(a[3]) is type(b[3]) and a[3] == b[3]:
                out.append(f"{'.'.join(a[:3])} and {'.'.join(b[:3])} both write {a[3]!r}")
    return out


SOURCES = {p.relative_to(PACKAGE).as_posix(): p.read_text() for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_quantity_is_written_in_two_dataclasses() -> None:
    assert repeated_literals(SOURCES) == []


def _literal_alpha(text: str) -> str:
    return text.replace("        ALPHA, help=", "        0.05, help=")


# (edits: file -> edit, the two classes found): each writes again, as a literal, a default another
# dataclass holds (as the code did before: 15 neighbours and 30 PCs, alpha 0.05 in DE and report)
COPIED = {
    "subtypes neighbours": (
        {"subtypes/stage.py": lambda t: t.replace("reference.ProjectionParams.neighbours,", "15,")},
        ("ProjectionParams.neighbours", "SubtypesParams.reference_neighbours"),
    ),
    "subtypes pcs": (
        {"subtypes/stage.py": lambda t: t.replace("reference.ProjectionParams.pcs,", "30,")},
        ("ProjectionParams.pcs", "SubtypesParams.reference_pcs"),
    ),
    "alpha": (
        {"report/params.py": _literal_alpha, "expression/de.py": _literal_alpha},
        ("DeParams.alpha", "ReportParams.alpha"),
    ),
}


@pytest.mark.parametrize("case", sorted(COPIED))
def test_a_default_copied_into_another_dataclass_is_found(case: str) -> None:
    edits, classes = COPIED[case]
    doctored = {path: edit(SOURCES[path]) for path, edit in edits.items()}
    assert all(doctored[p] != SOURCES[p] for p in edits), f"{case}: the edit no longer applies"
    (found,) = repeated_literals({**SOURCES, **doctored})
    assert all(name in found for name in classes), found


def test_an_equal_value_under_another_name_is_another_quantity() -> None:
    """The report's associations highlight and DE's alpha are both 0.05: two defaults."""
    de, report = ("de", "DeParams", "alpha", 0.05), ("params", "ReportParams", "alpha", 0.05)
    highlight = ("params", "ReportParams", "association_alpha", 0.05)
    assert same_quantity(de, report) and not same_quantity(de, highlight)
    projection = ("reference", "ProjectionParams", "neighbours", 15)
    assert same_quantity(("stage", "SubtypesParams", "reference_neighbours", 15), projection)
    assert highlight in dataclass_literals({"report/params.py": SOURCES["report/params.py"]})
