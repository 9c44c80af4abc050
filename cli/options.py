"""Options shared by several sub-commands, and the error handler."""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cadastre.errors import CadastreError

QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary; errors still go to stderr.")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace output files that already exist.")

console = Console(stderr=True)
stdout = Console(soft_wrap=True, markup=False, emoji=False)
"""Summaries on stdout; long lines (paths) are not broken, so that they can be copied. No markup: a file
name such as ``x[bold].toml`` or ``a:sun:b`` prints as it is."""


_OS_PROBLEMS = {
    errno.ENOSPC: "disk full (no space left on the device); free some space or write elsewhere",
    errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
    errno.EACCES: "permission denied; choose a folder you can write to (or read)",
    errno.EPERM: "operation not permitted; choose a folder you can write to (or read)",
    errno.EROFS: "read-only file system; write elsewhere",
}


def _printable(text: str) -> str:
    """One line that any terminal encoding can print: a file name's undecodable bytes as ``\\xNN``."""
    line = " ".join(str(text).split())
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def os_error_line(exc: BaseException) -> str | None:
    """The one-line message of a system error met while reading or writing (None when it is not one).

    Disk full and permission errors also come from GDAL and pyogrio as their own exception types:
    they are recognised by their message.
    """
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code not in _OS_PROBLEMS:
        code = next((c for c, words in ((errno.ENOSPC, "No space left on device"),
                                        (errno.EDQUOT, "Disk quota exceeded"),
                                        (errno.EROFS, "Read-only file system"),
                                        (errno.EACCES, "Permission denied")) if words in text), None)
    if code is None:
        return None if not isinstance(exc, OSError) else _printable(
            f"{exc.filename}: {exc.strerror}" if getattr(exc, "filename", None) else text)
    where = getattr(exc, "filename", None)
    return _printable(f"{where}: {_OS_PROBLEMS[code]}" if where else _OS_PROBLEMS[code])


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn engine errors, and the system's (disk full, permission denied), into a one-line
    ``error: ...`` on stderr and exit code 2."""
    try:
        yield
    except CadastreError as exc:
        print(f"error: {_printable(exc)}", file=sys.stderr)
        raise typer.Exit(2) from None
    except Exception as exc:
        line = os_error_line(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        raise typer.Exit(2) from None


@contextlib.contextmanager
def progress_bar(description: str, total: int, *, quiet: bool) -> Iterator:
    """A rich progress bar on stderr; yields ``update(done, total)`` (a no-op when quiet, or when stderr is
    not a terminal: a log file gets no blank lines from bars it cannot show)."""
    if quiet or not console.is_terminal:
        yield lambda done, total: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
