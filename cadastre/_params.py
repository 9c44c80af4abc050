"""Parameters declared once: type, default, unit, range and source, and what is made from them.

A configuration is a frozen dataclass whose fields are declared with
:func:`param` (a value) or :func:`section` (a sub-table)::

    @dataclasses.dataclass(frozen=True)
    class PVConfig:
        module_density: float = param(0.2, "kWp/m2", "modules about 20 % efficient (assumption)", gt=0.0, le=1.0)

From these declarations the engine

- reads a TOML file (:func:`read_toml`) and builds a configuration from a TOML
  table (:func:`build`), keys left out keeping their defaults; a bad value is a
  one-line :class:`~cadastre.errors.OptionError` naming the file, the key, the
  value and the allowed range; an unknown key is refused with the valid ones;
- checks a configuration built in code (:func:`check`);
- writes the commented TOML file of ``--print-config`` and ``cadastre init``
  (:func:`toml_lines`), each key with its meaning, source, unit, range and
  default;
- lists the parameters (:func:`rows`) and writes their markdown table
  (:func:`markdown_table`, ``python -m cli.parameters``).

Values are checked by pydantic: each declaration becomes a pydantic ``Field``
(strict type, ``ge``/``gt``/``le``/``lt`` bounds, NaN and infinities refused,
``description`` = the source, ``json_schema_extra`` = unit) validated by a
``TypeAdapter``, and a ``ValidationError`` becomes the one-line error. The
configurations themselves stay standard frozen dataclasses rather than pydantic
models: their contract includes positional construction, ``dataclasses.replace``
and ``dataclasses.asdict`` (the stage hashes that resume territory runs are
computed from it), and values built in code that are checked later under the
name of their file (pydantic models validate when they are built).

Conventions: integers are accepted for real numbers; a real number that is
whole is accepted for an integer; booleans and strings are not numbers; TOML
dates are read as ISO text; a list of numbers is never empty.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
import re
import textwrap
import tomllib
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from cadastre.errors import InputFileError, OptionError

__all__ = [
    "Param",
    "build",
    "check",
    "markdown_table",
    "param",
    "params",
    "read_input_bytes",
    "read_toml",
    "rows",
    "section",
    "toml_lines",
    "toml_value",
]

_PARAM = "cadastre.param"
_SECTION = "cadastre.section"
_LINE_RE = re.compile(r"line (\d+)")
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}


# --------------------------------------------------------------------------- declaring


@dataclasses.dataclass(frozen=True)
class Param:
    """What a parameter means and which values it takes (the declaration of :func:`param`).

    Bounds apply to the value, or to each item of a list. ``choices`` is a
    sequence of allowed strings, or a function returning it (for choices
    defined by a module that cannot be imported at declaration time).
    ``example`` is written, commented out, for a parameter whose default is
    ``None`` (a value computed from others). ``rule`` states in words the
    values taken by a parameter that has no bounds and no choices (a path, a
    date), or a rule checked by its configuration's module.
    """

    unit: str
    source: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: Sequence[str] | Callable[[], Sequence[str]] | None = None
    example: Any = None
    rule: str = ""

    @property
    def bounded(self) -> bool:
        """Whether the declaration gives a lower or an upper bound."""
        return any(b is not None for b in (self.ge, self.gt, self.le, self.lt))

    def interval(self) -> str:
        """The allowed range as an interval, e.g. ``'(0, 1]'``, ``'[0, inf)'``."""
        low, low_open = (self.gt, True) if self.gt is not None else (self.ge, False)
        high, high_open = (self.lt, True) if self.lt is not None else (self.le, False)
        low_text = "-inf" if low is None else f"{low:g}"
        high_text = "inf" if high is None else f"{high:g}"
        opening = "(" if low_open or low is None else "["
        closing = ")" if high_open or high is None else "]"
        return f"{opening}{low_text}, {high_text}{closing}"

    def allowed(self) -> tuple[str, ...] | None:
        """The allowed strings, or ``None`` when any string is."""
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def range_text(self, value: Any) -> str:
        """The range as written in the TOML comments and the docs: interval, choices and rule."""
        parts = []
        if self.allowed() is not None:
            parts.append("one of " + ", ".join(self.allowed()))
        if self.bounded:
            parts.append(f"each in {self.interval()}" if isinstance(value, tuple) else f"in {self.interval()}")
        if self.rule:
            parts.append(self.rule)
        return ", ".join(parts)


def param(default: Any, unit: str, source: str, *, ge: float | None = None, gt: float | None = None,
          le: float | None = None, lt: float | None = None,
          choices: Sequence[str] | Callable[[], Sequence[str]] | None = None, example: Any = None,
          rule: str = "") -> Any:
    """Declare a parameter: a dataclass field with its default, unit ('' when unitless), source and range.

    The field's type annotation gives its type: ``float``, ``int``, ``str``,
    ``tuple[float, ...]``, ``tuple[str, ...]``, ``tuple[tuple[str, str], ...]``
    or ``float | None``.
    """
    declared = Param(unit, source, ge, gt, le, lt, choices, example, rule)
    return dataclasses.field(default=default, metadata={_PARAM: declared})


def section(factory: Callable[[], Any], note: str) -> Any:
    """Declare a sub-table: a dataclass field built by ``factory``, described by ``note``."""
    return dataclasses.field(default_factory=factory, metadata={_SECTION: note})


def params(obj: Any) -> Iterator[tuple[dataclasses.Field, Param]]:
    """The declared parameters of a configuration class or instance (sections left out), in order."""
    for f in dataclasses.fields(obj):
        if _PARAM in f.metadata:
            yield f, f.metadata[_PARAM]


def _sections(obj: Any) -> Iterator[tuple[dataclasses.Field, str]]:
    for f in dataclasses.fields(obj):
        if _SECTION in f.metadata:
            yield f, f.metadata[_SECTION]


# --------------------------------------------------------------------------- pydantic types


def _whole(value: Any) -> Any:
    """A real number that is whole, as an integer (others are left to the integer check)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso(value: Any) -> Any:
    """A TOML date as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _scalar(kind: type, declared: Param) -> Any:
    """The pydantic type of one value of kind ``float``, ``int`` or ``str``, with the declared bounds."""
    limits = {k: getattr(declared, k) for k in ("ge", "gt", "le", "lt") if getattr(declared, k) is not None}
    if kind is float:
        return Annotated[float, Field(strict=True, allow_inf_nan=False, **limits)]
    if kind is int:
        return Annotated[int, BeforeValidator(_whole), Field(strict=True, **limits)]
    if kind is str:
        return Annotated[str, BeforeValidator(_iso), Field(strict=True)]
    raise TypeError(f"parameters of type {kind!r} are not supported")


def _pydantic_type(hint: Any, declared: Param) -> Any:
    """The pydantic type of a declared field from its annotation."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _pydantic_type(inner, declared)
    if typing.get_origin(hint) is tuple:
        item = args[0]
        if typing.get_origin(item) is tuple:  # pairs of strings
            first, second = (_scalar(k, declared) for k in typing.get_args(item))
            return tuple[tuple[first, second], ...]  # type: ignore[valid-type]
        if item is float:
            return Annotated[tuple[_scalar(float, declared), ...], Field(min_length=1)]  # type: ignore[misc]
        return tuple[_scalar(item, declared), ...]  # type: ignore[misc]
    return _scalar(hint, declared)


@functools.cache
def _adapter(cls: type, name: str) -> TypeAdapter:
    """The pydantic validator of field ``name`` of configuration class ``cls``."""
    hint = typing.get_type_hints(cls, include_extras=True)[name]
    declared = next(p for f, p in params(cls) if f.name == name)
    return TypeAdapter(_pydantic_type(hint, declared))


def _what(hint: Any) -> str:
    """How the messages name a type."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return _what(next(a for a in typing.get_args(hint) if a is not type(None)))
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if typing.get_origin(item) is tuple:
            return "a list of [first, last] date pairs"
        return "a non-empty list of numbers" if item is float else "a list of strings"
    return {float: "a number", int: "a whole number", str: "a string"}[hint]


# --------------------------------------------------------------------------- checking


def _value(where: str, cls: type, name: str, key: str, value: Any, default: Any) -> Any:
    """One value checked and converted to its declared type; a one-line OptionError otherwise."""
    declared = next(p for f, p in params(cls) if f.name == key)
    try:
        out = _adapter(cls, key).validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] in _BOUND_ERRORS:
            bad = error["input"]
            if error["loc"]:
                raise OptionError(f"{where}: {name} has {bad:g}, out of range; give values in "
                                  f"{declared.interval()}") from None
            unit = f" {declared.unit}" if declared.unit else ""
            raise OptionError(f"{where}: {name} = {bad:g}{unit} is out of range; give a value in "
                              f"{declared.interval()}") from None
        hint = typing.get_type_hints(cls)[key]
        example = default if default is not None else declared.example
        raise OptionError(f"{where}: {name} must be {_what(hint)}, got {value!r} ({type(value).__name__}); "
                          f"write e.g. {key} = {toml_value(example)}") from None
    allowed = declared.allowed()
    if allowed is not None:
        for item in out if isinstance(out, tuple) else (out,):
            if item not in allowed:
                shown = list(out) if isinstance(out, tuple) else out
                raise OptionError(f"{where}: {name} = {shown!r} is not one of the choices; use "
                                  f"{'only' if isinstance(out, tuple) else 'one of'} {', '.join(allowed)}")
    return out


def _label(prefix: str) -> str:
    return f"[{prefix.rstrip('.')}]" if prefix else "the top level"


def build(defaults: Any, table: Any, where: str = "config", prefix: str = "") -> Any:
    """A copy of configuration ``defaults`` with the values of a parsed TOML table, each checked.

    Parameters
    ----------
    defaults : dataclass instance
        The configuration whose values the keys left out keep.
    table : dict
        Parsed TOML (sub-tables for the sections).
    where : str, default 'config'
        Prefix of the error messages (the file the values came from).
    prefix : str, default ''
        Dotted name of ``table`` in the file (``'loads.school.'``), for the messages.

    Raises
    ------
    OptionError
        A section that is not a table, a value that is a table, an unknown key
        (the message lists the valid ones), a value of the wrong type, out of
        its range or not one of its choices.
    """
    if not isinstance(table, dict):
        name = prefix.rstrip(".")
        raise OptionError(f"{where}: '{name}' must be a section, got {table!r}; write [{name}] followed by its keys")
    declared = [f.name for f, _p in params(defaults)]
    sections = [f.name for f, _n in _sections(defaults)]
    values = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key in sections:
            values[key] = build(getattr(defaults, key), value, where, f"{name}.")
        elif key in declared:
            if isinstance(value, dict):
                place = f"in {_label(prefix)}" if prefix else "before any [section]"
                raise OptionError(f"{where}: '{name}' is a value, not a section; write {key} = ... {place}")
            values[key] = _value(where, type(defaults), name, key, value, getattr(defaults, key))
        elif isinstance(value, dict) and sections:
            raise OptionError(f"{where}: unknown section [{name}]; valid sections: "
                              f"{', '.join(f'[{prefix}{s}]' for s in sections)}")
        else:
            also = f" (the others go in the sections {', '.join(f'[{prefix}{s}]' for s in sections)})" if sections \
                else ""
            raise OptionError(f"{where}: unknown key '{name}'; valid keys of {_label(prefix)}: "
                              f"{', '.join(f.name for f, _p in params(defaults))}{also}")
    return dataclasses.replace(defaults, **values)


def check(config: Any, where: str = "config", prefix: str = "") -> Any:
    """Check every declared value of a configuration built in code; return it unchanged.

    Raises
    ------
    OptionError
        As :func:`build`: a value of the wrong type, out of range or not one of its choices.
    """
    for f, _note in _sections(config):
        check(getattr(config, f.name), where, f"{prefix}{f.name}.")
    for f, _p in params(config):
        value = getattr(config, f.name)
        if value is not None or f.default is not None:
            _value(where, type(config), f"{prefix}{f.name}", f.name, value, f.default)
    return config


# --------------------------------------------------------------------------- reading


def read_input_bytes(path: str | os.PathLike, *, given_to: str, what: str) -> bytes:
    """The bytes of an input file; a missing, folder, forbidden or unreadable path is a one-line InputFileError.

    ``given_to`` names where the user gave the path, ``what`` the kind of file expected (for the messages).
    """
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; check the path given to {given_to}") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder; give {what} to {given_to}") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc}); check the file") from None


def read_toml(path: str | os.PathLike, *, given_to: str = "--config",
              example: str = "cadastre buildings --print-config") -> dict:
    """Parse a TOML file; OS errors and non-UTF-8 text are InputFileError, syntax errors OptionError.

    ``given_to`` names where the user gave the path, ``example`` the command
    that prints a valid file (both for the messages).
    """
    raw = read_input_bytes(path, given_to=given_to, what="a TOML file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text; save the configuration as a UTF-8 TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = " ".join(str(exc).split())
        line = _LINE_RE.search(message)
        at = f" at line {line.group(1)}" if line else ""
        raise OptionError(f"{path}: invalid TOML{at} ({message}); fix the syntax, see '{example}'") from None


# --------------------------------------------------------------------------- writing


def toml_value(value: Any) -> str:
    """A Python value as TOML (strings, numbers, tuples of them)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
    return repr(value)


def _comment(declared: Param, default: Any, width: int = 110) -> list[str]:
    """The comment lines above a key: source, then [unit], range and default (on the last line)."""
    shown = "none" if default is None else toml_value(default)
    span = declared.range_text(default)
    meta = f"[{declared.unit or '-'}] {f'{span}; ' if span else ''}default: {shown}"
    lines = textwrap.wrap(f"{declared.source}.", width - 2, break_long_words=False, break_on_hyphens=False)
    if len(lines[-1]) + 1 + len(meta) <= width - 2:
        lines[-1] = f"{lines[-1]} {meta}"
    else:
        lines.append(meta)
    return [f"# {line}" for line in lines]


def toml_lines(config: Any, defaults: Any = None, prefix: str = "") -> list[str]:
    """The commented TOML of a configuration: its keys, then its sections as ``[prefix.name]`` tables.

    Each key is preceded by a comment with its meaning and source, its
    ``[unit]``, its range and its default (from ``defaults``, by default the
    class's); a key whose value is ``None`` is written commented out, with its
    declared example. Parsing the lines gives ``config`` back.
    """
    defaults = type(config)() if defaults is None else defaults
    lines: list[str] = []
    for f, declared in params(config):
        value = getattr(config, f.name)
        lines += _comment(declared, getattr(defaults, f.name))
        if value is None:
            lines.append(f"# {f.name} = {toml_value(declared.example)}")
        else:
            lines.append(f"{f.name} = {toml_value(value)}")
    for f, note in _sections(config):
        lines += ["", f"[{prefix}{f.name}]", f"# {note}"]
        lines += toml_lines(getattr(config, f.name), getattr(defaults, f.name), f"{prefix}{f.name}.")
    return lines


def rows(config: Any, prefix: str = "") -> list[tuple[str, Any, Param]]:
    """Every parameter of a configuration as ``(dotted name, value, declaration)``, in file order."""
    out = [(f"{prefix}{f.name}", getattr(config, f.name), declared) for f, declared in params(config)]
    for f, _note in _sections(config):
        out += rows(getattr(config, f.name), f"{prefix}{f.name}.")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(config: Any, prefix: str = "") -> str:
    """A markdown table of every parameter of ``config``: key, default, unit, range, source."""
    lines = ["| key | default | unit | range | source |", "|---|---|---|---|---|"]
    for name, value, declared in rows(config, prefix):
        default = "none" if value is None else toml_value(value)
        lines.append(f"| `{name}` | `{_cell(default)}` | {_cell(declared.unit) or '-'} | "
                     f"{_cell(declared.range_text(value)) or '-'} | {_cell(declared.source)} |")
    return "\n".join(lines) + "\n"
