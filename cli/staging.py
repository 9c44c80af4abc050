"""All-or-nothing outputs of the sub-commands: a set of files written into a staging folder, moved into place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path



@contextlib.contextmanager
def staged_set(dest: Path, names: Sequence[str] | None = None) -> Iterator[Path]:
    """:func:`rasters.io.staged_folder` (imported on use: rasterio costs 0.2 s at start)."""
    from rasters.io import staged_folder

    with staged_folder(dest, names) as staging:
        yield staging


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
