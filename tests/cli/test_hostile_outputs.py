"""Every command that writes files, against a hostile output: all of its set, or nothing, and one line.

Each writing command runs (in process, through the real ``cadastre`` app) against:

- ``disk-full``: the disk fills part-way through the set (a writer of the set raises ``ENOSPC``
  after the first files are written), with and without a previous set in place;
- ``read-only``: the output folder is not writable (``os.access`` says so, and the first write is
  refused with ``EACCES``: the suite may run as root, which ignores permission bits);
- ``non-utf8``: the output name holds a Latin-1 byte (as ``ls`` would pass it);
- ``size-limit`` (the commands writing rasters): a real system failure under GDAL, the process's file
  size limit (``RLIMIT_FSIZE``), so that libtiff's own stderr lines would show if they leaked.

The contract: exit code 2, one ``error: `` line on stderr naming the problem (never the hidden
staging folder), no traceback, nothing on the process's own stderr (GDAL), no new file or staging
folder in the output's parent, and the previous set as it was.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import X0, Y0, cli_runner
from rasterio.transform import from_origin
from shapely.geometry import box

from cli.main import app, main
from rasters.io import to_dataarray, write_bands

ROOT = Path(__file__).resolve().parents[2]
TILE = ROOT / "samples" / "lidar" / "test_data_77055_627755_LA93_IGN69.laz"
CELL = 0.5
SHAPE = (40, 60)  # 20 m (N-S) x 30 m (W-E)
runner = cli_runner()


@dataclass
class Command:
    """How to run one writing command, what it writes, and which of its writers to break."""

    args: list[str]  # {out} stands for the output, {scene} for the scene folder
    out: str  # the output's name in its parent
    previous: list[str]  # the files of a previous set, relative to the parent
    target: tuple[str, str]  # (module, attribute) of a writer of the set
    fail_at: int = 1  # the call of the writer that fails: the earlier ones have written their files
    overwrite: bool = True  # the command takes --overwrite
    extra: list[str] = field(default_factory=list)


PREPARED = ["dsm.tif", "dtm.tif", "ndsm.tif", "buildings.tif", "vegetation.tif", "prepare.json"]
COMMANDS = {
    "prepare": Command(["prepare", str(TILE), "-o", "{out}", "-q"], "prep", [f"prep/{n}" for n in PREPARED],
                       ("rasterio.shutil", "copy"), fail_at=2),
    "irradiance": Command(["irradiance", "{scene}/dsm.tif", "-o", "{out}", "--weather", "{scene}/day.csv",
                           "--directions", "8", "--max-distance", "20", "-q"], "irr.tif", ["irr.tif"],
                          ("rasterio.shutil", "copy")),
    "footprints": Command(["footprints", "{scene}/prepared/buildings.tif", "-o", "{out}", "-q"], "fp.gpkg",
                          ["fp.gpkg"], ("pyogrio", "write_dataframe")),
    "buildings": Command(["buildings", "-i", "{scene}/irr.tif", "-p", "{scene}/prepared", "-f", "{scene}/fp.gpkg",
                          "-w", "{scene}/day.csv", "-o", "{out}", "-q"], "b",
                         [f"b/{n}" for n in ("roofs.gpkg", "communes.csv", "buildings.json")],
                         ("cadastre.results.write", "write_workbook")),
    "qualify": Command(["qualify", "{scene}/buildings", "-b", "{scene}/municipal.csv", "-o", "{out}", "-q"], "q",
                       [f"q/{n}" for n in ("qualification.csv", "qualification.html", "qualify.json")],
                       ("cadastre.qualify.outputs", "write_workbook")),
    "report": Command(["report", "{scene}/buildings", "--commune", "{insee}", "-o", "{out}", "-q"], "r.html",
                      ["r.html", "r-buildings.csv", "r-buildings.gpkg", "r-buildings.xlsx"],
                      ("cadastre.report.pages", "write_workbook")),
    "report-all": Command(["report", "{scene}/buildings", "--all", "-o", "{out}", "-q"], "reports",
                          ["reports/index.html", "reports/{insee}.html"], ("cadastre.report.pages", "write_workbook"),
                          fail_at=2),
    "demo": Command(["demo", "-o", "{out}", "--samples", "{scene}/samples", "-q"], "demo",
                    ["demo/prepared/dsm.tif", "demo/report.html", "demo/irradiance.tif"],
                    ("rasterio.shutil", "copy"), fail_at=2, overwrite=False),
    "init": Command(["init", "-o", "{out}"], "run.toml", ["run.toml"], ("pathlib.Path", "write_text")),
}
RASTER_COMMANDS = ("prepare", "irradiance", "demo")


# ---------------------------------------------------------------- the scene: small inputs of every command

def _heights() -> np.ndarray:
    """Ground 0; a flat roof at 6 m (3-12 m east, 3-12 m south); a 20° roof facing south (16-27 m, 4-17 m)."""
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    x, y = (cols + 0.5) * CELL, (rows + 0.5) * CELL
    z = np.zeros(SHAPE)
    z[(x > 3) & (x < 12) & (y > 3) & (y < 12)] = 6.0
    shed = (x > 16) & (x < 27) & (y > 4) & (y < 17)
    z[shed] = 4.0 + math.tan(math.radians(20)) * (17 - y[shed])
    return z


def _invoke(*args) -> object:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.stderr, result.exception)
    return result


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> dict:
    """A DSM, masks, footprints, a one-day weather file, its irradiance and buildings folder, municipal
    buildings, and a samples folder of one LiDAR tile: the inputs of every command (about 2 s)."""
    import pvlib

    folder = tmp_path_factory.mktemp("scene")
    z = _heights()
    transform = from_origin(X0, Y0, CELL, CELL)
    write_bands([to_dataarray(z + 30.0, "EPSG:2154", transform, name="dsm", units="m")], folder / "dsm.tif")
    (folder / "prepared").mkdir()
    write_bands([to_dataarray(z, "EPSG:2154", transform, name="ndsm", units="m")], folder / "prepared" / "ndsm.tif")
    write_bands([to_dataarray((z > 2).astype(float), "EPSG:2154", transform, name="buildings", units="1")],
                folder / "prepared" / "buildings.tif", nodata=255, dtype="uint8")
    boxes = [box(X0 + 3, Y0 - 12, X0 + 12, Y0 - 3), box(X0 + 16, Y0 - 17, X0 + 27, Y0 - 4)]
    gpd.GeoDataFrame({"name": ["flat", "south"]}, geometry=boxes, crs="EPSG:2154").to_file(folder / "fp.gpkg")
    times = pd.date_range("2023-06-21 00:30", periods=24, freq="h", tz="UTC")
    sky = pvlib.location.Location(50.43, 2.83, altitude=40).get_clearsky(times)
    pd.DataFrame({"time": [t.isoformat() for t in times], "ghi": sky["ghi"], "dni": sky["dni"],
                  "dhi": sky["dhi"]}).to_csv(folder / "day.csv", index=False)
    _invoke("irradiance", folder / "dsm.tif", "-o", folder / "irr.tif", "--weather", folder / "day.csv",
            "--directions", "8", "--max-distance", "20", "-q")
    _invoke("buildings", "-i", folder / "irr.tif", "-p", folder / "prepared", "-f", folder / "fp.gpkg",
            "-w", folder / "day.csv", "-o", folder / "buildings", "-q")
    b = gpd.read_file(folder / "buildings" / "buildings.gpkg")
    insee = str(b["insee"].iloc[0])
    (folder / "municipal.csv").write_text(
        "insee,name,type,building_id,x,y,lon,lat,consumption_kwh,contracted_kva\n"
        + "".join(f"{insee},Bat {k},school,{bid},,,,,20000,\n" for k, bid in enumerate(b["building_id"])),
        encoding="utf-8")
    (folder / "samples" / "lidar").mkdir(parents=True)
    shutil.copy(TILE, folder / "samples" / "lidar" / TILE.name)
    return {"folder": folder, "insee": insee}


# ---------------------------------------------------------------- helpers

def command_args(command: Command, scene: dict, out: Path, *, overwrite: bool) -> list[str]:
    args = [a.format(out=out, scene=scene["folder"], insee=scene["insee"]) for a in command.args]
    return args + (["--overwrite"] if overwrite and command.overwrite else [])


def lay_previous(command: Command, scene: dict, parent: Path) -> dict[Path, bytes]:
    """Placeholder files of a previous set; returns what each holds."""
    written = {}
    for name in command.previous:
        path = parent / name.format(insee=scene["insee"])
        path.parent.mkdir(parents=True, exist_ok=True)
        written[path] = f"previous {name}\n".encode()
        path.write_bytes(written[path])
    return written


def listing(parent: Path) -> set[str]:
    return {str(p.relative_to(parent)) for p in parent.rglob("*")}


def break_writer(monkeypatch, command: Command, exc: OSError, fail_at: int | None = None) -> list[int]:
    """Make the command's writer raise ``exc`` at its ``fail_at``-th call (the earlier calls write)."""
    module, name = command.target
    owner = Path if module == "pathlib.Path" else importlib.import_module(module)
    real, calls = getattr(owner, name), []
    fail_at = command.fail_at if fail_at is None else fail_at

    def broken(*args, **kwargs):
        calls.append(1)
        if len(calls) == fail_at:
            where = next((a for a in args if isinstance(a, str | os.PathLike)), None)
            raise type(exc)(exc.errno, exc.strerror, os.fspath(where) if where is not None else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, broken)
    return calls


def read_only(monkeypatch, parent: Path) -> None:
    """``os.access`` says that ``parent`` and what lies below are not writable (as for a user without rights)."""
    real = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(os.fsdecode(path)).absolute().is_relative_to(parent):
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


@contextlib.contextmanager
def file_size_limit(nbytes: int):
    """Writes beyond ``nbytes`` fail with ``EFBIG`` in this process (and its signal is ignored)."""
    import resource
    import signal

    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def assert_one_line(stderr: str, *needles: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in stderr, stderr
    assert ".tmp" not in line, line  # the destination, not the staging folder
    assert any(needle in line for needle in needles), (needles, line)
    return line


def assert_untouched(parent: Path, before: set[str], previous: dict[Path, bytes]) -> None:
    assert listing(parent) == before, sorted(listing(parent) ^ before)
    for path, content in previous.items():
        assert path.read_bytes() == content, path


def assert_refused(result, capfd, parent: Path, before: set[str], previous: dict[Path, bytes], *needles: str) -> None:
    """Exit 2, one ``error:`` line holding one of ``needles``, nothing else on stderr, the folder as it was."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert_one_line(result.stderr, *needles)
    assert capfd.readouterr().err == ""
    assert_untouched(parent, before, previous)


# ---------------------------------------------------------------- the tests

@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("with_previous", [False, True], ids=["new", "previous"])
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "report-all" else n for n in COMMANDS])
def test_disk_full_part_way(scene, tmp_path, monkeypatch, capfd, name, with_previous):
    command = COMMANDS[name]
    parent = tmp_path / "out"
    parent.mkdir()
    previous = lay_previous(command, scene, parent) if with_previous else {}
    before = listing(parent)
    args = command_args(command, scene, parent / command.out, overwrite=with_previous)
    calls = break_writer(monkeypatch, command, OSError(errno.ENOSPC, "No space left on device"))
    result = runner.invoke(app, args)
    assert len(calls) == command.fail_at, "the writer was not reached"
    assert_refused(result, capfd, parent, before, previous, "disk full", "No space left on device")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COMMANDS))
def test_read_only_output_folder(scene, tmp_path, monkeypatch, capfd, name):
    command = COMMANDS[name]
    parent = tmp_path / "out"
    parent.mkdir()
    previous = lay_previous(command, scene, parent)
    before = listing(parent)
    args = command_args(command, scene, parent / command.out, overwrite=True)
    read_only(monkeypatch, parent)
    break_writer(monkeypatch, command, PermissionError(errno.EACCES, "Permission denied"), fail_at=1)
    result = runner.invoke(app, args)
    assert_refused(result, capfd, parent, before, previous, "not writable", "permission denied")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COMMANDS))
def test_non_utf8_output_name(scene, tmp_path, monkeypatch, capsys, name):
    command = COMMANDS[name]
    parent = tmp_path / "out"
    parent.mkdir()
    bad = parent / ("caf\udce9" + Path(command.out).suffix)  # what Python makes of the byte 0xE9 in a UTF-8 locale
    try:
        bad.write_bytes(b"previous\n")  # a previous output of that name, where the file system allows it
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    before = listing(parent)
    monkeypatch.setattr(sys, "argv", ["cadastre", *command_args(command, scene, bad, overwrite=True)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert_one_line(capsys.readouterr().err, "not valid UTF-8")
    assert listing(parent) == before and bad.read_bytes() == b"previous\n"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
@pytest.mark.parametrize("name", RASTER_COMMANDS)
def test_a_real_write_failure_under_gdal_is_one_line_without_gdal_noise(scene, tmp_path, capfd, name):
    """The file size limit makes the system refuse GDAL's own writes: libtiff would print its errors
    (``_tiffWriteProc: File too large.``) straight on the process's stderr, past every Python handler."""
    command = COMMANDS[name]
    parent = tmp_path / "out"
    parent.mkdir()
    previous = lay_previous(command, scene, parent)
    before = listing(parent)
    args = command_args(command, scene, parent / command.out, overwrite=True)
    capfd.readouterr()
    with file_size_limit(24_000):  # the first raster of prepare (22.5 kB) fits, the second does not
        result = runner.invoke(app, args)
    assert_refused(result, capfd, parent, before, previous, "too large")


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("name", ["prepare", "report", "report-all", "demo"])
def test_a_failed_move_puts_the_previous_set_back(scene, tmp_path, monkeypatch, name):
    """The rename of the second new file into place fails: the first one goes back, the previous set stays whole."""
    command = COMMANDS[name]
    parent = tmp_path / "out"
    parent.mkdir()
    previous = lay_previous(command, scene, parent)
    before = listing(parent)
    dest = (parent / command.out) if (parent / command.out).is_dir() else parent
    real, moved = os.replace, []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).parent == dest and Path(src).parent.name.startswith("."):  # from a staging folder into place
            moved.append(dst)
            if len(moved) == 2:
                raise OSError(errno.EIO, "Input/output error", os.fspath(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = runner.invoke(app, command_args(command, scene, parent / command.out, overwrite=True))
    assert len(moved) >= 2  # then the previous files moved back
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert_one_line(result.stderr, "Input/output error")
    assert_untouched(parent, before, previous)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
@pytest.mark.parametrize("cog", [True, False])
def test_a_raster_of_a_run_that_does_not_fit_is_one_error_without_libtiff_noise(tmp_path, capfd, cog):
    """``cog=False`` writes a run's tile rasters: on a full disk libtiff printed ``_tiffSeekProc: No space
    left on device.`` on stderr, past every handler; built in memory and written by Python, it cannot."""
    from rasters.errors import OutputFileError

    values = np.random.default_rng(1).uniform(0, 50, (400, 400)).astype(np.float32)  # incompressible
    band = to_dataarray(values, "EPSG:2154", from_origin(X0, Y0, 0.5, 0.5), name="dsm", units="m")
    capfd.readouterr()
    with file_size_limit(50_000), pytest.raises(OutputFileError, match="too large"):
        write_bands([band], tmp_path / "dsm.tif", cog=cog)
    assert capfd.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []
