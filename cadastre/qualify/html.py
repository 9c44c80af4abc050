"""``qualification.html``: a self-contained page of the qualification (no external resource).

Charts are PNG images drawn with matplotlib's object API (no pyplot state)
and inlined as base64 ``data:`` URIs; the style sheet is inline.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cadastre.qualify.operation import QualifyResult
from cadastre.qualify.config import parameters
from cadastre.report.charts import png
from cadastre.report.html import image

__all__ = ["production_chart", "render_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.86em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top}th{background:#f3f3f3}
td.n{text-align:right;white-space:nowrap}.warn{background:#fff4e0;border-left:4px solid #e69500;padding:.6em 1em}
.qualified{color:#1a7f37;font-weight:600}.to-study{color:#9a6700;font-weight:600}
.not-qualified{color:#b42318}figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
"""

_RANKING = [("rank", "rank", 0), ("commune", "commune", None), ("name", "building", None), ("type", "type", None),
            ("building_id", "id", None), ("kwp", "kWp", 1), ("mwh", "MWh/yr", 1),
            ("self_consumption_rate", "self-consumption %", "%"), ("self_sufficiency", "self-sufficiency %", "%"),
            ("investment_eur", "investment €", 0), ("payback_years", "payback yr", 1), ("npv_eur", "NPV €", 0),
            ("lcoe_eur_kwh", "LCOE €/kWh", 3), ("co2_t", "CO₂ t/yr", 1), ("score", "score", 0),
            ("verdict", "verdict", None), ("reasons", "reasons", None)]


def _fmt(value, digits) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if digits is None:
        return str(value)
    if digits == "%":
        return f"{100.0 * float(value):.0f}"
    return f"{float(value):,.{digits}f}".replace(",", "\u202f")


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, object]], key: str) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column, _, digits in columns:
            text = html.escape(_fmt(row.get(column), digits))
            cls = ' class="n"' if digits is not None else ""
            if column == "verdict":
                cls = f' class="{text.replace(" ", "-")}"'
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table data-key="{key}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


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
    return png(fig, dpi=80, tight=True)


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
    total = result.operation.iloc[-1]
    counts = result.meta["verdicts"]
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>Qualification of municipal buildings for PV</title>", f"<style>{_STYLE}</style></head><body>",
        "<h1>Collective solarisation: first-level qualification of municipal buildings</h1>",
        '<p class="warn"><strong>Prices, tariffs, subsidies and installation costs are public orders of '
        "magnitude of 2024 and change every quarter: review them</strong> (see the assumptions below and "
        "<code>cadastre qualify --print-config</code>) before relying on savings, payback or NPV. This is a "
        "first-level screening from the solar cadastre, not a feasibility study.</p>",
        f"<p>Cadastre: <code>{html.escape(result.meta['run'])}</code> · buildings: "
        f"<code>{html.escape(result.meta['municipal'])}</code> · weather: "
        f"<code>{html.escape(str(result.meta['weather']).replace(chr(92), '/').split('/')[-1])}</code></p>",
        '<h2 id="summary">Summary</h2>',
        f"<p>{len(t)} rows: <span class='qualified'>{counts['qualified']} qualified</span>, "
        f"<span class='to-study'>{counts['to study']} to study</span>, "
        f"<span class='not-qualified'>{counts['not qualified']} not qualified</span> "
        f"(of which {result.meta['errors']} rows with a problem). Qualified buildings: "
        f"{_fmt(total['mwp'], 3)} MWp, {_fmt(total['mwh'], 0)} MWh/yr, investment {_fmt(total['investment_eur'], 0)} €"
        f"; to study: {_fmt(total['mwp_to_study'], 3)} MWp, {_fmt(total['investment_to_study_eur'], 0)} €.</p>",
        '<h2 id="ranking">Ranking</h2>',
        "<p>Score 0-100 = weighted mean of payback, specific yield, self-consumption rate and size components; "
        "ties are broken by NPV, then by the line of the row in the CSV.</p>",
        _table(ranked, _RANKING, "ranking"),
        '<h2 id="charts">Production and load of the best-ranked buildings</h2>',
    ]
    for _, row in ranked.head(top).iterrows():
        prof = result.profiles.get(int(row["line"]))
        if prof is None:
            continue
        title = f"#{row['rank']} {row['name']} ({row['commune']}): {row['kwp']:.1f} kWp"
        parts.append(f"<figure>{image(production_chart(prof, title), title)}<figcaption>{html.escape(title)}: "
                     "monthly energies and the mean day (self-consumption is computed hour by hour, not on these "
                     "means)</figcaption></figure>")
    parts.append('<h2 id="problems">Rows with a problem</h2>')
    if len(errors):
        parts.append(_table(errors, [("line", "line", 0), ("insee", "insee", None), ("name", "building", None),
                                     ("reasons", "problem", None)], "problems"))
    else:
        parts.append("<p>None.</p>")
    op_columns = [("insee", "insee", None), ("commune", "commune", None), ("buildings", "rows", 0),
                  ("qualified", "qualified", 0), ("to_study", "to study", 0), ("not_qualified", "not qualified", 0),
                  ("errors", "problems", 0), ("mwp", "MWp qualified", 3), ("mwh", "MWh/yr qualified", 1),
                  ("investment_eur", "investment qualified €", 0), ("mwp_to_study", "MWp to study", 3),
                  ("investment_to_study_eur", "investment to study €", 0)]
    parts += ['<h2 id="operation">The grouped purchase</h2>', _table(result.operation, op_columns, "operation"),
              '<h2 id="assumptions">Assumptions (every parameter, with its source)</h2>',
              f"<p>Run's sky model: {html.escape(result.meta['sky'])}; albedo {result.meta['albedo']:g}.</p>"]
    rows = pd.DataFrame([{"key": k, "value": str(v), "unit": u, "source": n}
                         for k, v, u, n in parameters(result.config)])
    parts.append(_table(rows, [("key", "parameter", None), ("value", "value", None), ("unit", "unit", None),
                               ("source", "meaning and source", None)], "assumptions"))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
