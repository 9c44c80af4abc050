"""Self-contained HTML pages: the shared Jinja2 layout, stylesheet, macros and filters.

The commune reports (:mod:`cadastre.report`) and the qualification page (:mod:`cadastre.qualify`)
extend ``templates/layout.html.j2`` and use the macros of ``templates/helpers.html.j2``; see
:func:`cadastre.pages.rendering.render`.
"""
