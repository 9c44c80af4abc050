"""Options shared by several sub-commands, and the error handler."""

from __future__ import annotations

import contextlib
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
stdout = Console(soft_wrap=True)
"""Summaries on stdout; long lines (paths) are not broken, so that they can be copied."""


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn engine errors into a one-line ``error: ...`` on stderr and exit code 2."""
    try:
        yield
    except CadastreError as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        raise typer.Exit(2) from None


@contextlib.contextmanager
def progress_bar(description: str, total: int, *, quiet: bool) -> Iterator:
    """A rich progress bar on stderr; yields ``update(done, total)`` (a no-op when quiet)."""
    if quiet:
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
