"""Every parameter of the buildings stage, with its default, unit and source.

``cadastre buildings --config FILE.toml`` reads them from a TOML file
(:func:`load_config`); ``cadastre buildings --print-config`` prints every key
at its default, commented (:func:`default_config_toml`). Keys left out keep
their defaults.

==================================  =========================  =========  =====================================================
parameter                           default                    unit       source / reasoning
==================================  =========================  =========  =====================================================
``sky``                             ``"perez"``                --         diffuse sky model of the unshaded reference planes
                                                                          (Perez et al. 1990, as in pvlib); an irradiance raster
                                                                          that records its own sky model overrides it
``albedo``                          0.2                        --         ground reflectance; the usual default of pvlib and
                                                                          PVWatts (assumption for an urban ground)
``pv.module_density``               0.2                        kWp m-2    modules about 20 % efficient (400 Wp on about 2 m2);
                                                                          assumption for current mono-crystalline modules
``pv.system_losses``                0.14                       --         PVWatts v5 default total DC losses (soiling 2 %,
                                                                          shading 3 %, mismatch 2 %, wiring 2 %, connections
                                                                          0.5 %, light-induced degradation 1.5 %, nameplate
                                                                          1 %, availability 3 %), Dobos 2014
``pv.inverter_efficiency``          0.96                       --         PVWatts v5 nominal inverter efficiency, Dobos 2014
``pv.dc_ac_ratio``                  1.1                        --         DC/AC sizing ratio of the PVWatts v5 calculator
``pv.gamma_pdc``                    -0.0037                    1/degC     power temperature coefficient of current crystalline
                                                                          silicon modules (assumption; PVWatts v5 uses -0.0047
                                                                          for 'standard' and -0.0035 for 'premium' modules)
``pv.temperature_model``            ``"close_mount_glass_``    --         pvlib SAPM cell temperature parameters for modules
                                    ``glass"``                            mounted close to a roof (King et al. 2004)
``roofs.min_height``                2.0                        m          nDSM above which a footprint cell is roof
                                                                          (assumption: lower cells are ground, cars, fences)
``roofs.flat_slope``                10.0                       degrees    below: flat roof, one face per building part
                                                                          (assumption)
``roofs.max_slope``                 60.0                       degrees    steeper cells are walls or edges, unsuitable
                                                                          (Gagnon et al. 2016)
``roofs.max_face_angle``            15.0                       degrees    region growing: largest angle between a cell's
                                                                          normal and its face's mean normal (assumption)
``roofs.min_fragment_area``         4.0                        m2         smaller faces (ridge, hip and eave artefacts) are
                                                                          merged into a neighbour (assumption)
``roofs.min_face_area``             10.0                       m2         usable area of a suitable face, about 5 modules
                                                                          (Gagnon et al. 2016)
``roofs.setback``                   0.5                        m          edge set-back removed from each face, for fire and
                                                                          maintenance access (assumption)
``roofs.north_limit``               45.0                       degrees    pitched faces whose azimuth lies within this angle
                                                                          of north are unsuitable (assumption: the north
                                                                          quadrant, north-west to north-east)
``roofs.min_irradiation_fraction``  0.7                        --         a suitable face receives at least this fraction of
                                                                          the unshaded optimal plane's irradiation
                                                                          (assumption, looser than the 80 % threshold of
                                                                          Gagnon et al. 2016: faces at 70-80 % are kept,
                                                                          as class 2)
``roofs.class_thresholds``          0.7, 0.8, 0.9, 0.95        --         fractions of the optimal plane's irradiation that
                                                                          start classes 2 to 5 (class 1: below 0.7); five
                                                                          classes after Sonnendach
                                                                          (Swiss Federal Office of Energy), whose limits are in
                                                                          absolute kWh m-2: the fractions are an assumption
``aggregate.net_reduction``         0.35                       --         share of the gross usable area lost to what the DSM
                                                                          does not show (chimneys, skylights, vents, structure,
                                                                          heritage rules): an assumption to review; studies
                                                                          separating 'geographical' and 'technical' potential
                                                                          lose roughly 25 to 50 %
==================================  =========================  =========  =====================================================

Notes
-----
PVWatts' 14 % includes a 3 % allowance for shading, which this engine also
models explicitly (the shading ratio of each face); set
``system_losses = 0.114`` to remove the overlap. No angle-of-incidence
(reflection) loss is applied: :mod:`cadastre.solar.energy` feeds the plane-of-array
irradiance to PVWatts as the effective irradiance.

References
----------
.. [1] P. Gagnon, R. Margolis, J. Melius, C. Phillips, R. Elmore, "Rooftop
   Solar Photovoltaic Technical Potential in the United States: A Detailed
   Assessment", NREL/TP-6A20-65298, 2016.
.. [2] A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014.
.. [3] D. L. King, W. E. Boyson, J. A. Kratochvil, "Photovoltaic Array
   Performance Model", SAND2004-3535, Sandia National Laboratories, 2004.
.. [4] Swiss Federal Office of Energy, Sonnendach.ch (roof suitability for
   solar energy, five classes).
.. [5] R. Perez, P. Ineichen, R. Seals, J. Michalsky, R. Stewart, "Modeling
   daylight availability and irradiance components from direct and global
   irradiance", Solar Energy 44(5), 1990.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pvlib

from cadastre.errors import InputFileError, OptionError

__all__ = [
    "AggregateConfig",
    "Config",
    "PVConfig",
    "RoofConfig",
    "check_config",
    "config_from_dict",
    "default_config_toml",
    "load_config",
]


@dataclasses.dataclass(frozen=True)
class PVConfig:
    """PV system parameters (PVWatts v5 with SAPM cell temperature).

    Attributes
    ----------
    module_density : float, default 0.2
        Installed DC power per usable roof area. [kWp m-2]
    system_losses : float, default 0.14
        Total DC losses (soiling, shading, mismatch, wiring, connections,
        light-induced degradation, nameplate, availability). [unitless]
    inverter_efficiency : float, default 0.96
        PVWatts nominal inverter efficiency. [unitless]
    dc_ac_ratio : float, default 1.1
        DC nameplate over inverter AC rating. [unitless]
    gamma_pdc : float, default -0.0037
        Power temperature coefficient. [1/°C]
    temperature_model : str, default 'close_mount_glass_glass'
        Key of ``pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS['sapm']``.
    """

    module_density: float = 0.2
    system_losses: float = 0.14
    inverter_efficiency: float = 0.96
    dc_ac_ratio: float = 1.1
    gamma_pdc: float = -0.0037
    temperature_model: str = "close_mount_glass_glass"


@dataclasses.dataclass(frozen=True)
class RoofConfig:
    """Roof segmentation and suitability rules.

    Attributes
    ----------
    min_height : float, default 2.0
        nDSM above which a cell inside a footprint is roof. [m]
    flat_slope : float, default 10.0
        Faces flatter than this are flat roofs. [degrees]
    max_slope : float, default 60.0
        Steeper cells are walls or edges, unusable. [degrees]
    max_face_angle : float, default 15.0
        Region-growing tolerance between a cell normal and its face's mean
        normal. [degrees]
    min_fragment_area : float, default 4.0
        Faces smaller than this are merged into a neighbour. [m2]
    min_face_area : float, default 10.0
        Smallest usable area of a suitable face. [m2]
    setback : float, default 0.5
        Edge set-back removed from each face. [m]
    north_limit : float, default 45.0
        Pitched faces whose azimuth is within this angle of north are
        unsuitable. [degrees]
    min_irradiation_fraction : float, default 0.7
        Smallest irradiation of a suitable face, as a fraction of the
        unshaded optimal plane's. [unitless]
    class_thresholds : tuple of 4 floats, default (0.7, 0.8, 0.9, 0.95)
        Fractions of the optimal plane's irradiation starting classes 2-5.
        [unitless]
    """

    min_height: float = 2.0
    flat_slope: float = 10.0
    max_slope: float = 60.0
    max_face_angle: float = 15.0
    min_fragment_area: float = 4.0
    min_face_area: float = 10.0
    setback: float = 0.5
    north_limit: float = 45.0
    min_irradiation_fraction: float = 0.7
    class_thresholds: tuple[float, ...] = (0.7, 0.8, 0.9, 0.95)


@dataclasses.dataclass(frozen=True)
class AggregateConfig:
    """From gross to net potential.

    Attributes
    ----------
    net_reduction : float, default 0.35
        Share of the gross usable area lost to obstacles and constraints the
        DSM does not show (assumption to review). [unitless]
    """

    net_reduction: float = 0.35


@dataclasses.dataclass(frozen=True)
class Config:
    """All parameters of the buildings stage.

    Attributes
    ----------
    pv : PVConfig
        PV system.
    roofs : RoofConfig
        Faces and suitability.
    aggregate : AggregateConfig
        Gross to net.
    sky : str, default 'perez'
        Diffuse sky model of the unshaded reference planes: 'isotropic' or
        'perez'.
    albedo : float, default 0.2
        Ground reflectance. [unitless]
    """

    pv: PVConfig = dataclasses.field(default_factory=PVConfig)
    roofs: RoofConfig = dataclasses.field(default_factory=RoofConfig)
    aggregate: AggregateConfig = dataclasses.field(default_factory=AggregateConfig)
    sky: str = "perez"
    albedo: float = 0.2


# --------------------------------------------------------------------------
# rules: unit, one-line note for the TOML file, valid range
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Rule:
    """What a key means and which values it takes."""

    unit: str
    note: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def accepts(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def interval(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


_TOP = ""  # section name of the top-level keys

_RULES: dict[str, dict[str, _Rule]] = {
    _TOP: {
        "sky": _Rule("", "diffuse sky model of the unshaded reference planes: isotropic or perez (Perez et al. 1990)"),
        "albedo": _Rule("", "ground reflectance (usual pvlib/PVWatts default; assumption)", 0.0, 1.0),
    },
    "pv": {
        "module_density": _Rule(
            "kWp/m2",
            "DC power per m2 of usable roof: ~20 % efficient modules, 400 Wp on ~2 m2 (assumption)",
            0.0,
            1.0,
            low_open=True,
        ),
        "system_losses": _Rule(
            "",
            "total DC losses, PVWatts v5 default (Dobos 2014; includes 3 % shading, also modelled here)",
            0.0,
            1.0,
            high_open=True,
        ),
        "inverter_efficiency": _Rule(
            "", "nominal inverter efficiency, PVWatts v5 (Dobos 2014)", 0.0, 1.0, low_open=True
        ),
        "dc_ac_ratio": _Rule(
            "", "DC nameplate / inverter AC rating, PVWatts v5 calculator default", 0.0, 10.0, low_open=True
        ),
        "gamma_pdc": _Rule("1/degC", "power temperature coefficient, crystalline silicon (assumption)", -0.02, 0.0),
        "temperature_model": _Rule(
            "",
            "pvlib SAPM cell temperature parameters (King et al. 2004): "
            + ", ".join(pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]),
        ),
    },
    "roofs": {
        "min_height": _Rule("m", "nDSM above which a cell inside a footprint is roof (assumption)", 0.0),
        "flat_slope": _Rule("degrees", "flatter faces are flat roofs, one face per building part", 0.0, 90.0),
        "max_slope": _Rule("degrees", "steeper cells are walls or edges, unsuitable (Gagnon et al. 2016)", 0.0, 90.0),
        "max_face_angle": _Rule(
            "degrees", "region growing: max angle between a cell normal and its face's normal", 0.0, 90.0, low_open=True
        ),
        "min_fragment_area": _Rule("m2", "smaller faces (ridge, hip, eave artefacts) merge into a neighbour", 0.0),
        "min_face_area": _Rule("m2", "smallest usable area of a suitable face (Gagnon et al. 2016)", 0.0),
        "setback": _Rule("m", "edge set-back removed from each face, fire and maintenance access (assumption)", 0.0),
        "north_limit": _Rule(
            "degrees", "pitched faces within this angle of north are unsuitable (assumption)", 0.0, 180.0
        ),
        "min_irradiation_fraction": _Rule(
            "", "suitable: >= this fraction of the unshaded optimal plane (assumption; Gagnon 2016 uses 80 %)", 0.0, 1.0
        ),
        "class_thresholds": _Rule(
            "",
            "4 increasing fractions of the optimal plane starting classes 2-5 (after Sonnendach; assumption)",
            0.0,
            1.0,
        ),
    },
    "aggregate": {
        "net_reduction": _Rule(
            "",
            "share of gross usable area lost to obstacles, structure, heritage: assumption to review (25-50 %)",
            0.0,
            1.0,
        ),
    },
}

_SECTIONS: dict[str, type] = {"pv": PVConfig, "roofs": RoofConfig, "aggregate": AggregateConfig}
_N_THRESHOLDS = 4
_LINE_RE = re.compile(r"line (\d+)")


def _name(section: str, key: str) -> str:
    return f"{section}.{key}" if section else key


def _type_name(value: Any) -> str:
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(where: str, section: str, key: str, value: Any, default: Any) -> Any:
    """Check the TOML type of ``value`` against its default's; return it as the field's type."""
    name = _name(section, key)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(_is_number(v) for v in value):
            raise OptionError(
                f"{where}: {name} must be a list of numbers, got {value!r}; write e.g. {key} = {_toml_value(default)}"
            )
        return tuple(float(v) for v in value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise OptionError(
                f"{where}: {name} must be a string, got {value!r} ({_type_name(value)}); "
                f"write e.g. {key} = {_toml_value(default)}"
            )
        return value
    if not _is_number(value):
        raise OptionError(
            f"{where}: {name} must be a number, got {value!r} ({_type_name(value)}); "
            f"write e.g. {key} = {_toml_value(default)}"
        )
    return float(value)


def _check_value(where: str, section: str, key: str, value: Any) -> None:
    """Range and choice checks of one value (already of the right type)."""
    name = _name(section, key)
    rule = _RULES[section][key]
    if key == "sky":
        from cadastre.solar.sky import SKY_MODELS

        if str(value).lower() not in SKY_MODELS:
            raise OptionError(f"{where}: sky = {value!r} is not a sky model; use one of {', '.join(SKY_MODELS)}")
        return
    if key == "temperature_model":
        choices = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
        if value not in choices:
            raise OptionError(
                f"{where}: {name} = {value!r} is not a pvlib SAPM parameter set; use one of {', '.join(choices)}"
            )
        return
    if key == "class_thresholds":
        v = list(value)
        if (
            len(v) != _N_THRESHOLDS
            or not all(rule.accepts(x) for x in v)
            or any(b <= a for a, b in itertools.pairwise(v))
        ):
            raise OptionError(
                f"{where}: {name} = {v} must be {_N_THRESHOLDS} strictly increasing fractions in "
                f"{rule.interval()}; write e.g. {key} = {_toml_value(RoofConfig().class_thresholds)}"
            )
        return
    if not _is_number(value):
        raise OptionError(f"{where}: {name} must be a number, got {value!r} ({_type_name(value)}); give a number")
    if not (math.isfinite(value) and rule.accepts(value)):
        unit = f" {rule.unit}" if rule.unit else ""
        raise OptionError(f"{where}: {name} = {value:g}{unit} is out of range; give a value in {rule.interval()}")


def check_config(config: Config, where: str = "config") -> Config:
    """Check every value of ``config``; return it unchanged.

    Parameters
    ----------
    config : Config
        Parameters to check.
    where : str, default 'config'
        Prefix of the error messages (the file the values came from).

    Returns
    -------
    Config
        ``config`` itself.

    Raises
    ------
    OptionError
        A value out of its range, an unknown sky or temperature model, class
        thresholds not increasing, or ``roofs.flat_slope >= roofs.max_slope``.
    """
    _check_value(where, _TOP, "sky", config.sky)
    _check_value(where, _TOP, "albedo", config.albedo)
    for section in _SECTIONS:
        part = getattr(config, section)
        for f in dataclasses.fields(part):
            _check_value(where, section, f.name, getattr(part, f.name))
    r = config.roofs
    if r.flat_slope >= r.max_slope:
        raise OptionError(
            f"{where}: roofs.flat_slope = {r.flat_slope:g} is not below roofs.max_slope = {r.max_slope:g}; "
            "make flat_slope smaller than max_slope"
        )
    return config


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


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


def _read_toml(path: str | os.PathLike, *, given_to: str = "--config",
               example: str = "cadastre buildings --print-config") -> dict:
    """Parse a TOML file; OS errors -> InputFileError, syntax errors -> OptionError.

    ``given_to`` names where the user gave the path, ``example`` the command that
    prints a valid file (both for the messages).
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
        raise OptionError(
            f"{path}: invalid TOML{at} ({message}); fix the syntax, see '{example}'"
        ) from None


def _section(where: str, name: str, table: Any) -> Any:
    """Build one section's dataclass from its TOML table."""
    cls = _SECTIONS[name]
    if not isinstance(table, dict):
        raise OptionError(f"{where}: '{name}' must be a section, got {table!r}; write [{name}] followed by its keys")
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for key in table:
        if key not in defaults:
            raise OptionError(f"{where}: unknown key '{name}.{key}'; valid keys of [{name}]: {', '.join(defaults)}")
    return cls(**{k: _coerce(where, name, k, v, defaults[k]) for k, v in table.items()})


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read the parameters of the buildings stage from a TOML file.

    The file has top-level keys ``sky`` and ``albedo`` and sections ``[pv]``,
    ``[roofs]`` and ``[aggregate]`` (see :func:`default_config_toml`); keys
    left out keep their defaults. Integers are accepted for real numbers.

    Parameters
    ----------
    path : str or os.PathLike, optional
        TOML file. ``None`` gives the defaults.

    Returns
    -------
    Config

    Raises
    ------
    InputFileError
        The file is missing, a folder, unreadable or not UTF-8.
    OptionError
        Invalid TOML (the message gives the line), an unknown section or key
        (the message lists the valid ones), a value of the wrong type or out
        of its range.
    """
    if path is None:
        return Config()
    return config_from_dict(_read_toml(path), str(path))


def read_toml(path: str | os.PathLike, *, given_to: str = "--config",
              example: str = "cadastre buildings --print-config") -> dict:
    """Parse a TOML file with the engine's one-line errors (InputFileError, OptionError).

    ``given_to`` and ``example`` complete the messages (see :func:`_read_toml`).
    """
    return _read_toml(path, given_to=given_to, example=example)


def config_from_dict(data: dict, where: str = "config") -> Config:
    """Build and check a :class:`Config` from parsed TOML (see :func:`load_config`).

    ``where`` prefixes the error messages (the file the values came from).
    """
    parts: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            parts[key] = _section(where, key, value)
        elif key in _RULES[_TOP]:
            if isinstance(value, dict):
                raise OptionError(f"{where}: '{key}' is a value, not a section; write {key} = ... before any [section]")
            default = getattr(Config(), key)
            parts[key] = _coerce(where, _TOP, key, value, default)
        elif isinstance(value, dict):
            raise OptionError(
                f"{where}: unknown section [{key}]; valid sections: {', '.join(f'[{s}]' for s in _SECTIONS)}"
            )
        else:
            raise OptionError(
                f"{where}: unknown key '{key}'; valid top-level keys: {', '.join(_RULES[_TOP])} "
                f"(the others go in the sections {', '.join(f'[{s}]' for s in _SECTIONS)})"
            )
    if "sky" in parts:
        parts["sky"] = parts["sky"].lower()
    return check_config(Config(**parts), where)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    """A Python value as TOML (strings, numbers, tuples of numbers)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _toml_lines(section: str, values: Any, fields: list[str]) -> list[str]:
    lines = []
    for key in fields:
        rule = _RULES[section][key]
        value = _toml_value(getattr(values, key))
        lines.append(f"# {rule.note}. [{rule.unit or '-'}] default: {value}")
        lines.append(f"{key} = {value}")
    return lines


def default_config_toml() -> str:
    """A commented TOML file with every key at its default, ready to copy and edit.

    Each key is preceded by a comment giving its meaning, source and unit;
    :func:`load_config` on this text gives ``Config()``.

    Returns
    -------
    str
        TOML text ending with a newline.
    """
    c = Config()
    lines = [
        "# Parameters of 'cadastre buildings' at their defaults.",
        "# Copy this file, edit what you need and pass it with --config; keys left out keep their defaults.",
        "# Units in brackets; sources and reasoning in cadastre/config.py.",
        "",
        *_toml_lines(_TOP, c, list(_RULES[_TOP])),
    ]
    for section in _SECTIONS:
        part = getattr(c, section)
        lines += ["", f"[{section}]", *_toml_lines(section, part, [f.name for f in dataclasses.fields(part)])]
    return "\n".join(lines) + "\n"
