"""Numbers as shown on the pages: digits grouped by thousands, a fixed number of decimals.

Styles: ``"fr"`` groups with a narrow no-break space (U+202F) and writes a decimal comma
(``1 234,5``); ``"en"`` groups with a comma and writes a decimal point (``1,234.5``); ``"iso"``
groups with a narrow no-break space and writes a decimal point (``1 234.5``).
"""

from __future__ import annotations

import math

__all__ = ["SEPARATORS", "number"]

#: Style -> (thousands separator, decimal sign).
SEPARATORS = {"fr": ("\u202f", ","), "en": (",", "."), "iso": ("\u202f", ".")}


def number(value: object, decimals: int, style: str = "fr", *, significant: int = 0) -> str:
    """``value`` rounded to ``decimals`` digits and written in ``style`` (see the module docstring).

    With ``significant``, a small value gets more decimals (at most 6) to keep that many significant
    digits. A value that is not a number is returned as text; NaN and infinities as ``–``.
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "–"
    if significant and x != 0.0:
        decimals = max(decimals, min(6, significant - 1 - math.floor(math.log10(abs(x)))))
    group, point = SEPARATORS[style]
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", group)
