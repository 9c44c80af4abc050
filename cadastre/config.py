"""Every parameter of the buildings stage, with its default, unit and source.

``cadastre buildings --config FILE.toml`` reads them from a TOML file
(:func:`load_config`); ``cadastre buildings --print-config`` prints every key
at its default, commented with its source, unit and range
(:func:`default_config_toml`). Keys left out keep their defaults. Each
parameter is declared once, below, with :func:`cadastre._params.param`; the
table of all of them is docs/parameters.md (``python -m cli.parameters``).

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
import os
import pvlib

from cadastre import _params
from cadastre._params import param, read_input_bytes, section
from cadastre.errors import OptionError

__all__ = [
    "AggregateConfig",
    "Config",
    "PVConfig",
    "RoofConfig",
    "check_config",
    "config_from_dict",
    "default_config_toml",
    "load_config",
    "read_input_bytes",
    "read_toml",
]

_N_THRESHOLDS = 4


def _sky_models() -> tuple[str, ...]:
    from cadastre.solar.sky import SKY_MODELS  # here: cadastre.solar imports this module

    return SKY_MODELS


def _sapm_models() -> tuple[str, ...]:
    return tuple(pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"])


@dataclasses.dataclass(frozen=True)
class PVConfig:
    """PV system parameters (PVWatts v5 with SAPM cell temperature).

    Each field is declared with its unit, range and source (table: docs/parameters.md).
    """

    module_density: float = param(
        0.2, "kWp/m2", "DC power per m2 of usable roof: ~20 % efficient modules, 400 Wp on ~2 m2 (assumption)",
        gt=0.0, le=1.0)
    system_losses: float = param(
        0.14, "", "total DC losses, PVWatts v5 default (Dobos 2014: soiling 2 %, shading 3 %, mismatch 2 %, "
        "wiring 2 %, connections 0.5 %, light-induced degradation 1.5 %, nameplate 1 %, availability 3 %; "
        "the shading is also modelled here: 0.114 removes the overlap)", ge=0.0, lt=1.0)
    inverter_efficiency: float = param(
        0.96, "", "nominal inverter efficiency, PVWatts v5 (Dobos 2014)", gt=0.0, le=1.0)
    dc_ac_ratio: float = param(
        1.1, "", "DC nameplate / inverter AC rating, PVWatts v5 calculator default", gt=0.0, le=10.0)
    gamma_pdc: float = param(
        -0.0037, "1/degC", "power temperature coefficient, crystalline silicon (assumption; PVWatts v5 uses "
        "-0.0047 for 'standard' and -0.0035 for 'premium' modules)", ge=-0.02, le=0.0)
    temperature_model: str = param(
        "close_mount_glass_glass", "", "pvlib SAPM cell temperature parameters (King et al. 2004); "
        "close_mount_glass_glass: modules mounted close to a roof", choices=_sapm_models)


@dataclasses.dataclass(frozen=True)
class RoofConfig:
    """Roof segmentation and suitability rules (angles in degrees, areas in m2).

    Each field is declared with its unit, range and source (table: docs/parameters.md).
    """

    min_height: float = param(
        2.0, "m", "nDSM above which a cell inside a footprint is roof (assumption: lower cells are ground, "
        "cars, fences)", ge=0.0, le=100.0)
    flat_slope: float = param(
        10.0, "degrees", "flatter faces are flat roofs, one face per building part (assumption)", ge=0.0, le=90.0)
    max_slope: float = param(
        60.0, "degrees", "steeper cells are walls or edges, unsuitable (Gagnon et al. 2016)", ge=0.0, le=90.0)
    max_face_angle: float = param(
        15.0, "degrees", "region growing: max angle between a cell normal and its face's normal (assumption)",
        gt=0.0, le=90.0)
    min_fragment_area: float = param(
        4.0, "m2", "smaller faces (ridge, hip, eave artefacts) merge into a neighbour (assumption)", ge=0.0, le=1_000.0)
    min_face_area: float = param(
        10.0, "m2", "smallest usable area of a suitable face, about 5 modules (Gagnon et al. 2016)", ge=0.0, le=10_000.0)
    setback: float = param(
        0.5, "m", "edge set-back removed from each face, fire and maintenance access (assumption)", ge=0.0, le=10.0)
    north_limit: float = param(
        45.0, "degrees", "pitched faces within this angle of north are unsuitable (assumption: the north "
        "quadrant, north-west to north-east)", ge=0.0, le=180.0)
    min_irradiation_fraction: float = param(
        0.7, "", "suitable: >= this fraction of the unshaded optimal plane (assumption, looser than the 80 % "
        "of Gagnon et al. 2016: faces at 70-80 % are kept, as class 2)", ge=0.0, le=1.0)
    class_thresholds: tuple[float, ...] = param(
        (0.7, 0.8, 0.9, 0.95), "", "4 increasing fractions of the optimal plane starting classes 2-5 (five "
        "classes after Sonnendach, Swiss Federal Office of Energy, whose limits are absolute: the fractions "
        "are an assumption)", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class AggregateConfig:
    """From gross to net potential.

    Each field is declared with its unit, range and source (table: docs/parameters.md).
    """

    net_reduction: float = param(
        0.35, "", "share of gross usable area lost to what the DSM does not show (chimneys, skylights, "
        "structure, heritage rules): assumption to review; studies separating geographical and technical "
        "potential lose 25-50 %", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class Config:
    """All parameters of the buildings stage: the sections ``pv``, ``roofs`` and ``aggregate``, and ``sky``, ``albedo``.

    Each field is declared with its unit, range and source (table: docs/parameters.md).
    """

    pv: PVConfig = section(PVConfig, "PV system: PVWatts v5 with SAPM cell temperature")
    roofs: RoofConfig = section(RoofConfig, "roof faces and their suitability")
    aggregate: AggregateConfig = section(AggregateConfig, "from gross to net potential")
    sky: str = param(
        "perez", "", "diffuse sky model of the unshaded reference planes (Perez et al. 1990, as in pvlib); an "
        "irradiance raster that records its own sky model overrides it", choices=_sky_models)
    albedo: float = param(
        0.2, "", "ground reflectance (usual pvlib/PVWatts default; assumption for an urban ground)",
        ge=0.0, le=1.0)


# --------------------------------------------------------------------------
# checking and reading
# --------------------------------------------------------------------------


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
    _params.check(config, where)
    r = config.roofs
    v = list(r.class_thresholds)
    if len(v) != _N_THRESHOLDS or any(b <= a for a, b in itertools.pairwise(v)):
        raise OptionError(
            f"{where}: roofs.class_thresholds = {v} must be {_N_THRESHOLDS} strictly increasing fractions in "
            f"[0, 1]; write e.g. class_thresholds = {_params.toml_value(RoofConfig().class_thresholds)}"
        )
    if r.flat_slope >= r.max_slope:
        raise OptionError(
            f"{where}: roofs.flat_slope = {r.flat_slope:g} is not below roofs.max_slope = {r.max_slope:g}; "
            "make flat_slope smaller than max_slope"
        )
    return config


def read_toml(path: str | os.PathLike, *, given_to: str = "--config",
              example: str = "cadastre buildings --print-config") -> dict:
    """Parse a TOML file with the engine's one-line errors (InputFileError, OptionError).

    ``given_to`` names where the user gave the path, ``example`` the command
    that prints a valid file (both for the messages).
    """
    return _params.read_toml(path, given_to=given_to, example=example)


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
    return config_from_dict(read_toml(path), str(path))


def config_from_dict(data: dict, where: str = "config") -> Config:
    """Build and check a :class:`Config` from parsed TOML (see :func:`load_config`).

    ``where`` prefixes the error messages (the file the values came from).
    The sky model's name is case-insensitive.
    """
    if isinstance(data.get("sky"), str):
        data = {**data, "sky": data["sky"].lower()}
    return check_config(_params.build(Config(), data, where), where)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def default_config_toml() -> str:
    """A commented TOML file with every key at its default, ready to copy and edit.

    Each key is preceded by a comment giving its meaning, source, unit, range
    and default; :func:`load_config` on this text gives ``Config()``.

    Returns
    -------
    str
        TOML text ending with a newline.
    """
    lines = [
        "# Parameters of 'cadastre buildings' at their defaults.",
        "# Copy this file, edit what you need and pass it with --config; keys left out keep their defaults.",
        "# Each key: a comment with its meaning and source, [unit], range and default (table: docs/parameters.md).",
        "",
        *_params.toml_lines(Config()),
    ]
    return "\n".join(lines) + "\n"
