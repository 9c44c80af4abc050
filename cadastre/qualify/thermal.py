"""Solar water heating against PV on a municipal building with a hot-water demand (``cadastre qualify``).

Three uses of the roof are compared (:data:`USES`):

- ``pv``: the recommended PV scenario (:mod:`cadastre.qualify.scenarios`), unchanged;
- ``thermal``: collectors alone, sized on the hot-water demand;
- ``thermal_pv``: the same collectors on the best part of the roof, and PV sized by the rule of the
  recommended PV scenario on what is left of each face.

Sizing (:func:`collector_areas`): the demand of a day of use ``D`` [L at 60 °C] is drawn on the type's
days of use over its occupied hours (:func:`cadastre.qualify.loads.draw_shares`); the collectors are sized on
the mean daily draw over the weather period, ``A = D x days of use / days / litres_per_m2``, placed on the
faces best first (the order of their PV yield), at most ``max_area_share`` of each face's usable area
(:class:`cadastre.config.ThermalConfig`); the tank is ``tank_per_area x A``. A face keeps for PV the share of
its kWp that the collectors leave: ``kwp x (1 - collector area / usable area)``.

Heat: :func:`cadastre.solar.thermal.simulate` hour by hour on the collectors' absorbed irradiance (the
area-weighted mean of their faces'), with the faces' shading profiles when the run has them
(:func:`cadastre.solar.thermal.face_absorbed`), else the unshaded plane times the face's annual shading ratio.

Economics (:func:`thermal_economics`, the arithmetic of :func:`cadastre.solar.thermal.heat_economics`), year
``t = 1..N`` (``N = lifetime_years``), flat prices: useful heat ``Q`` [kWh/yr] replaces ``F = Q / efficiency`` of the fuel; savings ``S = F x price``; investment
``I = A x cost_eur_m2``, subsidy ``A x subsidy_eur_m2``; running cost ``O = om_rate x I``; payback
``(I - subsidy) / (S - O)`` (none when ``S <= O``); NPV ``-(I - subsidy) + sum_t (S - O) / (1 + r)^t`` with
``r = economics.discount_rate``; CO2 avoided ``F x factor``. The NPV of ``thermal_pv`` is the sum of the two.

Choice (:func:`choose_use`): the highest NPV, ties to the order of :data:`USES`. All money in € excl. VAT.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cadastre.qualify.config import QualifyConfig, SolarThermalConfig
from cadastre.solar.thermal import HeatEconomics, heat_economics

__all__ = ["USES", "choose_use", "collector_areas", "fuel_terms", "pv_room", "thermal_economics"]

#: The uses of a roof compared for a building with a hot-water demand.
USES = ("pv", "thermal", "thermal_pv")


def collector_areas(mean_litres_day: float, usable_area_m2: np.ndarray, max_area_share: float,
                    litres_per_m2: float) -> np.ndarray:
    """Collector area on each face (faces best first) [m2]: ``mean_litres_day / litres_per_m2`` in all, the best
    faces filled first, at most ``max_area_share`` of each face's usable area [m2]."""
    room = max_area_share * np.nan_to_num(np.asarray(usable_area_m2, np.float64))
    wanted = max(float(mean_litres_day), 0.0) / litres_per_m2
    before = np.concatenate([[0.0], np.cumsum(room)[:-1]])
    return np.clip(wanted - before, 0.0, room)


def pv_room(capacity_kwp: np.ndarray, usable_area_m2: np.ndarray, collectors_m2: np.ndarray) -> np.ndarray:
    """kWp each face still holds beside its collectors: ``capacity x (1 - collectors / usable area)``, >= 0."""
    usable = np.asarray(usable_area_m2, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(usable > 0, 1.0 - np.asarray(collectors_m2, np.float64) / usable, 1.0)
    return np.asarray(capacity_kwp, np.float64) * np.clip(left, 0.0, 1.0)


def fuel_terms(st: SolarThermalConfig) -> tuple[float, float, float]:
    """Price [€/kWh], efficiency and CO2 factor [kgCO2e/kWh] of the fuel ``st.fuel`` replaces."""
    if st.fuel == "gas":
        return st.gas_price_eur_kwh, st.gas_efficiency, st.gas_co2_kg_kwh
    return st.electric_price_eur_kwh, st.electric_efficiency, st.electric_co2_kg_kwh


def thermal_economics(heat_kwh: float, area_m2: float, config: QualifyConfig = QualifyConfig()  # noqa: B008
                      ) -> HeatEconomics:
    """The economics of a solar water heater of ``area_m2`` [m2] delivering ``heat_kwh`` [kWh/yr] (module
    docstring), each field a float."""
    st = config.solar_thermal
    price, efficiency, co2 = fuel_terms(st)
    e = heat_economics(heat_kwh, area_m2, price=price, efficiency=efficiency, co2_kg_kwh=co2,
                       cost_eur_m2=st.cost_eur_m2, subsidy_eur_m2=st.subsidy_eur_m2, om_rate=st.om_rate,
                       lifetime_years=st.lifetime_years, discount_rate=config.economics.discount_rate)
    return HeatEconomics(**{f.name: float(getattr(e, f.name)) for f in dataclasses.fields(HeatEconomics)})


def choose_use(npv: dict[str, float]) -> tuple[str, str]:
    """The use of :data:`USES` with the highest NPV [€] (ties: the first in :data:`USES`; NaN never wins) and its
    reason (English; :data:`cadastre.pages.labels.REASONS` translates it)."""
    finite = {u: v for u, v in npv.items() if u in USES and math.isfinite(v)}
    if not finite:
        return "pv", "no use with an NPV: PV kept"
    best = max(finite.values())
    choice = next(u for u in USES if u in finite and finite[u] == best)
    return choice, f"highest NPV of the {len(finite)} uses ({best:,.0f} €)"
