"""Solar water heater, hour by hour: flat-plate collector and a two-zone stratified tank.

Collector (EN ISO 9806, efficiency on the mean fluid temperature):
``q = S - a1 x - a2 x²`` [W m-2] with ``S`` the absorbed irradiance (``η0`` times the
irradiance weighted by the incidence-angle modifiers) and ``x = T_mean - T_air``. With the
loop flow ``m`` [kg s-1 m-2], ``T_mean = T_in + q / (2 m cp)``, so that
``x = d + c q`` (``d = T_in - T_air``, ``c = 1 / (2 m cp)``) solves
``c a2 x² + (1 + c a1) x - (d + c S) = 0`` (:func:`collector_gain`). The pump runs when
``q > 0`` (an ideal differential controller).

Tank: a hot zone on top (volume ``vh``, temperature ``th``) over a cold zone (``V - vh``,
``tc``), a moving thermocline without mixing between them. Each step: standing losses of
both zones (implicit, ``UA`` shared by volume; none below the room temperature); the collector draws water from the bottom
(the cold zone while there is one) and returns it on top at ``T_in + q / (m cp)``; once
the cold zone is used up, the whole tank circulates for the rest of the step; the hot side
never exceeds ``t_max`` (the surplus is dumped). The draw leaves from the top (hot zone
first, then the cold zone diluted by mains water, exponentially); mains water enters the
cold zone. Useful solar heat of a step: ``draw cp (min(T_delivered, T_set) - T_mains)``
(>= 0): an auxiliary heater after the tank tops the water up to the set-point.
"""

from __future__ import annotations

import math

from kernels._jit import inline, pjit, prange

CP_WATER = 4186.0
"""Specific heat of water. [J kg-1 K-1]"""
RHO_WATER = 1000.0
"""Density of water. [kg m-3]"""


@inline
def collector_gain(absorbed, d, a1, a2, c):
    """Useful gain of a collector [W m-2]: absorbed irradiance ``absorbed`` [W m-2], inlet minus air
    temperature ``d`` [K], loss coefficients ``a1`` [W m-2 K-1], ``a2`` [W m-2 K-2] on the mean fluid
    temperature, ``c = 1 / (2 m cp)`` [m2 K W-1]."""
    rhs = d + c * absorbed
    b = 1.0 + c * a1
    disc = b * b + 4.0 * c * a2 * rhs
    if disc < 0.0:
        return -1.0  # losses exceed any gain: the pump stays off
    x = 2.0 * rhs / (b + math.sqrt(disc))
    return absorbed - a1 * x - a2 * x * x


@pjit
def swh_systems(absorbed, temp_air, mains, draw, month, area, volume, ua, demand, a1, a2, flow, set_point,
                room, t_max, dt, solar, gain):
    """Simulate ``F`` independent systems over ``R`` steps; add monthly totals into ``solar``, ``gain``.

    Parameters
    ----------
    absorbed : (F, R) float array
        Absorbed irradiance per m2 of collector [W m-2] (η0 x IAM-weighted plane irradiance).
    temp_air, mains : (R,) float arrays
        Air temperature around the collector and mains water temperature [degC].
    draw : (R,) float array
        Share of a day's hot water drawn at each step (sums to 1 over each day): system ``f`` draws
        ``draw x demand[f]`` kg.
    month : (R,) int array
        Month of each step, 0..11.
    area, volume, ua, demand : (F,) float arrays
        Collector area [m2], tank volume [m3], tank loss coefficient [W K-1], daily hot water demand
        at the set-point [kg day-1].
    a1, a2 : float
        Collector heat-loss coefficients [W m-2 K-1], [W m-2 K-2].
    flow : float
        Collector loop flow [kg s-1 m-2].
    set_point, room, t_max : float
        Delivery set-point, air around the tank, tank maximum [degC].
    dt : float
        Step length [s].
    solar, gain : (F, 12) float arrays
        Add: useful solar heat delivered to the draw, heat gained by the collector [J].
    """
    n_f, n_r = absorbed.shape
    c = 1.0 / (2.0 * flow * CP_WATER)
    for f in prange(n_f):
        v = volume[f]
        a = area[f]
        if v <= 0.0 or a <= 0.0:
            continue
        k = ua[f] * dt / (RHO_WATER * CP_WATER * v)
        m_step = flow * a * dt  # kg circulated in a step
        rise_per_q = 1.0 / (flow * CP_WATER)  # collector temperature rise per W m-2 [K]
        vh = 0.0
        tc = mains[0]
        th = tc
        for r in range(n_r):
            # 1. standing losses (none below the room temperature: the room is not a heat source)
            if th > room:
                th = (th + k * room) / (1.0 + k)
            if tc > room:
                tc = (tc + k * room) / (1.0 + k)
            # 2. collector
            s = absorbed[f, r]
            if s > 0.0:
                vc = v - vh
                t_in = tc if vc > 1e-9 else th
                q = collector_gain(s, t_in - temp_air[r], a1, a2, c)
                if q > 0.0:
                    moved = m_step / RHO_WATER
                    if moved <= vc:
                        th = (th * vh + (t_in + q * rise_per_q) * moved) / (vh + moved)
                        vh += moved
                        gain[f, month[r]] += q * a * dt
                    else:
                        share = vc / moved
                        t_mix = (th * vh + (t_in + q * rise_per_q) * vc) / v
                        gain[f, month[r]] += q * a * dt * share
                        q2 = collector_gain(s, t_mix - temp_air[r], a1, a2, c)
                        if q2 > 0.0:
                            t_mix += q2 * a * dt * (1.0 - share) / (RHO_WATER * CP_WATER * v)
                            gain[f, month[r]] += q2 * a * dt * (1.0 - share)
                        th = t_mix
                        tc = t_mix
                        vh = v
                    if th > t_max:
                        th = t_max
            # 3. draw
            d = draw[r] * demand[f] / RHO_WATER  # m3
            tm = mains[r]
            if d > 0.0:
                if d <= vh:
                    t_del = th
                    vc = v - vh
                    tc = (tc * vc + tm * d) / (vc + d)
                    vh -= d
                else:
                    vc = v - vh
                    tc1 = (tc * vc + tm * vh) / v
                    w = d - vh
                    x = w / v
                    e = math.exp(-x)
                    t_w = tm + (tc1 - tm) * (1.0 - e) / x
                    t_del = (th * vh + t_w * w) / d
                    tc = tm + (tc1 - tm) * e
                    vh = 0.0
                    th = tc
                hot = t_del if t_del < set_point else set_point
                if hot > tm:
                    solar[f, month[r]] += d * RHO_WATER * CP_WATER * (hot - tm)
            if vh > 0.0 and th < tc:  # an inversion mixes the tank
                tc = (th * vh + tc * (v - vh)) / v
                th = tc
                vh = 0.0
            if vh <= 0.0:
                th = tc
