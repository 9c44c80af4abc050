"""roofs."""
