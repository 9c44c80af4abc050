"""The ``cadastre`` command line: thin wrappers over the :mod:`cadastre` API."""
