"""solar."""
