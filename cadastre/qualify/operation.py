"""First-level PV qualification of municipal buildings (``cadastre qualify``).

For each row of ``municipal.csv`` (:mod:`cadastre.qualify.municipal`), matched to a
building of a finished cadastre (the output folder of ``cadastre buildings``
or a ``cadastre run`` RUN_DIR, docs/run-dir.md):

1. **Roof**: the building's suitable faces of ``roofs.gpkg``; the roof holds
   ``roof_fraction`` of their kWp (obstacles, access, structure).
2. **Production**, row by row over the run's weather, per kWp of each face:

   - ``"hourly shaded profiles"`` when the folder holds ``profiles.parquet``: the
     face's shaded PVWatts AC power, hour by hour from its shading profile
     (:func:`cadastre.solar.hourly.face_production`, at the run's site, with the
     run's sky model and albedo): a face shaded in the morning produces
     nothing in the morning, whatever its annual ratio;
   - ``"unshaded profile x annual ratio"`` otherwise (a folder without
     profiles): pvlib PVWatts with cell temperature for each face's tilt and
     azimuth (:func:`cadastre.solar.energy.pvwatts_planes`, at the building's
     longitude and latitude), times the face's annual shading ratio from the
     cadastre, at every hour.

   ``qualify.json`` says which (``production``). [kW]
3. **Load**: the building type's hourly shape scaled to the given yearly
   consumption, else to the type's default kWh per m2 of floor area
   (:mod:`cadastre.qualify.loads`).
4. **Size** (:func:`size_installation`): the best faces are filled first;
   ``sizing.mode = "self_consumption"`` takes the largest size, on a grid of
   ``step_kwp`` from ``min_kwp`` to the roof (at most the largest band), whose
   self-consumption rate reaches the target; ``"roof"`` takes the whole roof.
5. **Self-consumption** ``min(production, load)`` row by row; rate = self-consumed /
   production, self-sufficiency = self-consumed / load.
6. **Economics** (:mod:`cadastre.qualify.economics`): investment, subsidy, savings and
   surplus revenue by size band, simple payback, NPV and LCOE over the
   lifetime, CO2 avoided.
7. **Score** 0-100 (:func:`score`), **rank** (score, then NPV, then file
   line: stable) and **verdict** (:func:`verdict`) with its reasons.
8. **Solar thermal against PV** for a building with a hot-water demand
   (:mod:`cadastre.qualify.thermal`): collectors sized on the demand, their heat
   hour by hour (:func:`_heat`), PV beside them, and the ``use`` with the highest NPV.

Rows with a problem (unknown type or commune, no location, no match,
ambiguous match, negative consumption, no usable roof...) get
``status = "error"``, verdict ``not qualified``, no rank and the problem as
reason; the other rows are qualified as usual.

Limits: modules follow each face's own tilt (flat roofs stay flat); without
profiles a face's shading is its yearly shading ratio applied to every hour; only the
profiles of the chosen buildings' faces are read (and checked); the self-consumed
share of the production is that of the first year for the whole lifetime.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from cadastre.areas.aggregate import default_communes_path
from cadastre.qualify.economics import economics, self_consumption
from cadastre.roofs.profiles import FaceProfiles, read_profiles
from cadastre.solar import hourly
from cadastre.solar.energy import pvwatts_planes
from cadastre.errors import InputFileError
from cadastre.qualify.loads import calendar, load_profile
from cadastre.qualify.municipal import Match, match_rows, read_municipal
from cadastre.qualify.config import QualifyConfig, ScoreConfig
from cadastre.results import contract
from cadastre.results.read import insee_code, read_layer, read_meta, read_table, resolve
from cadastre.solar.weather import Weather, default_weather_path, load_weather
from cadastre.qualify.config import SCENARIOS
from cadastre.qualify.economics import grouping_reduction
from cadastre.qualify.hot_water import HotWater, hot_water_demand
from cadastre.qualify.scenarios import METRICS, SCENARIO_COLUMNS, recommend, scenario_column
from cadastre import _params
from cadastre.config import ThermalConfig
from cadastre.errors import OptionError
from cadastre.qualify.loads import draw_shares
from cadastre.qualify.thermal import USES, choose_use, collector_areas, pv_room, thermal_economics
from cadastre.solar.thermal import face_absorbed, plane_absorbed, simulate

__all__ = [
    "HEADERS",
    "HOURLY_PROFILES",
    "RATIO_PROFILE",
    "OUTPUT_COLUMNS",
    "VERDICTS",
    "QualifyResult",
    "RunFolder",
    "face_production",
    "operation_table",
    "qualify",
    "rank",
    "read_run_folder",
    "score",
    "size_installation",
    "verdict",
]

VERDICTS = ("qualified", "to study", "not qualified")

#: ``production`` of ``qualify.json``: how the hourly production of the faces was computed (module docstring).
HOURLY_PROFILES = "hourly shaded profiles"
RATIO_PROFILE = "unshaded profile x annual ratio"

#: Columns of ``qualification.csv``, in order (units in docs/qualify.md).
OUTPUT_COLUMNS = (
    "line", "insee", "commune", "name", "type", "building_id", "match", "distance_m", "status",
    "faces", "usable_area_m2", "roof_kwp", "kwp", "band", "ac_kw", "mwh", "specific_yield", "shading_ratio",
    "consumption_mwh", "consumption_source", "self_consumed_mwh", "surplus_mwh", "self_consumption_rate",
    "self_sufficiency", "investment_eur", "subsidy_eur", "savings_eur", "surplus_revenue_eur", "om_eur",
    "payback_years", "npv_eur", "lcoe_eur_kwh", "co2_t", "score", "score_payback", "score_yield",
    "score_self_consumption", "score_size", "rank", "verdict", "reasons",
    # the three scenarios (cadastre.qualify.scenarios), the grouped purchase, the hot-water demand
    "scenario", "scenario_reason", *SCENARIO_COLUMNS, "in_grouping", "grouping_reduction", "scenario_alone",
    "investment_alone_eur", "npv_alone_eur", "hot_water_l_day", "hot_water_source",
    # solar water heating against PV (cadastre.qualify.thermal)
    "hot_water_mwh", "thermal_area_m2", "thermal_tank_l", "thermal_mwh", "thermal_fraction", "thermal_fuel",
    "thermal_investment_eur", "thermal_subsidy_eur", "thermal_savings_eur", "thermal_om_eur", "thermal_co2_t",
    "thermal_payback_years", "thermal_npv_eur", "thermal_pv_kwp", "thermal_pv_mwh", "thermal_pv_investment_eur",
    "thermal_pv_npv_eur", "use", "use_reason",
)

#: The columns of :data:`OUTPUT_COLUMNS` of the solar thermal comparison that are numbers (NaN without demand).
THERMAL_NUMBERS = ("hot_water_mwh", "thermal_area_m2", "thermal_tank_l", "thermal_mwh", "thermal_fraction",
                   "thermal_investment_eur", "thermal_subsidy_eur", "thermal_savings_eur", "thermal_om_eur",
                   "thermal_co2_t", "thermal_payback_years", "thermal_npv_eur", "thermal_pv_kwp", "thermal_pv_mwh",
                   "thermal_pv_investment_eur", "thermal_pv_npv_eur")

#: Headers of the workbook ``qualification.xlsx`` (French, with units), for the columns of
#: :data:`OUTPUT_COLUMNS` and of :func:`operation_table` that the shared headers of
#: :data:`cadastre.results.contract.HEADERS` do not name or name otherwise.
HEADERS = {
    "line": "Ligne du CSV", "name": "Nom", "type": "Type (code)", "match": "Appariement",
    "distance_m": "Distance au bâtiment (m)", "status": "État", "faces": "Pans utilisés",
    "roof_kwp": "Puissance du toit (kWc)", "kwp": "Puissance installée (kWc)", "band": "Tranche",
    "ac_kw": "Puissance onduleur (kW)", "consumption_mwh": "Consommation (MWh/an)",
    "consumption_source": "Source de la consommation", "self_consumed_mwh": "Autoconsommé (MWh/an)",
    "surplus_mwh": "Surplus injecté (MWh/an)", "self_consumption_rate": "Taux d'autoconsommation (0-1)",
    "self_sufficiency": "Taux d'autoproduction (0-1)", "investment_eur": "Investissement (€ HT)",
    "subsidy_eur": "Prime (€)", "savings_eur": "Économies (€/an)", "surplus_revenue_eur": "Vente (surplus ou totalité, €/an)",
    "om_eur": "Exploitation et maintenance (€/an)", "payback_years": "Temps de retour (ans)",
    "npv_eur": "VAN (€)", "lcoe_eur_kwh": "LCOE (€/kWh)", "co2_t": "CO₂ évité (t/an)", "score": "Score (0-100)",
    "score_payback": "Note temps de retour (0-1)", "score_yield": "Note productible (0-1)",
    "score_self_consumption": "Note autoconsommation (0-1)", "score_size": "Note taille (0-1)", "rank": "Rang",
    "verdict": "Avis (code)", "reasons": "Motifs",
    # operation.csv
    "buildings": "Lignes", "qualified": "Qualifiés", "to_study": "À étudier", "not_qualified": "Non qualifiés",
    "errors": "Lignes avec un problème", "mwp": "Puissance qualifiée (MWc)", "mwh": "Production (MWh/an)",
    "mwp_to_study": "Puissance à étudier (MWc)", "mwh_to_study": "Production à étudier (MWh/an)",
    "investment_to_study_eur": "Investissement à étudier (€ HT)",
    "grouped_buildings": "Bâtiments de l'achat groupé", "cost_reduction": "Réduction du coût par kWc (0-1)",
    "alone_kwp": "Puissance sans regroupement (kWc)", "grouped_kwp": "Puissance avec regroupement (kWc)",
    "alone_investment_eur": "Investissement sans regroupement (€ HT)",
    "grouped_investment_eur": "Investissement avec regroupement (€ HT)",
    "alone_mwh": "Production sans regroupement (MWh/an)", "grouped_mwh": "Production avec regroupement (MWh/an)",
    "alone_savings_eur": "Économies sans regroupement (€/an)", "grouped_savings_eur": "Économies avec regroupement (€/an)",
    "alone_sales_eur": "Ventes sans regroupement (€/an)", "grouped_sales_eur": "Ventes avec regroupement (€/an)",
    "alone_npv_eur": "VAN sans regroupement (€)", "grouped_npv_eur": "VAN avec regroupement (€)",
    # qualification.csv: scenarios, grouping, hot water
    "scenario": "Scénario recommandé (code)", "scenario_reason": "Raison du choix du scénario",
    **{scenario_column(metric, scenario): f"{name} : {what}"
       for scenario, name in (("self_consumption", "Dimensionné pour l'autoconsommation"),
                              ("roof", "Toiture entière, vente du surplus"), ("total_sale", "Vente totale"))
       for metric, what in (("kwp", "puissance (kWc)"), ("mwh", "production (MWh/an)"),
                            ("self_consumption_rate", "taux d'autoconsommation (0-1)"),
                            ("investment_eur", "investissement (€ HT)"), ("payback_years", "temps de retour (ans)"),
                            ("npv_eur", "VAN (€)"))},
    "in_grouping": "Compté dans l'achat groupé", "grouping_reduction": "Réduction de l'achat groupé (0-1)",
    "scenario_alone": "Scénario sans regroupement (code)", "investment_alone_eur": "Investissement sans regroupement (€ HT)",
    "npv_alone_eur": "VAN sans regroupement (€)", "hot_water_l_day": "Besoin d'eau chaude (L/jour à 60 °C)",
    "hot_water_source": "Source du besoin d'eau chaude",
    # qualification.csv: solar water heating against PV
    "hot_water_mwh": "Chaleur du besoin d'eau chaude (MWh/an)",
    "thermal_area_m2": "Solaire thermique : capteurs (m²)", "thermal_tank_l": "Solaire thermique : ballon (L)",
    "thermal_mwh": "Solaire thermique : chaleur solaire utile (MWh/an)",
    "thermal_fraction": "Solaire thermique : couverture solaire (0-1)",
    "thermal_fuel": "Énergie remplacée (code)", "thermal_investment_eur": "Solaire thermique : investissement (€ HT)",
    "thermal_subsidy_eur": "Solaire thermique : aide (€)", "thermal_savings_eur": "Solaire thermique : économies (€/an)",
    "thermal_om_eur": "Solaire thermique : exploitation et maintenance (€/an)",
    "thermal_co2_t": "Solaire thermique : CO₂ évité (t/an)",
    "thermal_payback_years": "Solaire thermique : temps de retour (ans)", "thermal_npv_eur": "Solaire thermique : VAN (€)",
    "thermal_pv_kwp": "Thermique + PV : puissance PV (kWc)", "thermal_pv_mwh": "Thermique + PV : production PV (MWh/an)",
    "thermal_pv_investment_eur": "Thermique + PV : investissement (€ HT)",
    "thermal_pv_npv_eur": "Thermique + PV : VAN (€)", "use": "Usage recommandé (code)",
    "use_reason": "Raison de l'usage recommandé",
    # operation.csv: solar water heating
    "thermal_buildings": "Bâtiments en solaire thermique seul", "thermal_pv_buildings": "Bâtiments en thermique + PV",
}

_ROOF_COLUMNS = ["face", "building_id", "tilt", "azimuth", "usable_area_m2", "shading_ratio", "suitable", "kwp"]
_MAX_CANDIDATES = 400


# --------------------------------------------------------------------------- the run folder


@dataclasses.dataclass
class RunFolder:
    """What qualify reads from a result folder (docs/run-dir.md)."""

    folder: Path
    meta: dict
    buildings: gpd.GeoDataFrame
    roofs: pd.DataFrame
    communes: dict[str, str]
    weather_path: str
    notes: list[str]
    profiles: FaceProfiles | None = None
    profiles_path: Path | None = None  # read for the faces asked only (shaded_production), when profiles is None


def read_run_folder(folder: str | Path) -> RunFolder:
    """Read the buildings, roof faces, communes and metadata of a result folder.

    Parameters
    ----------
    folder : path-like
        The output folder of ``cadastre buildings`` or a ``cadastre run`` RUN_DIR.

    Raises
    ------
    InputFileError
        Not a folder, or a missing or unreadable ``buildings.gpkg``,
        ``roofs.gpkg`` (without the face columns), or metadata.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder; give the output folder of 'cadastre buildings' or "
                             "'cadastre run'")
    notes: list[str] = []
    meta = read_meta(folder)
    if meta is None:
        raise InputFileError(f"{folder}: neither run.json nor buildings.json; give the output folder of "
                             "'cadastre buildings' or 'cadastre run'")
    buildings = read_layer(folder / contract.BUILDINGS, required=("building_id", "insee"))
    if buildings.crs is None:
        raise InputFileError(f"{folder / 'buildings.gpkg'}: no CRS; rerun the cadastre")
    roofs = read_layer(folder / contract.ROOFS, required=(), read_geometry=False, columns=_roof_columns(folder))
    roofs = roofs.assign(suitable=roofs["suitable"].astype(bool), profile=_profile_ids(roofs))
    communes: dict[str, str] = {}
    if (folder / contract.COMMUNES).is_file():
        table = read_table(folder / contract.COMMUNES, required=("insee", "commune"))
        communes = {insee_code(i): n for i, n in zip(table["insee"], table["commune"], strict=True) if i}
    else:
        notes.append("no communes.csv in the run: communes taken from the buildings")
    for code, name in zip(buildings.get("insee", []), buildings.get("commune", []), strict=False):
        if pd.notna(code) and insee_code(code) not in communes:
            communes[insee_code(code)] = "" if pd.isna(name) else str(name)
    weather = str(meta.get("weather") or "")
    if weather.strip().lower() != "clearsky":
        path = resolve(folder, weather)
        if path is None or not path.is_file():
            notes.append(f"weather {weather or '(not recorded)'} not found: the shipped default weather is used")
            path = default_weather_path()
        weather = str(path)
    profiles_path = folder / contract.PROFILES if (folder / contract.PROFILES).is_file() else None
    if profiles_path is None:
        notes.append(f"no {contract.PROFILES} in the run: each face's production is the unshaded plane's times its "
                     "annual shading ratio, at every hour")
    return RunFolder(folder, meta, buildings, roofs, communes, weather, notes, profiles_path=profiles_path)


def _roof_columns(folder: Path) -> list[str]:
    """The columns read of ``roofs.gpkg``: :data:`_ROOF_COLUMNS`, and ``tile`` in a run's folder."""
    import pyogrio

    try:
        fields = list(pyogrio.read_info(folder / contract.ROOFS, layer="roofs")["fields"])
    except Exception:  # noqa: BLE001 (read_layer names the problem)
        fields = []
    return [*_ROOF_COLUMNS, contract.TILE_COLUMN] if contract.TILE_COLUMN in fields else list(_ROOF_COLUMNS)


def _profile_ids(roofs: pd.DataFrame) -> list:
    """The id of each face's profile in ``profiles.parquet``: its number, or ``<tile>-<face>`` in a run."""
    faces = pd.to_numeric(roofs["face"]).astype(np.int64)
    if contract.TILE_COLUMN in roofs:
        return [f"{t}-{f}" for t, f in zip(roofs[contract.TILE_COLUMN].astype(str), faces, strict=True)]
    return faces.tolist()


def run_thermal(run: RunFolder) -> ThermalConfig:
    """The collector, tank and mains water of the run (its recorded ``thermal`` parameters), else the defaults."""
    recorded = (run.meta.get("parameters") or {}).get("thermal")
    if not isinstance(recorded, dict):
        return ThermalConfig()
    try:
        return _params.build(ThermalConfig(), recorded, f"{run.folder}: thermal parameters")
    except OptionError:
        run.notes.append("the run's thermal parameters are unreadable: the default collector and tank are used")
        return ThermalConfig()


def _site(meta: dict) -> tuple[float | None, float | None, float]:
    site = meta.get("site") or {}
    return site.get("latitude"), site.get("longitude"), float(site.get("altitude") or 0.0)


def _load_weather(run: RunFolder) -> Weather:
    lat, lon, alt = _site(run.meta)
    if run.weather_path.strip().lower() == "clearsky":
        if lat is None:
            centre = run.buildings.geometry.union_all().centroid
            lon, lat = Transformer.from_crs(run.buildings.crs, "EPSG:4326", always_xy=True).transform(centre.x,
                                                                                                     centre.y)
        return load_weather("clearsky", latitude=lat, longitude=lon, altitude=alt)
    return load_weather(run.weather_path)


# --------------------------------------------------------------------------- production and sizing


def face_production(weather: Weather, latitude: float, longitude: float, altitude: float, faces: pd.DataFrame,
                    *, config: QualifyConfig = QualifyConfig(), sky: str = "perez") -> np.ndarray:  # noqa: B008
    """Production of 1 kWp on each face, row by row, shaded by the face's ratio. [kW per kWp]

    Parameters
    ----------
    weather : Weather
        Hourly (or any regular) weather.
    latitude, longitude : float
        Site. [degrees north, degrees east]
    altitude : float
        Site altitude. [m]
    faces : pandas.DataFrame
        ``tilt`` and ``azimuth`` (degrees, azimuth clockwise from north) and
        ``shading_ratio`` (0-1; NaN counts as 1).
    config : QualifyConfig
        ``production`` holds the PV parameters and the albedo.
    sky : {'perez', 'isotropic'}
        Diffuse sky model (the run's).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(faces), len(weather.data))``: PVWatts AC power of 1 kWp
        of modules on the face's plane times its shading ratio. [kW kWp-1]
    """
    if faces.empty:
        return np.zeros((0, len(weather.data)))
    p_ac = pvwatts_planes(weather, latitude, longitude, altitude, faces["tilt"].to_numpy(float),
                          faces["azimuth"].to_numpy(float), pv=config.production.pv(), sky=sky,
                          albedo=config.production.albedo)
    ratio = faces["shading_ratio"].astype(float).fillna(1.0).to_numpy()
    return (p_ac / 1000.0 * ratio[None, :]).T


def _usable_faces(roofs: pd.DataFrame, building_id) -> pd.DataFrame:
    """The faces of a building qualify may cover: suitable, with kWp."""
    return roofs[(roofs["building_id"] == building_id) & roofs["suitable"] & (roofs["kwp"] > 0)]


def read_face_profiles(run: RunFolder, building_ids) -> tuple[list, FaceProfiles] | None:
    """The profile ids of the usable faces of ``building_ids`` and their profiles (None: the run has none).

    Raises
    ------
    InputFileError
        A usable face of ``roofs.gpkg`` without a profile.
    """
    if run.profiles is None and run.profiles_path is None:
        return None
    roofs = run.roofs[run.roofs["building_id"].isin(list(building_ids)) & run.roofs["suitable"] & (run.roofs["kwp"] > 0)]
    ids = list(dict.fromkeys(roofs["profile"]))
    if not ids:
        return ids, None
    try:
        stored = run.profiles if run.profiles is not None else read_profiles(run.profiles_path, faces=ids)
        return ids, stored.select(ids)
    except KeyError as exc:
        raise InputFileError(f"{run.folder / contract.PROFILES}: {exc.args[0]}, though roofs.gpkg has it; rerun the "
                             "cadastre") from None


def profiles_site(run: RunFolder) -> tuple[float, float, float]:
    """The site the run's profiles are used at: ``site`` of its metadata, else the buildings' centre."""
    lat, lon, alt = _site(run.meta)
    if lat is None or lon is None:
        centre = run.buildings.geometry.union_all().centroid
        lon, lat = Transformer.from_crs(run.buildings.crs, "EPSG:4326", always_xy=True).transform(centre.x, centre.y)
    return float(lat), float(lon), alt


def shaded_production(run: RunFolder, weather: Weather, building_ids, *, config: QualifyConfig = QualifyConfig(),  # noqa: B008
                      sky: str = "perez", profiles: tuple[list, FaceProfiles] | None = None) -> pd.DataFrame | None:
    """Hourly shaded AC power of 1 kWp on each usable face of ``building_ids``, from the run's profiles. [kW kWp-1]

    One column per face, named by its profile id (``roofs.profile``), indexed as ``weather.data``; None
    when the folder has no ``profiles.parquet``. The sun is at the run's site (``site`` of its metadata,
    the one its profiles were used at), else at the buildings' centre; the PV system is
    ``config.production``'s. One call of :func:`cadastre.solar.hourly.face_production` for all the faces.
    ``profiles``: :func:`read_face_profiles` of ``building_ids`` when the caller has read them.

    Raises
    ------
    InputFileError
        A usable face of ``roofs.gpkg`` without a profile.
    """
    read = read_face_profiles(run, building_ids) if profiles is None else profiles
    if read is None:
        return None
    ids, chosen = read
    if not ids:
        return pd.DataFrame(index=weather.data.index)
    out = hourly.face_production(weather, profiles_site(run), chosen, pv=config.production.pv(), sky=sky,
                                 albedo=config.production.albedo, hourly_faces=ids).hourly_ac
    return out.fillna(0.0) / 1000.0


def _fill(capacity: np.ndarray, kwp: np.ndarray) -> np.ndarray:
    """kWp on each face (best first) for each total ``kwp``: shape (len(kwp), len(capacity))."""
    before = np.concatenate([[0.0], np.cumsum(capacity)[:-1]])
    return np.clip(np.asarray(kwp, float)[:, None] - before[None, :], 0.0, capacity[None, :])


@dataclasses.dataclass(frozen=True)
class Sizing:
    """The recommended size: total kWp, kWp on each face (best first) and notes."""

    kwp: float
    face_kwp: np.ndarray
    notes: tuple[str, ...] = ()


def size_installation(per_kwp: np.ndarray, capacity: np.ndarray, load: np.ndarray,
                      config: QualifyConfig = QualifyConfig(), *, rule: str | None = None  # noqa: B008
                      ) -> Sizing:
    """Size an installation on faces ordered best first (module docstring, step 4).

    Parameters
    ----------
    per_kwp : numpy.ndarray
        Shape (faces, rows): production of 1 kWp on each face. [kW kWp-1]
    capacity : numpy.ndarray
        kWp each face holds. [kWp]
    load : numpy.ndarray
        Building load of each row. [kW]
    config : QualifyConfig
        ``sizing`` and ``bands``.
    rule : {'self_consumption', 'roof', 'total_sale'}, optional
        The largest size reaching the self-consumption target, or the whole
        roof (``roof`` and ``total_sale``); None: the rule of ``sizing.mode``
        (the target for ``objective``).

    Returns
    -------
    Sizing
        A roof smaller than ``min_kwp`` is taken whole (the verdict rejects it).
    """
    s = config.sizing
    top = config.bands.kwp_max[-1]
    roof = float(capacity.sum())
    notes: list[str] = []
    largest = min(roof, top)
    if roof > top:
        notes.append(f"size capped at {top:g} kWp (largest band)")
    rule = rule or s.mode
    if rule in ("roof", "total_sale") or largest <= s.min_kwp:
        return Sizing(largest, _fill(capacity, np.array([largest]))[0], tuple(notes))
    step = max(s.step_kwp, (largest - s.min_kwp) / _MAX_CANDIDATES)
    sizes = np.unique(np.append(np.arange(s.min_kwp, largest, step), largest))
    alloc = _fill(capacity, sizes)
    production = alloc @ per_kwp
    produced = production.sum(axis=1)
    used = self_consumption(production, load[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(produced > 0, used / produced, 0.0)
    ok = np.flatnonzero(rate >= s.self_consumption_target - 1e-12)
    if not len(ok):
        notes.append(f"self-consumption below the {s.self_consumption_target:.0%} target even at {s.min_kwp:g} kWp")
        k = 0
    else:
        k = int(ok[-1])
    return Sizing(float(sizes[k]), alloc[k], tuple(notes))


# --------------------------------------------------------------------------- score, verdict, rank


def score(payback_years: float, specific_yield: float, self_consumption_rate: float, kwp: float,
          config: QualifyConfig = QualifyConfig()) -> dict[str, float]:  # noqa: B008
    """Score 0-100 and its components in [0, 1].

    ``score_payback = (worst - payback) / (worst - best)``, ``score_yield =
    (yield - worst) / (best - worst)``, ``score_self_consumption`` = the rate,
    ``score_size = log(kwp / min_kwp) / log(size_best_kwp / min_kwp)``, each
    clipped to [0, 1]; ``score = 100 x`` their mean weighted by
    :class:`cadastre.qualify.config.ScoreConfig`.
    """
    s: ScoreConfig = config.score
    payback = (s.payback_worst - payback_years) / (s.payback_worst - s.payback_best) \
        if math.isfinite(payback_years) else 0.0
    yield_ = (specific_yield - s.yield_worst) / (s.yield_best - s.yield_worst)
    low = max(config.sizing.min_kwp, 1e-9)
    size = 1.0 if s.size_best_kwp <= low else math.log(max(kwp, low) / low) / math.log(s.size_best_kwp / low)
    parts = {"score_payback": payback, "score_yield": yield_, "score_self_consumption": self_consumption_rate,
             "score_size": size}
    parts = {k: float(np.clip(v, 0.0, 1.0)) for k, v in parts.items()}
    weights = (s.weight_payback, s.weight_yield, s.weight_self_consumption, s.weight_size)
    total = 100.0 * sum(w * v for w, v in zip(weights, parts.values(), strict=True)) / sum(weights)
    return {"score": total, **parts}


def verdict(row: dict, config: QualifyConfig = QualifyConfig()) -> tuple[str, list[str]]:  # noqa: B008
    """Verdict and its reasons for a qualified row.

    - not qualified: the roof holds less than ``sizing.min_kwp``, no net
      income, or a payback above ``study_payback_years``;
    - qualified: payback <= ``qualified_payback_years``, NPV >= 0, score >=
      ``qualified_score``, shading ratio >= ``shading_limit`` and an inverter
      within the contracted power (when given);
    - to study: the others (each failed rule is a reason).

    Parameters
    ----------
    row : dict
        ``roof_kwp``, ``kwp``, ``ac_kw``, ``payback_years``, ``npv_eur``,
        ``score``, ``shading_ratio`` and ``contracted_kva`` (NaN if unknown).
    """
    v = config.verdict
    payback = row["payback_years"]
    if row["roof_kwp"] < config.sizing.min_kwp:
        return "not qualified", [f"the roof holds {row['roof_kwp']:.1f} kWp, less than {config.sizing.min_kwp:g}"]
    if not math.isfinite(payback):
        return "not qualified", ["no net income: savings and surplus revenue do not cover the running costs"]
    if payback > v.study_payback_years:
        return "not qualified", [f"payback {payback:.1f} yr > {v.study_payback_years:g}"]
    failed = []
    if payback > v.qualified_payback_years:
        failed.append(f"payback {payback:.1f} yr > {v.qualified_payback_years:g}")
    if row["npv_eur"] < 0:
        failed.append(f"NPV {row['npv_eur']:,.0f} € < 0")
    if row["score"] < v.qualified_score:
        failed.append(f"score {row['score']:.0f} < {v.qualified_score:g}")
    if row["shading_ratio"] < v.shading_limit:
        failed.append(f"shading ratio {row['shading_ratio']:.2f} < {v.shading_limit:g}: check on site")
    kva = row.get("contracted_kva", math.nan)
    if math.isfinite(kva) and row["ac_kw"] > kva:
        failed.append(f"inverter {row['ac_kw']:.0f} kVA above the contracted {kva:g} kVA: check the connection")
    if failed:
        return "to study", failed
    return "qualified", [f"payback {payback:.1f} yr <= {v.qualified_payback_years:g}",
                         f"NPV {row['npv_eur']:,.0f} € >= 0", f"score {row['score']:.0f} >= {v.qualified_score:g}"]


def rank(table: pd.DataFrame) -> pd.Series:
    """Rank 1..n of the rows with ``status == 'ok'``: score descending, then NPV descending, then line.

    Returns an ``Int64`` series aligned on ``table`` (NA for the other rows).
    """
    ok = table[table["status"] == "ok"]
    order = ok.assign(_s=-ok["score"], _n=-ok["npv_eur"]).sort_values(["_s", "_n", "line"], kind="stable").index
    out = pd.Series(pd.NA, index=table.index, dtype="Int64")
    out.loc[order] = np.arange(1, len(order) + 1)
    return out


# --------------------------------------------------------------------------- one building


@dataclasses.dataclass(frozen=True)
class Profiles:
    """Monthly energies [MWh] (12) and mean hourly power by local hour [kW] (24) of one building."""

    monthly_production: np.ndarray
    monthly_load: np.ndarray
    monthly_self: np.ndarray
    hourly_production: np.ndarray
    hourly_load: np.ndarray


def _profiles(production: np.ndarray, load: np.ndarray, used: np.ndarray, month: np.ndarray, hour: np.ndarray,
              interval: float) -> Profiles:
    def monthly(values):
        return np.bincount(month - 1, weights=values, minlength=12)[:12] * interval / 1000.0

    def daily(values):
        counts = np.maximum(np.bincount(hour, minlength=24)[:24], 1)
        return np.bincount(hour, weights=values, minlength=24)[:24] / counts

    return Profiles(monthly(production), monthly(load), monthly(used), daily(production), daily(load))


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One scenario of a building: its size, hourly production and self-consumption. [kWp, kW]"""

    name: str
    sizing: Sizing
    production: np.ndarray
    used: np.ndarray


@dataclasses.dataclass
class Building:
    """What a matched row's figures are computed from (faces best first), whatever the prices."""

    row: object
    faces: pd.DataFrame
    capacity: np.ndarray
    load: np.ndarray
    consumption_source: str
    notes: list[str]
    scenarios: dict[str, Scenario]
    hot_water: HotWater
    interval: float
    heat: Heat | None = None
    thermal_pv: dict[str, Scenario] = dataclasses.field(default_factory=dict)
    no_heat: str = "no hot-water demand: PV only"  # the use's reason when ``heat`` is None


@dataclasses.dataclass(frozen=True)
class Heat:
    """The solar water heater of a building with a hot-water demand (:mod:`cadastre.qualify.thermal`).

    ``face_m2``: collectors on each face (best first) [m2]; ``area_m2``, ``tank_l`` [L]; ``demand_kwh``: heat of the
    demand over the weather period; ``solar_kwh``: useful solar heat delivered [kWh]; ``fraction``: solar / demand.
    """

    face_m2: np.ndarray
    area_m2: float
    tank_l: float
    demand_kwh: float
    solar_kwh: float
    fraction: float


@dataclasses.dataclass(frozen=True)
class HeatContext:
    """What the heat of every building is computed with: the run's collector and tank, its profiles (None:
    the unshaded plane x the annual ratio), the site of the profiles, the sky model, the calendar."""

    thermal: ThermalConfig
    profiles: FaceProfiles | None
    site: tuple[float, float, float] | None
    sky: str
    cal: object


def _pv_scenarios(per_kwp: np.ndarray, capacity: np.ndarray, load: np.ndarray, config: QualifyConfig
                  ) -> dict[str, Scenario]:
    """The three PV scenarios on faces holding ``capacity`` kWp (best first)."""
    scenarios: dict[str, Scenario] = {}
    for name in SCENARIOS:
        if name == "total_sale":  # the whole roof, nothing consumed on site
            roof = scenarios["roof"]
            scenarios[name] = Scenario(name, roof.sizing, roof.production, np.zeros_like(roof.production))
            continue
        sizing = size_installation(per_kwp, capacity, load, config, rule=name)
        production = sizing.face_kwp @ per_kwp
        scenarios[name] = Scenario(name, sizing, production, self_consumption(production, load))
    return scenarios


def _heat(row, faces: pd.DataFrame, litres_day: float, weather: Weather, site: tuple[float, float, float],
          config: QualifyConfig, ctx: HeatContext) -> Heat | str:
    """The collectors of a building sized on its demand and their heat, hour by hour; or why there are none."""
    th, interval = ctx.thermal, weather.interval_hours
    shares = draw_shares(ctx.cal, row.type, config.loads, interval)
    days = len(weather.data) * interval / 24.0
    mean_litres = litres_day * float(shares.sum()) / days
    if mean_litres <= 0:
        return "no hot water drawn on the days of the weather period: PV only"
    face_m2 = collector_areas(mean_litres, faces["usable_area_m2"].to_numpy(float), th.max_area_share,
                              config.solar_thermal.litres_per_m2)
    area = float(face_m2.sum())
    if area <= 0:
        return "no room for collectors: PV only"
    on = face_m2 > 0
    chosen = faces[on]
    if ctx.profiles is not None:
        profiles = ctx.profiles.select(list(chosen["profile"]))
        absorbed = face_absorbed(weather, ctx.site, profiles, chosen["azimuth"].to_numpy(float), thermal=th,
                                 sky=ctx.sky, albedo=config.production.albedo)
    else:
        absorbed, _poa = plane_absorbed(weather, site, chosen["tilt"].to_numpy(float),
                                        chosen["azimuth"].to_numpy(float), thermal=th, sky=ctx.sky,
                                        albedo=config.production.albedo)
        absorbed = absorbed * chosen["shading_ratio"].astype(float).fillna(1.0).clip(0.0, 1.0).to_numpy()[:, None]
    mean = face_m2[on] @ absorbed / area
    tank = area * th.tank_per_area
    result = simulate(mean[None, :], weather, area=area, tank_l=tank, demand_l=litres_day, thermal=th, shares=shares)
    return Heat(face_m2, area, tank, float(result.demand_kwh[0]), float(result.solar_kwh[0]),
                float(result.solar_fraction[0]))


def _prepare_building(row, match: Match, building: pd.Series, run: RunFolder, weather: Weather,
                      config: QualifyConfig, site: tuple[float, float, float], cal,
                      sky: str, shaded: pd.DataFrame | None = None, heat: HeatContext | None = None
                      ) -> Building | str:
    """The faces, load and the three scenarios of one matched row (module docstring), or its problem.

    ``building``: the matched row of the run's buildings; ``shaded``: :func:`shaded_production` (None:
    the unshaded plane times the annual ratio, :func:`face_production`); ``heat``: how to compute the solar
    water heater of a building with a hot-water demand (None: none is).
    """
    faces = _usable_faces(run.roofs, match.building_id)
    if faces.empty:
        return f"no usable roof face on building {match.building_id}"
    interval = weather.interval_hours
    if shaded is None:
        per_kwp = face_production(weather, *site, faces, config=config, sky=sky)
    else:
        per_kwp = shaded[list(faces["profile"])].to_numpy(np.float64).T
    annual = per_kwp.sum(axis=1) * interval
    order = np.lexsort((faces["face"].to_numpy(), -annual))
    per_kwp, faces = per_kwp[order], faces.iloc[order]
    capacity = faces["kwp"].to_numpy(float) * config.sizing.roof_fraction
    notes = [match.note] if match.note else []
    shape = config.loads.shape(row.type)
    area = row.floor_area_m2 if math.isfinite(row.floor_area_m2) else float(building["footprint_area_m2"])
    if math.isfinite(row.consumption_kwh):
        consumption, source = row.consumption_kwh, "given"
    else:
        consumption, source = shape.kwh_m2 * area, "estimated"
        notes.append(f"consumption estimated: {shape.kwh_m2:g} kWh/m2 x {area:,.0f} m2 ({row.type} default)")
    load = load_profile(weather.data.index, row.type, consumption, loads=config.loads, interval_hours=interval,
                        cal=cal)
    scenarios = _pv_scenarios(per_kwp, capacity, load, config)
    demand = hot_water_demand(row.type, area, row.hot_water_l_day, config.hot_water)
    b = Building(row, faces, capacity, load, source, notes, scenarios, demand, interval)
    if demand.litres_day > 0 and heat is not None:
        made = _heat(row, faces, demand.litres_day, weather, site, config, heat)
        if isinstance(made, str):
            b.no_heat = made
        else:
            b.heat = made
            left = pv_room(capacity, faces["usable_area_m2"].to_numpy(float), b.heat.face_m2)
            b.thermal_pv = _pv_scenarios(per_kwp, left, load, config)
    return b


def _scenario_figures(b: Building, scenario: Scenario, config: QualifyConfig, cost_factor: float) -> dict:
    """The columns of :data:`OUTPUT_COLUMNS` that depend on the scenario (payback ``inf`` when none)."""
    sizing, interval = scenario.sizing, b.interval
    produced, consumed, self_kwh = (float(v.sum() * interval) for v in (scenario.production, b.load, scenario.used))
    eco = economics(sizing.kwp, produced, self_kwh, config, sale="total" if scenario.name == "total_sale" else
                    "surplus", cost_factor=cost_factor)
    kwp = sizing.kwp
    on = sizing.face_kwp > 0
    shading = float(np.average(b.faces["shading_ratio"].fillna(1.0).to_numpy()[on], weights=sizing.face_kwp[on])) \
        if on.any() else math.nan
    return {
        "status": "ok", "faces": int(on.sum()), "usable_area_m2": float(b.faces["usable_area_m2"].sum()),
        "roof_kwp": float(b.capacity.sum()), "kwp": kwp, "band": eco.band,
        "ac_kw": kwp / config.production.dc_ac_ratio, "mwh": produced / 1000.0,
        "specific_yield": produced / kwp if kwp > 0 else math.nan, "shading_ratio": shading,
        "consumption_mwh": consumed / 1000.0, "consumption_source": b.consumption_source,
        "self_consumed_mwh": self_kwh / 1000.0, "surplus_mwh": (produced - self_kwh) / 1000.0,
        "self_consumption_rate": self_kwh / produced if produced > 0 else 0.0,
        "self_sufficiency": self_kwh / consumed if consumed > 0 else math.nan,
        "investment_eur": eco.investment_eur, "subsidy_eur": eco.subsidy_eur, "savings_eur": eco.savings_eur,
        "surplus_revenue_eur": eco.surplus_revenue_eur, "om_eur": eco.om_eur, "payback_years": eco.payback_years,
        "npv_eur": eco.npv_eur, "lcoe_eur_kwh": eco.lcoe_eur_kwh if math.isfinite(eco.lcoe_eur_kwh) else math.nan,
        "co2_t": eco.co2_t,
    }


def _decide(b: Building, config: QualifyConfig, cost_factor: float = 1.0) -> dict:
    """The figures of every scenario at ``cost_factor`` times the bands' costs, the recommended one's as the
    row's figures, its score, verdict and reasons (:data:`OUTPUT_COLUMNS`)."""
    figures = {name: _scenario_figures(b, sc, config, cost_factor) for name, sc in b.scenarios.items()}
    choice, why = recommend(figures, config.sizing)
    out = dict(figures[choice])
    payback = out["payback_years"]
    out.update(score(payback, out["specific_yield"], out["self_consumption_rate"], out["kwp"], config))
    decision, reasons = verdict({**out, "contracted_kva": b.row.contracted_kva}, config)
    out["verdict"] = decision
    out["reasons"] = "; ".join(reasons + b.notes + list(b.scenarios[choice].sizing.notes))
    out["scenario"], out["scenario_reason"] = choice, "; ".join(why)
    for name, f in figures.items():
        for metric in METRICS:
            value = f[metric]
            out[scenario_column(metric, name)] = value if math.isfinite(value) else math.nan
    out["payback_years"] = payback if math.isfinite(payback) else math.nan
    out["hot_water_l_day"], out["hot_water_source"] = b.hot_water.litres_day, b.hot_water.source
    out.update(_thermal_figures(b, choice, out["npv_eur"], config, cost_factor))
    return out


def _thermal_figures(b: Building, choice: str, pv_npv: float, config: QualifyConfig, cost_factor: float) -> dict:
    """The solar thermal columns of :data:`OUTPUT_COLUMNS` and the recommended use (:mod:`cadastre.qualify.thermal`);
    ``choice``: the recommended PV scenario, whose rule sizes the PV of ``thermal_pv``."""
    out: dict = dict.fromkeys(THERMAL_NUMBERS, math.nan)
    if b.heat is None:
        return {**out, "use": "pv", "use_reason": b.no_heat}
    h = b.heat
    eco = thermal_economics(h.solar_kwh, h.area_m2, config)
    sc = b.thermal_pv[choice]
    produced, used = (float(v.sum() * b.interval) for v in (sc.production, sc.used))
    pv = economics(sc.sizing.kwp, produced, used, config, sale="total" if choice == "total_sale" else "surplus",
                   cost_factor=cost_factor)
    npv = {"pv": pv_npv, "thermal": eco.npv_eur, "thermal_pv": eco.npv_eur + pv.npv_eur}
    use, why = choose_use(npv)
    out.update({
        "hot_water_mwh": h.demand_kwh / 1000.0, "thermal_area_m2": h.area_m2, "thermal_tank_l": h.tank_l,
        "thermal_mwh": h.solar_kwh / 1000.0, "thermal_fraction": h.fraction,
        "thermal_investment_eur": eco.investment_eur, "thermal_subsidy_eur": eco.subsidy_eur,
        "thermal_savings_eur": eco.savings_eur, "thermal_om_eur": eco.om_eur, "thermal_co2_t": eco.co2_t,
        "thermal_payback_years": eco.payback_years if math.isfinite(eco.payback_years) else math.nan,
        "thermal_npv_eur": eco.npv_eur, "thermal_pv_kwp": sc.sizing.kwp, "thermal_pv_mwh": produced / 1000.0,
        "thermal_pv_investment_eur": eco.investment_eur + pv.investment_eur, "thermal_pv_npv_eur": npv["thermal_pv"],
    })
    return {**out, "thermal_fuel": config.solar_thermal.fuel, "use": use, "use_reason": why}


def _qualify_buildings(buildings: dict[int, Building], config: QualifyConfig) -> tuple[dict[int, dict], dict]:
    """The records of the prepared buildings (by CSV line), bought alone then as a group, and the grouping.

    Rule (one pass, no iteration): the operation's total is the kWp of the scenario recommended to each
    building bought alone (the bands' costs), summed over the buildings whose verdict alone is not
    "not qualified"; its band of ``[grouping]`` gives the cost reduction; every building is then computed
    again with the reduced costs (its recommendation and verdict may change; the total is not recomputed).
    """
    alone = {line: _decide(b, config) for line, b in buildings.items()}
    members = [line for line, rec in alone.items() if rec["verdict"] != "not qualified"]
    total = float(sum(alone[line]["kwp"] for line in members))
    reduction = grouping_reduction(total, config.grouping)
    grouped = alone if reduction == 0.0 else {line: _decide(b, config, 1.0 - reduction)
                                              for line, b in buildings.items()}
    for line, rec in grouped.items():
        a = alone[line]
        rec.update({
            "in_grouping": line in members, "grouping_reduction": reduction, "scenario_alone": a["scenario"],
            "investment_alone_eur": a["investment_eur"], "npv_alone_eur": a["npv_eur"],
            "_kwp_alone": a["kwp"], "_mwh_alone": a["mwh"], "_savings_alone": a["savings_eur"],
            "_sales_alone": a["surplus_revenue_eur"],
        })
    return grouped, {"total_kwp": total, "buildings": len(members), "cost_reduction": reduction}


def _building_profiles(b: Building, scenario: str, cal) -> Profiles:
    sc = b.scenarios[scenario]
    return _profiles(sc.production, b.load, sc.used, cal.month, cal.hour, b.interval)


# --------------------------------------------------------------------------- the operation


@dataclasses.dataclass
class QualifyResult:
    """Everything ``cadastre qualify`` writes."""

    table: gpd.GeoDataFrame
    operation: pd.DataFrame
    profiles: dict[int, Profiles]
    meta: dict
    config: QualifyConfig


def _lonlat(geometry, crs) -> tuple[float, float]:
    point = geometry.representative_point()
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(point.x, point.y)
    return float(lon), float(lat)


def qualify(run_dir: str | Path, municipal: str | Path, *, config: QualifyConfig = QualifyConfig(),  # noqa: B008
            progress: Callable[[int, int], None] | None = None) -> QualifyResult:
    """Qualify every row of ``municipal`` against the cadastre of ``run_dir`` (module docstring).

    Parameters
    ----------
    run_dir : path-like
        Output folder of ``cadastre buildings`` or a ``cadastre run`` RUN_DIR.
    municipal : path-like
        The candidate buildings (:func:`cadastre.qualify.municipal.read_municipal`).
    config : QualifyConfig
        Every parameter.
    progress : callable, optional
        Called with ``(done, total)`` rows.

    Returns
    -------
    QualifyResult
        ``table``: one row per CSV row (:data:`OUTPUT_COLUMNS`, footprint as
        geometry where matched); ``operation``: :func:`operation_table`.

    Raises
    ------
    InputFileError
        A missing required column of ``municipal`` (checked first), an
        unreadable run folder or weather.
    """
    rows = read_municipal(municipal)
    run = read_run_folder(run_dir)
    weather = _load_weather(run)
    recorded = run.meta.get("parameters") or {}  # the run's own parameters (docs/run-dir.md)
    sky = str(recorded.get("sky") or run.meta.get("sky") or "perez")
    albedo = recorded.get("albedo", run.meta.get("albedo"))
    if albedo is not None:
        config = dataclasses.replace(config, production=dataclasses.replace(config.production, albedo=float(albedo)))
    cal = calendar(weather.data.index, config.loads)
    hours = len(weather.data) * weather.interval_hours
    if abs(hours - 8760.0) > 24.0:
        run.notes.append(f"the weather covers {hours:,.0f} h, not a year: energies, money and CO2 are for that "
                         "period, consumptions scaled to it")
    altitude = _site(run.meta)[2]
    rows["problem"] = [
        p if isinstance(p, str) or r.insee in run.communes else f"commune {r.insee} is not among the run's communes"
        for p, r in zip(rows["problem"], rows.itertuples(index=False), strict=True)]
    matches = match_rows(rows, run.buildings[["building_id", "geometry"]], config.matching)
    wanted = {m.building_id for m, p in zip(matches, rows["problem"], strict=True)
              if m.building_id is not None and not isinstance(p, str) and not m.problem}
    face_profiles = read_face_profiles(run, wanted)
    shaded = shaded_production(run, weather, wanted, config=config, sky=sky, profiles=face_profiles)
    heat = HeatContext(run_thermal(run), None if face_profiles is None else face_profiles[1],
                       None if face_profiles is None else profiles_site(run), sky, cal)
    records, geometries, prepared = [], [], {}
    done = 0
    for row, match in zip(rows.itertuples(index=False), matches, strict=True):
        record = {"line": int(row.line), "insee": row.insee, "commune": run.communes.get(row.insee, ""),
                  "name": row.name, "type": row.type, "building_id": match.building_id, "match": match.how,
                  "distance_m": match.distance_m}
        problem = row.problem if isinstance(row.problem, str) else match.problem
        geometry = None
        if match.building_id is not None:
            building = run.buildings.loc[run.buildings["building_id"] == match.building_id].iloc[0]
            geometry = building.geometry
        if not problem:
            lon, lat = _lonlat(geometry, run.buildings.crs)
            ready = _prepare_building(row, match, building, run, weather, config, (lat, lon, altitude), cal, sky,
                                      shaded, heat)
            if isinstance(ready, str):
                problem = ready
            else:
                own = insee_code(building.get("insee"))
                if own and own != row.insee:
                    ready.notes.append(f"the building lies in commune {own}")
                prepared[int(row.line)] = ready
        if problem:
            record.update(status="error", reasons=problem, verdict="not qualified")
        records.append(record)
        geometries.append(geometry)
        done += 1
        if progress:
            progress(done, len(rows))
    figures, grouping = _qualify_buildings(prepared, config)
    for record in records:
        record.update(figures.get(record["line"], {}))
    profiles = {line: _building_profiles(b, figures[line]["scenario"], cal) for line, b in prepared.items()}
    full = pd.DataFrame.from_records(records)
    frame = full.reindex(columns=list(OUTPUT_COLUMNS))
    frame["rank"] = rank(frame)
    table = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=run.buildings.crs), crs=run.buildings.crs)
    meta = {
        "run": str(run.folder), "municipal": str(municipal), "weather": str(weather.source), "sky": sky,
        "production": RATIO_PROFILE if shaded is None else HOURLY_PROFILES,
        "albedo": config.production.albedo, "crs": run.buildings.crs.to_string(), "rows": int(len(frame)),
        "errors": int((frame["status"] == "error").sum()),
        "verdicts": {v: int((frame["verdict"] == v).sum()) for v in VERDICTS},
        "mode": config.sizing.mode, "objective": config.sizing.objective,
        "scenarios": {s: int((frame["scenario"] == s).sum()) for s in SCENARIOS}, "grouping": grouping,
        "uses": {u: int((frame["use"] == u).sum()) for u in USES},
        "notes": run.notes, "communes": str(run.meta.get("communes") or default_communes_path()),
    }
    return QualifyResult(table, operation_table(full.assign(rank=frame["rank"])), profiles, meta, config)


#: Columns of ``operation.csv`` that compare the grouped purchase with the same buildings bought alone.
GROUPING_COLUMNS = (
    "grouped_buildings", "cost_reduction", "alone_kwp", "grouped_kwp", "alone_investment_eur",
    "grouped_investment_eur", "alone_mwh", "grouped_mwh", "alone_savings_eur", "grouped_savings_eur",
    "alone_sales_eur", "grouped_sales_eur", "alone_npv_eur", "grouped_npv_eur",
)

#: (grouped column of qualification.csv, column bought alone) summed by :data:`GROUPING_COLUMNS`.
_GROUPING_SUMS = {"kwp": ("kwp", "_kwp_alone"), "investment": ("investment_eur", "investment_alone_eur"),
                  "mwh": ("mwh", "_mwh_alone"), "savings": ("savings_eur", "_savings_alone"),
                  "sales": ("surplus_revenue_eur", "_sales_alone"), "npv": ("npv_eur", "npv_alone_eur")}


#: Columns of qualification.csv summed in ``operation.csv`` over the buildings whose recommended use has collectors.
_THERMAL_SUMS = ("thermal_area_m2", "thermal_mwh", "thermal_investment_eur")

#: Columns of ``operation.csv`` that count solar water heating.
THERMAL_OPERATION_COLUMNS = ("thermal_buildings", "thermal_pv_buildings", *_THERMAL_SUMS)


def operation_table(table: pd.DataFrame) -> pd.DataFrame:
    """Size of the grouped purchase per commune and for the whole operation.

    Columns: ``insee``, ``commune``, ``buildings`` (rows), ``qualified``,
    ``to_study``, ``not_qualified``, ``errors`` (counts); ``mwp``, ``mwh``
    (MWh/yr) and ``investment_eur`` of the qualified buildings, and
    ``mwp_to_study``, ``mwh_to_study``, ``investment_to_study_eur`` of those
    to study; then :data:`GROUPING_COLUMNS`: the buildings of the grouped purchase
    (``in_grouping``), their number, the cost reduction, and their totals bought alone
    and grouped (kWp, investment [€], MWh/yr, first-year savings and sales [€/yr], NPV [€]); then
    :data:`THERMAL_OPERATION_COLUMNS`: the buildings whose recommended ``use`` is ``thermal`` and
    ``thermal_pv``, and their collectors [m2], useful solar heat [MWh/yr] and solar thermal investment [€].
    The last row (``insee`` empty, ``commune`` '(operation)') holds the totals.
    """
    t = pd.DataFrame(table).copy()
    t["_q"] = t["verdict"] == "qualified"
    t["_s"] = t["verdict"] == "to study"
    t["_g"] = t["in_grouping"].fillna(False).astype(bool) if "in_grouping" in t else False
    numeric = {c for pair in _GROUPING_SUMS.values() for c in pair} | {"kwp", "mwh", "investment_eur", *_THERMAL_SUMS}
    t["_use"] = t["use"].fillna("") if "use" in t else ""
    for column in numeric:
        t[column] = pd.to_numeric(t.get(column, pd.Series(np.nan, index=t.index)), errors="coerce").fillna(0.0)
    reduction = pd.to_numeric(t.get("grouping_reduction", pd.Series(dtype=float)), errors="coerce").max()

    def sums(group: pd.DataFrame) -> dict:
        q, s, g = group[group["_q"]], group[group["_s"]], group[group["_g"]]
        out = {
            "buildings": len(group), "qualified": int(group["_q"].sum()), "to_study": int(group["_s"].sum()),
            "not_qualified": int(((group["verdict"] == "not qualified") & (group["status"] == "ok")).sum()),
            "errors": int((group["status"] == "error").sum()),
            "mwp": q["kwp"].sum() / 1000.0, "mwh": q["mwh"].sum(), "investment_eur": q["investment_eur"].sum(),
            "mwp_to_study": s["kwp"].sum() / 1000.0, "mwh_to_study": s["mwh"].sum(),
            "investment_to_study_eur": s["investment_eur"].sum(),
            "grouped_buildings": len(g), "cost_reduction": 0.0 if pd.isna(reduction) else float(reduction),
        }
        for name, (grouped, alone) in _GROUPING_SUMS.items():
            unit = "" if name in ("kwp", "mwh") else "_eur"
            out[f"alone_{name}{unit}"] = g[alone].sum()
            out[f"grouped_{name}{unit}"] = g[grouped].sum()
        heat = group[group["_use"].isin(["thermal", "thermal_pv"])]
        out["thermal_buildings"] = int((group["_use"] == "thermal").sum())
        out["thermal_pv_buildings"] = int((group["_use"] == "thermal_pv").sum())
        out.update({column: heat[column].sum() for column in _THERMAL_SUMS})
        return out

    rows = [{"insee": code, "commune": group["commune"].iloc[0], **sums(group)}
            for code, group in t.groupby("insee", sort=True)]
    rows.append({"insee": "", "commune": "(operation)", **sums(t)})
    return pd.DataFrame(rows)
