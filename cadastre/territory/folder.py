"""A run folder is the run's own: apart from its inputs, locked while a run uses it, no links out, no litter.

- :func:`check_apart`: no input (LiDAR or DSM file or folder, footprints, communes, weather) lies in
  the run folder, and the run folder lies in no input folder (symbolic links resolved): a second
  run would read the first's rasters as its inputs.
- :func:`hold`: an exclusive lock, :data:`~cadastre.results.contract.RUN_LOCK` in the folder, which
  names the process (pid, host, start time); a second run on the folder is refused; the lock of a
  run whose process is gone (same host) is taken over with a warning.
- :func:`check_links`: the run writes through no symbolic link of its folder (``tiles/`` and below).
- :func:`remove_temporaries`: the temporary files and staging folders that a killed run left (only
  the names this engine gives them, only in the folder), once the lock is held.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path

from cadastre.errors import OutputFileError
from cadastre.results.contract import RUN_LOCK, TILES

__all__ = ["RunLock", "check_apart", "check_links", "hold", "remove_temporaries"]

TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.(old\.)?tmp([.-][A-Za-z0-9_]+)*$")
"""Names of the engine's temporaries: ``atomic_path`` (``.NAME.xxxxxxxx.tmp[.ext]``, with a GeoPackage's
``-journal``, ``-wal``, ``-shm``) and ``staging_path`` (``.NAME.xxxxxxxx.tmp``, ``.NAME.xxxxxxxx.old.tmp``)."""


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both resolved)."""
    return path == folder or folder in path.parents


def check_apart(run_dir: str | os.PathLike, inputs: Iterable[str | os.PathLike | None],
                folders: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse a run folder that holds an input, or lies in an input folder (symbolic links resolved).

    ``inputs``: the input files (None and ``clearsky`` are skipped); ``folders``: the folders given
    as inputs (their files are read).

    Raises
    ------
    OutputFileError
        One line naming the run folder and the input.
    """
    out = Path(run_dir).resolve()
    for value in inputs:
        if value is None or str(value).lower() == "clearsky":
            continue
        p = Path(value).resolve()
        if _inside(p, out):
            raise OutputFileError(f"{run_dir}: the run folder holds the input {value}; a run writes its rasters and "
                                  "tables there; give a run folder apart from the inputs (-o)")
    for value in folders:
        p = Path(value).resolve()
        if _inside(out, p) or _inside(p, out):
            raise OutputFileError(f"{run_dir}: the run folder lies in the input folder {value}; a run writes its "
                                  "rasters and tables there; give a run folder apart from the inputs (-o)")


# --------------------------------------------------------------------------- the lock


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def _holder(text: str) -> dict:
    try:
        info = json.loads(text)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def _describe(info: dict) -> str:
    return f"run pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('started', '?')}"


class RunLock:
    """An exclusive lock on a run folder: ``flock`` on :data:`RUN_LOCK`, which names its holder.

    ``warning``: one line when the lock of a run whose process is gone was taken over, else None.
    """

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.path = run_dir / RUN_LOCK
        self.fd: int | None = None
        self.warning: str | None = None
        self.depth = 0

    def acquire(self) -> None:
        """Take the lock, or raise :class:`OutputFileError` (one line) when another run holds it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                self._refuse(_holder(self._read()))
            if self._same_file(fd):
                break
            os.close(fd)  # the holder removed it between our open and our lock: take the new one
        try:
            self._claim(fd)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def _read(self) -> str:
        try:
            return self.path.read_text()
        except OSError:
            return ""

    def _same_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _refuse(self, info: dict) -> None:
        who = _describe(info) if info else "another run"
        raise OutputFileError(f"{self.run_dir}: is being used by {who}; wait for it to end, or give another "
                              "run folder (-o)")

    def _claim(self, fd: int) -> None:
        """The lock is ours (flock): check the holder it names, then write ourselves in."""
        info = _holder(os.pread(fd, 4096, 0).decode(errors="replace"))
        host = socket.gethostname()
        if info:
            if info.get("host") != host:
                raise OutputFileError(f"{self.run_dir}: is being used by {_describe(info)} (another host); if that "
                                      f"run is gone, remove {self.path}")
            pid = info.get("pid")
            if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
                self._refuse(info)
            self.warning = (f"{self.run_dir}: took over the lock of {_describe(info)}: that process is gone "
                            "(killed?); its completed tiles are reused")
        mine = {"pid": os.getpid(), "host": host,
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(mine).encode(), 0)
        os.fsync(fd)

    def release(self) -> None:
        """Remove the lock file, then let go of it (a waiting run then finds the file gone and makes its own)."""
        if self.fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                if self._same_file(self.fd):
                    self.path.unlink()
        finally:
            os.close(self.fd)
            self.fd = None


_HELD: dict[Path, RunLock] = {}
"""The locks this process holds, by resolved run folder (:func:`hold` nests)."""


@contextlib.contextmanager
def hold(run_dir: str | os.PathLike) -> Iterator[RunLock]:
    """Hold the run folder's lock (the folder is created) for the block; nested calls share it.

    Raises
    ------
    OutputFileError
        Another run (a live process) holds it.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(exist_ok=True)
    key = run_dir.resolve()
    lock = _HELD.get(key)
    if lock is None:
        lock = RunLock(run_dir)
        lock.acquire()
        _HELD[key] = lock
    lock.depth += 1
    try:
        yield lock
    finally:
        lock.depth -= 1
        if lock.depth == 0:
            del _HELD[key]
            lock.release()


# --------------------------------------------------------------------------- links and litter


def check_links(run_dir: Path) -> None:
    """Refuse a run folder whose ``tiles/``, or anything in it, is a symbolic link.

    The run writes its tiles there: through a link it would write outside its folder.

    Raises
    ------
    OutputFileError
        One line naming the link and where it leads.
    """
    tiles = run_dir / TILES
    found = [tiles] if tiles.is_symlink() else []
    if not found and tiles.is_dir():
        for root, dirs, files in os.walk(tiles):
            found += [Path(root) / n for n in (*dirs, *files) if (Path(root) / n).is_symlink()]
            if found:
                break
    if found:
        link = found[0]
        raise OutputFileError(f"{link}: is a symbolic link (to {os.readlink(link)}); a run writes only inside its "
                              "folder: remove the link, or give another run folder (-o)")


def remove_temporaries(run_dir: Path) -> int:
    """Remove the engine's temporaries (:data:`TEMPORARY`) at the top of the folder and in ``tiles/``.

    Call it only while holding the lock: they are then a killed run's. Links are not followed.
    Returns how many were removed.
    """
    removed = 0
    roots = [run_dir] + ([run_dir / TILES] if (run_dir / TILES).is_dir() and not (run_dir / TILES).is_symlink()
                         else [])
    for k, root in enumerate(roots):
        for here, dirs, files in os.walk(root) if k else [(str(root), *_split(root))]:
            for name in [*dirs, *files]:
                if TEMPORARY.match(name):
                    removed += _remove(Path(here) / name)
            dirs[:] = [d for d in dirs if not TEMPORARY.match(d)]
    return removed


def _split(folder: Path) -> tuple[list[str], list[str]]:
    """Folders and files of one folder (not below)."""
    entries = list(os.scandir(folder))
    return ([e.name for e in entries if e.is_dir(follow_symlinks=False)],
            [e.name for e in entries if not e.is_dir(follow_symlinks=False)])


def _remove(path: Path) -> int:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return 1
    return 0
