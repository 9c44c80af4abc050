"""Tables of display strings for the ``table`` macro of ``helpers.html.j2``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["NUMBER", "Table", "table"]

#: CSS class of a numeric cell (right-aligned, tabular digits).
NUMBER = "n"


@dataclass(frozen=True)
class Table:
    """A ``<table data-key=key>``: header labels and rows of (text, CSS class or "") cells, shown as given."""

    key: str
    headers: list[str]
    rows: list[list[tuple[str, str]]]


def table(key: str, headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> Table:
    """A :class:`Table` of already formatted cells; the columns flagged in ``numeric`` get class ``n``."""
    classes = [NUMBER if flag else "" for flag in numeric]
    return Table(key, list(headers), [list(zip(row, classes, strict=True)) for row in rows])
