"""``qualification.html``: a self-contained page of the qualification (no external resource).

The page is the template ``templates/qualification.html.j2``, extending the shared layout of
:mod:`cadastre.pages` (one inline stylesheet). Charts are PNG images drawn with matplotlib's
object API (no pyplot state) and inlined as base64 ``data:`` URIs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cadastre.pages.images import figure_png
from cadastre.pages.numbers import number
from cadastre.pages.rendering import render
from cadastre.pages.tables import NUMBER, Table
from cadastre.qualify.config import parameters
from cadastre.qualify.operation import QualifyResult

__all__ = ["production_chart", "render_html"]

#: Columns of a table: (column, header, digits: int, "%" for a fraction shown in %, or None for text).
_RANKING = [("rank", "rank", 0), ("commune", "commune", None), ("name", "building", None), ("type", "type", None),
            ("building_id", "id", None), ("kwp", "kWp", 1), ("mwh", "MWh/yr", 1),
            ("self_consumption_rate", "self-consumption %", "%"), ("self_sufficiency", "self-sufficiency %", "%"),
            ("investment_eur", "investment €", 0), ("payback_years", "payback yr", 1), ("npv_eur", "NPV €", 0),
            ("lcoe_eur_kwh", "LCOE €/kWh", 3), ("co2_t", "CO₂ t/yr", 1), ("score", "score", 0),
            ("verdict", "verdict", None), ("reasons", "reasons", None)]
_PROBLEMS = [("line", "line", 0), ("insee", "insee", None), ("name", "building", None), ("reasons", "problem", None)]
_OPERATION = [("insee", "insee", None), ("commune", "commune", None), ("buildings", "rows", 0),
              ("qualified", "qualified", 0), ("to_study", "to study", 0), ("not_qualified", "not qualified", 0),
              ("errors", "problems", 0), ("mwp", "MWp qualified", 3), ("mwh", "MWh/yr qualified", 1),
              ("investment_eur", "investment qualified €", 0), ("mwp_to_study", "MWp to study", 3),
              ("investment_to_study_eur", "investment to study €", 0)]
_ASSUMPTIONS = [("key", "parameter", None), ("value", "value", None), ("unit", "unit", None),
                ("source", "meaning and source", None)]


def _cell(value, digits) -> str:
    """A cell's text: empty when missing, else as text or a number grouped by thin spaces (1 234.5)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if digits is None:
        return str(value)
    if isinstance(value, float) and math.isinf(value):
        return str(value)  # a payback never reached: inf, as in qualification.csv
    if digits == "%":
        return number(100.0 * float(value), 0, "iso")
    return number(value, digits, "iso")


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, object]], key: str) -> Table:
    """The rows of ``frame`` in ``columns``; numbers right-aligned, a verdict in its colour (class)."""
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, _, digits in columns:
            text = _cell(row.get(column), digits)
            style = text.replace(" ", "-") if column == "verdict" else NUMBER if digits is not None else ""
            cells.append((text, style))
        rows.append(cells)
    return Table(key, [label for _, label, _ in columns], rows)


def production_chart(profiles, title: str) -> bytes:
    """PNG: monthly production, load and self-consumption, and the mean day (production vs load)."""
    fig = Figure(figsize=(9.5, 3.2))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    months = np.arange(1, 13)
    left.bar(months - 0.2, profiles.monthly_production, 0.4, label="production", color="#f2b705")
    left.bar(months + 0.2, profiles.monthly_load, 0.4, label="load", color="#5b8db8")
    left.plot(months, profiles.monthly_self, "k.-", label="self-consumed")
    left.set_xticks(months)
    left.set_xlabel("month")
    left.set_ylabel("MWh")
    left.legend(fontsize=8)
    hours = np.arange(24)
    right.fill_between(hours, np.minimum(profiles.hourly_production, profiles.hourly_load), color="#cfe8cf",
                       label="self-consumed (mean)")
    right.plot(hours, profiles.hourly_production, color="#d99a00", label="production")
    right.plot(hours, profiles.hourly_load, color="#2f6690", label="load")
    right.set_xlabel("local hour (mean day of the year)")
    right.set_ylabel("kW")
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return figure_png(fig, dpi=80, tight=True)


def render_html(result: QualifyResult, *, top: int = 5) -> str:
    """The whole page as a string (see the module docstring).

    Parameters
    ----------
    result : QualifyResult
        From :func:`cadastre.qualify.operation.qualify`.
    top : int
        How many of the best-ranked buildings get a production vs load chart.
    """
    t = pd.DataFrame(result.table.drop(columns="geometry"))
    ranked = t[t["status"] == "ok"].sort_values("rank")
    errors = t[t["status"] == "error"]
    charts = []
    for _, row in ranked.head(top).iterrows():
        prof = result.profiles.get(int(row["line"]))
        if prof is not None:
            title = f"#{row['rank']} {row['name']} ({row['commune']}): {row['kwp']:.1f} kWp"
            charts.append((production_chart(prof, title), title))
    assumptions = pd.DataFrame([{"key": k, "value": str(v), "unit": u, "source": n}
                                for k, v, u, n in parameters(result.config)])
    meta = result.meta
    return render(
        __package__, "qualification.html.j2", lang="en",
        run=meta["run"], municipal=meta["municipal"], weather=str(meta["weather"]).replace("\\", "/").split("/")[-1],
        rows=len(t), counts=meta["verdicts"], errors=meta["errors"], total=result.operation.iloc[-1].to_dict(),
        ranking=_table(ranked, _RANKING, "ranking"), charts=charts,
        problems=_table(errors, _PROBLEMS, "problems") if len(errors) else None,
        operation=_table(result.operation, _OPERATION, "operation"),
        assumptions=_table(assumptions, _ASSUMPTIONS, "assumptions"),
        sky=meta["sky"], albedo=f"{meta['albedo']:g}",
    )
