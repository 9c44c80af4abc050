"""Building footprints from a mask raster: ``rasters.footprints`` and ``cadastre footprints``.

Synthetic masks are uint8 GeoTIFFs on a Lambert-93 grid of 0.5 m cells (1
building, 0 not, 255 nodata), written with rasterio in ``tmp_path``. The CLI
runs through the real ``cadastre`` app (``cli.main.app``).
Bad input must give exit code 2, one stderr line ``error: ...`` and leave no
output (nor hidden ``.NAME.xxxx.tmp``) behind.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from helpers import cli_runner, error_line, tmp_files

from cli.main import app
from rasters.errors import AllNodataError, OptionError
from rasters.footprints import COLUMNS, LAYER, footprints_from_mask, read_mask, write_vector

CELL = 0.5
X0, Y0 = 700000.0, 7050000.0  # Lambert-93, near Lens
SAMPLE_DSM = Path(__file__).resolve().parents[2] / "samples" / "montpellier_dsm_0.5m.tif"



runner = cli_runner()


# ----------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------


def cells(metres: float) -> int:
    return int(round(metres / CELL))


def blank(width_m: float = 40.0, height_m: float = 40.0) -> np.ndarray:
    return np.zeros((cells(height_m), cells(width_m)), dtype=np.uint8)


def box(mask: np.ndarray, x: float, y: float, w: float, h: float, value: int = 1) -> np.ndarray:
    """Set a w x h m box whose north-west corner is x m east and y m south of the origin."""
    mask[cells(y) : cells(y + h), cells(x) : cells(x + w)] = value
    return mask


def write_mask(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = "EPSG:2154",
    transform=None,
    dtype: str = "uint8",
    nodata: float | None = 255,
) -> Path:
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    profile = {
        "driver": "GTiff",
        "count": data.shape[0],
        "height": data.shape[1],
        "width": data.shape[2],
        "dtype": dtype,
        "transform": from_origin(X0, Y0, CELL, CELL) if transform is None else transform,
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(dtype))
    return path


def polygons_of(tmp_path: Path, data: np.ndarray, **kwargs) -> gpd.GeoDataFrame:
    """Write ``data`` as a mask file, read it back and polygonise it."""
    return footprints_from_mask(read_mask(write_mask(tmp_path / "buildings.tif", data)), **kwargs)


def run(*args) -> object:
    return runner.invoke(app, ["footprints", *(str(a) for a in args)])


def assert_bad(result, out: Path, folder: Path, *needles: str, output_gone: bool = True) -> str:
    """Exit 2, one ``error: `` line on stderr holding every needle, nothing written."""
    line = error_line(result, *needles)
    if output_gone:
        assert not out.exists()
    assert tmp_files(folder) == []
    return line


# ----------------------------------------------------------------------------
# 1. shapes
# ----------------------------------------------------------------------------


def test_rectangle(tmp_path):
    gdf = polygons_of(tmp_path, box(blank(), 5, 5, 20, 10))
    assert list(gdf.columns) == COLUMNS
    assert len(gdf) == 1
    row = gdf.iloc[0]
    assert row.building_id == 1
    assert row.area_m2 == pytest.approx(200.0, rel=0.01)
    assert row.cells == 800
    geom = row.geometry
    assert geom.geom_type == "Polygon" and geom.is_valid
    assert len(geom.exterior.coords) == 5  # the collinear cell corners are simplified away
    assert geom.bounds == pytest.approx((X0 + 5, Y0 - 15, X0 + 25, Y0 - 5))


def test_l_shape(tmp_path):
    mask = box(box(blank(), 5, 5, 20, 10), 5, 15, 10, 10)  # 20 x 10 m plus a 10 x 10 m wing to the south
    gdf = polygons_of(tmp_path, mask)
    assert len(gdf) == 1
    assert gdf.area_m2.iloc[0] == pytest.approx(300.0, rel=0.01)
    assert gdf.cells.iloc[0] == 1200
    assert len(gdf.geometry.iloc[0].exterior.coords) == 7  # six corners


def test_courtyard_is_a_hole(tmp_path):
    mask = box(box(blank(), 5, 5, 20, 20), 12, 12, 6, 6, value=0)
    gdf = polygons_of(tmp_path, mask)
    assert len(gdf) == 1
    geom = gdf.geometry.iloc[0]
    assert len(geom.interiors) == 1
    assert geom.area == pytest.approx(400.0 - 36.0, rel=0.01)
    assert gdf.area_m2.iloc[0] == pytest.approx(364.0, rel=0.01)
    assert gdf.cells.iloc[0] == (400 - 36) * 4


def test_nodata_inside_a_roof_is_a_hole(tmp_path):
    mask = box(box(blank(), 5, 5, 20, 20), 10, 10, 2, 2, value=255)
    gdf = polygons_of(tmp_path, mask)
    assert len(gdf) == 1
    assert len(gdf.geometry.iloc[0].interiors) == 1
    assert gdf.area_m2.iloc[0] == pytest.approx(396.0, rel=0.01)


def test_diagonal_neighbours_stay_apart(tmp_path):
    """4-connectivity: two buildings touching only at a corner are two buildings."""
    mask = box(box(blank(), 5, 5, 5, 5), 10, 10, 5, 5)
    gdf = polygons_of(tmp_path, mask)
    assert len(gdf) == 2
    assert gdf.area_m2.tolist() == pytest.approx([25.0, 25.0])
    assert gdf.cells.tolist() == [100, 100]
    # ties in area: north-west first
    assert gdf.geometry.iloc[0].bounds[3] > gdf.geometry.iloc[1].bounds[3]


def test_min_area_and_ordering(tmp_path):
    mask = blank(60, 60)
    box(mask, 2, 2, 3, 3)  # 9 m²: below the default 10 m²
    box(mask, 10, 2, 10, 5)  # 50 m²
    box(mask, 2, 20, 20, 20)  # 400 m²
    box(mask, 30, 30, 10, 12)  # 120 m²
    gdf = polygons_of(tmp_path, mask)
    assert gdf.building_id.tolist() == [1, 2, 3]
    assert gdf.area_m2.tolist() == pytest.approx([400.0, 120.0, 50.0])
    assert (np.diff(gdf.area_m2) <= 0).all()

    assert len(polygons_of(tmp_path, mask, min_area=0)) == 4
    assert polygons_of(tmp_path, mask, min_area=100).area_m2.tolist() == pytest.approx([400.0, 120.0])
    assert polygons_of(tmp_path, mask, min_area=120).area_m2.tolist() == pytest.approx([400.0, 120.0])


def test_simplify_tolerance(tmp_path):
    """A 45-degree staircase: kept at half a cell, cut to a straight edge with 1 m."""
    mask = blank(20, 20)
    for i in range(cells(10)):
        mask[i + 4, 4 : 4 + i + 1] = 1  # right triangle, hypotenuse as a staircase
    exact = polygons_of(tmp_path, mask, simplify=0)
    default = polygons_of(tmp_path, mask)
    coarse = polygons_of(tmp_path, mask, simplify=1.0)
    n_exact = len(exact.geometry.iloc[0].exterior.coords)
    assert exact.area_m2.iloc[0] == pytest.approx(exact.cells.iloc[0] * CELL**2)
    assert n_exact > 40  # 20 steps of 2 corners each
    assert len(default.geometry.iloc[0].exterior.coords) >= 40  # half a cell keeps the steps
    assert len(coarse.geometry.iloc[0].exterior.coords) <= 5  # a triangle (the ring's start point stays)
    assert coarse.area_m2.iloc[0] == pytest.approx(exact.area_m2.iloc[0], rel=0.1)
    assert coarse.cells.iloc[0] == exact.cells.iloc[0]


def test_crs_and_numpy_input(tmp_path):
    mask = box(blank(), 5, 5, 20, 10)
    gdf = polygons_of(tmp_path, mask)
    assert gdf.crs.to_epsg() == 2154
    bare = footprints_from_mask(mask, transform=from_origin(X0, Y0, CELL, CELL), crs="EPSG:2154")
    assert bare.crs.to_epsg() == 2154
    assert bare.geometry.iloc[0].equals(gdf.geometry.iloc[0])


def test_api_errors():
    mask = box(blank(), 5, 5, 20, 10)
    transform = from_origin(X0, Y0, CELL, CELL)
    with pytest.raises(OptionError, match="--min-area"):
        footprints_from_mask(mask, transform=transform, min_area=-1)
    with pytest.raises(OptionError, match="--simplify"):
        footprints_from_mask(mask, transform=transform, simplify=-0.1)
    with pytest.raises(AllNodataError):
        footprints_from_mask(np.full((4, 4), 255, np.uint8), transform=transform)


def test_empty_result_is_still_written(tmp_path):
    out = tmp_path / "footprints.gpkg"
    gdf = polygons_of(tmp_path, box(blank(), 5, 5, 2, 2))  # 4 m²
    assert gdf.empty and list(gdf.columns) == COLUMNS
    write_vector(gdf, out)
    back = gpd.read_file(out, layer=LAYER)
    assert back.empty
    assert {"building_id", "area_m2", "cells"} <= set(back.columns)
    assert tmp_files(tmp_path) == []


# ----------------------------------------------------------------------------
# 2. command line
# ----------------------------------------------------------------------------


def test_cli_good_run(tmp_path):
    mask = box(box(blank(60, 60), 2, 20, 20, 20), 30, 30, 10, 12)
    src = write_mask(tmp_path / "buildings.tif", mask)
    out = tmp_path / "footprints.gpkg"
    result = run(src, "-o", out)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "cadastre footprints" in result.stdout
    assert "buildings" in result.stdout
    assert result.stderr == ""
    assert tmp_files(tmp_path) == []

    back = gpd.read_file(out, layer=LAYER)
    assert back.crs.to_epsg() == 2154
    assert back.building_id.tolist() == [1, 2]
    assert back.area_m2.tolist() == pytest.approx([400.0, 120.0])
    assert back.cells.tolist() == [1600, 480]
    assert set(back.geom_type) == {"Polygon"}


def test_cli_quiet_overwrite_and_empty_warning(tmp_path):
    src = write_mask(tmp_path / "buildings.tif", box(blank(), 5, 5, 20, 10))
    out = tmp_path / "footprints.gpkg"
    result = run(src, "-o", out, "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == "" and result.stderr == ""
    assert len(gpd.read_file(out, layer=LAYER)) == 1

    result = run(src, "-o", out, "--overwrite", "-q", "--min-area", "500")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "no building of at least 500 m2" in result.stderr
    assert gpd.read_file(out, layer=LAYER).empty
    assert tmp_files(tmp_path) == []


def test_cli_existing_output_needs_overwrite(tmp_path):
    src = write_mask(tmp_path / "buildings.tif", box(blank(), 5, 5, 20, 10))
    out = tmp_path / "footprints.gpkg"
    out.write_bytes(b"an older result, not to be lost\n")
    result = run(src, "-o", out)
    assert_bad(result, out, tmp_path, out.name, "--overwrite", output_gone=False)
    assert out.read_bytes() == b"an older result, not to be lost\n"


def _missing(folder: Path) -> Path:
    return folder / "buildings.tif"


def _text_file(folder: Path) -> Path:
    path = folder / "buildings.tif"
    path.write_text("x,y,building\n700000,7050000,1\n")
    return path


def _geographic(folder: Path) -> Path:
    degrees = from_origin(2.83, 50.43, 5e-6, 5e-6)
    return write_mask(folder / "buildings.tif", box(blank(), 5, 5, 20, 10), crs="EPSG:4326", transform=degrees)


def _float(folder: Path) -> Path:
    return write_mask(folder / "buildings.tif", np.full((20, 20), 0.3), dtype="float32", nodata=None)


def _bad_values(folder: Path) -> Path:
    return write_mask(folder / "buildings.tif", box(blank(), 5, 5, 20, 10, value=6))


def _two_bands(folder: Path) -> Path:
    mask = box(blank(), 5, 5, 20, 10)
    return write_mask(folder / "buildings.tif", np.stack([mask, mask]))


def _all_nodata(folder: Path) -> Path:
    return write_mask(folder / "buildings.tif", np.full((20, 20), 255))


@pytest.mark.parametrize(
    "make, needles",
    [
        pytest.param(_missing, ["no such file"], id="missing"),
        pytest.param(_text_file, ["not a GeoTIFF"], id="text-file"),
        pytest.param(_geographic, ["geographic"], id="geographic-crs"),
        pytest.param(_float, ["float32", "not a building mask"], id="float-raster"),
        pytest.param(_bad_values, ["values 6"], id="values-outside-0-1-255"),
        pytest.param(_two_bands, ["2 bands"], id="two-bands"),
        pytest.param(_all_nodata, ["nodata"], id="all-nodata"),
    ],
)
def test_cli_bad_mask(tmp_path, make, needles):
    src = make(tmp_path)
    out = tmp_path / "footprints.gpkg"
    assert_bad(run(src, "-o", out), out, tmp_path, src.name, *needles)


@pytest.mark.parametrize(
    "option, value",
    [
        pytest.param("--min-area", "-5", id="min-area-negative"),
        pytest.param("--simplify", "-0.25", id="simplify-negative"),
    ],
)
def test_cli_bad_option(tmp_path, option, value):
    src = write_mask(tmp_path / "buildings.tif", box(blank(), 5, 5, 20, 10))
    out = tmp_path / "footprints.gpkg"
    assert_bad(run(src, "-o", out, option, value), out, tmp_path, option, value)


def test_cli_options_checked_before_reading(tmp_path):
    """A bad option is reported even when the mask does not exist (nothing is read first)."""
    out = tmp_path / "footprints.gpkg"
    assert_bad(run(tmp_path / "none.tif", "-o", out, "--min-area", "-1"), out, tmp_path, "--min-area")


def test_cli_output_not_gpkg(tmp_path):
    src = write_mask(tmp_path / "buildings.tif", box(blank(), 5, 5, 20, 10))
    out = tmp_path / "footprints.shp"
    assert_bad(run(src, "-o", out), out, tmp_path, "footprints.shp", ".gpkg")


# ----------------------------------------------------------------------------
# 3. a real mask
# ----------------------------------------------------------------------------


def test_montpellier_roofs(tmp_path):
    """Roofs of the sample DSM (ground about 20-25 m, roofs 6-17 m above): cells above 30 m."""
    with rasterio.open(SAMPLE_DSM) as src:
        z = src.read(1, masked=True)
        profile = {"crs": src.crs, "transform": src.transform}
    mask = np.where(np.ma.getmaskarray(z), 255, (z.filled(0) > 30.0).astype(np.uint8))
    src = write_mask(tmp_path / "buildings.tif", mask, **profile)
    out = tmp_path / "footprints.gpkg"
    result = run(src, "-o", out, "--min-area", "20", "-q")
    assert result.exit_code == 0, (result.output, result.exception)

    gdf = gpd.read_file(out, layer=LAYER)
    assert len(gdf) >= 3
    assert gdf.crs.to_epsg() == 2154
    assert gdf.area_m2.min() >= 20.0
    assert gdf.area_m2.max() <= 5000.0
    assert gdf.is_valid.all()
    assert (np.diff(gdf.area_m2) <= 0).all()
    # simplified areas stay close to the cell counts
    np.testing.assert_allclose(gdf.area_m2, gdf.cells * 0.25, rtol=0.1)
    # footprints cover the roof cells they were made of
    assert gdf.cells.sum() <= int((mask == 1).sum())


def test_gdal_write_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import pyogrio

    from rasters.errors import OutputFileError

    def fail(*args, **kwargs):
        Path(args[1]).write_bytes(b"half a file")
        raise pyogrio.errors.DataSourceError("disk full\nsecond line")

    monkeypatch.setattr(pyogrio, "write_dataframe", fail)
    gdf = polygons_of(tmp_path, box(blank(), 5, 5, 20, 10))
    out = tmp_path / "footprints.gpkg"
    with pytest.raises(OutputFileError, match=r"cannot write \(disk full\)$"):
        write_vector(gdf, out)
    assert not out.exists()
    assert tmp_files(tmp_path) == []


def test_reads_the_mask_of_cadastre_prepare(tmp_path):
    """A uint8 COG written like prepare's buildings.tif (rasters.io.write_bands, nodata 255)."""
    from rasters.io import to_dataarray, write_bands

    mask = box(blank(), 5, 5, 20, 10)
    mask[:, :4] = 255
    da = to_dataarray(mask, "EPSG:2154", from_origin(X0, Y0, CELL, CELL), name="buildings", units="1")
    path = write_bands([da], tmp_path / "buildings.tif", nodata=255, dtype="uint8")
    back = read_mask(path)
    assert back.dtype == np.uint8
    assert np.array_equal(back.values, mask)
    assert footprints_from_mask(back).area_m2.tolist() == pytest.approx([200.0])
