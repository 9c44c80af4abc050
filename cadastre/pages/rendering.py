"""The Jinja2 environment of the pages: autoescaped, strict, with the shared layout and filters.

A page's templates are looked up in ``templates/`` of its own package (e.g. ``cadastre.report``),
then in ``cadastre/pages/templates/``: ``layout.html.j2`` (the document), ``helpers.html.j2``
(macros: section, meta, key figures, image, figure, table) and ``style.css``, the one stylesheet,
which the layout inlines so that the page loads nothing.

Every ``{{ ... }}`` is HTML-escaped (a name holding ``<script>`` stays text) and a name missing
from the context is an error (``StrictUndefined``), not an empty string. Filters: ``number``
(:func:`cadastre.pages.numbers.number`) and ``data_uri`` (:func:`cadastre.pages.images.data_uri`).
"""

from __future__ import annotations

import functools
from importlib import resources

import jinja2
from markupsafe import Markup

from cadastre.pages.images import data_uri
from cadastre.pages.numbers import number

__all__ = ["environment", "render", "stylesheet"]

_SHARED = "cadastre.pages"


def stylesheet() -> str:
    """The text of ``style.css``, the stylesheet of every page."""
    return (resources.files(_SHARED) / "templates" / "style.css").read_text(encoding="utf-8")


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """The environment of the pages of ``package`` (a dotted name with a ``templates/`` folder)."""
    packages = dict.fromkeys([package, _SHARED])
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader(name, "templates") for name in packages]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = number
    env.filters["data_uri"] = data_uri
    env.globals["stylesheet"] = Markup(stylesheet())
    return env


def render(package: str, template: str, **context) -> str:
    """The text of ``template`` of ``package`` rendered with ``context``.

    Raises
    ------
    jinja2.UndefinedError
        The template uses a name that ``context`` lacks.
    """
    return environment(package).get_template(template).render(**context)
