"""The manifest of a territory run: one entry per task, ``tiles/<id>/<stage>.json``.

Every task is idempotent: it writes its outputs to temporary names, renames them, then writes
its entry (key, outputs with size and SHA-256, time, peak memory). A task whose entry exists,
whose key (hash of the stage's parameters and of the checksums of its inputs) is unchanged and
whose outputs are intact is not recomputed: a killed run resumes where it stopped, and a
configuration change recomputes exactly the tiles and stages whose key it changes.

An entry is trusted only if it has the form its stage writes (:func:`check_entry`: a dict with
``key``, ``status`` and exactly the outputs the stage produces, each at the path the stage
writes it to, inside the run folder once symbolic links are resolved, with its size and
SHA-256); any other entry (hand-edited, truncated) is recomputed with a warning.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cadastre.results.contract import (BUILDINGS, BUILDINGS_LAYER, COVERAGE, COVERAGE_LAYER, PROFILES, ROOFS,
                                       ROOFS_LAYER, TILES)
from rasters.io import atomic_path
from rasters.lidar import sha256
from rasters.tiling import Tile

__all__ = ["NO_COARSE", "NO_ROOF", "NO_SURFACE", "PREPARED", "PROFILES_OUTPUT", "check_entry", "describe_outputs", "entry_path",
           "expected_outputs", "hash_of", "valid_entry", "write_entry"]

PREPARED = ("dsm", "dtm", "ndsm", "buildings", "vegetation")
"""The rasters of the prepare stage, ``tiles/<id>/prepared/<name>.tif``."""
NO_SURFACE = "no surface data in the core"
"""``note`` of a tile entry without outputs: no DSM cell in its core."""
NO_ROOF = "no roof cell in the core"
"""``note`` of a tile entry with only its coverage: no roof cell to compute."""
NO_COARSE = "no coarse cell in the core"
"""``note`` of a coarse entry without output."""
PROFILES_OUTPUT = "profiles"
"""Name of the tile task's output ``tiles/<id>/profiles.parquet`` (the shading profiles of its faces)."""


def hash_of(*parts) -> str:
    """SHA-256 (hex) of JSON-serialisable parts (keys sorted; other objects as text)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def describe_outputs(paths: dict[str, Path], base: Path) -> dict:
    """Path (relative to ``base``), size [bytes] and SHA-256 of each output of a task."""
    return {name: {"path": str(p.relative_to(base)), "size": p.stat().st_size, "sha256": sha256(p)}
            for name, p in paths.items()}


def entry_path(run_dir: Path, tile: Tile, stage: str) -> Path:
    """Where the entry of a tile's stage lies: ``tiles/<id>/<stage>.json``."""
    return run_dir / TILES / tile.id / f"{stage}.json"


class _Output(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class _Entry(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    stage: str
    tile: str
    key: str
    status: Literal["done", "failed"]
    outputs: dict[str, _Output]
    buildings: int | None = None
    note: str | None = None


def expected_outputs(tile_id: str, stage: str, entry: dict) -> dict[str, PurePosixPath]:
    """The outputs a completed task of ``stage`` writes, by name: their paths relative to the run folder.

    A tile task writes its coverage, irradiance, buildings, roofs and profiles; fewer when its ``note`` or
    its ``buildings`` count (0) says why.
    """
    folder = PurePosixPath(TILES, tile_id)
    if stage == "prepare":
        return {name: folder / "prepared" / f"{name}.tif" for name in PREPARED}
    if stage == "coarse":
        return {} if entry.get("note") == NO_COARSE else {"coarse": folder / "coarse.tif"}
    if entry.get("note") == NO_SURFACE:
        return {}
    outs = {COVERAGE_LAYER: folder / COVERAGE}
    if entry.get("note") == NO_ROOF:
        return outs
    outs["irradiance"] = folder / "irradiance.tif"
    if entry.get("buildings"):
        outs.update({BUILDINGS_LAYER: folder / BUILDINGS, ROOFS_LAYER: folder / ROOFS,
                     PROFILES_OUTPUT: folder / PROFILES})
    return outs


def check_entry(run_dir: Path, tile: Tile, stage: str, key: str) -> tuple[dict | None, str | None]:
    """The manifest entry of a completed task, if it may be reused; else None and why, when it is not the
    engine's (a warning), or None and None (no entry, another key, a failed task, an output changed or gone).
    """
    path = entry_path(run_dir, tile, stage)
    try:
        entry = json.loads(path.read_text())
    except OSError:
        return None, None
    except ValueError:
        return None, f"{path.relative_to(run_dir)} is not JSON"
    if not isinstance(entry, dict):
        return None, f"{path.relative_to(run_dir)} is not an entry (a JSON {type(entry).__name__})"
    if entry.get("key") != key or entry.get("status") != "done":
        return None, None
    why = _form_problem(run_dir, tile, stage, entry)
    if why is not None:
        return None, f"{path.relative_to(run_dir)}: {why}"
    for out in entry["outputs"].values():
        p = run_dir / out["path"]
        if not p.is_file() or p.stat().st_size != out["size"] or sha256(p) != out["sha256"]:
            return None, None
    return entry, None


def _form_problem(run_dir: Path, tile: Tile, stage: str, entry: dict) -> str | None:
    """Why a completed entry is not of the form its stage writes, or None."""
    try:
        _Entry.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'entry'}: {first['msg']}"
    if entry["stage"] != stage or entry["tile"] != tile.id:
        return f"the entry of {entry['stage']} {entry['tile']}, not of {stage} {tile.id}"
    wanted = expected_outputs(tile.id, stage, entry)
    if sorted(entry["outputs"]) != sorted(wanted):
        return f"outputs {sorted(entry['outputs'])}, not {sorted(wanted)}"
    top = run_dir.resolve()
    for name, out in entry["outputs"].items():
        if PurePosixPath(out["path"]) != wanted[name]:
            return f"output {name} at {out['path']}, not {wanted[name]}"
        real = (run_dir / out["path"]).resolve()
        if top not in real.parents:
            return f"output {name} leads outside the run folder ({real})"
    return None


def valid_entry(run_dir: Path, tile: Tile, stage: str, key: str) -> dict | None:
    """The manifest entry of a completed task if it may be reused (:func:`check_entry`), else None."""
    return check_entry(run_dir, tile, stage, key)[0]


def write_entry(run_dir: Path, tile: Tile, stage: str, entry: dict) -> dict:
    """Write a task's entry atomically (the task's last act); return it."""
    path = entry_path(run_dir, tile, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(entry, indent=1, default=str))
    return entry
