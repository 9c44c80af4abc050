"""All-or-nothing outputs of the sub-commands: a set of files written into a staging folder, moved into place."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from cadastre.errors import CadastreError, OutputFileError


@contextlib.contextmanager
def staged_set(dest: Path, names: Sequence[str] | None = None) -> Iterator[Path]:
    """Yield a hidden staging folder on ``dest``'s disk; move the files ``names`` from it into ``dest`` at the end.

    ``names`` None moves whatever the staging folder holds at the end (files and folders).

    ``dest`` is created when missing (by renaming the staging folder). On any error the staging
    folder is removed and ``dest`` keeps its previous files (or does not exist): never a mix of
    old and new. A system error (disk full, permission denied), or an output error of a writer,
    becomes one :class:`OutputFileError` naming ``dest`` and the problem, not the staging folder.
    Input errors and the engine's other errors pass through unchanged.
    """
    from rasters.io import move_into_place, staging_path, write_problem  # here: rasterio costs 0.2 s at start

    staging = staging_path(dest, "tmp")
    try:
        staging.mkdir()
        yield staging
        move_into_place(staging, dest, staged_names(staging) if names is None else list(names))
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


def staged_names(staging: Path) -> list[str]:
    """The names of the files and folders in ``staging`` (what a command produced), sorted."""
    return sorted(path.name for path in staging.iterdir())


@contextlib.contextmanager
def missing_folders(folder: Path) -> Iterator[None]:
    """Create ``folder`` and its missing parents, as the other commands do; remove them again, if still empty,
    when the body fails (a refused request leaves nothing behind)."""
    created = []
    for parent in [folder, *folder.parents]:
        if parent.exists() or not str(parent) or str(parent) == ".":
            break
        created.append(parent)
    try:
        if created:
            folder.mkdir(parents=True)
        yield
    except BaseException:
        for path in created:  # deepest first
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
