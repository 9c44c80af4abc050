"""Static figures of the commune report: roof map, irradiation histogram, production bars.

Every figure is drawn with matplotlib's Agg backend and returned as PNG bytes, so the report
can inline it (base64) and stays self-contained. Colours of the suitability classes are fixed
(:data:`CLASS_COLOURS`) so that a rendered report can be checked pixel by pixel.
"""

from __future__ import annotations

import contextlib

import math

import matplotlib

matplotlib.use("Agg")
import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from cadastre.pages.images import figure_png  # noqa: E402

#: Suitability class -> colour (0 = no suitable face, 1 poor ... 5 best).
CLASS_COLOURS = {
    0: "#9e9e9e",
    1: "#d7191c",
    2: "#fdae61",
    3: "#ffe135",
    4: "#a6d96a",
    5: "#1a9641",
}
#: Fill and outline of the commune (or EPCI) area under the roofs.
AREA_FILL = "#ece7da"
BOUNDARY = "#333333"
#: Fill and hatch of the part of the area covered by data.
COVERED_FILL = "#d3e4f3"
COVERED_EDGE = "#5b8cc0"
#: Azimuth sectors of 45° centred on N, NE, ... (degrees clockwise from north), plus flat roofs.
SECTORS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
FLAT = "flat"

LABELS = {
    "fr": {
        "class": "Classe", "irr": "Irradiation du toit [kWh/m²/an]", "area": "Surface [m²]",
        "mwh": "Production brute [MWh/an]", "orient": "Orientation", "flat": "plat", "boundary": "Limite communale",
        "covered": "Zone couverte par les données LiDAR",
        "none": "aucune", 5: " (meilleure)", 1: " (faible)",
    },
    "en": {
        "class": "Class", "irr": "Roof irradiation [kWh/m²/yr]", "area": "Area [m²]",
        "mwh": "Gross production [MWh/yr]", "orient": "Orientation", "flat": "flat", "boundary": "Commune boundary",
        "covered": "Area covered by the LiDAR data",
        "none": "none", 5: " (best)", 1: " (poor)",
    },
}


def sector(azimuth: pd.Series, flat: pd.Series) -> pd.Series:
    """Orientation sector of each face: ``flat``, else N/NE/.../NW (azimuth [degrees] clockwise from north)."""
    index = ((azimuth.astype(float) % 360.0 + 22.5) // 45.0).astype(int) % 8
    names = pd.Series(np.asarray(SECTORS)[index.to_numpy()], index=azimuth.index, dtype=object)
    names[flat.astype(bool).to_numpy()] = FLAT
    return names


def _nice(length: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``length``."""
    power = 10 ** math.floor(math.log10(length))
    for step in (5, 2, 1):
        if step * power <= length:
            return step * power
    return power


def _scale_bar(ax, view: list[float]) -> None:
    """A black scale bar of a round length, bottom left of the view [m]."""
    width, height = view[2] - view[0], view[3] - view[1]
    bar = _nice(width / 5)
    x0, y0 = view[0] + 0.05 * width, view[1] + 0.05 * height
    ax.plot([x0, x0 + bar], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(x0 + bar / 2, y0 + 0.015 * height, f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km",
            ha="center", va="bottom", fontsize=9)


def _overview(ax, boundary: gpd.GeoDataFrame, view: list[float], covered: gpd.GeoDataFrame | None = None) -> None:
    """Inset (top left) with the whole area's boundary, its part covered by data and the frame of the main view."""
    inset = ax.inset_axes([0.01, 0.69, 0.3, 0.3])
    boundary.plot(ax=inset, color=AREA_FILL, edgecolor=BOUNDARY, linewidth=0.8)
    if covered is not None:
        covered.plot(ax=inset, facecolor=COVERED_FILL, edgecolor=COVERED_EDGE, linewidth=0.5)
    inset.add_patch(Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], fill=False,
                              edgecolor="black", linewidth=1.2))
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")


def map_classes(roofs: pd.DataFrame) -> pd.Series:
    """Class drawn for each roof face: its class 1–5 when suitable, 0 (none) when not."""
    classes = roofs["class"].fillna(0).astype(int).clip(0, 5)
    if "suitable" in roofs.columns:
        classes = classes.where(roofs["suitable"].fillna(False).astype(bool), 0)
    return classes


def roof_map(roofs: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, *, lang: str = "fr",
             covered: gpd.GeoDataFrame | None = None) -> bytes:
    """Map of the roof faces coloured by class (unsuitable faces as class 0) over the area's boundary, with legend, scale bar and north arrow.

    The view frames the roofs with a margin of at least 50 m, or the whole area when the roofs
    stay visible at that scale; otherwise an inset shows the whole area and the frame of the
    view. Coordinates are in the roofs' projected CRS [m]. ``covered``: the part of the area covered
    by data, drawn hatched over the area (and in the inset) when given.
    """
    text = LABELS[lang]
    fig, ax = plt.subplots(figsize=(7.5, 6.0))
    with _no_idle_draws(fig):
        _draw_roof_map(fig, ax, roofs, boundary, text, covered)
    return figure_png(fig)


@contextlib.contextmanager
def _no_idle_draws(fig):
    """Each geopandas ``plot`` ends with ``canvas.draw_idle()``, a full Agg render of the figure as it stands
    (about 0.2 of the map's time, and more with each layer); the map is rendered once, by ``savefig``."""
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    try:
        yield
    finally:
        del fig.canvas.draw_idle


def _draw_roof_map(fig, ax, roofs: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, text: dict,
                   covered: gpd.GeoDataFrame | None) -> None:
    xmin, ymin, xmax, ymax = roofs.total_bounds
    margin = max(50.0, 0.15 * max(xmax - xmin, ymax - ymin))
    view = [xmin - margin, ymin - margin, xmax + margin, ymax + margin]
    whole = False
    if boundary is not None and len(boundary):
        boundary = boundary.to_crs(roofs.crs)
        bx0, by0, bx1, by1 = boundary.total_bounds
        whole = max(bx1 - bx0, by1 - by0) < 4 * max(view[2] - view[0], view[3] - view[1])
        if whole:
            view = [min(view[0], bx0), min(view[1], by0), max(view[2], bx1), max(view[3], by1)]
        boundary.plot(ax=ax, color=AREA_FILL, edgecolor="none")
        boundary.boundary.plot(ax=ax, color=BOUNDARY, linewidth=1.2, linestyle="--")
    shown_covered = covered is not None and len(covered) > 0
    if shown_covered:
        covered = covered.to_crs(roofs.crs)
        covered.plot(ax=ax, facecolor=COVERED_FILL, edgecolor=COVERED_EDGE, hatch="//", linewidth=0.6)
    classes = map_classes(roofs)
    for value, colour in CLASS_COLOURS.items():
        part = roofs[classes.to_numpy() == value]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor=colour, linewidth=0.3)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, view)
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.83), xycoords="axes fraction", ha="center", va="center",
                fontsize=12, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    if boundary is not None and len(boundary) and not whole:
        _overview(ax, boundary, view, covered if shown_covered else None)
    handles = [Patch(facecolor=CLASS_COLOURS[c], edgecolor="none", label=f"{text['class']} {c}{text.get(c, '')}")
               for c in range(5, 0, -1)]
    handles.append(Patch(facecolor=CLASS_COLOURS[0], edgecolor="none", label=f"{text['class']} 0 ({text['none']})"))
    if boundary is not None and len(boundary):
        handles.append(Patch(facecolor=AREA_FILL, edgecolor=BOUNDARY, linestyle="--", label=text["boundary"]))
    if shown_covered:
        handles.append(Patch(facecolor=COVERED_FILL, edgecolor=COVERED_EDGE, hatch="//", label=text["covered"]))
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    fig.tight_layout()


def irradiation_histogram(roofs: pd.DataFrame, *, lang: str = "fr") -> bytes:
    """Histogram of roof-face irradiation [kWh/m²/yr], weighted by the face's true area [m²]."""
    text = LABELS[lang]
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    values = roofs["irradiation"].astype(float)
    weights = roofs["area_m2"].astype(float)
    ok = np.isfinite(values) & np.isfinite(weights)
    ax.hist(values[ok], bins=20, weights=weights[ok], color="#3b6fb6", edgecolor="white")
    ax.set_xlabel(text["irr"])
    ax.set_ylabel(text["area"])
    fig.tight_layout()
    return figure_png(fig)


def _bars(labels: list[str], values: np.ndarray, colours, xlabel: str, lang: str) -> bytes:
    """A bar chart of production [MWh/yr] with the given category labels."""
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.bar(labels, values, color=colours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(LABELS[lang]["mwh"])
    fig.tight_layout()
    return figure_png(fig)


def production_by_class(roofs: pd.DataFrame, *, lang: str = "fr") -> bytes:
    """Bar chart of the roof faces' gross production [MWh/yr] by suitability class 1–5."""
    classes = roofs["class"].fillna(0).astype(int)
    sums = roofs["mwh"].astype(float).groupby(classes).sum().reindex(range(1, 6), fill_value=0.0)
    return _bars([str(c) for c in sums.index], sums.to_numpy(), [CLASS_COLOURS[c] for c in sums.index],
                 LABELS[lang]["class"], lang)


def production_by_orientation(roofs: pd.DataFrame, *, lang: str = "fr") -> bytes:
    """Bar chart of the roof faces' gross production [MWh/yr] by orientation sector (N ... NW, flat)."""
    names = sector(roofs["azimuth"].fillna(180.0), roofs["flat"].fillna(False))
    sums = roofs["mwh"].astype(float).groupby(names).sum().reindex([*SECTORS, FLAT], fill_value=0.0)
    return _bars([*SECTORS, LABELS[lang]["flat"]], sums.to_numpy(), "#e08a1e", LABELS[lang]["orient"], lang)


#: Short month names by language (January first).
MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
MONTHLY_COLOUR = "#e08a1e"


def monthly_unit(gwh) -> tuple[float, str]:
    """(factor from GWh, unit) in which to show monthly production: GWh from 1 GWh in a month, else MWh."""
    return (1.0, "GWh") if np.nanmax(np.asarray(gwh, float)) >= 1.0 else (1000.0, "MWh")


def monthly_production(gwh, *, lang: str = "fr") -> bytes:
    """Bar chart of the gross production of each month (12 values [GWh], January first), labelled in ``lang``."""
    values = np.asarray(gwh, float)
    if values.shape != (12,):
        raise ValueError(f"gwh: {values.shape} values; give 12, January first")
    factor, unit = monthly_unit(values)
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    ax.bar(MONTHS[lang], values * factor, color=MONTHLY_COLOUR)
    ax.set_ylabel(("Production brute [{}]" if lang == "fr" else "Gross production [{}]").format(unit))
    ax.tick_params(axis="x", labelsize=9)
    fig.tight_layout()
    return figure_png(fig)
