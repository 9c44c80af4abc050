"""Hourly electricity load of a municipal building, by building type.

A weather year (a TMY mixes months of several years) is laid onto one
calendar year, ``loads.year``: each row keeps its local (Europe/Paris) month,
day and hour, and takes that date's weekday, French public holiday and zone B
school holiday status in the reference year. The load of a row is

.. math::

    L = A \\, s(d) \\, [b + (1 - b) \\, o(t)] / \\sum (\\dots) \\Delta t

with ``A`` the consumption over the period [kWh], ``s(d) = 1 + w cos(2 pi
(d - 15) / 365.25)`` the seasonal factor of day of year ``d``, ``b`` the base
load fraction and ``o(t)`` the occupation level: 0 outside the occupied
hours, else 1 on working days, ``saturday`` or ``sunday`` (public holidays
count as Sundays), times ``school_holidays`` during the school holidays
(:class:`cadastre.qualify.config.LoadShape`). The period's consumption is the
annual one times the period's length over 8,760 h (a full year: the annual
consumption).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from dateutil.easter import easter

from cadastre.errors import OptionError
from cadastre.qualify.config import BUILDING_TYPES, LoadsConfig

__all__ = ["Calendar", "calendar", "day_level", "draw_shares", "load_profile", "public_holidays"]

#: Time zone of the occupied hours.
LOCAL_TZ = "Europe/Paris"

#: Hours in a (non-leap) year, the period of an annual consumption. [h]
YEAR_HOURS = 8760.0


def public_holidays(year: int) -> set[dt.date]:
    """The 11 French public holidays of ``year`` (Easter Monday, Ascension and Whit Monday from Easter)."""
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [e + dt.timedelta(days=n) for n in (1, 39, 50)]
    return {dt.date(year, m, d) for m, d in fixed} | set(moving)


@dataclasses.dataclass(frozen=True)
class Calendar:
    """Each weather row laid onto the reference year (arrays of the rows' length).

    Attributes
    ----------
    hour : numpy.ndarray
        Local hour of day, 0-23.
    month : numpy.ndarray
        Local month, 1-12.
    day_of_year : numpy.ndarray
        Day of the reference year, 1-366.
    day_kind : numpy.ndarray
        0 working day, 1 Saturday, 2 Sunday or public holiday.
    school_holiday : numpy.ndarray
        True on a day of the school holidays.
    """

    hour: np.ndarray
    month: np.ndarray
    day_of_year: np.ndarray
    day_kind: np.ndarray
    school_holiday: np.ndarray


def calendar(index: pd.DatetimeIndex, loads: LoadsConfig = LoadsConfig()) -> Calendar:  # noqa: B008 (frozen)
    """Lay the rows of ``index`` onto the reference year ``loads.year``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Row stamps; tz-aware stamps are converted to Europe/Paris, naive ones
        are taken as local time.
    loads : LoadsConfig
        Reference year and school holidays.
    """
    local = index.tz_convert(LOCAL_TZ) if index.tz is not None else index
    month = np.asarray(local.month)
    day = np.asarray(local.day)
    leap = pd.Timestamp(year=loads.year, month=1, day=1).is_leap_year
    day = np.where((month == 2) & (day == 29) & (not leap), 28, day)
    dates = pd.to_datetime(pd.DataFrame({"year": loads.year, "month": month, "day": day}))
    kind = np.where(dates.dt.dayofweek.to_numpy() == 5, 1, 0)
    kind = np.where(dates.dt.dayofweek.to_numpy() == 6, 2, kind)
    as_date = dates.dt.date.to_numpy()
    kind = np.where(np.isin(as_date, list(public_holidays(loads.year))), 2, kind)
    school = np.zeros(len(index), bool)
    for first, last in loads.school_holidays:
        school |= (as_date >= dt.date.fromisoformat(first)) & (as_date <= dt.date.fromisoformat(last))
    return Calendar(hour=np.asarray(local.hour), month=month, day_of_year=dates.dt.dayofyear.to_numpy(),
                    day_kind=kind, school_holiday=school)


def load_profile(
    index: pd.DatetimeIndex,
    kind: str,
    annual_kwh: float,
    *,
    loads: LoadsConfig = LoadsConfig(),  # noqa: B008 (frozen, immutable)
    interval_hours: float = 1.0,
    cal: Calendar | None = None,
) -> np.ndarray:
    """Load of a building of type ``kind`` for every row of ``index``. [kW]

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Row stamps (see :func:`calendar`).
    kind : str
        One of :data:`cadastre.qualify.config.BUILDING_TYPES`.
    annual_kwh : float
        Yearly consumption, >= 0. [kWh]
    loads : LoadsConfig
        Calendar and shapes.
    interval_hours : float
        Length of one row. [h]
    cal : Calendar, optional
        ``calendar(index, loads)`` when the caller has it already (many buildings, one weather).

    Returns
    -------
    numpy.ndarray
        Mean power of each row, >= 0, summing (times ``interval_hours``) to
        ``annual_kwh * len(index) * interval_hours / 8760``. [kW]

    Raises
    ------
    OptionError
        Unknown type, or negative or non-finite consumption.
    """
    if kind not in BUILDING_TYPES:
        raise OptionError(f"type: {kind!r} is not a building type; use one of {', '.join(BUILDING_TYPES)}")
    if not (np.isfinite(annual_kwh) and annual_kwh >= 0):
        raise OptionError(f"consumption: {annual_kwh} kWh; give a number >= 0")
    shape = loads.shape(kind)
    cal = calendar(index, loads) if cal is None else cal
    level = day_level(cal, kind, loads)
    occupied = (cal.hour >= shape.open_hour) & (cal.hour < shape.close_hour)
    season = 1.0 + shape.winter * np.cos(2.0 * np.pi * (cal.day_of_year - 15) / 365.25)
    relative = season * (shape.base + (1.0 - shape.base) * np.where(occupied, level, 0.0))
    total = relative.sum() * interval_hours
    energy = annual_kwh * len(index) * interval_hours / YEAR_HOURS
    if total <= 0 or energy == 0:
        return np.zeros(len(index))
    return relative * (energy / total)


def day_level(cal: Calendar, kind: str, loads: LoadsConfig = LoadsConfig()) -> np.ndarray:  # noqa: B008 (frozen)
    """Occupation level of each row's day for building type ``kind``, 0-1: 1 on working days, ``saturday`` or
    ``sunday`` (public holidays count as Sundays), times ``school_holidays`` in the school holidays."""
    shape = loads.shape(kind)
    level = np.choose(cal.day_kind, [1.0, shape.saturday, shape.sunday])
    return np.where(cal.school_holiday, level * shape.school_holidays, level)


def draw_shares(cal: Calendar, kind: str, loads: LoadsConfig = LoadsConfig(),  # noqa: B008 (frozen)
                interval_hours: float = 1.0) -> np.ndarray:
    """Share of a day-of-use's hot water drawn in each row, for building type ``kind``.

    The day's water is drawn evenly over the occupied hours ``[open_hour, close_hour)`` of the type (local
    time), times the day's occupation level (:func:`day_level`): nothing on the days the building is closed
    (a school's weekends and holidays), a part on days of reduced use. The shares of a full day of use sum to 1
    (hourly rows); for :func:`cadastre.solar.thermal.simulate`.
    """
    if kind not in BUILDING_TYPES:
        raise OptionError(f"type: {kind!r} is not a building type; use one of {', '.join(BUILDING_TYPES)}")
    shape = loads.shape(kind)
    occupied = (cal.hour >= shape.open_hour) & (cal.hour < shape.close_hour)
    hours = shape.close_hour - shape.open_hour
    return np.where(occupied, day_level(cal, kind, loads) * interval_hours / hours, 0.0)
