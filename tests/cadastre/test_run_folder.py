"""A run folder is the run's own: apart from the inputs, locked, checked manifest, no links out, no litter.

- a run folder that holds an input, or lies in an input folder, is refused in one line;
- ``run.lock``: a second run on the folder is refused in one line; a killed run's lock is taken
  over with a warning; the lock goes when the run ends (an error and Ctrl-C too);
- a hand-edited manifest entry is not trusted: its tile is recomputed, with one warning;
- ``tiles/`` (or below) as a symbolic link is refused in one line, also with ``--restart``;
- the temporaries a killed run left are removed by the next run (only the engine's names);
- a DSM without data, or off the run's grid, is one line naming the file;
- a full disk is one line, exit 2, the previous tables whole (or none), and the next run resumes.

The small DSM scene of ``test_run_failures`` (6 tiles of 20 m, about a second a run) is shared;
every test works on a copy.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
import rasterio
from affine import Affine
from helpers import cli_runner, shared_build
from test_run_failures import TILES, _clean_run, _copy, _lines

import cadastre.territory.run as run_module
import cadastre.territory.tasks as tasks_module
from cadastre.errors import CadastreError
from cadastre.territory.config import load_run_config
from cadastre.territory.run import run
from cli.main import app

runner = cli_runner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The scene and its complete run (``run/``), shared with test_run_failures: copy before changing."""
    return shared_build(tmp_path_factory, "failures-scene", _clean_run)


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _sync(cfg: Path, out: Path, *extra):
    return _invoke("run", cfg, "-o", out, "--scheduler", "synchronous", "-q", *extra)


def _one_error(result, *needles: str) -> str:
    """The one ``error:`` line of a command that exited with code 2 (no traceback), holding ``needles``."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = _lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _buildings(out: Path) -> int:
    return pyogrio.read_info(out / "buildings.gpkg", layer="buildings")["features"]


def _territory_buildings(out: Path) -> int:
    rows = (out / "territory.csv").read_text().splitlines()
    header, values = rows[0].split(","), rows[1].split(",")
    return int(float(values[header.index("buildings")]))


def _tiles_with_buildings(out: Path) -> list[Path]:
    """The entries ``tiles/<id>/tile.json`` of the tiles that own buildings (four on the scene)."""
    return [p for p in sorted(out.glob("tiles/*/tile.json")) if json.loads(p.read_text()).get("buildings")]


def _tile_with_buildings(out: Path) -> Path:
    """The entry ``tiles/<id>/tile.json`` of a tile that owns buildings."""
    return _tiles_with_buildings(out)[0]


# --------------------------------------------------------------------------- 1. apart from the inputs


def _point_config(cfg: Path, **inputs: str) -> None:
    """Rewrite keys of the [inputs] section of ``cfg``."""
    lines = cfg.read_text().splitlines()
    for key, value in inputs.items():
        lines = [f"{key} = {value}" if line.startswith(f"{key} =") else line for line in lines]
    cfg.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("case", ["output is the dsm folder", "dsm inside the output", "output inside the dsm folder",
                                  "weather inside the output", "output linked to the dsm folder"])
def test_a_run_folder_that_holds_an_input_or_lies_in_an_input_folder_is_refused(clean, tmp_path, case):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    scene = cfg.parent
    data = scene / "data"
    data.mkdir()
    shutil.move(scene / "dsm.tif", data / "dsm.tif")
    _point_config(cfg, dsm='["data/"]')
    if case == "output is the dsm folder":
        out = data
    elif case == "dsm inside the output":
        _point_config(cfg, dsm='["data/dsm.tif"]')
        out = scene
    elif case == "output inside the dsm folder":
        out = data / "run"
    elif case == "weather inside the output":
        _point_config(cfg, dsm='["data/dsm.tif"]', weather='"data/day.csv"')
        shutil.move(scene / "day.csv", data / "day.csv")
        out = data
    else:
        (scene / "link").symlink_to(data)
        out = scene / "link"
    line = _one_error(_sync(cfg, out), str(out), "give a run folder apart from the inputs")
    assert "data" in line.split(str(out), 1)[1]  # the input is named too
    assert sorted(p.name for p in data.iterdir()) == sorted(["dsm.tif"] + (["day.csv"] if "weather" in case else []))


# --------------------------------------------------------------------------- 2. the lock


def _holder(folder: Path) -> subprocess.Popen:
    """Another process that holds ``folder``'s lock until its stdin closes (it prints 'held' once it does)."""
    code = ("import sys; from cadastre.territory.folder import hold\n"
            f"with hold({str(folder)!r}):\n    print('held', flush=True); sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])})
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_second_run_on_a_locked_folder_is_refused_in_one_line(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    before = (out / "run.json").read_bytes()
    proc = _holder(out)
    try:
        _one_error(_sync(cfg, out), f"{out}: is being used by run pid {proc.pid} on {socket.gethostname()} since ")
        assert (out / "run.json").read_bytes() == before  # nothing touched
    finally:
        proc.communicate("")
    assert not (out / "run.lock").exists()  # released by its holder
    assert _sync(cfg, out).exit_code == 0


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_lock_of_a_killed_run_is_taken_over_with_a_warning(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    pid = _dead_pid()
    (out / "run.lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                              "started": "2026-01-01T00:00:00+00:00"}))
    result = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous")
    assert result.exit_code == 0, result.stderr
    warning = f"took over the lock of run pid {pid} on {socket.gethostname()} since 2026-01-01T00:00:00+00:00"
    assert [line for line in _lines(result.stderr) if "took over" in line] == [f"warning {out}: {warning}: that "
                                                                               "process is gone (killed?); its "
                                                                               "completed tiles are reused"]
    meta = json.loads((out / "run.json").read_text())
    assert meta["complete"] is True and any(warning in w for w in meta["warnings"])
    assert not (out / "run.lock").exists()


def test_a_lock_of_another_host_is_refused(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    (out / "run.lock").write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": "2026-01-01"}))
    _one_error(_sync(cfg, out), "is being used by run pid 1 on elsewhere.example since 2026-01-01 (another host)",
               f"remove {out / 'run.lock'}")


def test_the_lock_is_released_on_an_error_and_on_ctrl_c(clean, tmp_path, monkeypatch):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out / "tiles")
    seen = []

    def task(*args, **kwargs):
        seen.append((out / "run.lock").is_file())
        raise KeyboardInterrupt if len(seen) == 1 else ValueError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(run_module, "tile_task", task)
        assert _sync(cfg, out).exit_code == 130
        assert not (out / "run.lock").exists()
        with pytest.raises(ValueError, match="boom"):
            run(load_run_config(cfg), out)
        assert not (out / "run.lock").exists()
    assert seen == [True, True]  # held while the tasks ran


@pytest.mark.slow  # two command lines of ~10 s
def test_two_real_runs_on_one_folder_one_is_refused_the_other_complete(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    cfg.write_text(cfg.read_text().replace("directions = 8", "directions = 32").replace("size = 20", "size = 10"))
    command = [sys.executable, "-m", "cli.main", "run", str(cfg), "-o", str(out), "--scheduler", "synchronous", "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and first.poll() is None and not (out / "run.lock").exists():
        time.sleep(0.02)
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 2, second.stderr
    lines = _lines(second.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"error: {out}: is being used by run pid {first.pid} on "), lines
    meta = json.loads((out / "run.json").read_text())
    assert meta["complete"] is True and meta["tiles_done"] == meta["tiles"] == 24
    assert _buildings(out) == _territory_buildings(out) == meta["buildings"] > 0
    assert not (out / "run.lock").exists()


# --------------------------------------------------------------------------- 3. tampered manifests


def _tamper(entry_file: Path, kind: str) -> None:
    entry = json.loads(entry_file.read_text())
    out = entry_file.parents[2]
    if kind == "a list":
        entry = []
    elif kind == "not JSON":
        entry_file.write_text('{"key": ')
        return
    elif kind == "an output without path":
        del entry["outputs"]["buildings"]["path"]
    elif kind == "no outputs":
        entry["outputs"] = {}
    elif kind == "a size as text":
        entry["outputs"]["roofs"]["size"] = str(entry["outputs"]["roofs"]["size"])
    elif kind == "an output outside the folder":
        outside = out.parent / "outside"
        outside.mkdir()
        shutil.copy(out / entry["outputs"]["buildings"]["path"], outside / "x.gpkg")
        entry["outputs"]["buildings"]["path"] = "../outside/x.gpkg"  # size and checksum match
    elif kind == "an output of another tile":
        other = next(p for p in sorted(out.glob("tiles/*/tile.json"))
                     if p != entry_file and json.loads(p.read_text()).get("buildings"))
        entry["outputs"]["buildings"] = json.loads(other.read_text())["outputs"]["buildings"]
    entry_file.write_text(json.dumps(entry))


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("kinds", [("an output of another tile", "a list", "not JSON", "an output without path"),
                                   ("no outputs", "a size as text", "an output outside the folder")],
                         ids=lambda kinds: ", ".join(kinds))
def test_tampered_manifest_entries_are_recomputed_with_a_warning(clean, tmp_path, kinds):
    """Each kind of hand-edited entry on a tile of its own (several kinds share a run): each such tile is
    recomputed with one warning naming it, the others are reused; the rewritten entries are trusted."""
    cfg, out = _copy(clean, tmp_path / "scene")
    expected = clean[1]
    entry_files = _tiles_with_buildings(out)[:len(kinds)]
    assert len(entry_files) == len(kinds)
    for entry_file, kind in zip(entry_files, kinds, strict=True):  # another tile's outputs are copied first
        _tamper(entry_file, kind)
    summary = run(load_run_config(cfg), out)
    assert summary["complete"] is True and summary["tiles_reused"] == TILES - len(kinds)
    assert summary["buildings"] == expected["buildings"] == _buildings(out) == _territory_buildings(out)
    assert len(summary["warnings"]) == len(kinds), summary["warnings"]
    for entry_file, kind in zip(entry_files, kinds, strict=True):
        tile = entry_file.parent.name
        found = [w for w in summary["warnings"] if w.startswith(f"tile {tile}: tiles/{tile}/tile.json")]
        assert len(found) == 1 and found[0].endswith("; recomputed"), (kind, summary["warnings"])
        entry = json.loads(entry_file.read_text())
        assert entry["outputs"]["buildings"]["path"] == f"tiles/{tile}/buildings.gpkg" and "warning" not in entry
    again = run(load_run_config(cfg), out)  # the rewritten entries are trusted: no warning any more
    assert again["tiles_reused"] == TILES and again["warnings"] == []


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_tampered_entries_warn_in_the_command_output(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    _tamper(_tile_with_buildings(out), "a list")
    result = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in _lines(result.stderr) if line.startswith("warning tile ")]
    assert len(warnings) == 1 and "tile.json is not an entry (a JSON list); recomputed" in warnings[0]


# --------------------------------------------------------------------------- 4. symbolic links


@pytest.mark.parametrize("restart", [False, True])
def test_a_linked_tiles_folder_is_refused_in_one_line(clean, tmp_path, restart):
    cfg, out = _copy(clean, tmp_path / "scene")
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "tiles", elsewhere)
    (out / "tiles").symlink_to(elsewhere)
    before = sorted(str(p.relative_to(elsewhere)) for p in elsewhere.rglob("*"))
    _one_error(_sync(cfg, out, *(["--restart"] if restart else [])), f"{out / 'tiles'}: is a symbolic link (to "
               f"{elsewhere})", "remove the link")
    assert sorted(str(p.relative_to(elsewhere)) for p in elsewhere.rglob("*")) == before
    assert not (out / "run.lock").exists()


def test_a_linked_tile_folder_is_refused(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    tile = _tile_with_buildings(out).parent
    elsewhere = tmp_path / "elsewhere"
    shutil.move(tile, elsewhere)
    tile.symlink_to(elsewhere)
    (elsewhere / "buildings.gpkg").write_bytes(b"changed")  # its entry no longer matches: it would be rewritten
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    _one_error(_sync(cfg, out), f"{tile}: is a symbolic link (to {elsewhere})")
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before


# --------------------------------------------------------------------------- 5. temporaries of a killed run


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_resumed_run_removes_the_temporaries_of_a_killed_run(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    tile = _tile_with_buildings(out).parent
    ours = [tile / ".buildings.gpkg.0a1b2c3d.tmp.gpkg", tile / ".buildings.gpkg.0a1b2c3d.tmp.gpkg-journal",
            tile / ".irradiance.tif.89abcdef.tmp", out / ".run.json.01234567.tmp",
            out / ".run.fedcba98.tmp" / "roofs.gpkg", out / ".run.fedcba98.old.tmp" / "communes.csv"]
    theirs = [out / "notes.tmp", tile / ".my.tmp", out / ".backup.xyz.tmp", tile / "buildings.gpkg.0a1b2c3d.tmp"]
    for path in ours + theirs:
        path.parent.mkdir(exist_ok=True)
        path.write_text("left")
    summary = run(load_run_config(cfg), out)
    assert summary["complete"] is True and summary["tiles_reused"] == TILES
    assert [p for p in ours if p.exists()] == []
    assert not (out / ".run.fedcba98.tmp").exists() and not (out / ".run.fedcba98.old.tmp").exists()
    assert [p for p in theirs if not p.exists()] == []


# --------------------------------------------------------------------------- 6. workers die with the run


CLUSTER = """
import os, sys, time
from distributed import Client
from cli.run import _local_cluster

def hold_then_write(path):
    sum(range(2_000_000_000))  # a C loop: it holds the interpreter lock throughout (tens of seconds)
    open(path, "w").write("written after the run was killed")

if __name__ == "__main__":
    client = Client(_local_cluster(1))
    print(list(client.run(os.getpid).values())[0], flush=True)
    client.submit(hold_then_write, sys.argv[1], pure=False)
    time.sleep(120)
"""


@pytest.mark.slow  # a local Dask cluster in a subprocess
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_the_workers_of_a_killed_run_die_with_it_even_in_a_long_task(tmp_path):
    """distributed's own watch of the parent waits for the interpreter's lock: a task holding it kept the
    worker alive (and writing) 6-15 s after the run was killed; the kernel kills it at once now."""
    psutil = pytest.importorskip("psutil")
    script, marker = tmp_path / "cluster.py", tmp_path / "marker"
    script.write_text(CLUSTER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    proc = subprocess.Popen([sys.executable, str(script), str(marker)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    worker = psutil.Process(int(proc.stdout.readline()))
    try:
        time.sleep(1.0)  # the task runs
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.time()

        def dead() -> bool:
            try:
                return worker.status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return True

        while not dead() and time.time() - killed < 3:
            time.sleep(0.01)
        assert dead(), "the worker outlived the run by 3 s"
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()
    assert not marker.exists()


# --------------------------------------------------------------------------- 7. inputs that make no sense


def _write_dsm(path: Path, value: float, x0: float, y1: float) -> None:
    profile = dict(driver="GTiff", width=60, height=40, count=1, dtype="float32", crs="EPSG:2154",
                   transform=Affine(1.0, 0, x0, 0, -1.0, y1), nodata=-9999.0)
    import numpy as np

    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.full((40, 60), value, "float32"), 1)


def test_a_dsm_without_data_is_one_line_naming_it(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    with rasterio.open(cfg.parent / "dsm.tif") as src:
        x0, y1 = src.bounds.left, src.bounds.top
    _write_dsm(cfg.parent / "dsm.tif", -9999.0, x0, y1)
    _one_error(_sync(cfg, out), f"{cfg.parent / 'dsm.tif'}: every cell is nodata")
    assert not out.exists()


def test_a_dsm_off_the_grid_is_one_line_naming_it_and_the_offset(clean, tmp_path):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    with rasterio.open(cfg.parent / "dsm.tif") as src:
        x0, y1 = src.bounds.left, src.bounds.top
    _write_dsm(cfg.parent / "dsm.tif", 50.0, x0 + 0.3, y1 - 0.25)
    _one_error(_sync(cfg, out), f"{cfg.parent / 'dsm.tif'}: off the run's grid by +0.3 m east, -0.25 m north")
    assert not out.exists()


# --------------------------------------------------------------------------- 8. a full disk


def _full_after(k: int):
    calls = []

    def write(*args, **kwargs):
        calls.append(1)
        if len(calls) > k:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write.real(*args, **kwargs)

    return write


def _digests(out: Path) -> dict[str, str]:
    names = ("buildings.gpkg", "roofs.gpkg", "coverage.gpkg", "communes.csv", "epci.csv", "territory.csv",
             "tables.xlsx")
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names if (out / n).exists()}


def _litter(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if ".tmp" in p.name] + list(out.glob("run.lock"))


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_full_disk_in_the_merge_keeps_the_previous_tables(clean, tmp_path, monkeypatch):
    import cadastre.results.write as write_module

    cfg, out = _copy(clean, tmp_path / "scene")
    before = _digests(out)
    full = _full_after(1)
    full.real = write_module.pyogrio.write_dataframe
    with monkeypatch.context() as patch:
        patch.setattr(write_module.pyogrio, "write_dataframe", full)
        result = _sync(cfg, out)
    _one_error(result, f"error: {out}: disk full (", "No space left on device",
               "free some space, then run the same command again to resume")
    assert _digests(out) == before and len(before) == 7  # the previous set, whole
    assert json.loads((out / "run.json").read_text())["complete"] is False
    assert _litter(out) == []
    again = _sync(cfg, out)
    assert again.exit_code == 0, again.stderr
    assert json.loads((out / "run.json").read_text())["tiles_reused"] == TILES


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_full_disk_in_a_tile_task_stops_the_run_and_the_next_resumes(clean, tmp_path, monkeypatch):
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    full = _full_after(3)
    full.real = tasks_module.write_vector
    with monkeypatch.context() as patch:
        patch.setattr(tasks_module, "write_vector", full)
        result = _sync(cfg, out)
    _one_error(result, f"error: {out}: disk full (", "No space left on device")
    assert _digests(out) == {}  # no tables: none, never a part
    assert json.loads((out / "run.json").read_text())["complete"] is False
    failed = [p for p in out.glob("tiles/*/tile.json") if json.loads(p.read_text())["status"] != "done"]
    assert failed == []  # the tile was not recorded as failed: it is computed again
    assert _litter(out) == []
    summary = run(load_run_config(cfg), out)
    assert summary["complete"] is True and 0 < summary["tiles_reused"] < TILES
    assert summary["buildings"] == clean[1]["buildings"] == _buildings(out)


def test_disk_full_is_recognised_through_the_engines_errors():
    from cadastre.errors import OutputFileError

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise OutputFileError("x.tif: cannot write (write failed)") from exc
    except CadastreError as exc:
        assert tasks_module.disk_full(exc)
    assert tasks_module.disk_full(OutputFileError("x.gpkg: cannot write (No space left on device)"))
    assert not tasks_module.disk_full(OutputFileError("x.gpkg: cannot write (permission denied)"))
