"""The three PV scenarios of a building and the choice of the recommended one.

Each building of ``cadastre qualify`` is computed three ways (:data:`cadastre.qualify.config.SCENARIOS`):

- ``self_consumption``: the largest size whose self-consumption rate reaches
  ``sizing.self_consumption_target``, the surplus sold, with the S21 subsidy;
- ``roof``: the whole usable roof (within the bands), the surplus sold, with the subsidy;
- ``total_sale``: the whole usable roof, all the production sold at the band's
  total-sale tariff, no self-consumption savings, no subsidy.

:func:`recommend` picks one by ``sizing.objective``: the highest NPV (default), the
shortest payback, the highest self-consumption rate or the highest production;
ties (e.g. ``roof`` and ``total_sale`` produce the same) go to the highest NPV, then
to the order above. ``sizing.mode`` other than ``objective`` imposes one scenario.
The reasons are written in English, like the verdict's (the pages translate them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from cadastre.qualify.config import SCENARIOS, SizingConfig

__all__ = ["METRICS", "PREFIX", "SCENARIO_COLUMNS", "recommend", "scenario_column"]

#: Short code of each scenario, the prefix of its columns in ``qualification.csv`` (``roof_kwp`` is taken:
#: the installable roof).
PREFIX = {"self_consumption": "sc", "roof": "whole", "total_sale": "sale"}

#: The figures of each scenario written side by side in ``qualification.csv``.
METRICS = ("kwp", "mwh", "self_consumption_rate", "investment_eur", "payback_years", "npv_eur")


def scenario_column(metric: str, scenario: str) -> str:
    """The column of ``metric`` for ``scenario``, e.g. ``sale_npv_eur`` (the unit last, as the other columns)."""
    return f"{PREFIX[scenario]}_{metric}"


#: The per-scenario columns, scenario by scenario.
SCENARIO_COLUMNS = tuple(scenario_column(m, s) for s in SCENARIOS for m in METRICS)

_TOLERANCE = 1e-9


def _value(figures: Mapping[str, float], objective: str) -> float:
    """The quantity the objective maximises (payback: its opposite; none: -inf)."""
    if objective == "payback":
        payback = figures["payback_years"]
        return -payback if math.isfinite(payback) else -math.inf
    column = {"npv": "npv_eur", "self_consumption": "self_consumption_rate", "production": "mwh"}[objective]
    return float(figures[column])


def _why(objective: str, figures: Mapping[str, float]) -> str:
    """The reason of a choice by ``objective`` (English; :data:`cadastre.pages.labels.REASONS` translates it)."""
    if objective == "npv":
        return f"highest NPV of the 3 scenarios ({figures['npv_eur']:,.0f} €)"
    if objective == "payback":
        if not math.isfinite(figures["payback_years"]):
            return "no scenario pays back"
        return f"shortest payback of the 3 scenarios ({figures['payback_years']:.1f} yr)"
    if objective == "self_consumption":
        return f"highest self-consumption rate of the 3 scenarios ({100 * figures['self_consumption_rate']:.0f}%)"
    return f"highest production of the 3 scenarios ({figures['mwh']:,.1f} MWh/yr)"


def recommend(figures: Mapping[str, Mapping[str, float]], sizing: SizingConfig = SizingConfig()  # noqa: B008
              ) -> tuple[str, list[str]]:
    """The recommended scenario and its reasons.

    Parameters
    ----------
    figures : mapping
        For each scenario of :data:`SCENARIOS`: ``npv_eur`` [€], ``payback_years``
        [yr, ``inf`` when it never pays back], ``self_consumption_rate`` (0-1) and ``mwh`` [MWh/yr].
    sizing : SizingConfig
        ``mode`` (``objective``, or a scenario imposed) and ``objective``.

    Returns
    -------
    tuple
        The scenario's name and its reasons (English).
    """
    if sizing.mode != "objective":
        return sizing.mode, [f"scenario imposed by sizing.mode = {sizing.mode}"]
    names = [s for s in SCENARIOS if s in figures]
    values = {s: _value(figures[s], sizing.objective) for s in names}
    best = max(values.values())
    tied = [s for s in names if values[s] == best or (math.isfinite(best) and
                                                       abs(values[s] - best) <= _TOLERANCE * max(1.0, abs(best)))]
    choice = max(tied, key=lambda s: (figures[s]["npv_eur"], -names.index(s)))
    reasons = [_why(sizing.objective, figures[choice])]
    if len(tied) > 1 and sizing.objective != "npv":
        reasons.append("tie broken by the NPV")
    return choice, reasons
