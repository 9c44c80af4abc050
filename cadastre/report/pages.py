"""Commune and EPCI reports of a finished cadastre: one self-contained HTML page each.

:func:`write_report` writes the report of one commune (or, with ``epci=``, of one EPCI) with
the area's buildings as CSV and GeoPackage beside it; :func:`write_all` writes one per commune,
one per EPCI and an ``index.html``. Key figures are the values of the run's ``communes.csv`` /
``epci.csv`` as written; see ``docs/report.md``. Every output is written in a hidden staging
folder and moved into place only when all of it is written, so a failure leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from cadastre.errors import OptionError, OutputFileError
from cadastre.pages import tables
from cadastre.pages.labels import type_label, verdict_label
from cadastre.pages.numbers import number as fmt
from cadastre.report import charts
from cadastre.report.data import (
    OUTSIDE,
    RunData,
    boundary,
    find_commune,
    find_epci,
    members,
    no_data_communes,
    number,
    population,
    read_run,
)
from cadastre.report.data import main_commune as _main_commune
from cadastre.report.html import TEXT, index_page, report_page
from cadastre.results import contract
from cadastre.roofs.buildings import BUILDING_HEAT_COLUMNS
from cadastre.results.tables import write_table, write_workbook
from rasters.footprints import check_vector_output, write_vector
from rasters.io import check_output_path, staged_folder

#: Assumed yearly electricity use of one household [MWh/yr] for the "household equivalent": the
#: ratio 3,000 GWh ≈ 600,000 households used for the PMA territory (``docs/report.md``), the order of
#: magnitude of a French household's yearly electricity use. An assumption, stated in every report.
HOUSEHOLD_MWH = 5.0
#: Key figures: communes.csv / epci.csv column -> decimals shown.
FIGURES = {"buildings": 0, "suitable_buildings": 0, "usable_area_m2": 0, "mwp_gross": 2, "mwp_net": 2,
           "gwh_gross": 3, "gwh_net": 3}
#: Top table: buildings.gpkg column -> decimals shown.
TOP_COLUMNS = {"usable_area_m2": 0, "kwp": 1, "mwh": 1}
#: Columns of buildings.gpkg taken as an address for the top table, when the footprints had one.
ADDRESS_COLUMNS = ("address", "adresse")
#: Columns of qualification.csv shown when present: column -> (label key, decimals or None for text).
MUNICIPAL_COLUMNS = {
    "rank": ("rank", 0), "name": ("name", None), "type": ("type", None), "building_id": ("id", None),
    "kwp": ("kwp", 1), "mwh": ("production", 1),
    "self_consumption_rate": ("self", 0), "savings_eur": ("savings", 0), "co2_t": ("co2", 1),
    "payback_years": ("payback", 1), "score": ("score", 0), "verdict": ("verdict", None),
}
LANGS = ("fr", "en")
TOP = 20


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise OptionError(f"--lang {lang}: unknown language; use one of {', '.join(LANGS)}")


def _side_paths(out_html: Path) -> tuple[Path, Path]:
    return out_html.with_name(out_html.stem + "-buildings.csv"), out_html.with_name(out_html.stem + "-buildings.gpkg")


def _check_outputs(out_html: Path, *, overwrite: bool) -> None:
    """Check the HTML and its two side files can be written, before any work."""
    if out_html.suffix.lower() not in (".html", ".htm"):
        raise OutputFileError(f"{out_html}: not an HTML name; give a .html file (e.g. {out_html.with_suffix('.html')})")
    csv, gpkg = _side_paths(out_html)
    check_output_path(out_html, overwrite=overwrite)
    check_output_path(csv, overwrite=overwrite)
    check_output_path(csv.with_suffix(".xlsx"), overwrite=overwrite)
    check_vector_output(gpkg, overwrite=overwrite)


def _key_figures(row: pd.Series, territory: pd.DataFrame, text: dict, lang: str) -> list[tuple[str, str, str, str]]:
    """(key, label, value as written, value shown) of each key figure, then the household and share figures."""
    items = [(key, text[key], str(row.get(key, "")), fmt(row.get(key, ""), dec, lang, significant=2 if dec else 0))
             for key, dec in FIGURES.items()]
    net = number(row.get("gwh_net"))
    households = net * 1000.0 / HOUSEHOLD_MWH
    unit = "MWh/an" if lang == "fr" else "MWh/yr"
    items.append(("households", f"{text['households']} ({fmt(HOUSEHOLD_MWH, 1, lang)} {unit})",
                  f"{households:.0f}", fmt(households, 0, lang)))
    total = number(territory["gwh_net"].iloc[0]) if len(territory) and "gwh_net" in territory else float("nan")
    share = 100.0 * net / total if total > 0 else float("nan")
    items.append(("share", text["share"], f"{share:.2f}", fmt(share, 1, lang)))
    return items


def _top_table(buildings: pd.DataFrame, text: dict, lang: str) -> tables.Table:
    """The :data:`TOP` buildings by gross MWh/yr, values of buildings.gpkg as written (rounded for display); only
    buildings that produce (a footprint without LiDAR data or without a suitable face is not a 'best building')."""
    top = buildings.assign(_m=buildings["mwh"].astype(float))
    top = top[top["_m"] > 0].sort_values("_m", ascending=False, kind="stable")
    address = next((c for c in ADDRESS_COLUMNS if c in top), None)
    headers = [text["id"]] + ([text["address"]] if address else [])
    headers += [text["area"], text["kwp"], text["mwh"], text["class"]]
    rows = []
    for _, b in top.head(TOP).iterrows():
        cells = [str(b["building_id"])] + ([str(b[address]) if pd.notna(b[address]) else ""] if address else [])
        cells += [fmt(b[c], d, lang) for c, d in TOP_COLUMNS.items()]
        cells.append(str(int(b["class"])) if pd.notna(b["class"]) else "–")
        rows.append(cells)
    numeric = [False] + ([False] if address else []) + [True] * 4
    return tables.table("top-roofs", headers, rows, numeric)


def _municipal_cell(value: str, column: str, decimals: int | None, lang: str) -> str:
    """A cell of the municipal table: a building type or a verdict as its label in ``lang``, a number in its style."""
    if column == "type":
        return type_label(value, lang)
    if column == "verdict":
        return verdict_label(value, lang)
    if decimals is None or value == "":
        return value
    if column == "self_consumption_rate":  # a fraction 0-1 in qualification.csv, shown in %
        return fmt(100.0 * number(value), decimals, lang)
    return fmt(value, decimals, lang)


def _municipal(run: RunData, insees: list[str], names: list[str], text: dict, lang: str) -> tables.Table | str:
    """The area's rows of qualification.csv, with the known columns that the file has.

    Without a qualification, or without a municipal building of the area, the ``data-key`` of the
    note that says so: ``no-qualification`` or ``no-municipal``.
    """
    qual = run.qualification
    if qual is None:
        return "no-qualification"
    if "insee" in qual:
        part = qual[qual["insee"].isin(insees)]
    elif "commune" in qual:
        part = qual[qual["commune"].isin(names)]
    else:
        part = qual.iloc[0:0]
    if not len(part):
        return "no-municipal"
    if "rank" in part:
        part = part.assign(_r=part["rank"].map(number)).sort_values("_r", kind="stable")
    columns = [(c, label, d) for c, (label, d) in MUNICIPAL_COLUMNS.items() if c in part]
    rows = [[_municipal_cell(str(r[c]), c, d, lang) for c, _, d in columns] for _, r in part.iterrows()]
    return tables.table("municipal", [text[label] for _, label, _ in columns], rows,
                        [d is not None for *_, d in columns])


def _method(run: RunData, lang: str = "fr") -> dict:
    """Arguments of the report's ``method`` text, from the parameters the run recorded.

    ``sky`` (model name), ``directions``, ``net`` (net reduction [%]), ``household`` [MWh/yr] and ``p``: the cell
    size [m], the largest slope [degrees], the least fraction of the optimal plane [%], the least usable area
    [m²], the set-back [m] and the module density [kWp/m²], as written numbers in ``lang``.
    """
    params = run.parameters()
    roofs, pv = params["roofs"], params["pv"]

    def shown(value: float) -> str:
        decimals = next((d for d in range(4) if abs(round(value, d) - value) < 1e-9), 4)
        return fmt(value, decimals, lang)

    p = {"resolution": shown(params["resolution"]), "max_slope": shown(roofs["max_slope"]),
         "min_fraction": shown(100.0 * roofs["min_irradiation_fraction"]), "min_area": shown(roofs["min_face_area"]),
         "setback": shown(roofs["setback"]), "density": shown(pv["module_density"])}
    return {"sky": str(params["sky"]).lower(), "directions": params.get("directions") or run.directions(),
            "net": 100.0 * float(params["aggregate"]["net_reduction"]), "household": HOUSEHOLD_MWH, "p": p}


#: Below this share of its area covered by data, a report says that it covers only part of the area.
FULL_COVERAGE = 0.995


def coverage_note(row: pd.Series, *, kind: str = "commune", lang: str = "fr") -> str | None:
    """The sentence saying how much of the area the data covers, when it covers only part of it; else None.

    Reads ``covered_share``, ``covered_km2``, ``area_km2``, ``footprints`` and ``footprints_with_data`` of the
    area's row as written (nothing is said when the table has no coverage columns).
    """
    share = number(row.get("covered_share"))
    if not share == share or share >= FULL_COVERAGE:
        return None
    pct = 100.0 * share
    shown = fmt(pct, 0 if pct >= 10 else 1 if pct >= 1 else 2, lang)
    covered, area = fmt(number(row.get("covered_km2")), 2, lang), fmt(number(row.get("area_km2")), 2, lang)
    given, with_data = number(row.get("footprints")), number(row.get("footprints_with_data"))
    if lang == "fr":
        where = "de la commune" if kind == "commune" else "de l'EPCI"
        text = f"Ce calcul couvre {shown} % de la surface {where} ({covered} km² sur {area} km²)"
        if given == given and given > 0 and with_data == with_data:
            text += (f" et {fmt(with_data, 0, lang)} de ses {fmt(given, 0, lang)} bâtiments "
                     f"({fmt(100.0 * with_data / given, 0, lang)} %)")
        return text + " : les chiffres ci-dessus ne valent que pour cette partie du territoire."
    where = "the commune's" if kind == "commune" else "the EPCI's"
    text = f"This computation covers {shown} % of {where} area ({covered} km² of {area} km²)"
    if given == given and given > 0 and with_data == with_data:
        text += (f" and {fmt(with_data, 0, lang)} of its {fmt(given, 0, lang)} buildings "
                 f"({fmt(100.0 * with_data / given, 0, lang)} %)")
    return text + ": the figures above hold for that part only."


def _monthly(run: RunData, row: pd.Series, *, kind: str, weather: str, text: dict, lang: str) -> dict | None:
    """The monthly section: chart, caption and cells of the area's gross production month by month.

    From ``communes_monthly.csv`` / ``epci_monthly.csv`` as written; None when the folder has no such table.
    ``cells``: (month label, ``gwh_gross`` as written [GWh], value shown in ``unit``).
    """
    code = row["insee"] if kind == "commune" else row["epci_siren"]
    table = run.monthly(kind, code)
    if table is None:
        return None
    gwh = table["gwh_gross"].astype(float).to_numpy()
    factor, unit = charts.monthly_unit(gwh)
    labels = charts.MONTHS[lang]
    cells = [(label, raw, fmt(float(raw) * factor, 1 if unit == "MWh" else 3, lang, significant=2))
             for label, raw in zip(labels, table["gwh_gross"], strict=True)]
    annual = fmt(row.get("gwh_gross", ""), 3, lang, significant=2)
    buildings = fmt(row.get("buildings", ""), 0, lang)
    if lang == "fr":
        where = "de la commune" if kind == "commune" else "de l'EPCI"
        caption = (f"Production brute de chaque mois des {buildings} bâtiments analysés {where}, avec la météo "
                   f"« {weather} » du calcul (mois en temps universel). Les douze mois font ensemble la "
                   f"production brute annuelle indiquée plus haut : {annual} GWh/an.")
    else:
        where = "the commune" if kind == "commune" else "the EPCI"
        caption = (f"Gross production of each month of the {buildings} buildings analysed in {where}, under the "
                   f"run's weather “{weather}” (months in UTC). The twelve months add up to the annual gross "
                   f"production shown above: {annual} GWh/yr.")
    return {"png": charts.monthly_production(gwh, lang=lang), "caption": caption, "unit": unit, "cells": cells,
            "title": text["monthly"], "annual": str(row.get("gwh_gross", ""))}


#: Parameters of the run's ``thermal`` record that the section states (``docs/parameters.md``).
THERMAL_ASSUMPTIONS = ("house_area", "house_tank", "house_demand", "dwelling_area", "dwelling_demand",
                       "floor_per_dwelling", "max_area_share", "set_point", "eta0")


def _shown(value: float, lang: str) -> str:
    """A parameter as written: the fewest decimals (at most 4) that show it exactly."""
    decimals = next((d for d in range(4) if abs(round(value, d) - value) < 1e-9), 4)
    return fmt(value, decimals, lang)


def _thermal_assumptions(run: RunData, lang: str) -> dict | None:
    """The run's recorded solar water heating parameters as written numbers (``max_area_share`` in %), None when
    the run recorded none."""
    record = run.meta.get(contract.PARAMETERS, {}) if isinstance(run.meta.get(contract.PARAMETERS), dict) else {}
    thermal = record.get("thermal")
    if not isinstance(thermal, dict) or any(not isinstance(thermal.get(k), (int, float)) for k in THERMAL_ASSUMPTIONS):
        return None
    values = {k: float(thermal[k]) for k in THERMAL_ASSUMPTIONS}
    values["max_area_share"] *= 100.0
    return {k: _shown(v, lang) for k, v in values.items()}


def thermal_figures(buildings: pd.DataFrame) -> dict:
    """The solar water heating of an area from its buildings (``buildings.gpkg`` rows): equipped buildings
    (collectors > 0), houses (one dwelling: CESI) and collective housing (more: CESC), each with ``buildings``,
    ``dwellings``, ``area_m2`` [m2], ``mwh`` [MWh/yr] and ``fraction`` (mean solar fraction of its buildings, 0-1;
    NaN without one)."""
    area = pd.to_numeric(buildings["thermal_area_m2"], errors="coerce").fillna(0.0)
    dwellings = pd.to_numeric(buildings["dwellings"], errors="coerce").fillna(0.0)
    equipped = area > 0
    groups = {"equipped": equipped, "houses": equipped & (dwellings == 1), "collective": equipped & (dwellings > 1)}
    out = {}
    for name, rows in groups.items():
        part = buildings[rows.to_numpy()]
        out[name] = {"buildings": int(rows.sum()), "dwellings": float(dwellings[rows].sum()),
                     "area_m2": float(area[rows].sum()),
                     "mwh": float(pd.to_numeric(part["thermal_mwh"], errors="coerce").sum()),
                     "fraction": float(pd.to_numeric(part["thermal_fraction"], errors="coerce").mean())
                     if len(part) else float("nan")}
    return out


def _thermal(run: RunData, row: pd.Series, buildings: pd.DataFrame, text: dict, lang: str) -> dict | None:
    """The solar water heating section of an area: key figures, the table of individual (CESI) and collective
    (CESC) systems and the run's assumptions (:func:`_thermal_assumptions`); None when the buildings have no
    thermal columns (a folder of an older engine: the page says so).

    ``thermal_gwh`` and ``thermal_area_m2`` are the area's row of communes.csv / epci.csv as written (sums of the
    buildings' when the table has no such column); the counts and the solar fraction come from buildings.gpkg.
    """
    if any(column not in buildings for column in BUILDING_HEAT_COLUMNS):  # a folder of an older engine
        return None
    figures = thermal_figures(buildings)
    equipped = figures["equipped"]
    sums = {"thermal_gwh": equipped["mwh"] / 1000.0, "thermal_area_m2": equipped["area_m2"]}
    raw = {k: str(row.get(k, "") or "").strip() or f"{v:.6f}" for k, v in sums.items()}
    items = [("thermal_gwh", text["thermal_gwh"], raw["thermal_gwh"], fmt(raw["thermal_gwh"], 3, lang, significant=3)),
             ("thermal_area_m2", text["thermal_area"], raw["thermal_area_m2"], fmt(raw["thermal_area_m2"], 0, lang))]
    for key, group in (("thermal_buildings", "equipped"), ("thermal_houses", "houses"),
                       ("thermal_collective", "collective")):
        count = figures[group]["buildings"]
        items.append((key, text[key], str(count), fmt(count, 0, lang)))
    fraction = 100.0 * equipped["fraction"]
    items.append(("thermal_fraction", text["thermal_fraction"], f"{fraction:.2f}", fmt(fraction, 0, lang)))
    rows = []
    for group in ("houses", "collective"):
        g = figures[group]
        rows.append([text[f"thermal_{group}_row"], fmt(g["buildings"], 0, lang), fmt(g["dwellings"], 0, lang),
                     fmt(g["area_m2"], 0, lang), fmt(g["mwh"], 1, lang, significant=2),
                     fmt(100.0 * g["fraction"], 0, lang)])
    headers = [text["thermal_system"], text["thermal_n"], text["thermal_dwellings"], text["thermal_area"],
               text["thermal_mwh"], text["thermal_fraction"]]
    return {"figures": items, "table": tables.table("thermal-systems", headers, rows, [False] + [True] * 5),
            "p": _thermal_assumptions(run, lang)}


def _dash(value: str) -> str:
    return value if value.strip() else "–"


def render(run: RunData, row: pd.Series, *, kind: str, lang: str = "fr") -> tuple[str, gpd.GeoDataFrame]:
    """HTML of a commune (``kind="commune"``) or EPCI (``kind="epci"``) report, and the area's buildings.

    ``row`` is the area's row of communes.csv or epci.csv (strings as written).

    Raises
    ------
    OptionError
        Unknown ``lang``; the area has no building or no roof face in the layers.
    """
    _check_lang(lang)
    text = TEXT[lang]
    if kind == "commune":
        insees, name = [row["insee"]], row["commune"]
        epci = f"{row.get('epci', '')} ({row['epci_siren']})" if row.get("epci_siren") else ""
        meta_items = [("insee", text["insee"], row["insee"]), ("epci", text["epci"], _dash(epci))]
    else:
        insees, name = members(run, row), row["epci"]
        meta_items = [("siren", text["siren"], row["epci_siren"]),
                      ("communes", text["communes"], str(row.get("communes", len(insees))))]
    meta_items += [("population", text["population"], _dash(fmt(population(row), 0, lang))),
                   ("date", text["date"], dt.date.today().isoformat()), ("run", text["run"], run.run_id)]
    buildings, roofs = run.area(insees)
    if not len(buildings):
        raise OptionError(f"{name}: no computed building in {run.folder / 'buildings.gpkg'}; "
                          "run the cadastre on its tiles first")
    if not len(roofs):
        raise OptionError(f"{name}: no roof face of its {len(buildings)} buildings in {run.folder / 'roofs.gpkg'}; "
                          "rerun the cadastre on its tiles")
    names = list(run.communes.loc[run.communes["insee"].isin(insees), "commune"])
    drawings = [(charts.irradiation_histogram, "hist"), (charts.production_by_class, "by_class"),
                (charts.production_by_orientation, "by_orient")]
    weather = Path(str(run.meta.get("weather") or "")).name or "PVGIS TMY"
    page = report_page(
        lang=lang, text=text, name=name, meta=meta_items,
        figures=_key_figures(row, run.territory, text, lang),
        monthly=_monthly(run, row, kind=kind, weather=weather, text=text, lang=lang),
        thermal=_thermal(run, row, buildings, text, lang),
        roof_map=charts.roof_map(roofs, boundary(run, insees), lang=lang, covered=run.covered(insees)),
        coverage=coverage_note(row, kind=kind, lang=lang),
        charts=[(draw(roofs, lang=lang), text[key]) for draw, key in drawings],
        top=_top_table(buildings, text, lang),
        municipal=_municipal(run, insees, names, text, lang),
        method=_method(run, lang),
        weather=weather,
        run_id=run.run_id,
    )
    return page, buildings


def _write(html_text: str, buildings: gpd.GeoDataFrame, folder: Path, stem: str) -> None:
    """Write ``<stem>.html``, ``<stem>-buildings.csv``, ``.xlsx`` and ``.gpkg`` into a staging folder."""
    csv, gpkg = _side_paths(folder / f"{stem}.html")
    write_vector(buildings, gpkg, layer="buildings")
    table = pd.DataFrame(buildings.drop(columns=buildings.geometry.name))
    write_table(table, csv)
    write_workbook({"buildings": table}, csv.with_suffix(".xlsx"))  # the same table for a spreadsheet
    (folder / f"{stem}.html").write_text(html_text, encoding="utf-8")


def write_report(
    run_dir: str | os.PathLike,
    out_html: str | os.PathLike,
    *,
    commune: str | None = None,
    epci: str | None = None,
    lang: str = "fr",
    qualification: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the report of one commune (INSEE code or name) or one EPCI (SIREN or name).

    Also writes ``<stem>-buildings.csv`` and ``<stem>-buildings.gpkg`` (the area's buildings,
    areas [m²], kWp, MWh/yr as in buildings.gpkg) beside the HTML. The three files appear
    together at the end; nothing is written when anything fails.

    Returns
    -------
    pathlib.Path
        The HTML path.

    Raises
    ------
    OptionError
        Neither or both of ``commune``/``epci``, unknown area, area without data, bad ``lang``.
    InputFileError
        The run folder, one of its tables or the qualification is missing or unreadable.
    OutputFileError
        An output exists (without ``overwrite``) or cannot be written.
    """
    if (commune is None) == (epci is None):
        raise OptionError("report: give exactly one of --commune, --epci or --all")
    _check_lang(lang)
    out = Path(out_html)
    _check_outputs(out, overwrite=overwrite)
    run = read_run(run_dir, qualification=qualification)
    row = find_commune(run, commune) if commune is not None else find_epci(run, epci)
    html_text, buildings = render(run, row, kind="commune" if commune is not None else "epci", lang=lang)
    with staged_folder(out.parent if str(out.parent) else Path(".")) as tmp:
        _write(html_text, buildings, tmp, out.stem)
    return out


def main_commune(run_dir: str | os.PathLike) -> str:
    """INSEE code of the commune with the largest net production [GWh/yr] in a result folder."""
    return _main_commune(read_run(run_dir))


@dataclass
class AllReports:
    """What :func:`write_all` wrote: the index, the commune and EPCI pages, and communes without data."""

    index: Path
    communes: list[Path] = field(default_factory=list)
    epcis: list[Path] = field(default_factory=list)
    no_data: list[tuple[str, str]] = field(default_factory=list)


def write_all(
    run_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    lang: str = "fr",
    qualification: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> AllReports:
    """Write ``<insee>.html`` per commune with data, ``epci-<siren>.html`` per EPCI and ``index.html``.

    Each page has its ``-buildings.csv`` and ``-buildings.gpkg`` beside it. ``out_dir`` is
    created when its parent exists; the pages appear in it together at the end (nothing is
    written when anything fails). ``progress(done, total)`` is called after each page.

    Raises
    ------
    OptionError, InputFileError, OutputFileError
        As :func:`write_report`; no commune with data; ``out_dir`` is a file.
    """
    _check_lang(lang)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputFileError(f"{out}: is a file; give a folder for --all")
    if not out.parent.is_dir():
        raise OutputFileError(f"{out}: folder {out.parent} does not exist; create it first")
    run = read_run(run_dir, qualification=qualification)
    table = run.communes[(run.communes["commune"] != OUTSIDE) & (run.communes["buildings"].map(number) > 0)]
    epcis = run.epci[(run.epci["buildings"].map(number) > 0) & (run.epci["epci_siren"] != "")]
    if not len(table):
        raise OptionError(f"{run.folder}: no commune has computed buildings; nothing to report")
    jobs = [("commune", r, r["insee"]) for _, r in table.iterrows()]
    jobs += [("epci", r, f"epci-{r['epci_siren']}") for _, r in epcis.iterrows()]
    if out.is_dir():
        for *_, stem in jobs:
            _check_outputs(out / f"{stem}.html", overwrite=overwrite)
        check_output_path(out / "index.html", overwrite=overwrite)
    elif not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputFileError(f"{out}: folder {out.parent} is not writable")
    result = AllReports(index=out / "index.html", no_data=no_data_communes(run))
    run.preload()
    with staged_folder(out) as tmp:
        for done, (kind, row, stem) in enumerate(jobs, start=1):
            html_text, buildings = render(run, row, kind=kind, lang=lang)
            _write(html_text, buildings, tmp, stem)
            (result.communes if kind == "commune" else result.epcis).append(out / f"{stem}.html")
            if progress is not None:
                progress(done, len(jobs))
        (tmp / "index.html").write_text(_index(run, table, epcis, result.no_data, lang), encoding="utf-8")
    return result


def _index(run: RunData, table: pd.DataFrame, epcis: pd.DataFrame, no_data, lang: str) -> str:
    text = TEXT[lang]

    def links(rows, label, href) -> list[dict]:
        return [{"label": label(r), "href": href(r), "buildings": r["buildings"], "mwp_net": r["mwp_net"],
                 "gwh_net": r["gwh_net"]} for _, r in rows.iterrows()]

    return index_page(
        lang=lang, text=text,
        meta=[("run", text["run"], run.run_id), ("date", text["date"], dt.date.today().isoformat())],
        epcis=links(epcis, lambda r: f"{r['epci']} ({r['epci_siren']})", lambda r: f"epci-{r['epci_siren']}.html"),
        communes=links(table, lambda r: f"{r['commune']} ({r['insee']})", lambda r: f"{r['insee']}.html"),
        no_data=list(no_data),
    )
