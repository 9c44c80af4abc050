"""The manifest of a territory run: one entry per task, ``tiles/<id>/<stage>.json``.

Every task is idempotent: it writes its outputs to temporary names, renames them, then writes
its entry (key, outputs with size and SHA-256, time, peak memory). A task whose entry exists,
whose key (hash of the stage's parameters and of the checksums of its inputs) is unchanged and
whose outputs are intact is not recomputed: a killed run resumes where it stopped, and a
configuration change recomputes exactly the tiles and stages whose key it changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cadastre.results.contract import TILES
from rasters.io import atomic_path
from rasters.lidar import sha256
from rasters.tiling import Tile

__all__ = ["describe_outputs", "entry_path", "hash_of", "valid_entry", "write_entry"]


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


def valid_entry(run_dir: Path, tile: Tile, stage: str, key: str) -> dict | None:
    """The manifest entry of a completed task if its key matches and its outputs are intact, else None."""
    path = entry_path(run_dir, tile, stage)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("key") != key or entry.get("status") != "done":
        return None
    for out in entry.get("outputs", {}).values():
        p = run_dir / out["path"]
        if not p.is_file() or p.stat().st_size != out["size"] or sha256(p) != out["sha256"]:
            return None
    return entry


def write_entry(run_dir: Path, tile: Tile, stage: str, entry: dict) -> dict:
    """Write a task's entry atomically (the task's last act); return it."""
    path = entry_path(run_dir, tile, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(entry, indent=1, default=str))
    return entry
