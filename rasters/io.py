"""Read a DSM GeoTIFF into xarray and write band stacks as COG, atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.errors import RasterioError

try:  # GDAL's own errors (CPLE_*) are not RasterioError subclasses
    from rasterio.errors import CPLE_BaseError
except ImportError:  # rasterio <= 1.4 keeps them in a private module
    from rasterio._err import CPLE_BaseError
from rasterio.io import MemoryFile

from rasters.errors import AllNodataError, CadastreError, GridError, InputFileError, OutputFileError
from rasters.grid import check_crs, check_transform

READABLE_DRIVERS = ("GTiff", "COG", "VRT")
NODATA = -9999.0
"""Nodata value of the float32 rasters the engine writes."""


def read_dsm(path: str | os.PathLike, *, name: str | None = None) -> xr.DataArray:
    """Read a single-band surface raster (GeoTIFF) as a float64 DataArray.

    Parameters
    ----------
    path : path-like
        A GeoTIFF (or COG, or VRT of GeoTIFFs) in a projected CRS in metres,
        north-up, square pixels, one band.
    name : str, optional
        Name used in error messages; defaults to the path.

    Returns
    -------
    xarray.DataArray
        Heights [m], dims ``(y, x)`` at cell centres, NaN for nodata, with
        CRS, transform and ``attrs['units'] = 'm'``.

    Raises
    ------
    InputFileError
        Missing, unreadable or truncated file, or not a GeoTIFF.
    CRSError
        No CRS, geographic CRS, or not in metres.
    GridError
        Several bands, rotated or rectangular pixels.
    AllNodataError
        Every cell is nodata.
    """
    label = name or str(path)
    data, crs, transform, _ = read_single_band(path, label=label, what="a DSM")
    z = np.ma.filled(data.astype(np.float64), np.nan)
    z[~np.isfinite(z)] = np.nan
    if np.isnan(z).all():
        raise AllNodataError(f"{label}: every cell is nodata; nothing to compute")
    return to_dataarray(z, crs, transform, name="dsm", units="m")


def read_single_band(path: str | os.PathLike, *, label: str, what: str):
    """Open a single-band GeoTIFF and check it: (masked band 1, CRS, transform, dtype).

    ``what`` names the expected content in messages ("a DSM", "a building mask").

    Raises
    ------
    InputFileError, CRSError, GridError
        Missing or unreadable file, not a GeoTIFF, several bands, bad CRS or grid.
    """
    if not Path(path).is_file():
        raise InputFileError(f"{label}: no such file")
    try:
        with rasterio.open(path) as src:
            if src.driver not in READABLE_DRIVERS:
                raise InputFileError(f"{label}: is a {src.driver} file, not a GeoTIFF; convert it (gdal_translate)")
            if src.count != 1:
                raise GridError(f"{label}: has {src.count} bands; {what} has exactly one (gdal_translate -b 1)")
            crs = check_crs(src.crs, label)
            transform = check_transform(src.transform, label)
            return src.read(1, masked=True), crs, transform, np.dtype(src.dtypes[0])
    except (RasterioError, CPLE_BaseError) as exc:
        raise InputFileError(f"{label}: {_read_problem(exc)}") from exc


def _read_problem(exc: Exception) -> str:
    """A user-facing reason for a GDAL read failure."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = text.lower()
    if "not recognized" in lowered or "spacing" in lowered or "not a supported" in lowered:
        return f"not a GeoTIFF or unreadable ({text}); give a single-band GeoTIFF"
    if "read failed" in lowered or "truncat" in lowered or "tiffreadencoded" in lowered or "ireadblock" in lowered:
        return f"truncated or corrupt raster ({text}); download or export it again"
    return f"cannot read raster ({text})"


def to_dataarray(values: np.ndarray, crs, transform, *, name: str, units: str, nodata=None) -> xr.DataArray:
    """Wrap a 2-D array on a north-up grid as a DataArray with x/y cell-centre coords and CRS."""
    height, width = values.shape
    xs = transform.c + transform.a * (np.arange(width) + 0.5)
    ys = transform.f + transform.e * (np.arange(height) + 0.5)
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": ys, "x": xs}, name=name, attrs={"units": units})
    da.rio.write_crs(crs, inplace=True).rio.write_transform(transform, inplace=True)
    if nodata is not None:
        da.attrs["source_nodata"] = float(nodata)
    return da


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written before any work is done.

    Raises
    ------
    OutputFileError
        The folder does not exist or is not writable, the path is a folder,
        or the file exists and ``overwrite`` is false.
    """
    out = Path(path)
    if out.is_dir():
        raise OutputFileError(f"{out}: is a folder; give a file name (e.g. {out / 'irradiance.tif'})")
    if out.exists() and not overwrite:
        raise OutputFileError(f"{out}: already exists; pass --overwrite to replace it")
    parent = out.parent if str(out.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise OutputFileError(f"{out}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise OutputFileError(f"{out}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFileError(f"{out}: folder {parent} is not writable")
    return out


def check_output_folder(folder: str | os.PathLike, names: Sequence[str], *, overwrite: bool = False) -> Path:
    """Check before any work that ``folder`` (created later if missing) can receive the files ``names``.

    Raises
    ------
    OutputFileError
        ``folder`` is a file, its parent folder is missing, or one of the files
        exists and ``overwrite`` is false (see :func:`check_output_path`).
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputFileError(f"{out}: exists and is not a folder; give a folder for the outputs")
    if out.is_dir():
        for name in names:
            check_output_path(out / name, overwrite=overwrite)
    elif not out.parent.is_dir():
        raise OutputFileError(f"{out}: parent folder {out.parent} does not exist; create it first")
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched,
    so a reader never sees a half-written output. The temporary name is
    ``.NAME.xxxxxxxx.tmp`` followed by ``suffix`` (e.g. ``.gpkg``, for drivers
    that check the extension).
    """
    final = Path(path)
    tmp = final.with_name(f".{final.name[:80]}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if type(exc).__module__ == "builtins" and isinstance(exc, OSError) and exc.filename == str(tmp):
            # a system error names the output the user gave, not the hidden temporary name
            raise OSError(exc.errno, exc.strerror, str(final)) from exc
        raise


def staging_path(dest: Path, suffix: str) -> Path:
    """A new hidden folder name on the destination's disk: inside ``dest`` when it exists (its
    parent may not be writable, e.g. ``-o .``), else beside it."""
    base = dest if dest.is_dir() else dest.parent
    return base / f".{dest.absolute().name[:80]}.{uuid.uuid4().hex[:8]}.{suffix}"


def move_into_place(staging: Path, dest: Path, names: list[str]) -> None:
    """Move the staged files (or folders) ``names`` into ``dest``; on failure put the earlier ones back."""
    if not dest.exists():
        os.replace(staging, dest)  # one rename: the whole set appears at once
        return
    previous = staging_path(dest, "old.tmp")
    previous.mkdir()
    moved: list[str] = []
    try:
        for name in names:
            if (dest / name).exists():
                os.replace(dest / name, previous / name)
        for name in names:
            os.replace(staging / name, dest / name)
            moved.append(name)
    except BaseException:
        for name in moved:  # files, or folders (a demo's buildings/)
            if (dest / name).is_dir() and not (dest / name).is_symlink():
                shutil.rmtree(dest / name, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    (dest / name).unlink()
        for name in names:
            if (previous / name).exists():
                with contextlib.suppress(OSError):
                    os.replace(previous / name, dest / name)
        raise
    finally:
        shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(dest: Path, names: Sequence[str] | None = None) -> Iterator[Path]:
    """Yield a hidden staging folder on ``dest``'s disk; move the files ``names`` from it into ``dest`` at the end.

    ``names`` None moves whatever the staging folder holds at the end (files and folders).

    ``dest`` is created when missing (by renaming the staging folder). On any error the staging
    folder is removed and ``dest`` keeps its previous files (or does not exist): never a mix of
    old and new. A system error (disk full, permission denied), or an output error of a writer,
    becomes one :class:`OutputFileError` naming ``dest`` and the problem, not the staging folder.
    Input errors and the engine's other errors pass through unchanged.
    """
    staging = staging_path(dest, "tmp")
    try:
        staging.mkdir()
        yield staging
        move_into_place(staging, dest, sorted(p.name for p in staging.iterdir()) if names is None else list(names))
    except OutputFileError as exc:
        if exc.__cause__ is None:  # the writer's own words: the destination in place of the staging folder
            raise OutputFileError(str(exc).replace(str(staging), str(dest))) from exc
        raise OutputFileError(f"{dest}: {write_problem(exc.__cause__)}") from exc
    except CadastreError:
        raise
    except OSError as exc:
        raise OutputFileError(f"{dest}: {write_problem(exc)}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_problem(exc: BaseException) -> str:
    """Why a write failed, for users: disk full and permission errors in words, else the error's first line.

    GDAL, SQLite and Python word these errors differently (``No space left on device``,
    ``database or disk is full``, errno ``ENOSPC``): they are recognised here by their code or text.
    """
    text = getattr(exc, "strerror", None) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    code = getattr(exc, "errno", None)
    lowered = text.lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "no space left" in lowered or "disk is full" in lowered \
            or "quota exceeded" in lowered:
        return "cannot write: disk full (no space left on the device); free some space or write elsewhere"
    if code in (errno.EACCES, errno.EPERM) or "permission denied" in lowered:
        return "cannot write: permission denied; choose a folder you can write to"
    if code == errno.EROFS or "read-only file system" in lowered:
        return "cannot write: read-only file system; write elsewhere"
    if code == errno.EFBIG or "file too large" in lowered:
        return "cannot write: file too large for the file system (or the process's size limit); write elsewhere"
    return f"cannot write ({text})"


def write_bands(
    bands: Sequence[xr.DataArray],
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    nodata: float = NODATA,
    dtype: str = "float32",
    tags: dict | None = None,
    cog: bool = True,
) -> Path:
    """Write 2-D DataArrays on one grid as a multi-band Cloud-Optimised GeoTIFF.

    Each band gets its DataArray's name as description and its units both as
    GDAL's unit type (shown by QGIS and ``gdalinfo``) and as a band tag; NaN becomes ``nodata`` (float types). The file is written to a
    temporary name and renamed at the end. ``cog=False`` writes a plain tiled
    GeoTIFF (512-cell blocks, fast ZSTD compression, no overviews) instead:
    about 8 times faster, for intermediate rasters that only the engine reads.
    """
    out = check_output_path(path, overwrite=overwrite)
    first = bands[0]
    height, width = first.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": len(bands),
        "dtype": dtype,
        "crs": first.rio.crs,
        "transform": first.rio.transform(recalc=True),
        "nodata": nodata,
    }
    try:
        if not cog:
            with MemoryFile(ext=".tif") as mem:  # built in memory as well: a full disk is one OSError, no libtiff noise
                with mem.open(**profile, **_plain_options(profile)) as dst:
                    _fill_bands(dst, bands, profile, tags)
                _save(mem, out)
            return out
        cog_file = MemoryFile(ext=".tif")
        try:
            with MemoryFile() as mem:
                with mem.open(**profile) as dst:
                    _fill_bands(dst, bands, profile, tags)
                with mem.open() as src:
                    rasterio.shutil.copy(
                        src,
                        cog_file.name,
                        driver="COG",
                        compress="deflate",
                        predictor="yes",
                        blocksize=512,
                        overviews="auto",
                        resampling="nearest" if np.dtype(dtype).kind in "ui" else "average",
                    )
            _save(cog_file, out)
        finally:
            cog_file.close()
    except (RasterioError, CPLE_BaseError, OSError) as exc:
        raise OutputFileError(f"{out}: {write_problem(exc)}") from exc
    return out


def _save(mem: MemoryFile, out: Path) -> None:
    """Copy a raster built in memory to ``out`` (atomically) by Python's own writes.

    GDAL never writes to the disk itself, so a full disk is an ``OSError`` with its code, and
    libtiff prints nothing on stderr (its write errors bypass GDAL's error handlers).
    """
    mem.seek(0)
    with atomic_path(out) as tmp, open(tmp, "wb") as f:
        shutil.copyfileobj(mem, f, 1 << 20)


def _fill_bands(dst, bands: Sequence[xr.DataArray], profile: dict, tags: dict | None) -> None:
    dtype, nodata = profile["dtype"], profile["nodata"]
    for k, band in enumerate(bands, start=1):
        values = np.asarray(band.values)
        if np.issubdtype(np.dtype(dtype), np.floating):
            values = np.where(np.isnan(values), nodata, values)
        dst.write(values.astype(dtype), k)
        dst.set_band_description(k, str(band.name))
        units = str(band.attrs.get("units", ""))
        dst.update_tags(k, units=units)
        if units:
            dst.set_band_unit(k, units)  # GDAL's unit type: what QGIS shows beside the band's values
    if tags:
        dst.update_tags(**{k: str(v) for k, v in tags.items()})


def _plain_options(profile: dict) -> dict:
    """Creation options of a plain GeoTIFF: ZSTD (level 1) with a predictor, 512-cell tiles when it is that large."""
    options = dict(compress="zstd", zstd_level=1, predictor=3 if np.dtype(profile["dtype"]).kind == "f" else 2)
    if profile["width"] >= 512 and profile["height"] >= 512:
        options.update(tiled=True, blockxsize=512, blockysize=512)
    return options


def read_bands(path: str | os.PathLike, *, required: Sequence[str] = (), name: str | None = None) -> xr.Dataset:
    """Read a multi-band GeoTIFF as a Dataset of float64 variables named by the band descriptions.

    NaN replaces nodata; the file's dataset tags become ``attrs`` (numbers
    parsed back to float where possible).

    Raises
    ------
    InputFileError
        Missing or unreadable file, or a required band is missing.
    CRSError, GridError
        As :func:`read_dsm`.
    """
    label = name or str(path)
    if not Path(path).is_file():
        raise InputFileError(f"{label}: no such file")
    try:
        with rasterio.open(path) as src:
            crs = check_crs(src.crs, label)
            transform = check_transform(src.transform, label)
            names = [d or f"band{k}" for k, d in enumerate(src.descriptions, start=1)]
            missing = [r for r in required if r not in names]
            if missing:
                raise InputFileError(
                    f"{label}: no band named {', '.join(missing)} (bands: {', '.join(names)}); "
                    "give the output of 'cadastre irradiance'"
                )
            data = src.read(masked=True)
            tags = src.tags()
    except (RasterioError, CPLE_BaseError) as exc:
        raise InputFileError(f"{label}: {_read_problem(exc)}") from exc
    variables = {}
    for k, band in enumerate(names):
        values = np.ma.filled(data[k].astype(np.float64), np.nan)
        variables[band] = to_dataarray(values, crs, transform, name=band, units="")
    ds = xr.Dataset(variables)
    ds.rio.write_crs(crs, inplace=True).rio.write_transform(transform, inplace=True)
    for key, value in tags.items():
        try:
            ds.attrs[key] = float(value)
        except ValueError:
            ds.attrs[key] = value
    return ds


def read_on_grid(path: str | os.PathLike, like: xr.DataArray, *, name: str | None = None) -> np.ndarray:
    """Band 1 of a raster that must share the grid of ``like`` (float64, NaN for nodata).

    Raises
    ------
    GridError
        Different size, transform or CRS.
    """
    label = name or str(path)
    if not Path(path).is_file():
        raise InputFileError(f"{label}: no such file")
    try:
        with rasterio.open(path) as src:
            same = (
                src.width == like.sizes["x"]
                and src.height == like.sizes["y"]
                and src.transform.almost_equals(like.rio.transform(recalc=True))
                and src.crs == like.rio.crs
            )
            if not same:
                raise GridError(
                    f"{label}: not on the grid of the irradiance raster ({src.width}x{src.height}, {src.transform.c:.1f}, "
                    f"{src.transform.f:.1f}); use the rasters of the same 'cadastre prepare' run"
                )
            values = np.ma.filled(src.read(1, masked=True).astype(np.float64), np.nan)
    except (RasterioError, CPLE_BaseError) as exc:
        raise InputFileError(f"{label}: {_read_problem(exc)}") from exc
    return values
