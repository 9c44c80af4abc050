"""Tiles with halos over a territory, windowed reads across many rasters, VRT mosaics.

Conventions: bounds are ``(xmin, ymin, xmax, ymax)`` in metres in the run's
projected CRS; grids are north-up with square cells aligned to multiples of
the resolution, so tiles of one run mosaic without resampling.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
import rasterio.merge
from affine import Affine
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError

from rasters.errors import GridError, InputFileError, OptionError, OutputFileError
from rasters.io import atomic_path

Bounds = tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class Tile:
    """One task of a territory run: the core it owns and the window it reads.

    Attributes
    ----------
    id : str
        ``"<xmin>_<ymax>"`` of the core in metres (e.g. ``"650000_7025000"``).
    core : Bounds
        Cells and buildings this tile owns. [m]
    window : Bounds
        Core plus the halo on every side: context only. [m]
    """

    id: str
    core: Bounds
    window: Bounds


def _snap(value: float, step: float, up: bool) -> float:
    f = math.ceil if up else math.floor
    return f(value / step - (1e-9 if up else -1e-9)) * step


def plan_tiles(extents: Iterable[Bounds], *, size: float, halo: float, resolution: float) -> list[Tile]:
    """Cores of ``size`` metres on a grid aligned to multiples of ``size``, covering the extents.

    A core exists wherever an extent overlaps it with positive area; its
    window is the core grown by ``halo`` (rounded up to whole cells).

    Raises
    ------
    OptionError
        ``size`` or ``halo`` negative, ``size`` not a multiple of ``resolution``.
    """
    if not (size > 0 and resolution > 0 and halo >= 0):
        raise OptionError(f"tiles: size {size} m, halo {halo} m, resolution {resolution} m; give size > 0, halo >= 0")
    if abs(size / resolution - round(size / resolution)) > 1e-6:
        raise OptionError(f"tiles.size: {size} m is not a multiple of the resolution {resolution} m")
    pad = math.ceil(halo / resolution - 1e-9) * resolution
    keys: set[tuple[int, int]] = set()
    for xmin, ymin, xmax, ymax in extents:
        i0, i1 = math.floor(xmin / size + 1e-9), math.ceil(xmax / size - 1e-9)
        j0, j1 = math.floor(ymin / size + 1e-9), math.ceil(ymax / size - 1e-9)
        for i in range(i0, max(i1, i0 + 1)):
            for j in range(j0, max(j1, j0 + 1)):
                keys.add((i, j))
    tiles = []
    for i, j in sorted(keys, key=lambda k: (-k[1], k[0])):
        core = (i * size, j * size, (i + 1) * size, (j + 1) * size)
        window = (core[0] - pad, core[1] - pad, core[2] + pad, core[3] + pad)
        tiles.append(Tile(f"{core[0]:.0f}_{core[3]:.0f}", core, window))
    return tiles


def overlaps(a: Bounds, b: Bounds, *, closed: bool = False) -> bool:
    """Whether two bounds overlap (with positive area, or touching when ``closed``)."""
    if closed:
        return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def raster_bounds(path: str | os.PathLike) -> tuple[Bounds, float, object]:
    """Bounds [m], cell size [m] and CRS of a raster file."""
    try:
        with rasterio.open(path) as src:
            b = src.bounds
            return (b.left, b.bottom, b.right, b.top), abs(src.transform.a), src.crs
    except RasterioError as exc:
        raise InputFileError(f"{path}: cannot read raster ({str(exc).splitlines()[0]})") from exc


def has_data(path: str | os.PathLike) -> bool:
    """Whether band 1 of a raster holds at least one cell of data (not nodata, not NaN).

    Read block by block, stopping at the first block with data: one block for a usual file,
    the whole file only when it holds none.
    """
    try:
        with rasterio.open(path) as src:
            for _ij, window in src.block_windows(1):
                values = _read_band(src, window)
                if np.isfinite(values).any():
                    return True
    except RasterioError as exc:
        raise InputFileError(f"{path}: cannot read raster ({str(exc).splitlines()[0]})") from exc
    return False


def window_transform(bounds: Bounds, resolution: float) -> tuple[Affine, int, int]:
    """North-up transform, width and height of the grid of ``bounds`` at ``resolution``."""
    xmin, ymin, xmax, ymax = bounds
    width = int(round((xmax - xmin) / resolution))
    height = int(round((ymax - ymin) / resolution))
    return Affine(resolution, 0.0, xmin, 0.0, -resolution, ymax), width, height


def _read_band(src, window) -> np.ndarray:
    """Band 1 of ``src`` in ``window`` as float64, NaN where the dataset masks it (nodata, mask band, alpha)."""
    flags = src.mask_flag_enums[0]
    if MaskFlags.per_dataset in flags or MaskFlags.alpha in flags:
        return np.ma.filled(src.read(1, window=window, masked=True).astype(np.float64), np.nan)
    values = src.read(1, window=window, out_dtype=np.float64)  # converted by GDAL: no masked copy
    if src.nodata is not None and not np.isnan(src.nodata):
        values[values == src.nodata] = np.nan
    return values


def read_window(
    paths: Sequence[str | os.PathLike], bounds: Bounds, resolution: float, *, nodata: float | None = None
) -> np.ndarray:
    """Band 1 of several aligned rasters on the grid of ``bounds``: float64, NaN outside and at nodata.

    Only the part of each file inside ``bounds`` is read (memory bounded by the
    window). The rasters must share the cell size and alignment of the grid.

    Raises
    ------
    GridError
        A raster's cell size differs from ``resolution``.
    """
    transform, width, height = window_transform(bounds, resolution)
    out = np.full((height, width), np.nan)
    for path in paths:
        try:
            with rasterio.open(path) as src:
                if abs(abs(src.transform.a) - resolution) > 1e-9 * resolution:
                    raise GridError(f"{path}: cell size {abs(src.transform.a):g} m, not the run's {resolution:g} m")
                b = src.bounds
                inter = (max(b.left, bounds[0]), max(b.bottom, bounds[1]), min(b.right, bounds[2]), min(b.top, bounds[3]))
                if not (inter[0] < inter[2] and inter[1] < inter[3]):
                    continue
                win = rasterio.windows.from_bounds(*inter, transform=src.transform).round_offsets().round_lengths()
                values = _read_band(src, win)
                if nodata is not None:
                    values[values == nodata] = np.nan
                col = int(round((inter[0] - bounds[0]) / resolution))
                row = int(round((bounds[3] - inter[3]) / resolution))
                h, w = values.shape
                target = out[row : row + h, col : col + w]
                values = values[: target.shape[0], : target.shape[1]]
                np.copyto(target, values, where=~np.isnan(values))
        except RasterioError as exc:
            raise InputFileError(f"{path}: cannot read raster ({str(exc).splitlines()[0]})") from exc
    return out


_DTYPES = {"float32": "Float32", "float64": "Float64", "uint8": "Byte", "int16": "Int16", "int32": "Int32"}


def write_vrt(paths: Sequence[str | os.PathLike], path: str | os.PathLike) -> Path:
    """A GDAL VRT mosaic of aligned rasters with the same bands (written atomically).

    Source paths are stored relative to the VRT, so the folder can be moved. Band names
    and units (GDAL's unit type) are those of the first raster.

    Raises
    ------
    GridError
        No raster, or rasters of different CRS, cell size or band count.
    """
    out = Path(path)
    if not paths:
        raise GridError(f"{out}: no raster to mosaic")
    infos = []
    for p in paths:
        with rasterio.open(p) as src:
            infos.append((Path(p), src.bounds, src.transform.a, src.crs, src.count, src.dtypes, src.nodata,
                          src.descriptions, src.width, src.height, src.units))
    first = infos[0]
    for info in infos[1:]:
        if info[3] != first[3] or abs(info[2] - first[2]) > 1e-9 or info[4] != first[4]:
            raise GridError(f"{info[0]}: CRS, cell size or bands differ from {first[0]}; cannot mosaic")
    res = first[2]
    xmin = min(i[1].left for i in infos)
    ymax = max(i[1].top for i in infos)
    xmax = max(i[1].right for i in infos)
    ymin = min(i[1].bottom for i in infos)
    width, height = int(round((xmax - xmin) / res)), int(round((ymax - ymin) / res))
    lines = [f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
             f"  <SRS>{escape(first[3].to_wkt())}</SRS>",
             f"  <GeoTransform>{xmin!r}, {res!r}, 0.0, {ymax!r}, 0.0, {-res!r}</GeoTransform>"]
    for band in range(1, first[4] + 1):
        dtype = _DTYPES.get(first[5][band - 1], "Float32")
        lines.append(f'  <VRTRasterBand dataType="{dtype}" band="{band}">')
        if first[6] is not None:
            lines.append(f"    <NoDataValue>{first[6]!r}</NoDataValue>")
        if first[7][band - 1]:
            lines.append(f"    <Description>{escape(first[7][band - 1])}</Description>")
        if first[10][band - 1]:
            lines.append(f"    <UnitType>{escape(first[10][band - 1])}</UnitType>")
        for p, b, _, _, _, _, nd, _, w, h, _ in infos:
            rel = os.path.relpath(p.resolve(), out.parent.resolve())
            col = int(round((b.left - xmin) / res))
            row = int(round((ymax - b.top) / res))
            lines += [
                "    <ComplexSource>",
                f'      <SourceFilename relativeToVRT="1">{escape(rel)}</SourceFilename>',
                f"      <SourceBand>{band}</SourceBand>",
                f'      <SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>',
                f'      <DstRect xOff="{col}" yOff="{row}" xSize="{w}" ySize="{h}"/>',
                *([f"      <NODATA>{nd!r}</NODATA>"] if nd is not None else []),
                "    </ComplexSource>",
            ]
        lines.append("  </VRTRasterBand>")
    lines.append("</VRTDataset>")
    try:
        with atomic_path(out) as tmp:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputFileError(f"{out}: cannot write ({exc})") from exc
    return out
