"""Read a finished cadastre (a ``cadastre buildings`` folder or a ``cadastre run`` folder) for the reports.

See ``docs/run-dir.md`` for the files and their columns. Tables are read as written (strings),
so that the numbers a report shows are the CSV's own values. The GeoPackage layers are read per
area (an attribute filter on ``insee`` and a bounding box for the roof faces), or once for all
areas with :meth:`RunData.preload`.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import rasterio

from cadastre.areas.aggregate import default_communes_path, load_communes, pma_table
from cadastre.errors import InputFileError, OptionError
from cadastre.results import contract
from cadastre.results.read import NOT_A_FOLDER, insee_code, meta_path, read_layer, read_meta, resolve
from cadastre.results.read import read_table as _csv

OUTSIDE = "(outside the communes)"
QUALIFICATION = "qualification.csv"
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")
"""The irradiance raster the metadata names is opened only when its name says it is one."""


def number(value) -> float:
    """``value`` as a float, NaN when it is empty or not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _meta(folder: Path) -> dict:
    meta = read_meta(folder)
    if meta is None:
        raise InputFileError(f"{folder}: neither run.json nor buildings.json; {NOT_A_FOLDER}")
    return meta


def _content_id(folder: Path) -> str:
    """An id for a folder without run id (``cadastre buildings``): 12 hex digits of its metadata's SHA-256."""
    return hashlib.sha256(meta_path(folder).read_bytes()).hexdigest()[:12]


def find_qualification(folder: Path, given: str | os.PathLike | None = None) -> Path | None:
    """The qualification CSV of ``cadastre qualify``.

    ``given`` (a file, or a folder holding ``qualification.csv``), else the first found of
    ``RUN_DIR/qualification/``, ``RUN_DIR/``, ``RUN_DIR/../qualification/`` and ``RUN_DIR/../``.
    """
    if given is not None:
        path = Path(given)
        path = path / QUALIFICATION if path.is_dir() else path
        if not path.is_file():
            raise InputFileError(f"{path}: no qualification table there; give the output of `cadastre qualify`")
        return path
    for path in (folder / "qualification" / QUALIFICATION, folder / QUALIFICATION,
                 folder.parent / "qualification" / QUALIFICATION, folder.parent / QUALIFICATION):
        if path.is_file():
            return path
    return None


@dataclass
class RunData:
    """The tables of a finished cadastre.

    ``communes``, ``epci``, ``territory`` and ``qualification`` are the CSVs as strings, exactly
    as written (INSEE codes on 5 characters). The building and roof layers are read by
    :meth:`area` for the communes asked, or all at once after :meth:`preload`.
    """

    folder: Path
    meta: dict
    run_id: str
    communes: pd.DataFrame
    epci: pd.DataFrame
    territory: pd.DataFrame
    qualification: pd.DataFrame | None
    communes_path: Path
    _layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = field(default=None, repr=False)
    _polygons: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _monthly: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def preload(self) -> None:
        """Read both layers once (for many reports of the same run)."""
        if self._layers is None:
            buildings = read_layer(self.folder / contract.BUILDINGS)
            buildings["insee"] = buildings["insee"].map(insee_code, na_action="ignore")
            self._layers = buildings, read_layer(self.folder / contract.ROOFS)

    def area(self, insees: list[str]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The buildings of the given communes and their roof faces (layers as written)."""
        if self._layers is not None:
            buildings, roofs = self._layers
            part = buildings[buildings["insee"].isin(insees)]
            return part, roofs[roofs["building_id"].isin(set(part["building_id"]))]
        codes = sorted({c.lstrip("0") or "0" for c in insees} | set(insees))
        quoted = ", ".join("'" + c.replace("'", "''") + "'" for c in codes)
        buildings = read_layer(self.folder / contract.BUILDINGS, where=f"CAST(insee AS TEXT) IN ({quoted})")
        buildings["insee"] = buildings["insee"].map(insee_code, na_action="ignore")
        buildings = buildings[buildings["insee"].isin(insees)]
        if not len(buildings):
            return buildings, read_layer(self.folder / contract.ROOFS, max_features=0)
        roofs = read_layer(self.folder / contract.ROOFS, bbox=tuple(buildings.total_bounds))
        return buildings, roofs[roofs["building_id"].isin(set(buildings["building_id"]))]

    def covered(self, insees: list[str]) -> gpd.GeoDataFrame | None:
        """The parts of the given communes covered by data (layer of ``coverage.gpkg``); None without the file."""
        path = self.folder / contract.COVERAGE
        if not path.is_file():
            return None
        parts = read_layer(path)
        if not len(parts):
            return parts
        return parts[parts["insee"].map(insee_code, na_action="ignore").isin(insees)]

    def monthly(self, kind: str, code: str) -> pd.DataFrame | None:
        """The area's 12 rows of ``communes_monthly.csv`` (``kind="commune"``, ``code`` its INSEE code) or
        ``epci_monthly.csv`` (``kind="epci"``, its SIREN), by month, as written (``month``, ``gwh_gross``,
        ``gwh_net`` [GWh]); None when the folder has no such table (a folder written by an older engine).

        Raises
        ------
        InputFileError
            The table lacks a column, holds a bad value, or not exactly the months 1 to 12 for the area.
        """
        name, key = (contract.COMMUNES_MONTHLY, "insee") if kind == "commune" else (contract.EPCI_MONTHLY, "epci_siren")
        path = self.folder / name
        if not path.is_file():
            return None
        if name not in self._monthly:
            table = _csv(path, required=contract.MONTHLY_TABLE_COLUMNS_OF[name])
            if key == "insee":
                table["insee"] = table["insee"].map(insee_code)
            self._monthly[name] = table
        table = self._monthly[name]
        rows = table[table[key] == code]
        rows = rows.assign(_m=rows["month"].astype(int)).sort_values("_m", kind="stable")
        if list(rows["_m"]) != list(range(1, 13)):
            raise InputFileError(f"{path}: {key} {code} has months {sorted(set(rows['_m']))} instead of 1 to 12 "
                                 "once each; rerun the cadastre")
        return rows.drop(columns="_m").reset_index(drop=True)

    def parameters(self) -> dict:
        """The parameters the result was computed with (:data:`~cadastre.results.contract.PARAMETERS`).

        Raises
        ------
        InputFileError
            The metadata has no such record (a folder written by an older engine).
        """
        params = self.meta.get(contract.PARAMETERS)
        if not isinstance(params, dict) or any(key not in params for key in contract.PARAMETER_KEYS):
            raise InputFileError(f"{meta_path(self.folder)}: no record of the parameters used "
                                 f"('{contract.PARAMETERS}'); compute the folder again with this engine")
        return params

    def directions(self) -> int | None:
        """Horizon directions of the run: from run.json, else the tags of the irradiance raster, else None."""
        value = self.meta.get("directions")
        if value is None and self.meta.get("irradiance"):
            given = Path(str(self.meta["irradiance"]))
            for path in (given, self.folder / given, self.folder.parent / given.name):
                if path.is_file() and path.suffix.lower() in RASTER_SUFFIXES:  # a raster, by its kind, or nothing
                    try:
                        with rasterio.open(path) as src:
                            value = src.tags().get("directions")
                    except rasterio.errors.RasterioError:
                        value = None
                    break
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def polygons(self) -> gpd.GeoDataFrame | None:
        """The run's commune polygons (its ``communes`` file, else the shipped PMA ones); None if unreadable."""
        if self._polygons is None:
            try:
                self._polygons = load_communes(self.communes_path)
            except Exception:  # noqa: BLE001 - an unreadable boundary file must not stop a report
                return None
        return self._polygons


def read_run(folder: str | os.PathLike, *, qualification: str | os.PathLike | None = None) -> RunData:
    """Read the tables and metadata of a result folder (the layers are read later, per area).

    Raises
    ------
    InputFileError
        The folder, a table or the metadata is missing or unreadable; ``qualification`` given
        but holds no ``qualification.csv``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder; {NOT_A_FOLDER}")
    meta = _meta(folder)
    communes = _csv(folder / contract.COMMUNES)
    communes["insee"] = communes["insee"].map(insee_code)
    qpath = find_qualification(folder, qualification)
    qual = None
    if qpath is not None:
        qual = _csv(qpath)
        if "insee" in qual:
            qual["insee"] = qual["insee"].map(insee_code)
    for name in (contract.BUILDINGS, contract.ROOFS):
        if not (folder / name).is_file():
            raise InputFileError(f"{folder / name}: missing; {NOT_A_FOLDER}")
    return RunData(
        folder=folder,
        meta=meta,
        run_id=str(meta.get("run_id") or _content_id(folder)),
        communes=communes,
        epci=_csv(folder / contract.EPCI),
        territory=_csv(folder / contract.TERRITORY),
        qualification=qual,
        communes_path=resolve(folder, meta.get("communes")) or default_communes_path(),
    )


def _fold(text: str) -> str:
    """Lower-case, accents removed, hyphens and apostrophes as spaces (for name matching)."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


def _known_commune(run: RunData, key: str, code: str | None) -> str | None:
    """Name of the commune ``key`` in the run's commune file or the shipped PMA table, else None."""
    tables = [pma_table().reset_index()[["insee", "commune"]]]
    polygons = run.polygons()
    if polygons is not None and "commune" in polygons:
        tables.insert(0, pd.DataFrame(polygons[["insee", "commune"]]))
    for table in tables:
        hit = table["insee"].astype(str) == code if code else table["commune"].map(_fold) == _fold(key)
        if hit.any():
            return str(table.loc[hit, "commune"].iloc[0])
    return None


def find_commune(run: RunData, key: str) -> pd.Series:
    """The ``communes.csv`` row of a commune given by INSEE code or name (accents and case ignored).

    Raises
    ------
    OptionError
        Unknown commune, an ambiguous name, or a commune without computed buildings (listed
        with 0 buildings, or known to the commune file or PMA table but absent from the run).
    """
    if not key.strip():
        raise OptionError("--commune: empty; give an INSEE code or a commune name")
    table = run.communes[run.communes["commune"] != OUTSIDE]
    code = insee_code(key) if key.strip().isdigit() else None
    rows = table[table["insee"] == code] if code else table[table["commune"].map(_fold) == _fold(key)]
    if len(rows) > 1:
        raise OptionError(f"--commune {key}: several communes have this name ({', '.join(rows['insee'])}); "
                          "give the INSEE code")
    no_data = (f"has no computed building in {run.folder} (no tile of the run covers it, or its tiles failed); "
               "run the cadastre on its tiles first")
    if len(rows) == 0:
        name = _known_commune(run, key, code)
        if name is not None:
            raise OptionError(f"--commune {key}: {name} {no_data}")
        raise OptionError(f"--commune {key}: unknown commune (not in {run.folder / 'communes.csv'}); "
                          "give an INSEE code or a name from that table")
    row = rows.iloc[0]
    if not number(row.get("buildings")) > 0:
        raise OptionError(f"--commune {key}: {row['commune']} {no_data}")
    return row


def find_epci(run: RunData, key: str) -> pd.Series:
    """The ``epci.csv`` row of an EPCI given by SIREN or name (accents and case ignored).

    Raises
    ------
    OptionError
        Unknown EPCI or one without computed buildings.
    """
    if not key.strip():
        raise OptionError("--epci: empty; give a SIREN or an EPCI name")
    table = run.epci[run.epci["epci_siren"] != ""]
    rows = table[(table["epci_siren"] == key.strip()) | (table["epci"].map(_fold) == _fold(key))]
    if len(rows) == 0:
        raise OptionError(f"--epci {key}: unknown EPCI (not in {run.folder / 'epci.csv'}); "
                          "give a SIREN or a name from that table")
    row = rows.iloc[0]
    if not number(row.get("buildings")) > 0:
        raise OptionError(f"--epci {key}: {row['epci']} has no computed building in {run.folder}; "
                          "run the cadastre on its tiles first")
    return row


def members(run: RunData, row: pd.Series) -> list[str]:
    """INSEE codes of the communes of an ``epci.csv`` row."""
    return list(run.communes.loc[run.communes["epci_siren"] == row["epci_siren"], "insee"])


def population(row: pd.Series) -> str:
    """Population of a communes.csv or epci.csv row: as written, else from the shipped PMA table, else ''.

    For an EPCI the table's population is the sum over all its communes (not only those of the run).
    """
    value = str(row.get("population", "") or "").strip()
    if value and value.lower() not in ("<na>", "nan"):
        return value
    table = pma_table()
    if "insee" in row.index:
        known = table.loc[table.index == row["insee"], "population"].dropna()
    else:
        known = table.loc[table["epci_siren"] == row.get("epci_siren"), "population"].dropna()
    return str(int(known.sum())) if len(known) else ""


def main_commune(run: RunData) -> str:
    """INSEE code of the commune with the largest net production of the run."""
    table = run.communes[(run.communes["commune"] != OUTSIDE) & (run.communes["buildings"].map(number) > 0)]
    if not len(table):
        raise OptionError(f"{run.folder}: no commune has computed buildings; nothing to report")
    return str(table.loc[table["gwh_net"].map(number).fillna(0.0).idxmax(), "insee"])


def boundary(run: RunData, insees: list[str]) -> gpd.GeoDataFrame | None:
    """The polygons of the given communes, or None when the commune file does not hold them."""
    polygons = run.polygons()
    if polygons is None:
        return None
    part = polygons[polygons["insee"].astype(str).isin(insees)]
    return part if len(part) else None


def no_data_communes(run: RunData) -> list[tuple[str, str]]:
    """(INSEE, name) of the communes of the run's commune file or tables with no computed building."""
    done = set(run.communes.loc[run.communes["buildings"].map(number) > 0, "insee"])
    listed = list(zip(run.communes["insee"], run.communes["commune"], strict=True))
    polygons = run.polygons()
    if polygons is not None and "commune" in polygons:
        listed = list(zip(polygons["insee"].astype(str), polygons["commune"].astype(str), strict=True)) + listed
    out: dict[str, str] = {}
    for code, name in listed:
        if code not in done and name != OUTSIDE and code:
            out.setdefault(code, name)
    return sorted(out.items())
