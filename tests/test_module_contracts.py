"""Module contracts that need no engine: each Nextflow module against its stage registry entry.

Every `modules/local/tkiseq/*/main.nf` is held to its entry in `tkiseq.stages`: the subcommand
and options it calls, its declared outputs, publish folder, resource label, meta.yml, the house
contract (conda environment, container, versions.yml), and the study thresholds that
conf/modules.config hands it. What only running them can show (channels, staging, caching,
publishing, the command lines as the engine renders them) is tested with the real engine in
test_nextflow_run.py.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import subprocess
import tomllib

import pytest
import yaml

from nextflow_support import (
    REPO,
    Module,
    Obj,
    config_params,
    evaluate,
    ext_args,
    interpolate,
    modules,
    parse_command,
    publish_path,
)
from tkiseq.stages import BY_PROCESS, STAGES, Stage, Switch

MODULES = {m.name: m for m in modules()}
PARAMS = config_params(profile_configs=("conf/test.config",))
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def tkiseq(*args: str) -> str:
    proc = subprocess.run(
        [str(REPO / "bin" / "tkiseq"), *args], capture_output=True, text=True, check=True
    )
    return proc.stdout


@functools.cache
def usage(command: str = "") -> str:
    """`tkiseq <command> --help` (`command` may be nested: `variants call`)."""
    return tkiseq(*command.split(), "--help")


# -- static checks (fast): every module against its registry entry ------------------------------
def test_every_stage_has_a_module() -> None:
    assert set(MODULES) == set(BY_PROCESS), "a registry stage without module, or the reverse"
    for stage in STAGES:
        assert stage.process.startswith("TKISEQ_"), "no clash with nf-core's process names"
        folder = MODULES[stage.process].path.parent.relative_to(REPO / "modules" / "local")
        assert folder.as_posix() == stage.module


@pytest.mark.parametrize("name", sorted(MODULES))
def test_outputs_are_published_where_the_registry_says(name: str) -> None:
    path = publish_path(name)
    if path is None:  # the default publishDir: <outdir>/<process name without TKISEQ_, lower case>
        folder = name.lower().removeprefix("tkiseq_")
    else:
        scope = {"params": Obj(outdir="results"), "meta": Obj(id="S1")}
        folder = evaluate(path, scope).removeprefix("results/")
    assert folder == BY_PROCESS[name].publish.format(sample="S1")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_declares_the_registry_inputs_and_outputs(name: str) -> None:
    module, stage = MODULES[name], BY_PROCESS[name]
    assert module.subcommands == [" ".join(stage.command)]
    assert module.flags == {o.flag for o in stage.options if o.flag} | {"--outdir"}
    assert f"--outdir {stage.outdir} " in module.command.replace("\\", "") + " "
    scope = {"prefix": "X", "meta": Obj(id="X"), "phenotype": "X"}
    declared = {interpolate(p, scope) for o in module.outputs[:-1] for p in o.patterns}
    registry = {f.format(sample="X", phenotype="X") for f in stage.outputs + stage.optional}
    assert declared == registry
    optional = {interpolate(p, scope) for o in module.outputs if o.optional for p in o.patterns}
    assert optional == set(stage.optional)
    text = module.path.read_text()
    assert re.search(rf"^\s*label '{stage.label}'", text, re.M), "resource label"
    line = f'tkiseq versions --process "${{task.process}}" --stage {stage.name} > versions.yml'
    assert module.script.count(line) == module.stub.count(line) == 1, "versions.yml line"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_follows_the_house_contract(name: str) -> None:
    module = MODULES[name]
    text = module.path.read_text()
    assert re.search(r"^\s*tag ", text, re.M), "tag"
    assert all(o.emit for o in module.outputs), "every output has an emit name"
    assert module.outputs[-1].patterns == ["versions.yml"]
    assert module.inputs[0][0] == ("val", "meta"), "first input is tuple val(meta), path(...)"
    assert "def args = task.ext.args ?: ''" in module.script_preamble
    assert re.search(r"^    when:\n    task\.ext\.when == null \|\| task\.ext\.when\n", text, re.M)
    assert "python" not in module.script + module.stub, "versions come from tkiseq itself"
    (conda,) = re.findall(r'^\s*conda "\$\{moduleDir\}/(.+)"$', text, re.M)
    env = (module.path.parent / conda).resolve()
    assert env == REPO / "modules" / "local" / "environment.yml", "the one shared environment"
    assert re.search(r'^    container "\$\{params\.container\}"', text, re.M), "container line"


def test_conda_environment_is_pinned() -> None:
    """Every package of the modules' conda environment at one exact version."""
    env = yaml.safe_load((REPO / "modules" / "local" / "environment.yml").read_text())
    loose = [d for d in env["dependencies"] if not re.fullmatch(r"[\w-]+::[\w.-]+=[\w.]+", d)]
    assert not loose, f"not pinned to one version: {loose}"


# conda-forge splits matplotlib: the library without the Qt/Tk backends is matplotlib-base.
CONDA_NAMES = {"matplotlib": "matplotlib-base"}
# Not tkiseq's Python dependencies: the interpreter and the STAR binary.
CONDA_ONLY = {"python", "star"}


def _version(text: str) -> tuple[int, ...]:
    """A release number as a comparable tuple: "0.10" -> (0, 10)."""
    return tuple(int(part) for part in text.split("."))


def test_conda_environment_is_pyprojects_dependencies() -> None:
    """The modules' environment holds exactly pyproject.toml's dependencies (no package that the
    code dropped, none missing), each pinned at or above pyproject's lower bound."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = {}
    for requirement in declared:
        name, lower = re.fullmatch(r"([\w-]+)>=([\d.]+)(?:,<[\d.]+)?", requirement).groups()
        bounds[CONDA_NAMES.get(name, name)] = lower
    env = yaml.safe_load((REPO / "modules" / "local" / "environment.yml").read_text())
    pinned = dict(d.split("::")[1].split("=") for d in env["dependencies"])
    assert sorted(set(pinned) - CONDA_ONLY) == sorted(bounds)
    below = {n: (pinned[n], v) for n, v in bounds.items() if _version(pinned[n]) < _version(v)}
    assert not below, f"pinned below pyproject's lower bound (pinned, bound): {below}"


def _meta_yml_files(entries: list[dict]) -> list[str]:
    """The names in a meta.yml channel list: [{"meta": {...}}, {"file": {...}}] -> names."""
    return [name for entry in entries for name in entry]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_meta_yml_describes_the_module(name: str) -> None:
    """meta.yml (nf-core layout) names every input and output, with a pattern per file."""
    module = MODULES[name]
    meta = yaml.safe_load((module.path.parent / "meta.yml").read_text())
    assert meta["name"] == name.lower() and meta["description"]
    assert [_meta_yml_files(channel) for channel in meta["input"]] == [
        [var for _, var in channel] for channel in module.inputs
    ]
    outputs = {emit: entries for item in meta["output"] for emit, entries in item.items()}
    assert list(outputs) == [o.emit for o in module.outputs]
    for output in module.outputs:
        files = _meta_yml_files(outputs[output.emit])
        assert [f for f in files if f != "meta"] == output.patterns, output.emit
    for channel in [*meta["input"], *outputs.values()]:
        for entry in channel:
            for var, spec in entry.items():
                assert spec["type"] in ("map", "file", "string") and spec["description"], var
                assert spec["type"] != "file" or spec["pattern"], f"{var}: pattern"


@pytest.mark.parametrize("stage", [s for s in STAGES if s.tuning], ids=lambda s: s.name)
def test_study_thresholds_reach_the_stage_only_when_set(stage: Stage) -> None:
    """Each registry tuning is a Nextflow param (null: the stage's default), documented in the
    schema, and ext.args hands it to the stage as its option only when set."""
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    documented = {n for group in schema["$defs"].values() for n in group["properties"]}
    unset = Obj({**PARAMS, **{t.name: None for t in stage.tuning}})
    assert not FLAG.findall(ext_args(stage.process, unset) or ""), "nothing when unset"
    for tuning in stage.tuning:
        assert tuning.name in PARAMS and PARAMS[tuning.name] is None, tuning.name
        assert tuning.name in documented, f"{tuning.name}: nextflow_schema.json"
        value = "IKZF1,PAX5" if tuning.field == "genes" else "7"
        args = ext_args(stage.process, Obj({**unset, tuning.name: value}))
        options, positional = parse_command(shlex.split(args))
        assert options == {tuning.flag: [value]} and not positional, args


SUBTYPES = BY_PROCESS["TKISEQ_SUBTYPES"]
REFERENCES = ("subtype_reference", "karyotype_reference", "subtype_centroids")


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_files_are_run_options_and_pipeline_params(name: str) -> None:
    """A reference the subtypes stage reads only when given (--subtype-reference,
    --karyotype-reference, --subtype-centroids) is a `tkiseq run` option and a Nextflow param
    (null by default, a checked file in the schema), reaches the module as its own input and
    the stage as its option only when set."""
    (option,) = [o for o in SUBTYPES.options if o.value == f"{{{name}}}"]
    assert option.when == name
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    props = {n: p for group in schema["$defs"].values() for n, p in group["properties"].items()}
    assert name in PARAMS and PARAMS[name] is None, name
    assert props[name]["format"] == "file-path" and props[name]["exists"] is True
    assert option.flag in FLAG.findall(usage("run"))
    module = MODULES[SUBTYPES.process]
    assert name in module.path_inputs
    passed = re.escape(f'{name} ? "{option.flag} ${{{name}}}"')
    guard = r"def \w+ = " + passed + r" : ''"
    assert re.search(guard, module.script_preamble), f"{name}: passed only when set"
    for text in (REPO / "main.nf", REPO / "workflows" / "tkiseq.nf"):
        assert name in text.read_text(), f"{text.name} hands {name} on"


SWITCHES = [(stage, switch) for stage in STAGES for switch in stage.switches]


@pytest.mark.parametrize(("stage", "switch"), SWITCHES, ids=[w.name for _, w in SWITCHES])
def test_switches_reach_their_stage_only_when_set(stage: Stage, switch: Switch) -> None:
    """A registry switch (params.allow_same_reads, false by default) becomes its stage's
    option in ext.args only when set, and no other stage's; the stage's CLI has it."""
    assert PARAMS[switch.name] is False, f"{switch.name}: nextflow.config"
    for on, expected in ((False, []), (True, [switch.flag])):
        scope = Obj({**PARAMS, switch.name: on})
        assert shlex.split(ext_args(stage.process, scope) or "") == expected
        others = [ext_args(s.process, scope) or "" for s in STAGES if s is not stage]
        assert not any(switch.flag in args for args in others), switch.flag
    assert switch.flag in usage(" ".join(stage.command))


@pytest.mark.parametrize("stage", [s for s in STAGES if s.given], ids=lambda s: s.name)
def test_a_given_output_skips_its_process(stage: Stage) -> None:
    """As the local runner (Stage.given): a param naming the stage's output, null by default;
    the subworkflow that calls the process calls it only in the branch where it is not given."""
    assert stage.given in PARAMS and PARAMS[stage.given] is None, stage.given
    callers = [
        p for p in (REPO / "subworkflows").rglob("*.nf") if f"{stage.process}(" in p.read_text()
    ]
    assert len(callers) == 1, f"{stage.process}: called in {callers}"
    text = callers[0].read_text()
    assert re.search(rf"^    take:\n(?:    .*\n)*?    {stage.given}\b", text, re.M), "take"
    branch = re.search(
        rf"if \({stage.given}\) \{{\n(.*?)\n    \}}\n    else \{{\n(.*?)\n    \}}", text, re.S
    )
    assert branch, f"{callers[0]}: no `if ({stage.given}) {{ ... }} else {{ ... }}`"
    assert f"{stage.process}(" not in branch[1] and f"{stage.process}(" in branch[2]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_registry_commands_are_cli_commands(name: str) -> None:
    """The registry's subcommand and options exist in `tkiseq <command> --help`, and so do
    the tuning options conf/modules.config appends."""
    stage = BY_PROCESS[name]
    command = " ".join(stage.command)
    cli = set(FLAG.findall(usage(command))) - {"--help"}
    assert {o.flag for o in stage.options if o.flag} | {"--outdir"} <= cli, command
    extra = ext_args(name, PARAMS) or ""
    tuning = set(FLAG.findall(extra.split("'")[0]))
    assert tuning <= cli, f"{name}: ext.args {extra!r} has options unknown to tkiseq {command}"


def test_modules_are_parsed() -> None:
    """Guard against a parser that silently finds nothing."""
    for module in MODULES.values():
        assert isinstance(module, Module)
        assert module.path_inputs and module.outputs and module.script.strip()
