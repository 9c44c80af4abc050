"""The daily hot-water demand of a municipal building (the demand side of a solar water heater).

The demand is given per row of ``municipal.csv`` (``hot_water_l_day``, or ``ecs_litres_jour``), else it is
the building type's default of ``[hot_water]`` (:class:`cadastre.qualify.config.HotWaterConfig`):
``litres_per_unit x units_per_100m2 x floor area / 100``, the floor area being the row's
``floor_area_m2`` or else the footprint's area. Litres at 60 °C on a day of use (a school's canteen
serves on school days: the thermal comparison lays the demand onto the type's calendar,
:mod:`cadastre.qualify.loads`). Types without a default (town hall, library, technical, other) need none.
"""

from __future__ import annotations

import dataclasses
import math

from cadastre.qualify.config import HotWaterConfig

__all__ = ["GIVEN", "ESTIMATED", "HotWater", "hot_water_demand"]

#: ``hot_water_source`` of ``qualification.csv``: the row's value, or the type's default.
GIVEN, ESTIMATED = "given", "estimated"


@dataclasses.dataclass(frozen=True)
class HotWater:
    """A building's demand [L at 60 °C per day of use] and where it comes from (:data:`GIVEN`, :data:`ESTIMATED`)."""

    litres_day: float
    source: str


def hot_water_demand(kind: str, floor_area_m2: float, given: float = math.nan,
                     config: HotWaterConfig = HotWaterConfig()) -> HotWater:  # noqa: B008 (frozen)
    """The daily hot-water demand of a building of type ``kind``.

    Parameters
    ----------
    kind : str
        Building type (:data:`cadastre.qualify.config.BUILDING_TYPES`).
    floor_area_m2 : float
        Floor area of the default. [m2]
    given : float
        The row's value (NaN: none). [L/day]
    config : HotWaterConfig
        The defaults by type.
    """
    if math.isfinite(given):
        return HotWater(float(given), GIVEN)
    use = config.use(kind)
    if use is None:
        return HotWater(0.0, ESTIMATED)
    return HotWater(use.litres_per_unit * use.units_per_100m2 * floor_area_m2 / 100.0, ESTIMATED)
