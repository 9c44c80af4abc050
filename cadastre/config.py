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
    "ThermalConfig",
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


_DRAW_PROFILE = (0.005, 0.003, 0.002, 0.002, 0.005, 0.02, 0.07, 0.10, 0.08, 0.06, 0.045, 0.04,
                 0.045, 0.04, 0.03, 0.03, 0.035, 0.05, 0.07, 0.09, 0.08, 0.06, 0.025, 0.015)
#: The fuels a residential solar water heater can replace (``[thermal] house_fuel``).
HOUSE_FUELS = ("electric", "gas")
_MAINS = (11.5, 11.0, 11.5, 13.0, 14.5, 16.5, 17.5, 18.0, 17.5, 16.0, 14.0, 12.5)


@dataclasses.dataclass(frozen=True)
class ThermalConfig:
    """Solar water heating: collector (EN ISO 9806), tank, hot water draw, the residential sizing rules, and the
    economics of a household's system (the fuel it replaces, prices incl. VAT, costs; the arithmetic:
    :func:`cadastre.solar.thermal.heat_economics`).

    Each field is declared with its unit, range and source (table: docs/parameters.md); the model is
    :mod:`cadastre.solar.thermal`.
    """

    eta0: float = param(
        0.78, "", "collector optical efficiency on the gross area, mean fluid temperature (EN ISO 9806); typical "
        "glazed flat plate of the Solar Keymark database: 0.75-0.80", gt=0.0, le=1.0)
    a1: float = param(
        3.8, "W/m2/K", "collector first-order heat loss coefficient (EN ISO 9806); typical glazed flat plate: 3.5-4",
        ge=0.0, le=30.0)
    a2: float = param(
        0.012, "W/m2/K2", "collector second-order heat loss coefficient (EN ISO 9806); typical glazed flat plate: "
        "0.01-0.02", ge=0.0, le=1.0)
    iam_b0: float = param(
        0.1, "", "incidence angle modifier K = 1 - b0 (1/cos(theta) - 1) (ASHRAE 93 / EN ISO 9806 form); 0.1 gives "
        "K(50 deg) = 0.94, a typical glazed flat plate", ge=0.0, le=1.0)
    flow: float = param(
        0.02, "kg/s/m2", "collector loop flow per m2 of collector, the EN ISO 9806 test flow", gt=0.0, le=1.0)
    set_point: float = param(
        55.0, "degC", "hot water delivery temperature, the auxiliary heater tops up to it (55-60 degC against "
        "legionella, French arrete of 30 November 2005)", ge=30.0, le=90.0)
    room_temperature: float = param(
        15.0, "degC", "air around the tank (assumption: a cellar or utility room)", ge=-10.0, le=40.0)
    max_temperature: float = param(
        95.0, "degC", "highest tank temperature, above which collected heat is dumped (assumption)",
        ge=40.0, le=120.0)
    tank_loss_factor: float = param(
        1.0, "", "tank standing loss as a multiple of the class C limit of EU regulation 812/2013 "
        "(S = 16.66 + 8.33 V^0.4 W at 45 K, V in litres)", gt=0.0, le=5.0)
    mains_temperature: tuple[float, ...] = param(
        _MAINS, "degC", "cold water temperature of each month, January first (northern France: the algorithm of "
        "Burch and Christensen 2007, as in SAM, on the air temperature of the shipped Lille-area PVGIS TMY, "
        "rounded to 0.5 degC: cadastre.solar.thermal.mains_from_air)", ge=0.0, le=30.0, rule="12 values")
    draw_profile: tuple[float, ...] = param(
        _DRAW_PROFILE, "", "share of the day's hot water drawn in each hour 0-23 of local time (assumption: "
        "morning and evening peaks of a household; normalised to sum 1)", ge=0.0, le=1.0, rule="24 values")
    utc_offset: float = param(
        1.0, "h", "local time minus UTC for the draw profile (France in winter: 1)", ge=-12.0, le=14.0)
    house_area: float = param(
        4.0, "m2", "collector area of an individual solar water heater (CESI) for a household of 4 (ADEME, "
        "SOCOL guidance: 2-5 m2)", gt=0.0, le=50.0)
    house_tank: float = param(
        300.0, "L", "tank of a CESI (ADEME, SOCOL guidance: 200-300 L for 4 persons)", gt=0.0, le=5000.0)
    house_demand: float = param(
        150.0, "L/day", "hot water of a household at the set-point (ADEME order of magnitude: 30-40 L per person "
        "and day at 55-60 degC, 4 persons)", ge=0.0, le=5000.0)
    dwelling_area: float = param(
        1.2, "m2", "collector area per dwelling of a collective system (CESC; SOCOL guidance: about 1 m2 per "
        "dwelling)", gt=0.0, le=10.0)
    dwelling_demand: float = param(
        80.0, "L/day", "hot water of a dwelling of collective housing at the set-point (assumption: 2.2 persons "
        "x 35 L)", ge=0.0, le=1000.0)
    tank_per_area: float = param(
        60.0, "L/m2", "solar tank per m2 of collector of a collective system (SOCOL guidance: 50-70 L/m2)",
        gt=0.0, le=500.0)
    floor_per_dwelling: float = param(
        65.0, "m2", "floor area per dwelling, when the footprints do not give the number of dwellings (INSEE: "
        "mean flat about 63 m2)", gt=0.0, le=1000.0)
    storey_height: float = param(
        3.0, "m", "height of a storey, to count levels from the building height (assumption)", gt=0.0, le=10.0)
    house_max_footprint: float = param(
        200.0, "m2", "without a number of dwellings: a residential building with a smaller footprint and at most "
        "2 levels is one house (assumption)", ge=0.0, le=10_000.0)
    max_area_share: float = param(
        0.5, "", "collectors take at most this share of the usable area of their face (assumption: the rest "
        "stays for PV)", gt=0.0, le=1.0)
    house_fuel: str = param(
        "electric", "", "what the solar heat of a residential building replaces: electric (a resistance water "
        "heater) or gas (a boiler) (assumption: the electric storage water heater is taken as the most common hot "
        "water system of French homes; no source checked: REVIEW, e.g. with CEREN's statistics)",
        choices=HOUSE_FUELS)
    electric_price_eur_kwh: float = param(
        0.20, "EUR/kWh", "household price of the electricity saved, incl. VAT, energy part of the kWh only "
        "(order of the French regulated tariff TRVE, base option, from February 2025: about 0.20 EUR/kWh incl. "
        "VAT, CRE: REVIEW)", ge=0.0)
    gas_price_eur_kwh: float = param(
        0.13, "EUR/kWh", "household price of the gas saved, incl. VAT, per kWh (order of the CRE benchmark "
        "price 'prix repere' of 2025 for heating customers, 0.12-0.15 EUR/kWh incl. VAT: REVIEW)", ge=0.0)
    electric_efficiency: float = param(
        0.95, "", "useful hot-water heat per kWh of electricity of a resistance water heater (as qualify "
        "[solar_thermal]: assumption, its own standing losses)", gt=0.0, le=5.0)
    gas_efficiency: float = param(
        0.85, "", "useful hot-water heat per kWh of gas of the boiler it relieves (as qualify [solar_thermal]: "
        "assumption, 0.75-0.95 by boiler age and type)", gt=0.0, le=1.2)
    electric_co2_kg_kwh: float = param(
        0.052, "kgCO2e/kWh", "emission factor of the electricity saved (as qualify [solar_thermal]: ADEME Base "
        "Empreinte average consumption mix; the 'by use' factors of ADEME give more for hot water: REVIEW)",
        ge=0.0, le=2.0)
    gas_co2_kg_kwh: float = param(
        0.227, "kgCO2e/kWh", "emission factor of natural gas burnt, life cycle, per kWh (lower heating value) "
        "(as qualify [solar_thermal]: ADEME Base Empreinte / Base Carbone, natural gas, mainland France mix)",
        ge=0.0, le=2.0)
    house_cost_eur_m2: float = param(
        1500.0, "EUR/m2", "installed cost of an individual solar water heater (CESI) per m2 of collector, incl. "
        "VAT (assumption: ADEME quotes about 4,000-7,000 EUR for a CESI of a household, i.e. 1,000-1,750 "
        "EUR/m2 for 4 m2: REVIEW with quotes)", ge=0.0)
    collective_cost_eur_m2: float = param(
        1200.0, "EUR/m2", "installed cost of a collective solar water heater (CESC) per m2 of collector, incl. "
        "VAT (assumption, order of magnitude of ADEME / SOCOL figures for collective systems, about 1,000-1,500 "
        "EUR/m2 excl. VAT for small ones, less for large: REVIEW with quotes)", ge=0.0)
    subsidy_eur_m2: float = param(
        0.0, "EUR/m2", "investment subsidy per m2 of collector, paid once (MaPrimeRenov', CEE or a local aid when "
        "granted; 0: none assumed: REVIEW)", ge=0.0)
    om_rate: float = param(
        0.01, "1/yr", "yearly upkeep (servicing, pump electricity) as a share of the investment (assumption: a "
        "check every few years: REVIEW)", ge=0.0, le=0.2)
    lifetime_years: int = param(
        20, "yr", "period of the NPV (collectors last 20-25 years, ADEME)", ge=1, le=60)
    discount_rate: float = param(
        0.03, "1/yr", "real discount rate of a household (assumption: order of a home-improvement loan: REVIEW)",
        ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class Config:
    """All parameters of the buildings stage: the sections ``pv``, ``roofs``, ``aggregate`` and ``thermal``, and ``sky``, ``albedo``.

    Each field is declared with its unit, range and source (table: docs/parameters.md).
    """

    pv: PVConfig = section(PVConfig, "PV system: PVWatts v5 with SAPM cell temperature")
    roofs: RoofConfig = section(RoofConfig, "roof faces and their suitability")
    aggregate: AggregateConfig = section(AggregateConfig, "from gross to net potential")
    thermal: ThermalConfig = section(ThermalConfig, "solar water heating: collector, tank, draw and sizing")
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
    th = config.thermal
    for key, n in (("mains_temperature", 12), ("draw_profile", 24)):
        if len(getattr(th, key)) != n:
            raise OptionError(f"{where}: thermal.{key} has {len(getattr(th, key))} values; give {n}")
    if sum(th.draw_profile) <= 0.0:
        raise OptionError(f"{where}: thermal.draw_profile sums to 0; give the share of the day drawn in each hour")
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
