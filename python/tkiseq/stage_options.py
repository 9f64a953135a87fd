"""Command-line options from dataclass fields: a stage's ``Params`` and ``Inputs`` say once what
each option is (help text, flag, type, default), and the CLI is generated from them.

A field becomes an option when it is declared with :func:`option`; other fields (study
constants that are not set on the command line) keep their default. The option's value type
follows the field's annotation unless given: ``Path`` (``Path | None``) for files, ``int``,
``float``, ``str``, ``bool`` (a switch), and ``tuple[str, ...]`` as a comma-separated list (a
``tuple[Path, ...]`` with ``nargs`` is a list of files). As MultiQC maps its options onto its
config, :func:`add_options` adds a class's options to a parser and :func:`from_args` builds the
object back from the parsed namespace, so a new threshold is one field.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

OPTION_KEY = "tkiseq.option"
ANNOTATION_HELP = "annotation bundle folder (tkiseq prepare writes <outdir>/annotation)"
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one field is set on the command line (kept in the field's metadata)."""

    help: str
    flag: str = ""  # "--min-mapped"; "" -> --<field-name>
    positional: bool = False
    type: Callable[[str], Any] | None = None  # default: from the annotation
    choices: tuple[str, ...] | None = None
    nargs: str | None = None  # "+", "*": a list of values, given as a tuple field
    exclusive: str = ""  # one option of this group, and only one, is required
    to_cli: Callable[[Any], Any] | None = None  # field default -> the option's shown default
    from_cli: Callable[[Any], Any] | None = None  # the option's value -> the field's


def option(
    default: Any = dataclasses.MISSING,
    *,
    help: str,
    flag: str = "",
    positional: bool = False,
    type: Callable[[str], Any] | None = None,
    choices: tuple[str, ...] | None = None,
    nargs: str | None = None,
    exclusive: str = "",
    to_cli: Callable[[Any], Any] | None = None,
    from_cli: Callable[[Any], Any] | None = None,
) -> Any:
    """A dataclass field that is also a command-line option; no default: a required one."""
    spec = Spec(help, flag, positional, type, choices, nargs, exclusive, to_cli, from_cli)
    return dataclasses.field(default=default, metadata={OPTION_KEY: spec})


@dataclasses.dataclass(frozen=True)
class NoParams:
    """The ``Params`` of a stage that has nothing to tune."""


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated list (``--covariates a,b``), blanks dropped."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def positive_int(text: str) -> int:
    """An argparse type for counts such as ``--threads``: 0 or less is refused here, in
    words, not by the tool that receives it."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found '{text}'; expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"found {value}; expected 1 or more")
    return value


def _options(cls: type) -> list[tuple[dataclasses.Field[Any], Spec, Any]]:
    """The option fields of ``cls`` with their spec and resolved annotation."""
    hints = typing.get_type_hints(cls)
    return [
        (f, f.metadata[OPTION_KEY], hints[f.name])
        for f in dataclasses.fields(cls)
        if OPTION_KEY in f.metadata
    ]


def _plain(hint: Any) -> Any:
    """``X`` of ``X | None``; ``X`` of ``tuple[X, ...]``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _plain(args[0])
    if typing.get_origin(hint) is tuple:
        return args[0]
    return hint


def _is_comma_list(spec: Spec, hint: Any) -> bool:
    return typing.get_origin(hint) is tuple and spec.nargs is None and spec.to_cli is None


def flag_of(f: dataclasses.Field[Any]) -> str:
    """The option string of a field (its positional name for a positional)."""
    spec: Spec = f.metadata[OPTION_KEY]
    return f.name if spec.positional else spec.flag or f"--{f.name.replace('_', '-')}"


def cli_default(cls: type, name: str) -> Any:
    """The default of field ``name`` as the command line shows it (a tuple as a comma list)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    spec: Spec = f.metadata[OPTION_KEY]
    value: Any = f.default
    if spec.to_cli is not None:
        return spec.to_cli(value)
    if spec.nargs is not None:
        return list(value)
    return ",".join(value) if isinstance(value, tuple) else value


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING  # option() takes no default_factory


def add_options(parser: argparse.ArgumentParser, *classes: type) -> None:
    """Add the options of each class's fields, in field order."""
    groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
    for cls in classes:
        for f, spec, hint in _options(cls):
            kw: dict[str, Any] = {"help": spec.help}
            target: Any = parser
            if spec.exclusive:
                if spec.exclusive not in groups:
                    groups[spec.exclusive] = parser.add_mutually_exclusive_group(required=True)
                target = groups[spec.exclusive]
            if _plain(hint) is bool:
                kw["action"] = "store_false" if f.default else "store_true"
            else:
                kw["type"] = spec.type or (str if _is_comma_list(spec, hint) else _plain(hint))
                kw |= {"choices": spec.choices, "nargs": spec.nargs}
                if _has_default(f) and not spec.positional:  # a positional's is [] or none
                    kw["default"] = cli_default(cls, f.name)
            if spec.positional:
                target.add_argument(f.name, **kw)
                continue
            if not _has_default(f):
                kw["required"] = True
            flag = flag_of(f)
            if "action" not in kw and spec.choices is None:  # choices show as {a,b}
                kw["metavar"] = flag.lstrip("-").replace("-", "_").upper()
            target.add_argument(flag, dest=f.name, **kw)


def from_args(cls: type[T], namespace: argparse.Namespace) -> T:
    """An instance of ``cls`` from the options :func:`add_options` added for it."""
    values: dict[str, Any] = {}
    for f, spec, hint in _options(cls):
        value = getattr(namespace, f.name)
        if spec.from_cli is not None:
            value = spec.from_cli(value)
        elif _is_comma_list(spec, hint):
            value = tuple(_plain(hint)(item) for item in split_list(value or ""))
        elif spec.nargs is not None:
            value = tuple(value)
        values[f.name] = value
    return cls(**values)
