"""``qualification.html``: a self-contained page of the qualification (no external resource).

The page is the template ``templates/qualification.html.j2``, extending the shared layout of
:mod:`cadastre.pages` (one inline stylesheet). Charts are PNG images drawn with matplotlib's
object API (no pyplot state) and inlined as base64 ``data:`` URIs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from matplotlib.figure import Figure

from cadastre.errors import OptionError
from cadastre.pages.images import figure_png
from cadastre.pages.labels import (
    LANGS,
    QUALIFICATION,
    reasons_label,
    scenario_label,
    type_label,
    use_label,
    verdict_label,
)
from cadastre.pages.numbers import number
from cadastre.pages.rendering import render
from cadastre.pages.tables import NUMBER, Table
from cadastre.qualify.config import SCENARIOS, parameters
from cadastre.qualify.operation import QualifyResult
from cadastre.qualify.scenarios import scenario_column

__all__ = ["grouping_table", "monthly_chart", "production_chart", "qualified_monthly", "render_html",
           "scenarios_table", "thermal_table"]

#: Columns of a table: (column, label key of :data:`cadastre.pages.labels.QUALIFICATION`, digits: int,
#: "%" for a fraction shown in %, or None for text).
_RANKING = [("rank", "rank", 0), ("commune", "commune", None), ("name", "building", None), ("type", "type", None),
            ("building_id", "id", None), ("scenario", "scenario", None), ("kwp", "kwp", 1), ("mwh", "mwh", 1),
            ("self_consumption_rate", "self", "%"), ("self_sufficiency", "sufficiency", "%"),
            ("investment_eur", "investment", 0), ("payback_years", "payback", 1), ("npv_eur", "npv", 0),
            ("lcoe_eur_kwh", "lcoe", 3), ("co2_t", "co2", 1), ("score", "score", 0),
            ("verdict", "verdict", None), ("reasons", "reasons", None)]
_PROBLEMS = [("line", "line", 0), ("insee", "insee", None), ("name", "building", None), ("reasons", "problem", None)]
_OPERATION = [("insee", "insee", None), ("commune", "commune", None), ("buildings", "rows", 0),
              ("qualified", "qualified", 0), ("to_study", "to_study", 0), ("not_qualified", "not_qualified", 0),
              ("errors", "errors", 0), ("mwp", "mwp_q", 3), ("mwh", "mwh_q", 1),
              ("investment_eur", "investment_q", 0), ("mwp_to_study", "mwp_s", 3),
              ("investment_to_study_eur", "investment_s", 0)]
#: The columns of the scenarios table: (metric of cadastre.qualify.scenarios.METRICS, label key, digits).
_SCENARIO_METRICS = [("kwp", "kwp", 1), ("mwh", "mwh", 1), ("self_consumption_rate", "self", "%"),
                     ("investment_eur", "investment", 0), ("payback_years", "payback", 1), ("npv_eur", "npv", 0)]
#: The comparison of the grouped purchase with the same buildings bought alone: (operation.csv's
#: column after "alone_" or "grouped_", label key, digits).
_GROUPING = [("kwp", "kwp_total", 1), ("mwh", "mwh", 1), ("investment_eur", "investment", 0),
             ("savings_eur", "savings", 0), ("sales_eur", "sales", 0), ("npv_eur", "npv", 0)]
#: The comparison of solar water heating and PV, one row per building with a hot-water demand: (column of
#: qualification.csv, label key, digits; the NPV columns by the use they belong to).
_THERMAL = [("hot_water_l_day", "hot_water", 0), ("thermal_area_m2", "collectors", 1), ("thermal_mwh", "heat", 1),
            ("thermal_fraction", "solar_fraction", "%"), ("thermal_payback_years", "thermal_payback", 1),
            ("thermal_pv_kwp", "thermal_pv_kwp", 1)]
_USE_NPV = [("pv", "npv_eur", "npv_pv"), ("thermal", "thermal_npv_eur", "npv_thermal"),
            ("thermal_pv", "thermal_pv_npv_eur", "npv_thermal_pv")]
_ASSUMPTIONS = [("key", "parameter", None), ("value", "value", None), ("unit", "unit", None),
                ("source", "source", None)]
#: CSS class of a column of long text (kept readable: a minimum width, the other columns give way).
LONG = "long"
#: Number style of each language (:mod:`cadastre.pages.numbers`).
_STYLE = {"fr": "fr", "en": "iso"}


def _cell(value, digits, style: str = "iso") -> str:
    """A cell's text: empty when missing, else as text or a number in ``style`` (1 234.5, 1 234,5)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if digits is None:
        return str(value)
    if isinstance(value, float) and math.isinf(value):
        return str(value)  # a payback never reached: inf, as in qualification.csv
    if digits == "%":
        return number(100.0 * float(value), 0, style)
    return number(value, digits, style)


def _label(column: str, value, lang: str):
    """The label of a coded cell (type, verdict, reasons, the operation's total) in ``lang``."""
    if column == "type":
        return type_label(value, lang)
    if column == "verdict":
        return verdict_label(value, lang)
    if column == "scenario":
        return scenario_label(value, lang)
    if column == "reasons":
        return reasons_label(value, lang)
    if column == "commune" and value == "(operation)":
        return QUALIFICATION[lang]["operation"]
    return value


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, object]], key: str, lang: str = "fr") -> Table:
    """The rows of ``frame`` in ``columns``, labelled in ``lang``; numbers right-aligned, a verdict in its colour
    (class from its code)."""
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, _, digits in columns:
            value = row.get(column)
            text = _cell(_label(column, value, lang) if digits is None else value, digits, _STYLE[lang])
            style = str(value).replace(" ", "-") if column == "verdict" else NUMBER if digits is not None else \
                LONG if column in ("reasons", "source") else ""
            cells.append((text, style))
        rows.append(cells)
    return Table(key, [QUALIFICATION[lang][label] for _, label, _ in columns], rows)


def scenarios_table(ranked: pd.DataFrame, lang: str = "fr") -> Table:
    """The three scenarios of each ranked building, one row each, the recommended one marked (★, in green)."""
    w, style = QUALIFICATION[lang], _STYLE[lang]
    rows = []
    for _, row in ranked.iterrows():
        for k, scenario in enumerate(SCENARIOS):
            chosen = row.get("scenario") == scenario
            mark = "qualified" if chosen else ""
            cells = [(_cell(row["rank"], 0, style) if k == 0 else "", NUMBER),
                     (str(row["name"]) if k == 0 else "", ""), (scenario_label(scenario, lang), mark)]
            for metric, _, digits in _SCENARIO_METRICS:
                cells.append((_cell(row.get(scenario_column(metric, scenario)), digits, style),
                              f"{NUMBER} {mark}".strip()))
            cells.append((w["recommended_mark"] if chosen else "", mark))
            cells.append((reasons_label(row.get("scenario_reason"), lang) if chosen else "", LONG))
            rows.append(cells)
    headers = [w["rank"], w["building"], w["scenario"], *(w[label] for _, label, _ in _SCENARIO_METRICS),
               w["recommended"], w["why"]]
    return Table("scenarios", headers, rows)


def thermal_table(ranked: pd.DataFrame, lang: str = "fr") -> Table | None:
    """PV, solar thermal and both side by side for each ranked building with a hot-water demand (the NPV of
    the recommended use in green), or None when no building has one."""
    w, style = QUALIFICATION[lang], _STYLE[lang]
    demand = pd.to_numeric(ranked.get("hot_water_l_day", pd.Series(dtype=float)), errors="coerce").fillna(0.0)
    rows = []
    for _, row in ranked[demand.reindex(ranked.index, fill_value=0.0) > 0].iterrows():
        cells = [(_cell(row["rank"], 0, style), NUMBER), (str(row["name"]), ""),
                 (type_label(row["type"], lang), "")]
        cells += [(_cell(row.get(column), digits, style), NUMBER) for column, _, digits in _THERMAL]
        for use, column, _ in _USE_NPV:
            mark = " qualified" if row.get("use") == use else ""
            cells.append((_cell(row.get(column), 0, style), NUMBER + mark))
        cells.append((use_label(row.get("use"), lang), "qualified"))
        cells.append((reasons_label(row.get("use_reason"), lang), LONG))
        rows.append(cells)
    if not rows:
        return None
    headers = [w["rank"], w["building"], w["type"], *(w[label] for _, label, _ in _THERMAL),
               *(w[label] for _, _, label in _USE_NPV), w["use"], w["why"]]
    return Table("thermal", headers, rows)


def grouping_table(total: dict, lang: str = "fr") -> Table:
    """The operation's buildings of the grouped purchase bought alone, grouped, and the difference."""
    w, style = QUALIFICATION[lang], _STYLE[lang]
    rows = []
    for key, prefix in (("alone", "alone_"), ("grouped", "grouped_"), ("difference", None)):
        cells = [(w[key], "")]
        for column, _, digits in _GROUPING:
            if prefix is None:
                value = float(total.get(f"grouped_{column}", 0.0)) - float(total.get(f"alone_{column}", 0.0))
            else:
                value = total.get(prefix + column)
            cells.append((_cell(value, digits, style), NUMBER))
        rows.append(cells)
    return Table("grouping", ["", *(w[label] for _, label, _ in _GROUPING)], rows)


def production_chart(profiles, title: str, lang: str = "fr") -> bytes:
    """PNG: monthly production, load and self-consumption, and the mean day (production vs load)."""
    w = QUALIFICATION[lang]
    fig = Figure(figsize=(9.5, 3.2))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    months = np.arange(1, 13)
    left.bar(months - 0.2, profiles.monthly_production, 0.4, label=w["production"], color="#f2b705")
    left.bar(months + 0.2, profiles.monthly_load, 0.4, label=w["load"], color="#5b8db8")
    left.plot(months, profiles.monthly_self, "k.-", label=w["self_consumed"])
    left.set_xticks(months)
    left.set_xlabel(w["month"])
    left.set_ylabel("MWh")
    left.legend(fontsize=8)
    hours = np.arange(24)
    right.fill_between(hours, np.minimum(profiles.hourly_production, profiles.hourly_load), color="#cfe8cf",
                       label=w["self_consumed_mean"])
    right.plot(hours, profiles.hourly_production, color="#d99a00", label=w["production"])
    right.plot(hours, profiles.hourly_load, color="#2f6690", label=w["load"])
    right.set_xlabel(w["hour"])
    right.set_ylabel("kW")
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return figure_png(fig, dpi=80, tight=True)


def qualified_monthly(result: QualifyResult) -> tuple[np.ndarray, int]:
    """Production of each month (local months of the weather rows) summed over the qualified buildings [MWh],
    and their number."""
    t = result.table
    lines = [int(line) for line, v in zip(t["line"], t["verdict"], strict=True)
             if v == "qualified" and int(line) in result.profiles]
    total = np.zeros(12)
    for line in lines:
        total += result.profiles[line].monthly_production
    return total, len(lines)


def monthly_chart(monthly: np.ndarray, lang: str = "fr") -> Markup:
    """Inline SVG: 12 bars, the monthly production of the qualified buildings, each with its value. [MWh]

    Vector markup (no image file, no inline style): it scales with the page and prints sharply.
    """
    w = QUALIFICATION[lang]
    width, height, left, bottom, top = 640, 230, 48, 36, 22
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = float(max(np.max(monthly), 1e-9))
    step = plot_w / 12
    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(w["production"])} (MWh) / {escape(w["month"])}">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#555"/>',
             f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="12" transform="rotate(-90 12 {top + plot_h / 2:.0f})" '
             'text-anchor="middle">MWh</text>',
             f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" font-size="12" text-anchor="middle">'
             f'{escape(w["month"])}</text>']
    for m, value in enumerate(monthly):
        h = plot_h * float(value) / peak
        x = left + m * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                     'fill="#f2b705"/>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - h - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{escape(number(float(value), 1, _STYLE[lang]))}</text>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h + 15:.1f}" font-size="11" '
                     f'text-anchor="middle">{m + 1}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render_html(result: QualifyResult, *, top: int = 5, lang: str = "fr") -> str:
    """The whole page as a string (see the module docstring).

    Parameters
    ----------
    result : QualifyResult
        From :func:`cadastre.qualify.operation.qualify`.
    top : int
        How many of the best-ranked buildings get a production vs load chart.
    lang : {'fr', 'en'}
        Language of the page: its text, headers, building types, verdicts and reasons.
    """
    if lang not in LANGS:
        raise OptionError(f"--lang {lang}: unknown language; use one of {', '.join(LANGS)}")
    t = pd.DataFrame(result.table.drop(columns="geometry"))
    ranked = t[t["status"] == "ok"].sort_values("rank")
    errors = t[t["status"] == "error"]
    charts = []
    for _, row in ranked.head(top).iterrows():
        prof = result.profiles.get(int(row["line"]))
        if prof is not None:
            title = f"#{row['rank']} {row['name']} ({row['commune']}) : {number(row['kwp'], 1, 'fr')} kWc" \
                if lang == "fr" else f"#{row['rank']} {row['name']} ({row['commune']}): {row['kwp']:.1f} kWp"
            charts.append((production_chart(prof, title, lang), title))
    monthly, qualified = qualified_monthly(result)
    monthly_png = monthly_chart(monthly, lang) if qualified else None
    assumptions = pd.DataFrame([{"key": k, "value": str(v), "unit": u, "source": n}
                                for k, v, u, n in parameters(result.config)])
    meta = result.meta
    return render(
        __package__, "qualification.html.j2", lang=lang, style=_STYLE[lang],
        run=meta["run"], municipal=meta["municipal"], weather=str(meta["weather"]).replace("\\", "/").split("/")[-1],
        rows=len(t), counts=meta["verdicts"], errors=meta["errors"], total=result.operation.iloc[-1].to_dict(),
        ranking=_table(ranked, _RANKING, "ranking", lang), charts=charts,
        scenarios=scenarios_table(ranked, lang), thermal=thermal_table(ranked, lang),
        thermal_config=result.config.solar_thermal, grouping=grouping_table(result.operation.iloc[-1].to_dict(), lang),
        grouping_meta=meta.get("grouping") or {"total_kwp": 0.0, "buildings": 0, "cost_reduction": 0.0},
        objective=meta.get("objective"), mode=meta.get("mode"), target=result.config.sizing.self_consumption_target,
        problems=_table(errors, _PROBLEMS, "problems", lang) if len(errors) else None,
        operation=_table(result.operation, _OPERATION, "operation", lang),
        assumptions=_table(assumptions, _ASSUMPTIONS, "assumptions", lang),
        sky=meta["sky"], albedo=f"{meta['albedo']:g}", production=meta.get("production"),
        monthly=monthly_png, monthly_total=float(monthly.sum()), monthly_buildings=qualified,
    )
