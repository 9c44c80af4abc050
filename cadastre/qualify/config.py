"""Every parameter of ``cadastre qualify``, with its default, unit and source.

``cadastre qualify --config FILE.toml`` reads them (:func:`load_qualify_config`);
``cadastre qualify --print-config`` prints every key at its default with its
unit and source as comments (:func:`default_qualify_toml`). Keys left out keep
their defaults.

.. warning::
   Prices, tariffs, subsidies and installation costs are public orders of
   magnitude of 2024 (stated with their source below). French feed-in tariffs
   and subsidies change every quarter and electricity prices every year:
   **the user must review them** before relying on savings, payback or NPV.

Sources of the defaults (the notes of each key say which applies):

- Surplus feed-in tariffs and the self-consumption investment subsidy
  ("prime à l'autoconsommation"): French tariff order *S21* (arrêté tarifaire
  of 6 October 2021, amended since), grid published quarterly by the CRE. The
  defaults are those of the quarter August-October 2024 as relayed by French
  trade sites (≤ 9 kWp: 0.1276 €/kWh; 9-100 kWp: 0.0765 €/kWh; subsidy 190 €/kWp
  up to 36 kWp, 100 €/kWp up to 100 kWp). From 100 to 500 kWp S21 has one
  tariff for surplus and total sale (about 0.0855 €/kWh until July 2024) and no
  subsidy.
- Total-sale tariffs ("vente totale", S21 tariffs Ta up to 9 kWp and Tb from 9
  to 100 kWp, no investment subsidy): CRE grid of the quarter August-October
  2024 as published by photovoltaique.info (Hespul) and relayed by trade sites:
  3-9 kWp 0.1024 €/kWh (≤ 3 kWp: 0.1205), 9-36 kWp 0.1318 €/kWh, 36-100 kWp
  0.1146 €/kWh; 100-500 kWp the single S21 tariff above.
- Grouped purchase ("en regroupant les projets du territoire, l'opération
  permettra d'obtenir des conditions plus avantageuses"): the cost reductions
  by the operation's total size are assumptions (orders of magnitude of volume
  discounts on grouped public purchases; no public reference was used): REVIEW
  them with the operation's tender results.
- Hot-water demand by building type (litres at 60 °C on a day of use):
  COSTIC for ADEME and GRDF, "Vers une meilleure connaissance des besoins en
  eau chaude sanitaire en tertiaire" (September 2020, ADEME ref. 011290), and
  the older values it compiles (AICVF sector guides 1991-1993, EDF measurement
  campaigns 1985-1986, COSTIC "Guide diagnostic thermique" 1987): canteen about
  9-10 L/meal with a dishwasher, nursing home 40 L/bed/day (rooms, kitchen
  apart). The litres per shower and per bather and every number of units per
  m2 are assumptions: give ``hot_water_l_day`` in municipal.csv when known.
- Solar water heating (``[solar_thermal]``): collectors sized at 60 L/day per m2,
  SOCOL / ADEME guidance for collective systems (50-70 L/day/m2); natural gas
  0.227 kgCO2e/kWh, ADEME Base Carbone (Base Empreinte), life cycle. The fuel
  prices, boiler and heater efficiencies, the installed cost per m2 (an order
  of magnitude of collective systems), the upkeep and the subsidy are
  assumptions: REVIEW them with the bills, quotes and aid decisions.
- Avoided purchase price: 0.20 €/kWh excluding VAT, an assumption of the order
  of 2024 supply offers to public buildings (energy, variable network part and
  excise). The CRE published price references for collectivities until the
  end of 2023; the regulated tariff (TRVE) reopened to small collectivities in
  February 2025.
- Installation costs by size band: assumptions within the ranges quoted for
  French rooftop PV in 2023-2024 (e.g. 60-180 k€ excluding VAT for 100 kWp on
  a roof, including connection); review with real quotes or the grouped
  purchase's prices.
- Grid CO2 factor: 0.052 kgCO2e/kWh, order of magnitude of ADEME's Base
  Empreinte "average consumption mix" for mainland France (the value depends
  on the year: about 0.05-0.07 for 2021-2022).
- Degradation 0.5 %/yr: median of the field rates reviewed by Jordan & Kurtz
  (2013). Lifetime 20 years: duration of an S21 purchase contract.
- PV model: PVWatts v5 (Dobos 2014) with SAPM cell temperature (King et al.
  2004), as :mod:`cadastre.config`.
- Load profiles and the default consumption per m2: assumptions (no public
  hourly profile per building type was used); the school holidays are the
  zone B calendar (académie de Lille) published by the French Ministry of
  Education for 2024-2025 and 2025-2026.

References
----------
.. [1] Arrêté du 6 octobre 2021 fixant les conditions d'achat de l'électricité
   produite par les installations implantées sur bâtiment, hangar ou ombrière
   utilisant l'énergie solaire photovoltaïque, d'une puissance crête
   installée inférieure ou égale à 500 kilowatts (S21).
.. [2] D. C. Jordan, S. R. Kurtz, "Photovoltaic Degradation Rates - an
   Analytical Review", Progress in Photovoltaics 21(1), 2013.
.. [3] A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014.
.. [4] ADEME, Base Empreinte (formerly Base Carbone), electricity, mainland
   France, average consumption mix.
.. [5] COSTIC, "Vers une meilleure connaissance des besoins en eau chaude
   sanitaire en tertiaire", guide for ADEME and GRDF, September 2020.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Any

import pvlib

from cadastre import _params
from cadastre._params import param, section
from cadastre.config import PVConfig, read_toml
from cadastre.errors import OptionError

__all__ = [
    "BUILDING_TYPES",
    "FUELS",
    "HOT_WATER_TYPES",
    "OBJECTIVES",
    "SCENARIOS",
    "SIZING_MODES",
    "LoadShape",
    "QualifyConfig",
    "default_qualify_toml",
    "load_qualify_config",
    "qualify_config_from_dict",
]

#: Building types of ``municipal.csv`` (one load shape each).
BUILDING_TYPES = ("school", "town_hall", "gym", "library", "technical", "nursing_home", "swimming_pool", "other")

#: The building types with a default hot-water demand (a section of ``[hot_water]`` each); the others have none.
HOT_WATER_TYPES = ("school", "gym", "nursing_home", "swimming_pool")

#: The PV scenarios of each building: sized for self-consumption, the whole roof with the surplus sold,
#: the whole roof in total sale.
SCENARIOS = ("self_consumption", "roof", "total_sale")

#: What the recommended scenario maximises (``payback``: minimises).
OBJECTIVES = ("npv", "payback", "self_consumption", "production")

#: How the recommended installation is chosen: by ``sizing.objective`` among the scenarios, or one scenario.
SIZING_MODES = ("objective", *SCENARIOS)

_EXAMPLE = "cadastre qualify --print-config"


@dataclasses.dataclass(frozen=True)
class SizingConfig:
    """How big each installation is (see :func:`cadastre.qualify.operation.size_installation`)."""

    mode: str = param(
        "objective", "", "the recommended scenario: objective = the best of the three by sizing.objective; or "
        "always one: self_consumption (the largest size whose self-consumption rate reaches the target), roof "
        "(the whole usable roof, within the bands, surplus sold), total_sale (the whole roof, all sold)",
        choices=SIZING_MODES)
    objective: str = param(
        "npv", "", "what the recommended scenario maximises: npv, self_consumption (rate) or production; payback: "
        "the shortest (ties: the highest NPV)", choices=OBJECTIVES)
    self_consumption_target: float = param(
        0.8, "", "self-consumption rate aimed at (assumption: surplus sells far below the purchase price)", ge=0.0,
        le=1.0)
    roof_fraction: float = param(
        0.65, "", "share of the cadastre's usable roof kWp that can really be installed (1 - the engine's default "
        "net_reduction 0.35: obstacles, access, structure)", gt=0.0, le=1.0)
    min_kwp: float = param(3.0, "kWp", "smallest installation worth a study (assumption)", ge=0.0)
    step_kwp: float = param(0.5, "kWp", "resolution of the size search", gt=0.0)


@dataclasses.dataclass(frozen=True)
class BandsConfig:
    """Installation-size bands: cost, subsidy and surplus tariff of each band (upper bound inclusive)."""

    kwp_max: tuple[float, ...] = param(
        (9.0, 36.0, 100.0, 500.0), "kWp", "upper bounds of the size bands, increasing (S21 segments; 500 kWp is "
        "the S21 ceiling and the largest size recommended)", gt=0.0)
    cost_eur_kwp: tuple[float, ...] = param(
        (2000.0, 1600.0, 1250.0, 1000.0), "EUR/kWp", "turnkey installed cost excluding VAT, connection included "
        "(assumption within 2023-2024 French rooftop quotes: REVIEW)", ge=0.0)
    subsidy_eur_kwp: tuple[float, ...] = param(
        (190.0, 190.0, 100.0, 0.0), "EUR/kWp", "S21 self-consumption investment subsidy, paid once (CRE grid "
        "Aug-Oct 2024; changes every quarter: REVIEW)", ge=0.0)
    surplus_tariff_eur_kwh: tuple[float, ...] = param(
        (0.1276, 0.0765, 0.0765, 0.0855), "EUR/kWh", "S21 purchase price of the surplus, 20-year contract (CRE "
        "grid Aug-Oct 2024; 100-500 kWp: the single S21 tariff of early 2024; changes every quarter: REVIEW)",
        ge=0.0)
    total_sale_tariff_eur_kwh: tuple[float, ...] = param(
        (0.1024, 0.1318, 0.1146, 0.0855), "EUR/kWh", "S21 purchase price of the whole production in total sale "
        "('vente totale', no subsidy), 20-year contract (CRE grid Aug-Oct 2024 via photovoltaique.info: Ta 3-9 "
        "kWp, <= 3 kWp 0.1205; Tb 9-36 and 36-100 kWp; 100-500 kWp: the single S21 tariff of early 2024; changes "
        "every quarter: REVIEW)", ge=0.0)


@dataclasses.dataclass(frozen=True)
class GroupingConfig:
    """Better terms for the grouped purchase: a cost reduction by the operation's total size."""

    from_kwp: tuple[float, ...] = param(
        (100.0, 250.0, 500.0, 1000.0), "kWp", "lower bounds (inclusive) of the operation's size bands, increasing: "
        "the total kWp of the buildings in the grouped purchase (assumption; 0: a reduction whatever the size)", ge=0.0)
    cost_reduction: tuple[float, ...] = param(
        (0.05, 0.08, 0.10, 0.12), "", "reduction of every building's cost per kWp in each band, 0-1; none below "
        "the first (assumption: orders of magnitude of volume discounts on grouped public purchases, no public "
        "reference: REVIEW with the tender results)", ge=0.0, lt=1.0)


@dataclasses.dataclass(frozen=True)
class PricesConfig:
    """Value of a self-consumed kWh and of the CO2 it avoids."""

    import_price_eur_kwh: float = param(
        0.2, "EUR/kWh", "avoided purchase price excluding VAT: energy, variable network part and excise "
        "(assumption, order of 2024 offers to public buildings: REVIEW with the bills)", ge=0.0)
    import_escalation: float = param(
        0.0, "1/yr", "yearly real growth of the purchase price (assumption: flat)", ge=-0.5, le=0.5)
    grid_co2_kg_kwh: float = param(
        0.052, "kgCO2e/kWh", "grid emission factor avoided per kWh produced (ADEME Base Empreinte, average "
        "consumption mix of mainland France; year-dependent, about 0.05-0.07)", ge=0.0, le=2.0)


@dataclasses.dataclass(frozen=True)
class EconomicsConfig:
    """Discounting and running costs."""

    discount_rate: float = param(
        0.04, "1/yr", "real discount rate (assumption: order of a municipal long-term loan; the Quinet report of "
        "2013 recommends 4.5 % for public socio-economic appraisals)", ge=0.0, le=1.0)
    lifetime_years: int = param(20, "yr", "period of the NPV and LCOE: duration of an S21 contract", ge=1, le=60)
    degradation: float = param(
        0.005, "1/yr", "yearly production loss (median of Jordan & Kurtz 2013)", ge=0.0, le=0.1)
    om_rate: float = param(
        0.015, "1/yr", "yearly operation, maintenance, insurance and inverter-replacement provision as a share of "
        "the investment (assumption)", ge=0.0, le=0.2)


@dataclasses.dataclass(frozen=True)
class ProductionConfig:
    """PV model of the hourly production (as :class:`cadastre.config.PVConfig`; set the run's values)."""

    system_losses: float = param(0.14, "", "total DC losses, PVWatts v5 default (Dobos 2014)", ge=0.0, le=1.0)
    inverter_efficiency: float = param(
        0.96, "", "nominal inverter efficiency, PVWatts v5 (Dobos 2014)", gt=0.0, le=1.0)
    dc_ac_ratio: float = param(
        1.1, "", "DC nameplate / inverter AC rating, PVWatts v5 calculator default", gt=0.0, le=10.0)
    gamma_pdc: float = param(
        -0.0037, "1/degC", "power temperature coefficient, crystalline silicon (assumption)", ge=-0.02, le=0.0)
    temperature_model: str = param(
        'close_mount_glass_glass', "", "pvlib SAPM cell temperature parameters (King et al. 2004)",
        choices=lambda: tuple(pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]))
    albedo: float = param(
        0.2, "", "ground reflectance; the run's value when its metadata records one (pvlib/PVWatts default)",
        ge=0.0, le=1.0)

    def pv(self) -> PVConfig:
        """The same parameters as a :class:`cadastre.config.PVConfig`."""
        return PVConfig(system_losses=self.system_losses, inverter_efficiency=self.inverter_efficiency,
                        dc_ac_ratio=self.dc_ac_ratio, gamma_pdc=self.gamma_pdc,
                        temperature_model=self.temperature_model)


@dataclasses.dataclass(frozen=True)
class LoadShape:
    """Hourly electricity load of one building type (all values assumptions to review).

    Occupied hours ``[open_hour, close_hour)`` (local time) run at level 1 on
    working days, ``saturday`` and ``sunday`` on weekends (public holidays
    count as Sundays) and times ``school_holidays`` in the zone B holidays;
    outside them the load is ``base`` times the occupied load. A seasonal
    factor ``1 + winter cos(2 pi (day - 15) / 365.25)`` adds lighting and
    ventilation in winter.
    """

    kwh_m2: float = param(
        40.0, "kWh/m2/yr", "electricity per m2 of floor area when the consumption is unknown (assumption, order "
        "of French municipal buildings)", ge=0.0)
    open_hour: int = param(8, "h", "start of the occupied hours, local time", ge=0, le=23)
    close_hour: int = param(18, "h", "end of the occupied hours, local time (exclusive)", ge=1, le=24)
    base: float = param(
        0.2, "", "load outside occupied hours / occupied load (stand-by, fridges, servers)", ge=0.0, le=1.0)
    saturday: float = param(0.0, "", "occupation level on Saturdays (0 closed, 1 as a working day)", ge=0.0, le=1.0)
    sunday: float = param(0.0, "", "occupation level on Sundays and public holidays", ge=0.0, le=1.0)
    school_holidays: float = param(
        1.0, "", "occupation level multiplier during the school holidays", ge=0.0, le=1.0)
    winter: float = param(
        0.15, "", "seasonal amplitude: the load is (1 + winter) times its mean in mid-January and (1 - winter) in "
        "mid-July", ge=0.0, le=0.9)


def _shape(**values: Any):
    return lambda: LoadShape(**values)


@dataclasses.dataclass(frozen=True)
class LoadsConfig:
    """Calendar and load shape of each building type."""

    year: int = param(
        2025, "", "calendar year onto which the weather rows are laid (weekdays, public and school holidays)",
        ge=1900, le=2100)
    school_holidays: tuple[tuple[str, str], ...] = param(
        (("2025-01-01", "2025-01-05"), ("2025-02-08", "2025-02-23"), ("2025-04-05", "2025-04-21"),
         ("2025-05-29", "2025-06-01"), ("2025-07-05", "2025-08-31"), ("2025-10-18", "2025-11-02"),
         ("2025-12-20", "2025-12-31")),
        "", "first and last day off (inclusive) of each school holiday; zone B (académie de Lille), French "
        "Ministry of Education calendars 2024-2025 and 2025-2026: REVIEW for another year",
        rule="[first, last] pairs of ISO dates, first <= last")
    school: LoadShape = section(_shape(kwh_m2=35.0, open_hour=8, close_hour=18, base=0.15, school_holidays=0.0,
                                        winter=0.2), "schools: closed on weekends and in the school holidays")
    town_hall: LoadShape = section(_shape(kwh_m2=60.0, open_hour=8, close_hour=18, base=0.2, saturday=0.3),
                                    "town halls: offices, Saturday morning service")
    gym: LoadShape = section(_shape(kwh_m2=30.0, open_hour=8, close_hour=22, base=0.1, saturday=0.8, sunday=0.5,
                                     school_holidays=0.6), "gyms: schools by day, clubs in the evening and weekend")
    library: LoadShape = section(_shape(kwh_m2=50.0, open_hour=10, close_hour=19, base=0.2, saturday=1.0,
                                         winter=0.1), "libraries: open on Saturdays")
    technical: LoadShape = section(_shape(kwh_m2=40.0, open_hour=7, close_hour=17, base=0.3),
                                    "technical centres: workshops, garages, early hours")
    nursing_home: LoadShape = section(_shape(kwh_m2=90.0, open_hour=7, close_hour=21, base=0.6, saturday=1.0,
                                             sunday=1.0, winter=0.1),
                                      "nursing homes (EHPAD): occupied day and night, every day")
    swimming_pool: LoadShape = section(_shape(kwh_m2=250.0, open_hour=8, close_hour=21, base=0.6, saturday=1.0,
                                              sunday=0.8, winter=0.1),
                                       "swimming pools: pumps, water treatment and ventilation day and night")
    other: LoadShape = section(_shape(kwh_m2=45.0, open_hour=8, close_hour=18, base=0.25),
                                "other municipal buildings: office hours")

    def shape(self, kind: str) -> LoadShape:
        """The load shape of building type ``kind`` (one of :data:`BUILDING_TYPES`)."""
        return getattr(self, kind)


@dataclasses.dataclass(frozen=True)
class HotWaterUse:
    """Default daily hot-water demand of one building type: litres per unit times units per day.

    The demand on a day of use is ``litres_per_unit x units_per_100m2 x floor area / 100`` [L at 60 °C/day]
    (floor area: ``floor_area_m2`` of the row, else the footprint area).
    """

    litres_per_unit: float = param(0.0, "L", "hot water at 60 degC per unit", ge=0.0)
    unit: str = param("unit", "", "what a unit is (meal, shower, bed, bather)", rule="a word naming the unit")
    units_per_100m2: float = param(0.0, "1/day", "units per day of use per 100 m2 of floor area", ge=0.0)


def _use(**values: Any):
    return lambda: HotWaterUse(**values)


@dataclasses.dataclass(frozen=True)
class HotWaterConfig:
    """Daily hot-water demand by building type (the demand side of the solar thermal comparison).

    Litres at 60 degC on a day of use. Types without a section here (town_hall, library, technical, other)
    have none; ``hot_water_l_day`` in municipal.csv overrides any row. Sources: COSTIC for ADEME and GRDF,
    "Vers une meilleure connaissance des besoins en eau chaude sanitaire en tertiaire" (2020), and the
    older guides it compiles (module docstring); the units per m2 are assumptions.
    """

    school: HotWaterUse = section(_use(litres_per_unit=9.0, unit="meal", units_per_100m2=5.0),
                                  "school canteen: 9 L/meal with a dishwasher (AICVF 'cantine' 9 L/repas; COSTIC 2020: "
                                  "9-10 L/meal); 5 meals per 100 m2 (assumption: a pupil per 10 m2, half at the canteen)")
    gym: HotWaterUse = section(_use(litres_per_unit=25.0, unit="shower", units_per_100m2=3.0),
                               "gym showers: 25 L/shower (assumption: 6 min at 7 L/min mixed at 40 degC is about 25 L "
                               "at 60 degC; COSTIC 2020, gyms chapter, for measured spreads); 3 showers per 100 m2 "
                               "(assumption)")
    nursing_home: HotWaterUse = section(_use(litres_per_unit=40.0, unit="bed", units_per_100m2=2.0),
                                        "nursing home: 40 L/bed/day for the rooms (EDF 1985, AICVF 1993 as compiled by "
                                        "COSTIC 2020; the kitchen adds 3-10 L/meal); 2 beds per 100 m2 (assumption)")
    swimming_pool: HotWaterUse = section(_use(litres_per_unit=30.0, unit="bather", units_per_100m2=15.0),
                                         "swimming pool showers: 30 L/bather (assumption; COSTIC 1987 quotes 86 L per "
                                         "visitor, COSTIC 2020 measured spreads); 15 bathers per 100 m2 (assumption)")

    def use(self, kind: str) -> HotWaterUse | None:
        """The default demand of building type ``kind``, None for a type without one."""
        return getattr(self, kind) if kind in HOT_WATER_TYPES else None


#: The fuels a solar water heater can replace (``[solar_thermal] fuel``).
FUELS = ("gas", "electric")


@dataclasses.dataclass(frozen=True)
class SolarThermalConfig:
    """Solar water heating of the buildings with a hot-water demand: sizing, the fuel it replaces, costs.

    The collector, tank and mains water are those of the cadastre run (its recorded ``[thermal]`` section,
    :class:`cadastre.config.ThermalConfig`; defaults when the run records none). Discounting: ``[economics]
    discount_rate``. Method: :mod:`cadastre.qualify.thermal`.
    """

    litres_per_m2: float = param(
        60.0, "L/day/m2", "collector sizing of a collective system: mean daily hot water (60 degC) per m2 of "
        "collector (SOCOL / ADEME guidance for collective solar water heating: 50-70 L/day/m2; the tank is "
        "ThermalConfig.tank_per_area of the run)", gt=0.0, le=1000.0)
    fuel: str = param(
        "gas", "", "what the solar heat replaces: gas (a boiler) or electric (a resistance water heater) "
        "(assumption: most French municipal buildings heat their water with gas)", choices=FUELS)
    gas_price_eur_kwh: float = param(
        0.09, "EUR/kWh", "price of the gas saved, excluding VAT: energy, network and excise (assumption, order "
        "of 2024 offers to public buildings: REVIEW with the bills)", ge=0.0)
    electric_price_eur_kwh: float = param(
        0.2, "EUR/kWh", "price of the electricity saved, excluding VAT (as prices.import_price_eur_kwh: REVIEW "
        "with the bills)", ge=0.0)
    gas_efficiency: float = param(
        0.85, "", "useful hot-water heat per kWh of gas of the boiler it relieves, storage and production "
        "losses included (assumption: 0.75-0.95 by boiler age and type)", gt=0.0, le=1.2)
    electric_efficiency: float = param(
        0.95, "", "useful hot-water heat per kWh of electricity of a resistance water heater (assumption: its "
        "own standing losses)", gt=0.0, le=5.0)
    gas_co2_kg_kwh: float = param(
        0.227, "kgCO2e/kWh", "emission factor of natural gas burnt, life cycle, per kWh (lower heating value) "
        "(ADEME Base Empreinte / Base Carbone, natural gas, mainland France mix)", ge=0.0, le=2.0)
    electric_co2_kg_kwh: float = param(
        0.052, "kgCO2e/kWh", "emission factor of the electricity saved (as prices.grid_co2_kg_kwh: ADEME Base "
        "Empreinte average consumption mix; the 'by use' factors of ADEME give more for hot water: REVIEW)",
        ge=0.0, le=2.0)
    cost_eur_m2: float = param(
        1100.0, "EUR/m2", "turnkey installed cost of a collective solar water heater per m2 of collector, "
        "excluding VAT: collectors, tank, hydraulics, control (assumption, order of magnitude of ADEME / SOCOL "
        "figures for collective systems: about 1,000-1,500 EUR/m2 for small ones, less for large: REVIEW with "
        "quotes)", ge=0.0)
    subsidy_eur_m2: float = param(
        0.0, "EUR/m2", "investment subsidy per m2 of collector, paid once (ADEME Fonds Chaleur or a regional "
        "aid when granted; 0: none assumed: REVIEW)", ge=0.0)
    om_rate: float = param(
        0.02, "1/yr", "yearly maintenance, pump electricity and insurance as a share of the investment "
        "(assumption: a maintenance contract of a collective system)", ge=0.0, le=0.2)
    lifetime_years: int = param(
        20, "yr", "period of the NPV (collectors last 20-25 years, ADEME)", ge=1, le=60)


@dataclasses.dataclass(frozen=True)
class ScoreConfig:
    """Score 0-100: weighted mean of components in [0, 1] (see :func:`cadastre.qualify.operation.score`)."""

    weight_payback: float = param(0.5, "", "weight of the payback component", ge=0.0)
    weight_yield: float = param(0.2, "", "weight of the specific-yield component", ge=0.0)
    weight_self_consumption: float = param(0.2, "", "weight of the self-consumption-rate component", ge=0.0)
    weight_size: float = param(0.1, "", "weight of the size component (grouped purchase leverage)", ge=0.0)
    payback_best: float = param(6.0, "yr", "payback giving the full payback component", ge=0.0)
    payback_worst: float = param(25.0, "yr", "payback giving a zero payback component", ge=0.0)
    yield_best: float = param(1000.0, "kWh/kWp", "specific yield giving the full yield component", ge=0.0)
    yield_worst: float = param(600.0, "kWh/kWp", "specific yield giving a zero yield component", ge=0.0)
    size_best_kwp: float = param(
        100.0, "kWp", "size giving the full size component (log scale from sizing.min_kwp)", gt=0.0)


@dataclasses.dataclass(frozen=True)
class VerdictConfig:
    """Rules of the verdict (see :func:`cadastre.qualify.operation.verdict`)."""

    qualified_payback_years: float = param(12.0, "yr", "qualified: payback at most this (assumption)", ge=0.0)
    study_payback_years: float = param(
        20.0, "yr", "not qualified: payback above this (the contract length)", ge=0.0)
    qualified_score: float = param(50.0, "", "qualified: score at least this", ge=0.0, le=100.0)
    shading_limit: float = param(
        0.8, "", "to study: kWp-weighted shading ratio below this (site survey needed)", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class MatchingConfig:
    """Matching of a row's location to a cadastre building."""

    max_distance_m: float = param(
        20.0, "m", "a point outside every footprint takes the nearest one within this", ge=0.0)
    ambiguity_margin_m: float = param(
        2.0, "m", "two footprints whose distances differ by less are ambiguous", ge=0.0)


@dataclasses.dataclass(frozen=True)
class QualifyConfig:
    """All parameters of ``cadastre qualify`` (sections as attributes)."""

    sizing: SizingConfig = section(SizingConfig, "size of each installation")
    bands: BandsConfig = section(BandsConfig, "installation-size bands (one value per band)")
    grouping: GroupingConfig = section(GroupingConfig, "the grouped purchase: cost reduction by the operation's size")
    prices: PricesConfig = section(PricesConfig, "prices: REVIEW before use")
    economics: EconomicsConfig = section(EconomicsConfig, "discounting and running costs")
    production: ProductionConfig = section(ProductionConfig, "PV model (set the cadastre run's values)")
    loads: LoadsConfig = section(LoadsConfig, "load profiles")
    hot_water: HotWaterConfig = section(HotWaterConfig, "daily hot-water demand by building type")
    solar_thermal: SolarThermalConfig = section(
        SolarThermalConfig, "solar water heating against PV on the buildings with a hot-water demand: REVIEW prices")
    score: ScoreConfig = section(ScoreConfig, "score and rank")
    verdict: VerdictConfig = section(VerdictConfig, "verdict rules")
    matching: MatchingConfig = section(MatchingConfig, "matching rows to buildings")


# --------------------------------------------------------------------------- checking


def check_qualify_config(config: QualifyConfig, where: str = "config") -> QualifyConfig:
    """Check the rules that tie several keys together; return ``config`` unchanged.

    Raises
    ------
    OptionError
        Bands of different lengths or not increasing, an unknown sizing mode
        or temperature model, occupied hours that end before they start,
        score bounds in the wrong order, all score weights zero, or the
        qualified payback above the study payback.
    """
    _params.check(config, where)
    for first, last in config.loads.school_holidays:
        try:
            ok = dt.date.fromisoformat(first) <= dt.date.fromisoformat(last)
        except ValueError:
            ok = False
        if not ok:
            raise OptionError(f"{where}: loads.school_holidays has [{first}, {last}], not two ISO dates in order; "
                              f"write e.g. school_holidays = {_params.toml_value(LoadsConfig().school_holidays[:1])}")
    b = config.bands
    lengths = {len(b.kwp_max), len(b.cost_eur_kwp), len(b.subsidy_eur_kwp), len(b.surplus_tariff_eur_kwh),
               len(b.total_sale_tariff_eur_kwh)}
    if len(lengths) != 1:
        raise OptionError(f"{where}: the lists of [bands] have different lengths; give one value per band in each")
    if any(hi <= lo for lo, hi in zip(b.kwp_max, b.kwp_max[1:], strict=False)):
        raise OptionError(f"{where}: bands.kwp_max = {list(b.kwp_max)} is not increasing; sort the bands by size")
    g = config.grouping
    if len(g.from_kwp) != len(g.cost_reduction):
        raise OptionError(f"{where}: grouping.from_kwp and grouping.cost_reduction have different lengths; give one "
                          "reduction per band")
    if any(hi <= lo for lo, hi in zip(g.from_kwp, g.from_kwp[1:], strict=False)):
        raise OptionError(f"{where}: grouping.from_kwp = {list(g.from_kwp)} is not increasing; sort the bands by size")
    if config.sizing.min_kwp > b.kwp_max[-1]:
        raise OptionError(f"{where}: sizing.min_kwp is above the largest band; lower it below {b.kwp_max[-1]:g}")
    for kind in BUILDING_TYPES:
        shape = config.loads.shape(kind)
        if shape.close_hour <= shape.open_hour:
            raise OptionError(f"{where}: loads.{kind}.close_hour is not after open_hour; give open < close")
    s = config.score
    if s.payback_best >= s.payback_worst or s.yield_worst >= s.yield_best:
        raise OptionError(f"{where}: score bounds in the wrong order; give payback_best < payback_worst and "
                          "yield_worst < yield_best")
    if s.weight_payback + s.weight_yield + s.weight_self_consumption + s.weight_size <= 0:
        raise OptionError(f"{where}: every score weight is 0; give at least one positive weight")
    v = config.verdict
    if v.qualified_payback_years > v.study_payback_years:
        raise OptionError(f"{where}: verdict.qualified_payback_years is above study_payback_years; swap them")
    return config


def qualify_config_from_dict(data: dict, where: str = "config") -> QualifyConfig:
    """Build and check a :class:`QualifyConfig` from parsed TOML (keys left out keep their defaults)."""
    return check_qualify_config(_params.build(QualifyConfig(), data, where), where)


def load_qualify_config(path: str | os.PathLike | None = None) -> QualifyConfig:
    """Read the parameters of ``cadastre qualify`` from a TOML file (``None``: the defaults).

    Raises
    ------
    InputFileError
        The file is missing, a folder, unreadable or not UTF-8.
    OptionError
        Invalid TOML, an unknown section or key, a value of the wrong type or
        out of range (see :func:`check_qualify_config`).
    """
    if path is None:
        return QualifyConfig()
    return qualify_config_from_dict(read_toml(path, given_to="--config", example=_EXAMPLE), str(path))


# --------------------------------------------------------------------------- writing


def parameters(config: QualifyConfig) -> list[tuple[str, Any, str, str]]:
    """Every parameter as ``(name, value, unit, note)``, in file order (for reports)."""
    return [(name, value, declared.unit, declared.source) for name, value, declared in _params.rows(config)]


def default_qualify_toml(config: QualifyConfig | None = None) -> str:
    """A commented TOML file with every key (at its default), ready to copy and edit.

    :func:`load_qualify_config` on this text gives ``config`` back.
    """
    config = config or QualifyConfig()
    lines = [
        "# Parameters of 'cadastre qualify' (first-level PV qualification of municipal buildings).",
        "# Copy this file, edit what you need and pass it with --config; keys left out keep their defaults.",
        "# Each key: a comment with its meaning and source, [unit], range and default (table: docs/parameters.md).",
        "#",
        "# PRICES, TARIFFS, SUBSIDIES AND COSTS ARE PUBLIC ORDERS OF MAGNITUDE OF 2024 AND CHANGE EVERY QUARTER:",
        "# REVIEW THEM (sections [prices] and [bands]) before relying on savings, payback or NPV.",
        "# All money excludes VAT.",
        *_params.toml_lines(config, QualifyConfig()),
    ]
    return "\n".join(lines) + "\n"
