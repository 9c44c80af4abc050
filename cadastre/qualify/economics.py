"""Self-consumption and the economics of one PV installation: payback, NPV, LCOE, CO2.

Year ``t = 1..N`` (``N = economics.lifetime_years``) of an installation of
``P`` kWp producing ``E`` kWh in its first year, ``C`` of them consumed on site:

- degradation factor ``f_t = (1 - degradation)^(t-1)``, applied to ``E`` and
  ``C`` alike (the self-consumed share stays that of year 1);
- savings ``C f_t p (1 + g)^(t-1)`` with the purchase price ``p`` and its
  yearly growth ``g``; surplus revenue ``(E - C) f_t T`` at the band's tariff
  ``T``; running cost ``O = om_rate I`` with ``I = P c`` the band's cost;
- net investment ``I_net = I - P s`` (the band's subsidy ``s``, paid once);
- simple payback ``I_net / (savings_1 + revenue_1 - O)`` (none when the first
  year's net income is <= 0);
- NPV ``-I_net + sum_t (savings_t + revenue_t - O) / (1 + r)^t``;
- LCOE ``(I_net + sum_t O / (1 + r)^t) / sum_t E f_t / (1 + r)^t``;
- CO2 avoided per year ``E x grid factor``.

Total sale (``sale = "total"``): nothing is consumed on site (``C = 0``),
the whole production is sold at the band's total-sale tariff and there is no
subsidy (S21 pays it to self-consumption only). A grouped purchase multiplies
the band's cost by ``cost_factor`` (1 - the operation's reduction): the
investment and the running cost drop with it, not the subsidy.

All money in € excluding VAT.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cadastre.qualify.config import BandsConfig, GroupingConfig, QualifyConfig

__all__ = ["SALES", "Band", "Economics", "band_of", "economics", "grouping_reduction", "self_consumption"]

#: How the production is sold: the surplus of self-consumption, or all of it (total sale).
SALES = ("surplus", "total")


def self_consumption(production: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Power consumed on site, row by row: ``min(production, load)``, negatives as 0. [kW]

    Parameters
    ----------
    production, load : numpy.ndarray
        PV production and building load of the same rows. [kW]
    """
    return np.minimum(np.maximum(production, 0.0), np.maximum(load, 0.0))


@dataclasses.dataclass(frozen=True)
class Band:
    """One installation-size band (upper bound ``kwp_max`` inclusive)."""

    number: int
    kwp_max: float
    cost_eur_kwp: float
    subsidy_eur_kwp: float
    surplus_tariff_eur_kwh: float
    total_sale_tariff_eur_kwh: float


def band_of(kwp: float, bands: BandsConfig) -> Band:
    """The smallest band holding ``kwp`` [kWp] (the largest band above its bound)."""
    k = int(np.searchsorted(np.asarray(bands.kwp_max), kwp, side="left"))
    k = min(k, len(bands.kwp_max) - 1)
    return Band(k + 1, bands.kwp_max[k], bands.cost_eur_kwp[k], bands.subsidy_eur_kwp[k],
                bands.surplus_tariff_eur_kwh[k], bands.total_sale_tariff_eur_kwh[k])


def grouping_reduction(total_kwp: float, grouping: GroupingConfig) -> float:
    """The cost reduction (0-1) of a grouped purchase of ``total_kwp`` [kWp]: that of the highest band whose
    lower bound ``from_kwp`` (inclusive) it reaches, 0 below the first."""
    k = int(np.searchsorted(np.asarray(grouping.from_kwp), total_kwp, side="right"))
    return float(grouping.cost_reduction[k - 1]) if k > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class Economics:
    """First-year flows [€/yr], investment [€], payback [yr], NPV [€], LCOE [€/kWh], CO2 [t/yr]."""

    band: int
    investment_eur: float
    subsidy_eur: float
    savings_eur: float
    surplus_revenue_eur: float
    om_eur: float
    payback_years: float
    npv_eur: float
    lcoe_eur_kwh: float
    co2_t: float


def economics(kwp: float, production_kwh: float, self_consumed_kwh: float,
              config: QualifyConfig = QualifyConfig(), *, sale: str = "surplus",  # noqa: B008 (frozen, immutable)
              cost_factor: float = 1.0) -> Economics:
    """Investment, savings, payback, NPV, LCOE and CO2 of one installation (module docstring).

    Parameters
    ----------
    kwp : float
        Installed power. [kWp]
    production_kwh : float
        First-year production. [kWh]
    self_consumed_kwh : float
        First-year production consumed on site, <= ``production_kwh``. [kWh]
    config : QualifyConfig
        Bands, prices and economics.
    sale : {'surplus', 'total'}
        Self-consumption with the surplus sold at the band's surplus tariff
        and the subsidy; or total sale at the total-sale tariff, without
        subsidy (``self_consumed_kwh`` is then ignored: 0).
    cost_factor : float
        Multiplies the band's cost per kWp (a grouped purchase: 1 - its
        reduction).

    Returns
    -------
    Economics
        ``payback_years`` is ``inf`` when the first year's net income is
        <= 0, ``lcoe_eur_kwh`` is ``inf`` without production.
    """
    if sale not in SALES:
        raise ValueError(f"sale: {sale!r}; use one of {', '.join(SALES)}")
    band = band_of(kwp, config.bands)
    eco, prices = config.economics, config.prices
    total = sale == "total"
    if total:
        self_consumed_kwh = 0.0
    tariff = band.total_sale_tariff_eur_kwh if total else band.surplus_tariff_eur_kwh
    investment = kwp * band.cost_eur_kwp * cost_factor
    subsidy = 0.0 if total else kwp * band.subsidy_eur_kwp
    net_investment = investment - subsidy
    om = investment * eco.om_rate
    years = np.arange(1, eco.lifetime_years + 1)
    discount = (1.0 + eco.discount_rate) ** -years
    decay = (1.0 - eco.degradation) ** (years - 1)
    surplus = production_kwh - self_consumed_kwh
    savings = self_consumed_kwh * decay * prices.import_price_eur_kwh * (1.0 + prices.import_escalation) ** (years - 1)
    revenue = surplus * decay * tariff
    first = savings[0] + revenue[0] - om
    payback = net_investment / first if first > 0 else math.inf
    npv = float(np.sum((savings + revenue - om) * discount)) - net_investment
    energy = float(np.sum(production_kwh * decay * discount))
    lcoe = (net_investment + om * float(discount.sum())) / energy if energy > 0 else math.inf
    return Economics(
        band=band.number,
        investment_eur=investment,
        subsidy_eur=subsidy,
        savings_eur=float(savings[0]),
        surplus_revenue_eur=float(revenue[0]),
        om_eur=om,
        payback_years=payback,
        npv_eur=npv,
        lcoe_eur_kwh=lcoe,
        co2_t=production_kwh * prices.grid_co2_kg_kwh / 1000.0,
    )
