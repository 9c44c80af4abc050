"""Images inlined in a page: matplotlib figures as PNG bytes, PNG bytes as ``data:`` URIs."""

from __future__ import annotations

import base64
import io

__all__ = ["data_uri", "figure_png"]


def figure_png(fig, *, dpi: int = 110, tight: bool = False) -> bytes:
    """A matplotlib figure as PNG bytes (``tight``: cropped to its content); a pyplot figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    if getattr(fig.canvas, "manager", None) is not None:  # made by pyplot, which holds it until closed
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """PNG bytes as a base64 ``data:image/png`` URI, for an ``<img src>`` that loads nothing."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
